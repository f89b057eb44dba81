"""The package's architecture, checked from its source (docs/architecture.md §2).

The import graph of ``marketsim`` is built with the standard library only (``ast``), without
importing anything: every ``import`` and ``from ... import`` statement counts, wherever it stands
(module level, inside a function, under ``if TYPE_CHECKING:``), and relative imports are resolved
against the importing module's package. A type-only import is still knowledge of the other module:
the issue that introduced this test counted ``firm.py`` <-> ``model.py`` (a ``TYPE_CHECKING`` import
one way) as a cycle.

Rules checked:

(a) no import cycle between modules (each cycle is reported with its file:line edges);
(b) layers point downward only, ``economics < config < sim < experiments < viz < cli``: a module may
    import its own layer and the layers below; every module lives in one of the six layer folders.
    The top-level ``marketsim/__init__.py`` and ``marketsim/__main__.py`` are above every layer: they
    may import anything (``__init__`` does so lazily, on first attribute use). A layer module may take
    only ``__version__`` from the top-level package, so no layer reaches upward through its lazy names;
(c) no module imports a private name (``_x``: a function, constant or module) from a module in
    another (sub)package, neither by ``from m import _x`` nor as ``m._x`` on an imported module;
(d) no module of ``marketsim/`` has more than 500 lines;
(e) ``economics/`` imports no ``mesa`` (nor another simulation, plotting or UI framework).

The last tests run the same checker on small synthetic packages, so a checker that silently found
nothing would fail.
"""

from __future__ import annotations

import ast
import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = ROOT / "marketsim"

#: Layer folders, lowest first: a module may import from its own layer and the ones before it.
LAYERS: tuple[str, ...] = ("economics", "config", "sim", "experiments", "viz", "cli")
#: Modules above all layers: the package entry points, which may import anything.
TOP_LEVEL_FILES = ("__init__.py", "__main__.py")
#: The only names a layer module may import from the top-level package (no lazy detour upward).
TOP_LEVEL_ALLOWED_NAMES = frozenset({"__version__"})
MAX_LINES = 500
#: Third-party frameworks the pure numerical layer must not import (top-level import names).
NOT_IN_ECONOMICS = ("mesa", "solara", "matplotlib", "typer", "rich")


# -- the import graph ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Import:
    """One import edge from a module of the package to another module of the package.

    Attributes:
        source: dotted name of the importing module (``marketsim.sim.model``).
        target: dotted name of the imported module, the longest prefix that is a module of the package
            (``from marketsim.sim import model`` -> ``marketsim.sim.model``; ``from marketsim.economics
            import optimize`` -> ``marketsim.economics``).
        names: the names taken from ``target`` (``from target import a, b``); empty for ``import x``.
        where: ``path:line`` of the statement, path relative to the package's parent folder.
    """

    source: str
    target: str
    names: tuple[str, ...]
    where: str


@dataclass(frozen=True)
class External:
    """An import of something outside the package: ``top`` is its first dotted component (``mesa``)."""

    source: str
    top: str
    where: str


@dataclass
class Graph:
    """Modules of one package (dotted name -> file) and the imports found in them.

    ``root`` is the folder holding the package; paths in messages are relative to it.
    """

    package: str
    root: Path
    modules: dict[str, Path]
    imports: list[Import]
    external: list[External]
    missing: list[str]
    private_attributes: list[str]
    #: names a module reads as ``pkg.X`` from the top-level package after a bare ``import pkg``
    top_level_uses: dict[str, set[str]] = field(default_factory=dict)


