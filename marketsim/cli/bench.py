"""``marketsim bench``: the performance ratios of docs/architecture.md (a benchmark, not a test)."""

from __future__ import annotations

import typer


def bench(
    sections: list[str] = typer.Argument(None, help="Sections: optimizer, consumers, run, sweep (default all)."),
) -> None:
    """Print the performance ratios of docs/architecture.md §7 (a benchmark, not a test)."""
    from marketsim.experiments.bench import main as bench_main

    bench_main(sections or None)
