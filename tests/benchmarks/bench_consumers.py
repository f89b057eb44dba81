"""Per-period time of the vectorised ConsumerPopulation vs the per-agent Mesa ConsumerAgent form.

A script, not a test (no timing asserts in the suite). DESIGN.md section 6 asks for the population
to be at least 50x faster per period than the agent form at 1e5 consumers with 5 firms.

    /work/venv/bin/python tests/benchmarks/bench_consumers.py [--sizes 10000 100000] [--seed 0]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import mesa
import numpy as np
from scipy import stats

from marketsim.sim.consumers import ConsumerAgent, ConsumerPopulation, Offers, sample_thresholds

LAM, PRICE_SENSITIVITY, SWITCHING_COST = 0.3, 0.05, 0.2  # theory.md section 7 lambda; the rest: assumption
FIVE_FIRMS = Offers(np.array([1, 2, 3, 4, 5]), np.array([0.03, 0.06, 0.1, 0.2, 0.4]),
                    np.array([20.0, 10.0, 5.0, 2.0, 0.0]))


def per_period_seconds(step: Callable[[np.ndarray], None], rng: np.random.Generator, n: int,
                       periods: int) -> float:
    """Median wall time of one period (seconds), after one warm-up period."""
    step(rng.random(n))
    times = []
    for _ in range(periods):
        u = rng.random(n)
        start = time.perf_counter()
        step(u)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench(n: int, seed: int) -> tuple[float, float]:
    """(population, agents) seconds per period for n consumers facing five firms."""
    rng = np.random.default_rng(seed)
    tau = sample_thresholds(rng, n, stats.lognorm(s=1.0, scale=0.1))  # lognormal, median R 0.1
    pop = ConsumerPopulation(tau)
    model = mesa.Model(seed=seed)
    ConsumerAgent.create_agents(model, n, tau=tau, index=np.arange(n))
    t_pop = per_period_seconds(
        lambda u: pop.choose(FIVE_FIRMS, u, LAM, PRICE_SENSITIVITY, SWITCHING_COST), rng, n, periods=20)
    t_agents = per_period_seconds(
        lambda u: model.agents.do("choose", FIVE_FIRMS, u, LAM, PRICE_SENSITIVITY, SWITCHING_COST), rng, n,
        periods=3)
    return t_pop, t_agents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"{'consumers':>10} {'population s/period':>20} {'agents s/period':>16} {'ratio':>8}")
    for n in args.sizes:
        t_pop, t_agents = bench(n, args.seed)
        print(f"{n:>10,} {t_pop:>20.5f} {t_agents:>16.3f} {t_agents / t_pop:>7.0f}x")


if __name__ == "__main__":
    main()