def _is_private(name: str) -> bool:
    """``_x`` is private; dunder names (``__version__``, ``__init__``) are not."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def module_files(package_dir: Path) -> dict[str, Path]:
    """Every ``.py`` file of the package by dotted module name (``pkg/a/__init__.py`` -> ``pkg.a``).

    ``os.walk`` does not follow symbolic links, so the bundled-scenario link is not entered.
    """
    modules: dict[str, Path] = {}
    for folder, dirs, files in os.walk(package_dir):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for file in sorted(files):
            if not file.endswith(".py"):
                continue
            path = Path(folder) / file
            parts = [package_dir.name, *path.relative_to(package_dir).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def package_of(module: str, modules: dict[str, Path]) -> str:
    """The package that holds ``module``: itself for a package (``__init__.py``), else its parent."""
    return module if modules[module].name == "__init__.py" else module.rpartition(".")[0]


def _longest_module(dotted: str, modules: dict[str, Path]) -> str | None:
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in modules:
            return ".".join(parts[:end])
    return None


def _resolve_from(node: ast.ImportFrom, module: str, modules: dict[str, Path]) -> str:
    """The absolute dotted name of ``from X import ...`` (relative levels resolved)."""
    if not node.level:
        return node.module or ""
    base = package_of(module, modules).split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for an attribute chain on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def _imports_of(module: str, graph: Graph) -> None:
    """Add the imports of one module to ``graph`` (edges, externals, missing targets, ``m._x`` uses)."""
    modules, package, path = graph.modules, graph.package, graph.modules[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    rel = path.relative_to(graph.root).as_posix()
    bound: dict[str, str] = {}  # local name -> dotted module name it is bound to (for m._x checks)

    def add(dotted: str, names: tuple[str, ...], line: int) -> None:
        where = f"{rel}:{line}"
        top = dotted.split(".")[0]
        if top != package:
            graph.external.append(External(module, top, where))
            return
        if dotted not in modules:
            graph.missing.append(f"{where}: {module} imports {dotted}, which is not a module of {package}")
            return
        graph.imports.append(Import(module, dotted, names, where))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, (), node.lineno)
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    bound[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_from(node, module, modules)
            plain: list[str] = []
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if base.split(".")[0] == package and full in modules:  # a submodule: its own edge
                    add(full, (), node.lineno)
                    bound[alias.asname or alias.name] = full
                else:
                    plain.append(alias.name)
            if plain or not node.names:
                add(base, tuple(plain), node.lineno)

    # m._x on a name bound to a module of the package (import pkg.a.b as m; from pkg.a import b)
    found: dict[str, None] = {}  # ordered set: a.b._x.y is visited as a.b._x.y and as a.b._x
    for node in ast.walk(tree):
        dotted = _dotted(node) if isinstance(node, ast.Attribute) else None
        if not dotted:
            continue
        head, _, rest = dotted.partition(".")
        if head not in bound or not rest:
            continue
        full = f"{bound[head]}.{rest}"
        target = _longest_module(full, modules)
        if target is None or full == target:
            continue
        attr = full[len(target) + 1:].split(".")[0]
        if target == package:
            graph.top_level_uses.setdefault(module, set()).add(attr)
        if _is_private(attr) and package_of(target, modules) != package_of(module, modules):
            found[f"{rel}:{node.lineno}: {module} uses {target}.{attr}, private to "
                  f"package {package_of(target, modules)}"] = None
    graph.private_attributes += list(found)


def build_graph(package_dir: Path) -> Graph:
    """The import graph of the package in ``package_dir`` (nothing is imported)."""
    graph = Graph(package_dir.name, package_dir.parent, module_files(package_dir), [], [], [], [])
    for module in graph.modules:
        _imports_of(module, graph)
    return graph


# -- the rules --------------------------------------------------------------------------------------------
def find_cycles(graph: Graph, ignore_sources: Iterable[str] = ()) -> list[str]:
    """One reported cycle per strongly connected component of the module graph (Tarjan's algorithm).

    Each report is ``a -> b -> ... -> a`` followed by the file:line of every edge on it. Edges out of
    ``ignore_sources`` (the top-level entry points) are left out: they import lazily by design.
    """
    ignored = set(ignore_sources)
    edges: dict[str, dict[str, str]] = {m: {} for m in graph.modules}
    for imp in graph.imports:
        if imp.source not in ignored:
            edges[imp.source].setdefault(imp.target, imp.where)

    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def strongconnect(v: str) -> None:  # iterative enough for a package of < 1000 modules
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges[v]:
                components.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            strongconnect(v)

    reports = []
    for component in components:
        members = set(component)
        path = _cycle_in(component[0], members, edges)
        hops = [f"    {a} -> {b} at {edges[a][b]}" for a, b in zip(path, path[1:])]
        reports.append(" -> ".join(path) + f"\n    (one cycle among {len(component)} mutually reachable modules: "
                       f"{', '.join(component)})\n" + "\n".join(hops))
    return reports


def _cycle_in(start: str, members: set[str], edges: dict[str, dict[str, str]]) -> list[str]:
    """A shortest path start -> ... -> start inside one strongly connected component (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(edges[v]):
                if w not in members:
                    continue
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start] if v != start else [start, start]
                if w not in previous:
                    previous[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no cycle through {start}")  # a component always has one


def layer_of(module: str, layers: tuple[str, ...] = LAYERS) -> int | None:
    """Index of the module's layer (``marketsim.sim.model`` -> 2); None outside the layer folders."""
    parts = module.split(".")
    return layers.index(parts[1]) if len(parts) > 1 and parts[1] in layers else None


def layer_violations(graph: Graph, layers: tuple[str, ...] = LAYERS) -> list[str]:
    """Upward imports, imports through the top-level package, and modules outside every layer."""
    top = {graph.package, *(f"{graph.package}.{f[:-3]}" for f in TOP_LEVEL_FILES if f != "__init__.py")}
    problems = [f"{graph.modules[m].relative_to(graph.root).as_posix()}: module {m} is in "
                f"no layer folder ({', '.join(layers)})"
                for m in graph.modules if m not in top and layer_of(m, layers) is None]
    for imp in graph.imports:
        if imp.source in top:
            continue  # entry points may import anything
        if imp.target == graph.package:
            names = imp.names or graph.top_level_uses.get(imp.source, set())  # import pkg; pkg.X
            extra = sorted(set(names) - TOP_LEVEL_ALLOWED_NAMES)
            if extra:
                problems.append(f"{imp.where}: {imp.source} imports {', '.join(extra)} from the top-level "
                                f"{graph.package} package; import it from its layer module instead")
            continue
        if imp.target in top:
            problems.append(f"{imp.where}: {imp.source} imports the entry point {imp.target}")
            continue
        src, dst = layer_of(imp.source, layers), layer_of(imp.target, layers)
        if src is not None and dst is not None and dst > src:
            problems.append(f"{imp.where}: {imp.source} ({layers[src]}) imports {imp.target} ({layers[dst]}), "
                            f"an upper layer: imports must point down {' < '.join(layers)}")
    return problems


def private_violations(graph: Graph) -> list[str]:
    """Private names (``_x`` functions, constants or modules) taken from another (sub)package."""
    problems = list(graph.private_attributes)
    for imp in graph.imports:
        own = package_of(imp.source, graph.modules)
        # a private module on the target's path (pkg.economics._checks) belongs to its package
        parts = imp.target.split(".")
        for end in range(2, len(parts) + 1):
            if _is_private(parts[end - 1]):
                owner = ".".join(parts[: end - 1])
                if owner != own:
                    problems.append(f"{imp.where}: {imp.source} imports the private module "
                                    f"{'.'.join(parts[:end])} of package {owner}")
                break
        target_package = package_of(imp.target, graph.modules)
        for name in imp.names:
            if _is_private(name) and target_package != own:
                problems.append(f"{imp.where}: {imp.source} imports {name} from {imp.target}: private to "
                                f"package {target_package}; make it public if {own} needs it")
    return problems


def line_counts(graph: Graph) -> dict[str, int]:
    """Lines per module file (as ``wc -l`` counts them, plus a last line without newline)."""
    return {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in graph.modules.items()}


def long_modules(graph: Graph, limit: int = MAX_LINES) -> list[str]:
    counts = line_counts(graph)
    return [f"{graph.modules[m].relative_to(graph.root).as_posix()}: {n} lines"
            for m, n in sorted(counts.items(), key=lambda kv: -kv[1]) if n > limit]


def framework_imports(graph: Graph, layer: str, forbidden: Iterable[str]) -> list[str]:
    """Imports of ``forbidden`` third-party packages by modules of ``layer``."""
    banned = set(forbidden)
    return [f"{e.where}: {e.source} imports {e.top}" for e in graph.external
            if e.top in banned and e.source.split(".")[1:2] == [layer]]


# -- the package ------------------------------------------------------------------------------------------
ENTRY_POINTS = ("marketsim", "marketsim.__main__")


@functools.cache
def package_graph() -> Graph:
    """The graph of marketsim/, built once per session (a syntax error fails only the tests using it)."""
    return build_graph(PACKAGE_DIR)


def test_the_graph_covers_the_package() -> None:
    # Guards every test below: the walk must see all layers and function-level and relative imports.
    graph = package_graph()
    assert {layer_of(m) for m in graph.modules} >= set(range(len(LAYERS))), sorted(graph.modules)
    assert len(graph.modules) >= 30 and len(graph.imports) >= 60, (len(graph.modules), len(graph.imports))
    assert any(e.top == "mesa" for e in graph.external)  # the simulation does use Mesa
    # the commands reach the experiments (the synthetic tests below cover function-level imports)
    assert any(imp.source.startswith("marketsim.cli") and layer_of(imp.target) == LAYERS.index("experiments")
               for imp in graph.imports)
    assert not graph.missing, "imports of modules that do not exist:\n" + "\n".join(graph.missing)


def test_no_import_cycles() -> None:
    graph = package_graph()
    cycles = find_cycles(graph, ignore_sources=ENTRY_POINTS)
    assert not cycles, f"{len(cycles)} import cycle(s) (TYPE_CHECKING and function-level imports count):\n" + \
        "\n".join(cycles)


def test_imports_point_down_the_layers() -> None:
    graph = package_graph()
    problems = layer_violations(graph)
    assert not problems, f"{len(problems)} import(s) against the layers {' < '.join(LAYERS)}:\n" + "\n".join(problems)


def test_no_private_name_is_reached_across_packages() -> None:
    graph = package_graph()
    problems = private_violations(graph)
    assert not problems, f"{len(problems)} private name(s) used across packages:\n" + "\n".join(problems)


def test_no_module_exceeds_the_line_limit() -> None:
    graph = package_graph()
    offenders = long_modules(graph)
    assert not offenders, f"modules over {MAX_LINES} lines (split them by idea):\n" + "\n".join(offenders)


def test_economics_imports_no_simulation_or_ui_framework() -> None:
    graph = package_graph()
    offenders = framework_imports(graph, "economics", NOT_IN_ECONOMICS)
    assert not offenders, "economics/ must stay pure numpy/scipy:\n" + "\n".join(offenders)


ARCHITECTURE_DOC = ROOT / "docs" / "architecture.md"


def documented_layout(doc: Path = ARCHITECTURE_DOC) -> dict[str, str]:
    """The layout tree of docs/architecture.md §1: the text listed under each top-level folder."""
    text = doc.read_text(encoding="utf-8")
    section = re.search(r"^## 1\..*?^```\n(.*?)^```", text, re.M | re.S)
    assert section, f"{doc}: §1 must open with the layout tree in a ``` block"
    chunks: dict[str, str] = {}
    current = ""
    for line in section.group(1).splitlines():
        folder = re.match(r"^  (\w+)/", line)
        if folder:
            current = folder.group(1)
        chunks[current] = chunks.get(current, "") + line + "\n"
    return chunks


def layout_problems(graph: Graph, doc: Path, layers: tuple[str, ...] = LAYERS) -> list[str]:
    """Modules missing from the layout tree of ``doc`` §1, and files listed there that do not exist."""
    package_dir = graph.root / graph.package
    chunks = documented_layout(doc)
    problems = [f"layer folder {layer}/ is not in the tree" for layer in layers if layer not in chunks]
    for path in graph.modules.values():
        parts = path.relative_to(package_dir).parts
        if len(parts) == 1:
            listed = parts[0] in chunks.get("", "")
        elif path.name == "__init__.py":  # a (sub-)package: its folder name is enough
            listed = re.search(rf"\b{re.escape(parts[-2])}/", chunks.get(parts[0], "")) is not None
        else:
            listed = re.search(rf"(?<![\w.]){re.escape(path.name)}\b", chunks.get(parts[0], "")) is not None
        if not listed:
            problems.append(f"{graph.package}/{'/'.join(parts)} is not listed under {parts[0]}/")
    for layer, chunk in chunks.items():
        for name in re.findall(r"(?<![\w.])(\w+\.py)\b", chunk):
            if not any(p.name == name and p.relative_to(package_dir).parts[0] == (layer or name)
                       for p in graph.modules.values()):
                problems.append(f"{name} is listed under {layer or graph.package}/ but there is no such module")
    return problems


def test_the_architecture_doc_names_every_module_and_no_other() -> None:
    # docs/architecture.md §1 is the map of the code: every module is on it, under its layer, and
    # nothing on it is gone.
    problems = layout_problems(package_graph(), ARCHITECTURE_DOC)
    assert not problems, "docs/architecture.md §1 and marketsim/ disagree:\n" + "\n".join(problems)


# -- the checker on synthetic packages --------------------------------------------------------------------
def _package(tmp: Path, files: dict[str, str], name: str = "pkg") -> Graph:
    for rel, text in files.items():
        path = tmp / name / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return build_graph(tmp / name)


def test_checker_resolves_relative_function_level_and_type_checking_imports(tmp_path: Path) -> None:
    g = _package(tmp_path, {
        "__init__.py": "",
        "sim/__init__.py": "",
        "sim/model.py": "from . import firm\nfrom .firm import decide\n",
        "sim/firm.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.sim.model import M\n"
                        "def decide():\n    from ..economics import costs\n    import mesa\n"),
        "economics/__init__.py": "",
        "economics/costs.py": "import numpy\n",
    })
    edges = {(i.source, i.target, i.names, i.where) for i in g.imports}
    assert edges == {
        ("pkg.sim.model", "pkg.sim.firm", (), "pkg/sim/model.py:1"),
        ("pkg.sim.model", "pkg.sim.firm", ("decide",), "pkg/sim/model.py:2"),
        ("pkg.sim.firm", "pkg.sim.model", ("M",), "pkg/sim/firm.py:3"),
        ("pkg.sim.firm", "pkg.economics.costs", (), "pkg/sim/firm.py:5"),
    }
    assert {(e.source, e.top) for e in g.external} == {("pkg.sim.firm", "typing"), ("pkg.sim.firm", "mesa"),
                                                       ("pkg.economics.costs", "numpy")}
    cycles = find_cycles(g)
    assert len(cycles) == 1 and cycles[0].startswith("pkg.sim.firm -> pkg.sim.model -> pkg.sim.firm")
    assert "pkg/sim/firm.py:3" in cycles[0] and "pkg/sim/model.py:1" in cycles[0]


def test_checker_reports_upward_imports_naming_both_modules(tmp_path: Path) -> None:
    g = _package(tmp_path, {
        "__init__.py": "def lazy():\n    from pkg.cli import app\n",   # the entry point may import anything
        "economics/__init__.py": "",
        "economics/demand.py": "from pkg.config.schema import Consumers\n",
        "config/__init__.py": "",
        "config/schema.py": "from pkg.economics.demand import Demand\nfrom pkg import __version__\n",
        "sim/__init__.py": "",
        "sim/model.py": "from pkg import MarketModel\n",
        "sim/firm.py": "import pkg\nimport pkg.economics\nV = pkg.__version__\nS = pkg.Scenario\n",
        "cli/__init__.py": "from pkg.sim import model\n",
        "stray.py": "",
    })
    problems = layer_violations(g)
    assert len(problems) == 4, problems
    assert any("pkg/sim/firm.py:1" in p and "imports Scenario from the top-level pkg" in p for p in problems)
    assert any("economics/demand.py:1: pkg.economics.demand (economics) imports pkg.config.schema (config)"
               in p for p in problems)
    assert any("pkg/sim/model.py:1" in p and "MarketModel from the top-level pkg" in p for p in problems)
    assert any("module pkg.stray is in no layer folder" in p for p in problems)
    # the upward import closes a cycle; the entry point's lazy import of the CLI closes none
    cycles = find_cycles(g, ignore_sources=("pkg",))
    assert len(cycles) == 1 and cycles[0].startswith("pkg.config.schema -> pkg.economics.demand -> pkg.config.schema")


def test_checker_reports_private_names_across_packages(tmp_path: Path) -> None:
    g = _package(tmp_path, {
        "__init__.py": "",
        "economics/__init__.py": "from pkg.economics._checks import require\n",
        "economics/_checks.py": "def require(): ...\n",
        "economics/demand.py": "from ._checks import require\nfrom pkg.economics.scaling import _fit\n",
        "economics/scaling.py": "def _fit(): ...\n",
        "config/__init__.py": "",
        "config/schema.py": "from pkg.economics._checks import require\nfrom pkg.economics.scaling import _fit\n",
        "cli/__init__.py": ("from pkg.experiments import validation\nimport pkg.economics.scaling as sc\n"
                            "def f():\n    validation._report()\n    sc._fit()\n    validation.public()\n"),
        "experiments/__init__.py": "",
        "experiments/validation.py": "def _report(): ...\ndef public(): ...\n",
    })
    problems = private_violations(g)
    assert len(problems) == 4, problems
    assert any("config/schema.py:1" in p and "private module pkg.economics._checks" in p for p in problems)
    assert any("config/schema.py:2" in p and "imports _fit from pkg.economics.scaling" in p for p in problems)
    assert any("cli/__init__.py:4" in p and "pkg.experiments.validation._report" in p for p in problems)
    assert any("cli/__init__.py:5" in p and "pkg.economics.scaling._fit" in p for p in problems)


def test_checker_counts_lines_and_frameworks(tmp_path: Path) -> None:
    g = _package(tmp_path, {
        "__init__.py": "",
        "economics/__init__.py": "",
        "economics/big.py": "x = 1\n" * (MAX_LINES + 1),
        "economics/ok.py": "x = 1\n" * (MAX_LINES - 1) + "import scipy\n",
        "economics/agents.py": "def f():\n    import mesa.time\n",
        "sim/__init__.py": "import mesa\n",
    })
    assert long_modules(g) == [f"pkg/economics/big.py: {MAX_LINES + 1} lines"]
    assert framework_imports(g, "economics", NOT_IN_ECONOMICS) == [
        "pkg/economics/agents.py:2: pkg.economics.agents imports mesa"]


def test_checker_compares_the_documented_layout_with_the_modules(tmp_path: Path) -> None:
    g = _package(tmp_path, {"__init__.py": "", "sim/__init__.py": "", "sim/model.py": "", "sim/firm.py": "",
                            "sim/batch/__init__.py": "", "sim/batch/sweep.py": "", "economics/__init__.py": ""})
    doc = tmp_path / "architecture.md"
    doc.write_text("# A\n\n## 1. Layout\n\n```\npkg/\n  __init__.py  api\n\n  economics/  pure\n"
                   "  sim/\n    model.py   the model\n    world.py   gone\n    batch/     sweep.py\n```\n",
                   encoding="utf-8")
    assert layout_problems(g, doc, layers=("economics", "sim")) == [
        "pkg/sim/firm.py is not listed under sim/",
        "world.py is listed under sim/ but there is no such module",
    ]
