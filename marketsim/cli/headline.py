"""Headline numbers of a run summary as the terminal tables print them: label (with unit) and text.

Labels name the unit (from :data:`marketsim.sim.tables.SUMMARY`, one place for units) unless the
formatted value shows it ("45.0%", "$1.2B", a calendar year, a name).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marketsim.sim.tables import SUMMARY
from marketsim.viz.numbers import human_number

__all__ = ["HEADLINE", "format_headline"]


def _fmt_share(x: Any) -> str:
    return "n/a" if x is None else f"{100.0 * x:.1f}%"


def _fmt_count(x: Any) -> str:
    return "n/a" if x is None else human_number(x)


def _fmt_money(x: Any) -> str:
    return "n/a" if x is None else human_number(x, "$")


def _fmt_year(x: Any) -> str:
    return "never" if x is None else f"{x:.2f}"


def _fmt_plain(x: Any) -> str:
    return "n/a" if x is None else f"{x:.3g}" if isinstance(x, float) else str(x)


def _label(text: str, key: str) -> str:
    """``text (unit)`` with the unit of summary key ``key`` from marketsim.sim.tables (one place for units)."""
    return f"{text} ({SUMMARY[key].unit})"


#: Summary key -> (label, formatter) for the headline tables the CLI prints. Labels name the unit
#: unless the formatted value shows it ("45.0%", "$1.2B", a calendar year, a name).
HEADLINE: dict[str, tuple[str, Callable[[Any], str]]] = {
    "final_adoption_share": ("adoption at end", _fmt_share),
    "year_adoption_passes_50pct": ("year adoption passes 50%", _fmt_year),
    "largest_N": (_label("largest model N", "largest_N"), _fmt_count),
    "largest_D": (_label("largest model D", "largest_D"), _fmt_count),
    "best_loss": (_label("best loss", "best_loss"), _fmt_plain),
    "cumulative_training_spend": ("cumulative training spend", _fmt_money),
    "final_training_spend_annual": ("training spend at end (per year)", _fmt_money),
    "final_hhi": (_label("HHI at end", "final_hhi"), _fmt_plain),
    "firms_alive": ("firms alive at end", _fmt_plain),
    "ended_early_year": ("run ended early (every firm exited)", lambda x: "no" if x is None else f"in {x:.2f}"),
    "final_leader": ("leader at end", _fmt_plain),
}


def format_headline(summary: dict[str, Any]) -> dict[str, str]:
    """Label -> formatted value of the headline numbers in ``summary`` (for terminal tables)."""
    return {label: fmt(summary.get(key)) for key, (label, fmt) in HEADLINE.items()}
