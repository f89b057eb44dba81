"""The design of a sweep: grid values, seeds, and the runs they make, each named by a stable run_id.

A grid is ``{key path: [values]}`` (parsed from ``--grid key.path=v1,v2,...`` by
:func:`marketsim.config.keypaths.parse_list_specs`); the runs are the
Cartesian product of the grid values and the seeds (:func:`sweep_runs`). A run's id hashes its
values and seed, so the same run has the same id in every sweep (what makes a sweep resumable).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from marketsim.config.keypaths import GridValue, format_scalar

_RUN_ID_LENGTH = 12  # hex digits of sha256: 48 bits, no collisions in any realistic sweep

#: Most runs one sweep folder may hold: each run is two files, and every run is read to combine the
#: tables; a larger design is a mistake (e.g. a mistyped --seeds) or needs splitting into folders.
MAX_RUNS = 1_000_000


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: grid values (key path -> value) and a seed, named by a stable run_id."""

    run_id: str
    params: dict[str, GridValue]
    seed: int

    @property
    def overrides(self) -> list[str]:
        """The grid values as scenario overrides ``"key.path=value"``."""
        return [f"{key}={format_scalar(value)}" for key, value in self.params.items()]


def make_run_id(params: Mapping[str, GridValue], seed: int) -> str:
    """Stable short id of a run: hash of the sorted (key, value) pairs and the seed."""
    payload = json.dumps({"params": sorted(params.items()), "seed": seed}, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:_RUN_ID_LENGTH]


def resolve_seeds(seeds: int | Sequence[int], base_seed: int = 0) -> list[int]:
    """Seeds of a sweep: ``range(seeds)`` offset by ``base_seed`` (meta.seed), or the list given.

    Raises:
        ValueError: for a count below 1, an empty or repeated list, or a negative seed.
    """
    if isinstance(seeds, int):
        if seeds < 1:
            raise ValueError(f"seeds: number of seeds must be >= 1, got {seeds}")
        check_run_count(seeds, f"{seeds} seeds")
        return [base_seed + i for i in range(seeds)]
    resolved = [int(s) for s in seeds]
    if not resolved or len(set(resolved)) != len(resolved) or min(resolved) < 0:
        raise ValueError(f"seeds: expected distinct integers >= 0, got {list(seeds)}")
    return resolved


def check_run_count(runs: int, design: str) -> None:
    """Raise ValueError if a design of ``runs`` runs exceeds :data:`MAX_RUNS` (checked before the
    runs are listed, so a mistyped count fails at once instead of filling memory)."""
    if runs > MAX_RUNS:
        raise ValueError(
            f"{design} make {runs:,} runs; one sweep folder holds at most {MAX_RUNS:,}: "
            "use fewer values or seeds, or split the design over several --out folders"
        )


def sweep_runs(
    grid: Mapping[str, Sequence[GridValue]], seeds: int | Sequence[int], base_seed: int = 0
) -> list[RunSpec]:
    """Cartesian product of the grid values x seeds, in grid order then seed order.

    Args:
        grid: {key path: values}; an empty grid gives one configuration (replications only).
        seeds: a number of seeds (``range(seeds)`` offset by ``base_seed``) or an explicit list.
        base_seed: the scenario's meta.seed.
    """
    seed_list = resolve_seeds(seeds, base_seed)
    keys = list(grid)
    check_run_count(math.prod(len(grid[k]) for k in keys) * len(seed_list),
                    f"the grid ({' x '.join(str(len(grid[k])) for k in keys) or '1'} values) x {len(seed_list)} seeds")
    return [
        RunSpec(make_run_id(params, seed), params, seed)
        for combo in itertools.product(*(grid[k] for k in keys))
        for params in [dict(zip(keys, combo, strict=True))]
        for seed in seed_list
    ]
