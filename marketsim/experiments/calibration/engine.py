"""``calibrate``: ABC-SMC (pyabc) of a scenario's ``[uncertain]`` keys to the targets table, resumable.

The algorithm is pyabc's ABC-SMC (Toni et al. 2009; Klinger et al. 2018): generation 0 samples the prior,
every later one perturbs the previous population's particles (multivariate normal kernel, pyabc's
default) and accepts a particle whose distance (:func:`.statistics.distance`) is below the generation's
epsilon, the median of the previous generation's distances (pyabc's ``MedianEpsilon``); weights correct
for the proposal. ``population`` particles per generation; stop after ``generations`` generations or when
epsilon falls below ``min_epsilon``.

Folder ``out`` (a sweep folder of :mod:`marketsim.experiments.batch.store`: marketsim-manifest.json and
sweep.json recording the scenario's sha256, population, seed, keys and tuned targets):
``abc.db`` (pyabc's SQLite history, one row set per finished generation) and the tables of
:mod:`.outputs`. Rerunning into the same folder loads the history and runs only the generations still
missing (``generations`` counts generations in total, finished ones included); a generation interrupted
midway is run again.

Parallel: ``workers`` > 1 (a local dask cluster, experiments/batch/cluster.py) or ``scheduler`` use
pyabc's ``DaskDistributedSampler``; ``workers=1`` runs in this process with pyabc's ``SingleCoreSampler``.

Reproducibility: every model run uses the consumer seed ``seed`` (common random numbers), so a
particle's statistics are a deterministic function of its parameters. numpy's global generator (pyabc's)
is seeded with ``seed + t`` before generation t. In one process (``workers=1``) that makes the whole
calibration reproducible bit for bit, resumed or not. With dask, pyabc reseeds each task from the
operating system, so proposals (and the posterior sample) differ between runs; only their distribution
is reproducible. The posterior-predictive draws are chosen with ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from marketsim.experiments.batch.cluster import check_cluster_options, dask_client
from marketsim.experiments.batch.source import ScenarioSource
from marketsim.experiments.batch.store import SweepMismatchError, open_output, plan_output, sweep_manifest
from marketsim.experiments.calibration.model import Distance, Simulator
from marketsim.experiments.calibration.outputs import write_outputs
from marketsim.experiments.calibration.prior import prior_of
from marketsim.experiments.calibration.statistics import half_width, observed
from marketsim.experiments.validation.targets import TargetRow, load_targets

__all__ = ["DB_NAME", "Generation", "CalibrationResult", "calibrate"]

#: pyabc's history inside the output folder.
DB_NAME = "abc.db"


@dataclass(frozen=True)
class Generation:
    """One finished ABC-SMC generation: index t (0 = prior), epsilon, accepted particles, model runs, seconds."""

    t: int
    epsilon: float
    accepted: int
    runs: int
    seconds: float


@dataclass
class CalibrationResult:
    """A finished (or continued) calibration.

    Attributes:
        out_dir: the folder; generations: every generation in the history (resumed ones included);
        computed: generations run by this call; tables: file name -> table written (:mod:`.outputs`);
        runs: model runs of the ABC over all generations (with the prior sample that sets the first
        epsilon); predictive_runs: runs of this call's posterior predictive; seconds: wall time of this call.
    """

    out_dir: Path
    generations: list[Generation]
    computed: int
    tables: dict[str, pd.DataFrame]
    runs: int
    predictive_runs: int
    seconds: float


def _check(population: int, generations: int, min_epsilon: float, predictive: int) -> None:
    if population < 2:
        raise ValueError(f"--population must be at least 2 particles, got {population}")
    if generations < 1:
        raise ValueError(f"--generations must be at least 1, got {generations}")
    if not (min_epsilon >= 0 and np.isfinite(min_epsilon)):
        raise ValueError(f"--min-epsilon must be a finite number >= 0, got {min_epsilon}")
    if predictive < 1:
        raise ValueError(f"--predictive must be at least 1 draw, got {predictive}")


@contextmanager
def _quiet_pyabc() -> Iterator[None]:
    """pyabc logs every generation at INFO level; the caller reports progress itself."""
    logger = logging.getLogger("ABC")
    previous = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _generations(history: Any) -> list[Generation]:
    table = history.get_all_populations()
    table = table[table["t"] >= 0].sort_values("t")
    return [Generation(int(r.t), float(r.epsilon), int(r.particles), int(r.samples), float(r.wall_time or 0.0))
            for r in table.itertuples()]


def calibrate(
    source: ScenarioSource,
    out_dir: str | Path,
    *,
    population: int = 40,
    generations: int = 3,
    min_epsilon: float = 0.0,
    workers: int | None = None,
    scheduler: str | None = None,
    seed: int | None = None,
    force: bool = False,
    targets: Sequence[TargetRow] | None = None,
    predictive: int = 40,
    on_generation: Callable[[Generation, int], None] | None = None,
) -> CalibrationResult:
    """Calibrate the ``[uncertain]`` keys of ``source`` to the targets by ABC-SMC; write the results.

    Args:
        source: the scenario (text read once; ``[uncertain]`` is the prior).
        out_dir: the calibration folder; rerun into it to continue.
        population: particles per generation.
        generations: generations in total (a rerun runs the missing ones).
        min_epsilon: stop early once a generation's epsilon is at or below it.
        workers, scheduler: the dask cluster (as ``marketsim ensemble``); ``workers=1``: in this process.
        seed: consumer seed of every run and seed of the sampler (default: the scenario's meta.seed).
        force: replace ``out_dir`` if marketsim wrote it (start over).
        targets: the targets (default: the packaged targets.toml); rows with used_for_tuning are fitted.
        predictive: posterior draws re-run for the posterior predictive (each with its own seed).
        on_generation: called with each finished generation and the total wanted.

    Raises:
        NoPriorError: no ``[uncertain]`` section. ValueError: bad numbers, no target used for tuning,
        a tuned target without a band, cluster options. SweepOutputError / SweepMismatchError: the folder
        cannot be used (another calibration, a changed scenario, a foreign folder); nothing written.
    """
    import pyabc

    started = time.monotonic()
    _check(population, generations, min_epsilon, predictive)
    check_cluster_options(workers, scheduler)
    scenario = source.load()
    prior = prior_of(scenario, source.path)
    rows = tuple(load_targets() if targets is None else targets)
    tuned = [t for t in rows if t.used_for_tuning]
    if not tuned:
        raise ValueError("the targets table has no row with used_for_tuning = true: nothing to calibrate to")
    widths = {t.key: half_width(t) for t in tuned}
    seed = int(scenario.meta.seed if seed is None else seed)
    simulator = Simulator(scenario.model_dump(mode="python"), source.path, prior, rows, seed)
    manifest = sweep_manifest("calibrate", source, (), population=population, seed=seed, keys=prior.keys,
                              tuned={t.key: [t.value, t.low, t.high] for t in tuned})
    out = Path(out_dir)
    plan = _plan(out, manifest, force)
    parallel = not (workers == 1 and scheduler is None)
    with _quiet_pyabc(), (dask_client(workers, scheduler) if parallel else nullcontext()) as client:
        open_output(out, manifest, plan)
        sampler = (pyabc.sampler.DaskDistributedSampler(dask_client=client) if parallel
                   else pyabc.sampler.SingleCoreSampler())
        def smc() -> Any:  # a fresh ABCSMC per generation: pyabc caches its calibration sample per object
            return pyabc.ABCSMC(simulator, prior.pyabc_prior(), Distance(widths), population_size=population,
                                sampler=sampler, eps=pyabc.epsilon.MedianEpsilon())

        db = f"sqlite:///{(out / DB_NAME).resolve()}"
        resumed = (out / DB_NAME).exists() and _has_run(db)
        abc = smc()
        history = abc.load(db, 1) if resumed else abc.new(db, observed(tuned))
        done = _generations(history)
        computed = 0
        while len(done) < generations and not (done and done[-1].epsilon <= min_epsilon):
            if computed or resumed:
                abc = smc()
                history = abc.load(db, 1)
            np.random.seed((seed + len(done)) % 2**32)
            abc.run(max_nr_populations=1, minimum_epsilon=min_epsilon)
            now = _generations(history)
            if len(now) == len(done):  # pyabc stopped (e.g. no particle accepted)
                break
            done, computed = now, computed + 1
            if on_generation is not None:
                on_generation(done[-1], generations)
        mapper = (lambda fn, items: client.gather(client.map(fn, items, pure=False))) if parallel else None
        tables = write_outputs(out, history, simulator, predictive, mapper)
    return CalibrationResult(out, done, computed, tables, int(history.total_nr_simulations), predictive,
                             time.monotonic() - started)


def _plan(out: Path, manifest: dict[str, Any], force: bool) -> str:
    """:func:`plan_output`, with a resume refused in the words of a calibration."""
    try:
        return plan_output(out, manifest, force)
    except SweepMismatchError:
        try:
            recorded = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise SweepMismatchError(f"{out} holds the output of another command; nothing was changed; choose "
                                     "another --out, or pass --force to replace it") from None
        wanted = json.loads(json.dumps(manifest))
        differing = [k for k in wanted if recorded.get(k) != wanted[k]]
        if recorded.get("kind") != "calibrate":
            details = f"it holds a `marketsim {recorded.get('kind')}` folder"
        else:
            details = "; ".join("the scenario file changed since" if k == "scenario_sha256" else
                                f"{k}: recorded {recorded.get(k)!r}, now {wanted[k]!r}" for k in differing)
        raise SweepMismatchError(f"{out} holds another calibration ({details}), so its history cannot be "
                                 "continued; nothing was changed: choose another --out, or pass --force to "
                                 "start over") from None


def _has_run(db: str) -> bool:
    """Whether the SQLite history at ``db`` holds a calibration (an interrupted first start may not)."""
    import pyabc

    try:
        return bool(pyabc.History(db).all_runs())
    except Exception:  # noqa: BLE001 - an empty or half-created database: start anew
        return False
