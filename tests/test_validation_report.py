"""`marketsim report validation`: it replaces only its own generated files and deletes nothing.

Also the record's display helpers the CLI table and the report share.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketsim.cli import app
from marketsim.experiments.outputs import OutputExistsError
from marketsim.experiments.validation import (RECORD, ValidationResults, format_interval, format_value)
from marketsim.viz.validation_report import GENERATED_MARKER, REPORT_FIGURES, write_validation_report

from _history import small_validation_results

runner = CliRunner()


def test_record_values_are_shown_in_their_units() -> None:
    assert format_value("cost_2022", 40.7e6) == "$40.7M"
    assert format_value("revenue_2024", 3.7e9) == "$3.7B"
    assert format_value("spend_growth", 2.4) == "2.40x/yr"
    assert format_value("adoption_2023", 0.0213) == "2.1%"
    assert format_value("first_run_year", 2016.0) == "2016.00"
    assert format_value("tokens_per_param_2022", 20.0) == "20"
    assert format_value("cost_2022", None) == "n/a" and format_value("spend_growth", float("nan")) == "n/a"
    assert format_interval(RECORD["spend_growth"]) == "2.00x/yr to 2.90x/yr"
    assert format_interval(RECORD["first_run_year"]) == "- to 2017.00"  # unbounded below


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_report_refuses_to_overwrite_a_markdown_file_it_did_not_write(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# My notes\n\nnot generated\n")
    before = _snapshot(tmp_path)
    result = runner.invoke(app, ["report", "validation", "--out", str(readme)])
    assert result.exit_code == 2, result.output
    assert "README.md: exists and was not written by `marketsim report validation`" in result.output
    assert "Traceback" not in result.output
    assert _snapshot(tmp_path) == before and not (tmp_path / "validation").exists()  # refused before any work


@pytest.mark.parametrize("kind", ["text", "folder"])
def test_report_refuses_a_figure_path_holding_something_else(tmp_path: Path, kind: str) -> None:
    figures = tmp_path / "fig"
    figures.mkdir()
    target = figures / REPORT_FIGURES[2]
    if kind == "text":
        target.write_text("my own kappa notes")
    else:
        target.mkdir()
        (target / "keep.txt").write_text("keep")
    before = _snapshot(tmp_path)
    result = runner.invoke(app, ["report", "validation", "--out", str(tmp_path / "v.md"), "--figures", str(figures)])
    assert result.exit_code == 2, result.output
    expected = "is not a PNG figure of the report" if kind == "text" else "is not a regular file"
    assert f"{REPORT_FIGURES[2]}: exists and {expected}" in result.output.replace("\n", "")
    assert _snapshot(tmp_path) == before and not (tmp_path / "v.md").exists()


@pytest.fixture(scope="module")
def small_results() -> ValidationResults:
    """The historical run, a one-row kappa sweep at the scenario's tuned values, a one-case trend check."""
    return small_validation_results()


@pytest.mark.slow  # draws the four figures twice (~10 s on a loaded machine)
def test_report_rewrites_its_own_output_and_keeps_everything_else(tmp_path: Path, small_results) -> None:
    md, figures = tmp_path / "docs" / "validation.md", tmp_path / "docs" / "validation"
    first = write_validation_report(md, figures, results=small_results)
    assert first == [md, *(figures / name for name in REPORT_FIGURES)]
    assert GENERATED_MARKER in md.read_text()
    # Other files next to the report and among its figures are neither replaced nor deleted.
    (tmp_path / "docs" / "theory.md").write_text("theory")
    (figures / "notes.txt").write_text("mine")
    md.write_text(md.read_text() + "\nstale line\n")  # a stale copy of the report: it is ours, so replaced
    second = write_validation_report(md, figures, results=small_results)
    assert second == first
    assert "stale line" not in md.read_text() and GENERATED_MARKER in md.read_text()
    assert (tmp_path / "docs" / "theory.md").read_text() == "theory"
    assert (figures / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in figures.iterdir()) == sorted([*REPORT_FIGURES, "notes.txt"])


def test_report_writer_raises_before_drawing(tmp_path: Path, small_results) -> None:
    md = tmp_path / "validation.md"
    md.write_text("hand-written\n")
    with pytest.raises(OutputExistsError, match="was not written by `marketsim report validation`"):
        write_validation_report(md, tmp_path / "figs", results=small_results)
    assert md.read_text() == "hand-written\n" and not (tmp_path / "figs").exists()
