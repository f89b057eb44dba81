"""The documentation lives in the repository and agrees with the code.

- No product file (marketsim/, the bundled scenarios, docs/, README.md) names a document outside the
  repository (``../shared``, ``DESIGN.md``).
- Every citation of a project document with a section ("docs/theory.md §4", "docs/calibration.md
  section 3", "theory.md sections 2-4") names an existing file under docs/ and an existing numbered
  heading; code and scenario files cite with the ``docs/`` prefix.
- Every relative Markdown link in docs/ and README.md points at an existing file and heading anchor.
- Every keyed figure in docs/calibration.md equals the value in the scenario file or code it names
  (a code key starts with a layer of the package: ``economics.costs.HOURS_PER_YEAR``,
  ``config.schema.Firm.horizon_periods``), and every value of the baseline scenario (and every value
  another bundled scenario changes) is listed.
"""

from __future__ import annotations

import importlib
import math
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from marketsim.config import bundled_scenarios

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CALIBRATION = DOCS / "calibration.md"
DOC_NAMES = ("theory", "calibration", "architecture", "validation")
#: First component of a calibration key that names code (a layer of the package), not a scenario table.
CODE_ROOTS = ("economics", "config", "sim", "experiments")
TEXT_SUFFIXES = {".py", ".toml", ".md", ".txt", ".cfg", ".json", ".yaml", ".yml", ".html", ".css", ".js"}

#: A citation: optional docs/ prefix, document name, then "§N", "section N" or "sections N-M, K".
CITATION = re.compile(
    r"(?P<prefix>docs/)?\b(?P<doc>" + "|".join(DOC_NAMES) + r")\.md"
    r"(?P<sections>\s*(?:§\s*|sections?\s+)\d+(?:\.\d+)*(?:\s*(?:-|–|,|/|and|or)\s*(?:§\s*)?\d+(?:\.\d+)*)*)?")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$", re.M)
NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)\.?\s")
LINK = re.compile(r"\[[^\]]*\]\((?!https?:|mailto:)(?P<target>[^)\s#]*)(?:#(?P<anchor>[^)\s]*))?\)")


def _product_files() -> list[Path]:
    """Text files of the product: marketsim/, the bundled scenarios, docs/ and README.md."""
    files = [p for p in (ROOT / "marketsim").rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES]
    files += [p for p in DOCS.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES]
    scenario_dir = ROOT / "scenarios"
    if scenario_dir.is_dir():
        files += sorted(scenario_dir.glob("*.toml"))
    files += [path for _, path, _ in bundled_scenarios()]
    files.append(ROOT / "README.md")
    return sorted({p.resolve() for p in files if "__pycache__" not in p.parts})


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _sections(doc: Path) -> set[str]:
    """Numbers of the numbered headings of a Markdown file ("## 4. Title" -> "4", "### 1.1 X" -> "1.1")."""
    found = set()
    for title in HEADING.findall(doc.read_text(encoding="utf-8")):
        m = NUMBERED.match(title)
        if m:
            found.add(m.group(1))
    return found


