"""Benchmarks that print the ratios docs/architecture.md §7 sets as bars (not timed tests).

    python -m marketsim.experiments.bench [optimizer|consumers|run|sweep|all]    (also: marketsim bench)

Machines are shared and noisy: each figure is a median over repeats, and the ratios matter more
than absolute seconds.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Callable

import numpy as np

SECTIONS = ("optimizer", "consumers", "run", "sweep")


def _median_seconds(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_optimizer(repeats: int = 200) -> dict[str, float]:
    """Median seconds of one optimisation (default variant, with inference) and of a 1,000-point E grid."""
    from marketsim.economics import get_variant, optimize
    from marketsim.economics.statics import solve_path

    v = get_variant("default")
    one = _median_seconds(lambda: optimize(v.law, v.demand, 1e18, T=v.T), repeats)
    training_only = get_variant("power_k2.5")
    one_1d = _median_seconds(lambda: optimize(training_only.law, training_only.demand, 1e18), repeats)
    grid = _median_seconds(lambda: solve_path(v, np.logspace(15, 24, 1000)), 3)
    return {"optimize_ms": one * 1e3, "optimize_training_only_ms": one_1d * 1e3, "grid_1000_s": grid}


def _offers(k: int = 5):
    from marketsim.sim.consumers import Offers

    return Offers(np.arange(1, k + 1, dtype=np.int64), np.linspace(0.03, 0.06, k), np.linspace(2.0, 6.0, k))


def bench_consumers(n: int = 100_000, periods: int = 3) -> dict[str, float]:
    """Seconds per period for ``n`` consumers and 5 firms: vectorised population vs one mesa Agent each."""
    import mesa

    from marketsim.sim.consumers import ConsumerAgent, ConsumerPopulation

    rng = np.random.default_rng(0)
    tau = rng.lognormal(np.log(0.04), 1.0, n)
    offers = _offers()
    pop = ConsumerPopulation(tau)
    us = [rng.random(n) for _ in range(periods)]
    args = (0.3, 0.05, 0.1)
    vec = statistics.median(_median_seconds(lambda u=u: pop.choose(offers, u, *args), 1) for u in us)
    model = mesa.Model(seed=0)
    ConsumerAgent.create_agents(model, n, tau=tau, index=np.arange(n))
    agents = model.agents_by_type[ConsumerAgent]
    per_agent = statistics.median(_median_seconds(lambda u=u: agents.do("choose", offers, u, *args), 1) for u in us)
    return {"consumers": n, "vectorised_s": vec, "per_agent_s": per_agent, "ratio": per_agent / vec}


def _run_once(consumers: int, firms: int, years: float) -> dict[str, float]:
    """Time one oligopoly run with ``firms`` identical labs; peak resident memory of this process."""
    import resource

    from marketsim.sim.model import MarketModel
    from marketsim.config import load_scenario, resolve_scenario_path

    overrides = [f"consumers.count={consumers}", f"meta.years={years}"]
    base = load_scenario(resolve_scenario_path("oligopoly"), overrides)
    template = base.firms[0]
    scenario = base.model_copy(update={"firms": [template.model_copy(update={"name": f"Lab {i + 1}"})
                                                 for i in range(firms)]})
    start = time.perf_counter()
    MarketModel(scenario).run()
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"consumers": consumers, "firms": firms, "years": years, "seconds": seconds,
            "peak_RSS_MB": peak_kib / 1024}


def bench_run(consumers: int = 1_000_000, firms: int = 5, years: float = 20.0) -> dict[str, float]:
    """One 20-year quarterly run with 5 firms and 10^6 consumers: seconds and the process's peak RSS (MB).

    Runs in a fresh interpreter so that the peak memory is this run's (imports included), not the
    other benchmarks'.
    """
    import json
    import subprocess

    code = f"import json; from marketsim.experiments.bench import _run_once; print(json.dumps(_run_once({consumers}, {firms}, {years})))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_sweep(runs: int = 16) -> dict[str, float]:
    """Sweep throughput (runs per second) with 1 and 2 Dask worker processes on the 20-year baseline.

    Each cluster is started and warmed up (workers import marketsim) before the clock starts, so
    the figure is the steady-state throughput a long sweep sees.
    """
    import tempfile
    from pathlib import Path

    from marketsim.experiments.batch.cluster import local_cluster
    from marketsim.experiments.batch.sweep import run_sweep
    from marketsim.config import resolve_scenario_path

    path = resolve_scenario_path("baseline")
    grid = {"meta.years": [20]}
    rates = {}
    for workers in (1, 2):
        # the sweep's own cluster: 127.0.0.1 only, no dashboard
        with local_cluster(workers, dashboard=False) as cluster, \
                tempfile.TemporaryDirectory() as tmp:
            warm = list(range(1000, 1000 + workers))
            run_sweep(path, grid, seeds=warm, out_dir=Path(tmp) / "warm", scheduler=cluster.scheduler_address,
                      progress=False)
            start = time.perf_counter()
            run_sweep(path, grid, seeds=list(range(runs)), out_dir=Path(tmp) / "sweep",
                      scheduler=cluster.scheduler_address, progress=False)
            rates[workers] = runs / (time.perf_counter() - start)
    return {"runs": runs, "runs_per_s_1_worker": rates[1], "runs_per_s_2_workers": rates[2],
            "speedup": rates[2] / rates[1]}


def main(sections: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Run the chosen benchmark sections and print one line per figure."""
    chosen = list(SECTIONS) if not sections or "all" in sections else sections
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown benchmark section(s) {sorted(unknown)}: allowed {', '.join(SECTIONS)}, all")
    functions = {"optimizer": bench_optimizer, "consumers": bench_consumers, "run": bench_run, "sweep": bench_sweep}
    results = {}
    for name in chosen:
        results[name] = functions[name]()
        print(f"[{name}] " + "  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                       for k, v in results[name].items()), flush=True)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
