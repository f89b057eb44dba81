"""The published record the historical scenario is set against, and how its quantities are shown.

:data:`RECORD` holds one :class:`Target` per compared quantity (COT24: frontier training cost 2.4x per
year, 90% CI 2.0-2.9; EPTC24: compute 4-5x per year; GPT-4's ~$40M; HOF22: ~20 tokens per parameter;
revenue and adoption cross-checks); :data:`RECORD_FRONTIER_COSTS` the published frontier run costs
placed on the report's figure. :func:`format_value` and :func:`format_interval` print a value of the
record in its unit (the CLI table and the report use them).

Units: years are calendar years; money in US dollars; compute in FLOP; growth as a factor per year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

from marketsim.economics.trends import OBSERVED_SPEND_CI, OBSERVED_SPEND_GROWTH

__all__ = [
    "HISTORICAL_SCENARIO", "ONE_LAB_SCENARIO", "Kind", "Target", "RECORD", "RECORD_FRONTIER_COSTS", "WAU_2023", "WAU_2025",
    "GPT4_YEAR", "GPT45_YEAR", "RELEASE_LAG_YEARS", "adoption_target", "format_value", "format_interval",
]

HISTORICAL_SCENARIO: Final = "historical"
#: The same years with one profit-optimal lab and no research era: the world in which the baseline's
#: demand is tuned by the stand-in firm (`validate-history --calibrate`; the baseline is one lab).
ONE_LAB_SCENARIO: Final = "historical_one_lab"

Kind = Literal["test", "calibrated", "cross-check"]


# --- the published record ------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A published figure and the interval a simulated value must fall in to match it.

    Attributes:
        key: identifier (also the key of :func:`history_metrics`).
        label: what is compared, with its unit.
        value: the published central value.
        low, high: the interval (None = unbounded on that side).
        source: docs/calibration.md key of the figure.
        detail: what the figure is and, for intervals the source does not give, why this width.
        kind: 'test' (not tuned to), 'calibrated' (a tuning target) or 'cross-check' (a test on a
            weaker, secondary-source figure).
    """

    key: str
    label: str
    value: float
    low: float | None
    high: float | None
    source: str
    detail: str
    kind: Kind = "test"

    def contains(self, x: float | None) -> bool | None:
        """Whether ``x`` lies in [low, high] (None when x is undefined)."""
        if x is None or not math.isfinite(x):
            return None
        return (self.low is None or x >= self.low) and (self.high is None or x <= self.high)


# ChatGPT weekly active users (docs/calibration.md §8, secondary sources), as yearly levels for the
# adoption targets: 2023 = 100M (Nov 2023, DevDay; 100M monthly users already in Jan 2023);
# 2025 = mean of the year's four figures 400M (Feb), 500M (Mar), 700M (Aug), 800M (Oct) = 600M.
WAU_2023: Final = 100e6
WAU_2025: Final = (400e6 + 500e6 + 700e6 + 800e6) / 4
#: Where the record's frontier costs sit in time: GPT-4 finished training in Aug 2022 (released Mar
#: 2023); GPT-4.5 and Grok-3 (released Feb 2025) trained in 2024. Mid-year is an assumption.
GPT4_YEAR: Final = 2022.5
GPT45_YEAR: Final = 2024.5
#: Years from training to release, to place released models at training time on the figure
#: (assumption: GPT-4 released Mar 2023 = 2023.2, trained around 2022.5).
RELEASE_LAG_YEARS: Final = 0.7