def _slug(title: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    title = re.sub(r"[`*_]", lambda m: "_" if m.group(0) == "_" else "", title.strip().lower())
    return re.sub(r"[^\w\- ]", "", title).replace(" ", "-")


def _anchors(doc: Path) -> set[str]:
    return {_slug(t) for t in HEADING.findall(doc.read_text(encoding="utf-8"))}


# -- (a) nothing points outside the repository -----------------------------------------------------------
def test_product_files_name_no_document_outside_the_repository() -> None:
    offenders = []
    for path in _product_files():
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if "../shared" in line or "DESIGN.md" in line or "reference/theory.md" in line \
                    or "reference/calibration.md" in line:
                offenders.append(f"{_rel(path)}:{n}: {line.strip()}")
    assert not offenders, "references outside the repository:\n" + "\n".join(offenders)


def test_the_scan_covers_the_product() -> None:
    # Guards the test above: it must actually read the code of every layer, the scenarios and the docs.
    names = {_rel(p) for p in _product_files()}
    assert {"marketsim/__init__.py", "marketsim/sim/model.py", "README.md", "docs/theory.md",
            "docs/calibration.md", "docs/architecture.md"} <= names
    for layer in ("economics", "config", "sim", "experiments", "viz", "cli"):
        assert any(name.startswith(f"marketsim/{layer}/") and name.endswith(".py") for name in names), layer
    assert any(name.endswith("baseline.toml") for name in names)


# -- (b) every cited section exists ----------------------------------------------------------------------
def _citations() -> list[tuple[Path, int, re.Match[str]]]:
    out = []
    for path in _product_files():
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            out += [(path, n, m) for m in CITATION.finditer(line)]
    return out


def test_documents_cited_in_the_product_exist_with_their_sections() -> None:
    citations = _citations()
    assert len([c for c in citations if c[2].group("sections")]) >= 50  # the code cites sections widely
    problems = []
    sections = {name: _sections(DOCS / f"{name}.md") for name in DOC_NAMES if (DOCS / f"{name}.md").is_file()}
    for path, n, m in citations:
        doc = m.group("doc")
        where = f"{_rel(path)}:{n}: {m.group(0).strip()}"
        if doc not in sections:
            problems.append(f"{where}: docs/{doc}.md does not exist")
            continue
        in_docs = DOCS in path.parents
        if not in_docs and not m.group("prefix"):
            problems.append(f"{where}: cite the repository's file as docs/{doc}.md")
        for number in re.findall(r"\d+(?:\.\d+)*", m.group("sections") or ""):
            if number not in sections[doc]:
                problems.append(f"{where}: docs/{doc}.md has no section {number} "
                                f"(it has {', '.join(sorted(sections[doc], key=_numeric))})")
    assert not problems, "\n".join(problems)


def _numeric(number: str) -> tuple[int, ...]:
    return tuple(int(p) for p in number.split("."))


def test_project_documents_number_their_sections() -> None:
    for name in ("theory", "calibration", "architecture"):
        numbers = _sections(DOCS / f"{name}.md")
        top = sorted(int(x) for x in numbers if "." not in x)
        assert top and top == list(range(top[0], top[-1] + 1)), f"docs/{name}.md: sections {top} must be consecutive"
    assert {str(i) for i in range(0, 11)} <= _sections(DOCS / "theory.md")


def test_markdown_links_resolve_to_files_and_headings() -> None:
    problems = []
    for doc in [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]:
        for m in LINK.finditer(doc.read_text(encoding="utf-8")):
            target = (doc.parent / m.group("target")).resolve() if m.group("target") else doc
            if not target.exists():
                problems.append(f"{_rel(doc)}: link to missing file {m.group('target')}")
            elif m.group("anchor") and target.suffix == ".md" and m.group("anchor") not in _anchors(target):
                problems.append(f"{_rel(doc)}: link to missing heading {m.group('target')}#{m.group('anchor')}")
    assert not problems, "\n".join(problems)


def test_citation_checker_rejects_missing_sections() -> None:
    # The checker itself: a made-up section must be caught, a real one accepted.
    theory = _sections(DOCS / "theory.md")
    m = CITATION.search("see docs/theory.md sections 2-4 and docs/calibration.md §99")
    assert m and re.findall(r"\d+", m.group("sections")) == ["2", "4"]
    assert {"2", "4"} <= theory
    bad = list(CITATION.finditer("docs/calibration.md §99"))[0]
    assert "99" not in _sections(CALIBRATION) and bad.group("sections").strip() == "§99"


# -- (c) calibration.md agrees with the scenarios and the code --------------------------------------------
KEY_CELL = re.compile(r"^`(?:(?P<scenario>[a-z_]+):\s*)?(?P<path>[A-Za-z_][\w.]*)`$")


def _calibration_rows() -> list[dict[str, str]]:
    """Rows of docs/calibration.md's figure tables that have a key: key, value, line."""
    rows = []
    for n, line in enumerate(CALIBRATION.read_text(encoding="utf-8").splitlines(), 1):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 5 or cells[0] == "figure" or set(cells[0]) <= {"-"}:
            continue
        if cells[1]:
            rows.append({"key": cells[1], "value": cells[2], "line": str(n)})
    return rows


def _leaves(data: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten a TOML document to dotted keys; arrays of tables are indexed (firms.0.price)."""
    out: dict[str, Any] = {}
    items = enumerate(data) if isinstance(data, list) else data.items()
    for k, v in items:
        key = f"{prefix}{k}"
        if isinstance(v, (dict, list)) and (isinstance(v, dict) or (v and isinstance(v[0], dict))):
            out.update(_leaves(v, key + "."))
        else:
            out[key] = v
    return out


def _scenarios() -> dict[str, dict[str, Any]]:
    return {name: _leaves(tomllib.loads(path.read_text(encoding="utf-8"))) for name, path, _ in bundled_scenarios()}


def _resolve_code(path: str) -> Any:
    """Value of ``economics.costs.HARDWARE.H100.peak_flops`` or ``config.schema.Firm.horizon_periods``."""
    head, *rest = path.split(".")
    obj: Any = importlib.import_module(f"marketsim.{head}")
    while rest:
        # the longest dotted prefix that is a module (economics.costs), then attributes / dict keys
        part = rest.pop(0)
        fields = getattr(obj, "model_fields", None)
        if isinstance(obj, dict):
            obj = obj[part]
        elif isinstance(fields, dict) and part in fields:
            obj = fields[part].default
        elif hasattr(obj, part):
            obj = getattr(obj, part)
        else:
            obj = importlib.import_module(f"{obj.__name__}.{part}")
    return obj


def _parse_cell(cell: str) -> float | str:
    text = cell.strip().strip("`").strip('"').replace(",", "").replace("−", "-")
    try:
        return float(text)
    except ValueError:
        return text


def _same(expected: Any, cell: str) -> bool:
    got = _parse_cell(cell)
    if isinstance(expected, bool) or isinstance(expected, str):
        return str(expected) == str(got)
    return isinstance(got, float) and math.isclose(float(expected), got, rel_tol=1e-9, abs_tol=0.0)


def test_calibration_values_match_the_scenarios_and_the_code() -> None:
    scenarios = _scenarios()
    rows = _calibration_rows()
    assert len(rows) >= 60
    problems = []
    for row in rows:
        m = KEY_CELL.match(row["key"])
        where = f"docs/calibration.md:{row['line']}: {row['key']}"
        if not m:
            problems.append(f"{where}: key must be `section.field`, `SCENARIO: section.field` or a code path")
            continue
        path = m.group("path")
        if path.split(".")[0] in CODE_ROOTS:
            try:
                expected = _resolve_code(path)
            except (ImportError, AttributeError, KeyError) as err:
                problems.append(f"{where}: not found in marketsim ({err!r})")
                continue
        else:
            name = m.group("scenario") or "baseline"
            if name not in scenarios:
                problems.append(f"{where}: no bundled scenario {name!r}")
                continue
            if path not in scenarios[name]:
                problems.append(f"{where}: scenario {name} has no key {path}")
                continue
            expected = scenarios[name][path]
        if not _same(expected, row["value"]):
            problems.append(f"{where}: docs say {row['value']!r}, marketsim has {expected!r}")
    assert not problems, "\n".join(problems)


#: Scenario keys that are names and prose, not figures (``extends`` names the parent scenario).
NOT_FIGURES = re.compile(r"^(extends|meta\.(name|description)|firms\.\d+\.name|firms\.\d+\.strategy"
                         r"|uncertain\..+\.(dist|source)|uncertain\.correlations\.\d+\.keys)$")  # names, prose


def test_every_scenario_figure_is_in_the_calibration_tables() -> None:
    scenarios = _scenarios()
    listed: dict[str, set[str]] = {}
    for row in _calibration_rows():
        m = KEY_CELL.match(row["key"])
        if m and m.group("path").split(".")[0] not in CODE_ROOTS:
            listed.setdefault(m.group("scenario") or "baseline", set()).add(m.group("path"))
    base = scenarios["baseline"]
    first_firm = {k.split(".", 2)[2]: v for k, v in base.items() if k.startswith("firms.0.")}
    missing = [f"baseline: {k}" for k in base if not NOT_FIGURES.match(k) and k not in listed.get("baseline", set())]
    for name, leaves in scenarios.items():
        if name == "baseline":
            continue
        for key, value in leaves.items():
            if NOT_FIGURES.match(key) and not key.endswith(".strategy"):
                continue
            # a firm added to a copy of baseline is "as baseline" when it matches baseline's first firm
            same = base.get(key, first_firm.get(key.split(".", 2)[2]) if key.startswith("firms.") else None)
            if value != same and key not in listed.get(name, set()):
                missing.append(f"{name}: {key} = {value!r}")
    assert not missing, "figures without a row in docs/calibration.md:\n" + "\n".join(missing)


def test_calibration_checker_catches_a_wrong_value() -> None:
    base = _scenarios()["baseline"]
    assert _same(base["hardware.growth_per_year"], "1.38")
    assert not _same(base["hardware.growth_per_year"], "1.39")
    assert _same(base["scaling.preset"], "besiroglu2024") and not _same(base["scaling.preset"], "hoffmann2022")
    assert _resolve_code("economics.costs.HARDWARE.H100.peak_flops") == pytest.approx(989.4e12)
    assert _resolve_code("config.schema.Firm.horizon_periods") == 8
