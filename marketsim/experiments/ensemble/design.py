"""The design of an ensemble: its scenarios, the common parameter draws and one run per (scenario, draw).

Common random numbers: the draws come from the FIRST scenario's ``[uncertain]`` section
(:func:`marketsim.config.uncertain.draw_parameters`, seeded), and draw ``i`` runs every scenario with
the same values and the same consumer seed ``seed + i``, so a difference between two scenarios on
one draw is due to the scenarios alone. A scenario given as ``FILE[key=value,...]`` keeps the values
it sets itself (they are not drawn for it): ``baseline[hardware.stall_year=2030]`` pins the stall
year while every other uncertain input varies as in the other scenarios. So does a later scenario
whose file sets an uncertain key to another value than the first scenario has (``hardware_stall``
after ``uncertain_baseline``: its stall year stays 2030).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import pandas as pd

from marketsim.config import ScenarioError, resolve_scenario_path
from marketsim.config.keypaths import format_key, parse_assignment, parse_key
from marketsim.config.uncertain import draw_parameters
from marketsim.experiments.batch.parameters import RunSpec, check_run_count
from marketsim.experiments.batch.source import ScenarioSource, read_scenario
from marketsim.experiments.compare import check_distinct_names, compare_labels, parse_scenario_arg

__all__ = ["Design", "Member", "make_design", "MAX_DRAWS"]

#: Most draws one ensemble may have (each is one run per scenario).
MAX_DRAWS = 100_000


@dataclass(frozen=True)
class Member:
    """One scenario of an ensemble.

    Attributes:
        index: position on the command line (0 = the base of paired comparisons).
        label: its name in every table (meta.name, plus ``[overrides]`` if given as FILE[...]).
        source: the scenario file's text, read once.
        overrides: its own ``key.path=value`` overrides (from FILE[...]).
        pinned: canonical key paths its overrides set (not drawn for it).
        periods_per_year: meta.periods_per_year (units in columns.csv).
        n_periods: periods of a run (before any drawn change of meta.years).
        start_year: meta.start_year.
    """

    index: int
    label: str
    source: ScenarioSource
    overrides: tuple[str, ...]
    pinned: frozenset[str]
    periods_per_year: int
    n_periods: int
    start_year: int

    def run_id(self, draw: int) -> str:
        """Stable name of this scenario's run on ``draw`` (its file names in runs/ and summaries/)."""
        return f"s{self.index}-d{draw:06d}"


@dataclass(frozen=True)
class Design:
    """An ensemble: scenarios, the draws table (draw, seed, key paths) and the seeds.

    Attributes:
        members: the scenarios, in command-line order.
        draws: one row per draw: ``draw``, ``seed`` (consumer seed), then one column per key path.
        seed: the sampler's seed (also the consumer seed of draw 0).
        sampler: "lhs" or "sobol".
    """

    members: tuple[Member, ...]
    draws: pd.DataFrame
    seed: int
    sampler: str

    @property
    def keys(self) -> list[str]:
        """The drawn key paths."""
        return [c for c in self.draws.columns if c not in ("draw", "seed")]

    def specs(self, member: Member) -> list[RunSpec]:
        """The member's runs, one per draw, its pinned keys left out of the drawn values."""
        keys = [k for k in self.keys if format_key(parse_key(k)) not in member.pinned]
        specs = []
        for row in self.draws.itertuples(index=False):
            values = dict(zip(self.draws.columns, row, strict=True))
            params = {k: _python(values[k]) for k in keys}
            specs.append(RunSpec(member.run_id(int(values["draw"])), params, int(values["seed"])))
        return specs

    def manifest(self) -> dict[str, Any]:
        """What defines the ensemble's runs, recorded in sweep.json (a resume must match it)."""
        combined = hashlib.sha256("".join(m.source.sha256 for m in self.members).encode()).hexdigest()
        return {
            "kind": "ensemble",
            "scenario": "; ".join(f"{m.source.path}{_brackets(m.overrides)}" for m in self.members),
            "scenario_sha256": combined,
            "labels": [m.label for m in self.members],
            "draws": len(self.draws),
            "seed": self.seed,
            "sampler": self.sampler,
        }


def _brackets(overrides: Sequence[str]) -> str:
    return f"[{','.join(overrides)}]" if overrides else ""


def _python(value: Any) -> Any:
    """numpy scalars as Python numbers (overrides are formatted from them)."""
    return value.item() if hasattr(value, "item") else value


