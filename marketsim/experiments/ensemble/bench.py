"""Benchmarks of ``marketsim ensemble`` (printed figures, not tests): ``python -m marketsim.experiments.ensemble.bench``.

- ``throughput``: paired ensemble runs per second on the bundled ``uncertain_baseline`` (20 years,
  20,000 consumers) vs ``[hardware.stall_year=2030]`` with 1 and 2 warmed-up local workers, the
  speed-up, and the minutes a 2 x 500 ensemble would take at the 2-worker rate.
- ``memory``: peak Python memory (tracemalloc) of the driver computing an ensemble's tables from N
  per-run files (copies of real runs), for several N: it stays flat because the tables are streamed.
- ``profile``: cProfile of one baseline run (after a warm-up run, BLAS on one thread as in the
  workers): the share of run time in the optimizer, in consumer choice and in pricing.
"""

from __future__ import annotations

import contextlib
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

__all__ = ["bench_memory", "bench_profile", "bench_throughput", "main"]

_FILES = ["uncertain_baseline", "uncertain_baseline[hardware.stall_year=2030]"]


def bench_throughput(draws: int = 4, full_draws: int = 500) -> dict[str, float]:
    """Runs per second with 1 and 2 workers (each cluster warmed up first: workers import marketsim)."""
    from marketsim.experiments.batch.cluster import local_cluster
    from marketsim.experiments.ensemble.runner import run_ensemble

    rates = {}
    for workers in (1, 2):
        with local_cluster(workers, dashboard=False) as cluster, tempfile.TemporaryDirectory() as tmp:
            run_ensemble(_FILES[:1], workers, Path(tmp) / "warm", scheduler=cluster.scheduler_address,
                         progress=False, seed=1000)
            start = time.perf_counter()
            run_ensemble(_FILES, draws, Path(tmp) / "ens", scheduler=cluster.scheduler_address, progress=False)
            rates[workers] = 2 * draws / (time.perf_counter() - start)
    return {"runs": 2 * draws, "runs_per_s_1_worker": rates[1], "runs_per_s_2_workers": rates[2],
            "speedup": rates[2] / rates[1], f"minutes_2x{full_draws}_at_2_workers": 2 * full_draws / rates[2] / 60}


def _fake_ensemble(out: Path, draws: int, source_runs: Path) -> object:
    """An ensemble folder of ``draws`` x 2 runs copied from a small real ensemble's files."""
    from marketsim.experiments.ensemble.design import make_design

    design = make_design(_FILES, draws, seed=0, overrides=["consumers.count=500", "meta.years=20"])
    originals = sorted((source_runs / "runs").glob("*.parquet"))
    summaries = {p.stem: source_runs / "summaries" / f"{p.stem}.json" for p in originals}
    (out / "runs").mkdir(parents=True)
    (out / "summaries").mkdir()
    for member in design.members:
        for draw in range(draws):
            pick = originals[(draw + member.index) % len(originals)]
            shutil.copyfile(pick, out / "runs" / f"{member.run_id(draw)}.parquet")
            shutil.copyfile(summaries[pick.stem], out / "summaries" / f"{member.run_id(draw)}.json")
    return design


def bench_memory(sizes: Sequence[int] = (50, 200, 800)) -> dict[str, float]:
    """Peak traced memory (MB) and seconds of computing the tables from N x 2 run files."""
    from marketsim.experiments.ensemble.runner import run_ensemble
    from marketsim.experiments.ensemble.tables import write_tables

    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        run_ensemble(_FILES, 4, source, workers=2, progress=False, overrides=["consumers.count=500"])
        for n in sizes:
            out = Path(tmp) / f"n{n}"
            design = _fake_ensemble(out, n, source)
            tracemalloc.start()
            start = time.perf_counter()
            write_tables(out, design)  # type: ignore[arg-type]
            seconds = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            results[f"peak_MB_N{n}"] = peak
            results[f"seconds_N{n}"] = seconds
    return results


def _category_seconds(stats: pstats.Stats, suffixes: Sequence[str]) -> float:
    """Cumulative seconds of the functions defined in files ending with ``suffixes``, counted once:
    only calls from outside those files (entries), so nested calls are not added twice."""
    inside = lambda key: key[0].replace("\\", "/").endswith(tuple(suffixes))  # noqa: E731
    total = 0.0
    for key, (_, _, _, cumulative, callers) in stats.stats.items():  # type: ignore[attr-defined]
        if not inside(key):
            continue
        outside_calls = [c for c in callers if not inside(c)]
        if outside_calls:
            total += sum(callers[c][3] for c in outside_calls)
    return total


def _one_blas_thread() -> contextlib.AbstractContextManager:
    """BLAS limited to one thread, as in the ensemble's dask workers (their nannies set
    OPENBLAS_NUM_THREADS=1): on a busy machine a multi-threaded BLAS makes each L-BFGS-B step of
    the optimizer many times slower, which a profile in this process would otherwise show."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # not a marketsim dependency; then the profile runs with the BLAS as it is
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def bench_profile(scenario: str = "baseline") -> dict[str, float]:
    """cProfile one run after a warm-up run (imports), BLAS on one thread as in the workers: seconds
    in total and the shares of optimizer, consumers and pricing."""
    from marketsim.config import load
    from marketsim.experiments.run import run_scenario

    with _one_blas_thread():
        run_scenario(load(scenario))
        loaded = load(scenario)
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.enable()
        run_scenario(loaded)
        profiler.disable()
        seconds = time.perf_counter() - start
    stats = pstats.Stats(profiler)
    total = max(sum(v[2] for v in stats.stats.values()), 1e-12)  # type: ignore[attr-defined]
    shares = {
        "optimizer": _category_seconds(stats, ["economics/optimizer.py", "economics/problem.py",
                                               "economics/objective.py"]),
        "consumers": _category_seconds(stats, ["sim/consumers.py", "sim/choice.py"]),
        "pricing": _category_seconds(stats, ["sim/pricing.py", "economics/pricing.py"]),
    }
    return {"run_seconds_profiled": seconds, **{f"share_{k}": v / total for k, v in shares.items()}}


SECTIONS = {"throughput": bench_throughput, "memory": bench_memory, "profile": bench_profile}


def main(sections: Sequence[str] = ()) -> dict[str, dict[str, float]]:
    """Run the chosen sections (default all) and print one line per section."""
    chosen = list(sections) or list(SECTIONS)
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown section(s) {sorted(unknown)}: allowed {', '.join(SECTIONS)}")
    results = {}
    for name in chosen:
        results[name] = SECTIONS[name]()
        print(f"[ensemble {name}] " + "  ".join(f"{k}={v:.4g}" for k, v in results[name].items()), flush=True)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