RECORD: Final[dict[str, Target]] = {t.key: t for t in [
    Target("spend_growth", "frontier training cost growth, x per year", OBSERVED_SPEND_GROWTH,
           *OBSERVED_SPEND_CI, "COT24", "amortised hardware + energy, frontier models 2016-2024; 90% CI"),
    Target("compute_growth", "frontier training compute growth, x per year", 4.5, 4.0, 5.0,
           "EPTC24", "4-5x per year, notable and frontier models"),
    Target("cost_2022", "frontier run cost in mid-2022 (GPT-4), $", 40.7e6, 40.7e6 / 2, 40.7e6 * 2,
           "COT24", "GPT-4 amortised 40.7M; interval x/2-2x, as COT24's methods differ ~2x (cloud 78.6M)",
           kind="calibrated"),
    Target("tokens_per_param_2022", "tokens per parameter of the frontier model, mid-2022", 20.0, 10.0, 40.0,
           "HOF22", "~20 compute-optimal; interval x/2-2x, assumption (BES24 derived 16-18)"),
    Target("first_run_year", "first year with a frontier training run", 2016.0, None, 2017.0,
           "COT24", "the frontier-model cost series starts in 2016"),
    Target("cost_2024", "frontier run cost in mid-2024 (GPT-4.5, Grok-3), $", math.sqrt(185e6 * 301e6),
           185e6 / 2, 301e6 * 2, "COT24", "updated repo: GPT-4.5 185M, Grok-3 301M; interval x/2-2x around the two",
           kind="cross-check"),
    Target("revenue_2024", "frontier lab revenue in 2024, $", 3.7e9, 3.7e9 / 2, 3.7e9 * 2,
           "docs/calibration.md §8 (sec.)", "OpenAI ~3.7e9 (press); interval x/2-2x, assumption", kind="cross-check"),
    Target("adoption_2023", "adoption share, mean over 2023", float("nan"), None, None,
           "docs/calibration.md §8 (sec.)", "ChatGPT 100M WAU (Nov 2023) / scenario population; x/1.5-1.5x",
           kind="calibrated"),
    Target("adoption_2025", "adoption share, mean over 2025", float("nan"), None, None,
           "docs/calibration.md §8 (sec.)", "ChatGPT 400-800M WAU in 2025, mean 600M / scenario population; x/1.5-1.5x",
           kind="calibrated"),
]}

#: Published amortised hardware + energy costs of frontier runs (COT24 repo model_costs.csv,
#: docs/calibration.md §6): (model, release year, dollars). Release years are public release dates
#: (assumption: not in docs/calibration.md), used only to place the points on the figure, shifted back by
#: :data:`RELEASE_LAG_YEARS` to when training ran.
RECORD_FRONTIER_COSTS: Final[tuple[tuple[str, float, float], ...]] = (
    ("GPT-4", 2023.2, 40.7e6),
    ("Gemini 1.0 Ultra", 2023.9, 28.3e6),
    ("GPT-4o", 2024.4, 36e6),
    ("Claude 3.5 Sonnet", 2024.5, 25e6),
    ("Llama 3.1-405B", 2024.6, 51e6),
    ("GPT-4.5", 2025.2, 185e6),
    ("Grok-3", 2025.1, 301e6),
)


def adoption_target(key: str, wau: float, population: float) -> Target:
    """An adoption target as a share of the scenario's population, interval x/1.5-1.5x (assumption)."""
    base = RECORD[key]
    share = wau / population
    return Target(key, base.label, share, share / 1.5, share * 1.5, base.source, base.detail, base.kind)



# --- values of the record in their units -----------------------------------------------------------


def _money(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"${x / size:.3g}{suffix}"
    return f"${x:.3g}"


def format_value(key: str, x: float | None) -> str:
    """A simulated or published value of RECORD key ``key`` as shown (money, growth factor, share, year)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    if key.startswith(("cost", "revenue")):
        return _money(x)
    if key.endswith("growth"):
        return f"{x:.2f}x/yr"
    if key.startswith("adoption"):
        return f"{100 * x:.1f}%"
    if key == "first_run_year":
        return f"{x:.2f}"
    return f"{x:.3g}"


def format_interval(target: Target) -> str:
    """``target``'s interval as 'low to high' in its unit ('-' for an unbounded side)."""
    lo = "-" if target.low is None else format_value(target.key, target.low)
    hi = "-" if target.high is None else format_value(target.key, target.high)
    return f"{lo} to {hi}"