def _member(index: int, text: str, common: Sequence[str]) -> tuple[Member, Any, Any]:
    """(member without its final label, the parsed argument, the loaded scenario); ``common``
    overrides (``--set``) apply before the scenario's own."""
    arg = parse_scenario_arg(text)
    source = read_scenario(resolve_scenario_path(arg.file))
    overrides = (*common, *arg.overrides)
    scenario = source.load(list(overrides))
    pinned = frozenset(format_key(parse_key(parse_assignment(o)[0])) for o in overrides)
    member = Member(index, scenario.meta.name, source, overrides, pinned,
                    scenario.meta.periods_per_year, scenario.n_periods, scenario.meta.start_year)
    return member, arg, scenario


def make_design(files: Sequence[str], draws: int, seed: int | None = None,
                sampler: Literal["lhs", "sobol"] = "lhs", overrides: Sequence[str] = ()) -> Design:
    """Read the scenarios, draw the parameter sets and check every run's scenario before any run.

    Args:
        files: scenario files or bundled names, each optionally ``FILE[key=value,...]``.
        draws: number of parameter sets N (>= 1).
        seed: sampler seed and first consumer seed; None uses the first scenario's meta.seed.
        sampler: "lhs" (Latin hypercube) or "sobol".
        overrides: ``key.path=value`` applied to every scenario (``--set``); like a scenario's own
            overrides, a key they set is not drawn.

    Raises:
        ScenarioError: a file is invalid, or a draw makes an invalid scenario (naming the draw).
        ValueError: no files, N out of range, the first scenario has no [uncertain] section, or
            two scenarios have the same label.
    """
    if not files:
        raise ValueError("give at least one scenario FILE")
    if not 1 <= draws <= MAX_DRAWS:
        raise ValueError(f"--draws must be >= 1 and <= {MAX_DRAWS:,}, got {draws}")
    check_run_count(draws * len(files), f"{draws} draws x {len(files)} scenarios")
    parsed = [_member(i, text, overrides) for i, text in enumerate(files)]
    scenarios = [scenario for _, _, scenario in parsed]
    labels = compare_labels([arg for _, arg, _ in parsed], scenarios)
    check_distinct_names(labels)
    members = tuple(Member(m.index, label, m.source, m.overrides, m.pinned, m.periods_per_year, m.n_periods,
                           m.start_year) for (m, _, _), label in zip(parsed, labels, strict=True))
    first = scenarios[0]
    members = tuple(_pin_changed_keys(m, first, s) for m, s in zip(members, scenarios, strict=True))
    if first.uncertain is None or not first.uncertain.distributions:
        raise ValueError(f"{members[0].source.path}: has no [uncertain] section, so there is nothing to draw; "
                         "add one (see scenarios/uncertain_baseline.toml) or use `marketsim sweep` for seeds only")
    seed = first.meta.seed if seed is None else seed
    if not 0 <= seed <= 2**63 - 1 - draws:
        raise ValueError(f"--seed must be >= 0 and <= 2^63 - 1 - draws, got {seed}")
    table = draw_parameters(first, draws, seed, sampler)
    table.insert(0, "seed", [seed + i for i in range(draws)])
    table.insert(0, "draw", range(draws))
    design = Design(members, table, seed, sampler)
    _check_runs(design)
    return design


def _value_at(scenario: Any, key: str) -> Any:
    """The scenario's value at a key path (None where a list entry does not exist)."""
    node = scenario
    for part in parse_key(key):
        if isinstance(part, int):
            node = node[part] if part < len(node) else None
        else:
            node = getattr(node, part, None)
        if node is None:
            return None
    return node


def _pin_changed_keys(member: Member, first: Any, scenario: Any) -> Member:
    """A later scenario keeps the value of every uncertain key it sets differently from the first
    scenario (``hardware_stall``'s stall year is the point of it), as if given as an override."""
    if first.uncertain is None or member.index == 0:
        return member
    changed = {format_key(parse_key(k)) for k in first.uncertain.keys if _value_at(scenario, k) != _value_at(first, k)}
    return replace(member, pinned=member.pinned | changed) if changed else member


def _check_runs(design: Design) -> None:
    """Validate every (scenario, draw) before the cluster starts; the first bad one names its draw."""
    for member in design.members:
        for spec in design.specs(member):
            try:
                member.source.load([*member.overrides, *spec.overrides])
            except ScenarioError as err:
                draw = int(spec.run_id.rsplit("-d", 1)[1])
                raise ScenarioError(err.source, [f"draw {draw} ({', '.join(spec.overrides)}): {p}"
                                                 for p in err.problems]) from None
