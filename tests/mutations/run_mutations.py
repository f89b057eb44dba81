#!/usr/bin/env python
"""Mutation check: does the test suite catch each of a list of deliberate bugs in the simulation?

For each mutation in :data:`MUTATIONS` this script

1. copies the repository's ``marketsim/`` package into a fresh temporary folder (the real source tree
   is never modified);
2. replaces one exact source snippet in the copy (the snippet must occur exactly once in its file,
   otherwise the script stops and names the mutation to update);
3. runs the chosen tests with ``PYTHONPATH`` pointing at the copy, under a small pytest plugin that
   checks, inside that run, that ``marketsim.__file__`` lies in the copy;
4. reports KILLED (some test failed) or SURVIVED (every test passed).

Before the mutations it runs the same tests on an unmodified copy (the control): a failing control
would make every KILLED meaningless, so the script stops there.

Usage (from anywhere; paths in --tests are relative to the repository root)::

    python tests/mutations/run_mutations.py                      # all mutations, default tests
    python tests/mutations/run_mutations.py --only damping_off   # one mutation (repeatable)
    python tests/mutations/run_mutations.py --tests "tests"      # the whole suite (slow)
    python tests/mutations/run_mutations.py --keep-going         # list every failing test, not the first
    python tests/mutations/run_mutations.py --list               # names and descriptions

Exit status: 0 if every mutation was killed; 1 if any survived; 2 on bad input, a snippet that is
missing or ambiguous, a failing control run, or a run that could not be verified to use the copy.
How to add a mutation: see tests/mutations/README.md.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
"""The repository root (this file is tests/mutations/run_mutations.py)."""

PACKAGE = "marketsim"

DEFAULT_TESTS = ("tests/test_pricing.py tests/test_competition_mechanics.py tests/test_model.py tests/test_awareness.py "
                 "tests/test_research.py tests/test_parameter_efficiency.py")
"""Fast selection that kills every mutation below (test_competition_mechanics.py runs first, so with
``-x`` a killed mutation usually stops within seconds)."""


@dataclass(frozen=True)
class Mutation:
    """One deliberate bug.

    Attributes:
        name: short identifier (for --only).
        path: file to change, relative to the repository root.
        snippet: exact source text to replace; must occur exactly once in ``path``.
        replacement: the text put in its place.
        description: what the bug does, and which test is meant to catch it.
    """

    name: str
    path: str
    snippet: str
    replacement: str
    description: str


# The table of mutations. When the source is refactored, update `path` and `snippet` (and
# `replacement`) of the mutation the error names so that it breaks the same mechanism again.
MUTATIONS: tuple[Mutation, ...] = (
    Mutation(
        "damping_off", "marketsim/sim/strategies.py",
        "damping=scn.market.damping",
        "damping=1.0",
        "market.damping treated as 1 in the firm's decision (undamped best response); "
        "test_damping_moves_the_model_a_fraction_theta_toward_the_best_response"),
    Mutation(
        "no_stagger", "marketsim/sim/firm.py",
        "self.stagger = (order * self.retrain_every) // n",
        "self.stagger = 0",
        "retraining cycles of all firms aligned; test_first_retraining_is_staggered_by_firm_order"),
    Mutation(
        "no_switching_cost", "marketsim/sim/model.py",
        "cons.switching_cost, aware_count(",
        "0.0, aware_count(",
        "consumers choose as if switching were free; "
        "test_switching_cost_sets_the_churn_between_two_labs_as_the_logit_predicts"),
    Mutation(
        "surplus_per_consumer", "marketsim/sim/model.py",
        "surplus * people_per_consumer, people_per_consumer)",
        "surplus, people_per_consumer)",
        "consumer_surplus summed over simulated consumers, not scaled to people; "
        "test_consumer_surplus_doubles_with_the_population_at_the_same_consumer_count"),
    Mutation(
        "no_own_price", "marketsim/sim/strategies.py",
        "own_shift = -ps * ctx.price",
        "own_shift = 0.0",
        "the firm's own price left out of its best response; test_own_price_enters_the_best_response"),
    Mutation(
        "lambda_one", "marketsim/sim/strategies.py",
        "lam=scn.market.logit_lambda",
        "lam=1.0",
        "logit lambda of the best response replaced by 1.0; test_logit_lambda_enters_the_best_response"),
    Mutation(
        "price_br_no_own_price", "marketsim/economics/pricing.py",
        "            u_k = u_k0 - ps * price\n",
        "            u_k = u_k0 - ps * 0.0\n",
        "a firm's price best response ignores its own price in its demand (shares at price 0); "
        "test_stage_game_reproduces_the_closed_form_symmetric_markup (tests/test_pricing.py)"),
    Mutation(
        "price_br_no_rival_prices", "marketsim/economics/pricing.py",
        "        u = (-np.log(self.R) - ps * p).tolist()",
        "        u = (-np.log(self.R) - ps * 0.0 * p).tolist()",
        "a firm's price best response sees every rival at price 0; "
        "test_stage_game_reproduces_the_closed_form_symmetric_markup[2] (tests/test_pricing.py)"),
    Mutation(
        "price_br_lambda_one", "marketsim/economics/pricing.py",
        "return lam / ps * sold - (price - c) * spread",
        "return 1.0 / ps * sold - (price - c) * spread",
        "logit lambda of the price best response's first-order condition replaced by 1.0; "
        "test_stage_game_reproduces_the_closed_form_symmetric_markup (tests/test_pricing.py)"),
    Mutation(
        "awareness_not_planned", "marketsim/sim/model.py",
        "M=self.state.population * self.state.awareness",
        "M=self.state.population",
        "firms plan for the whole population although only the aware can adopt; "
        "test_firms_plan_for_the_aware_market_only (tests/test_awareness.py)"),
    Mutation(
        "everyone_aware", "marketsim/sim/model.py",
        "aware_count(self.state.awareness, cons.count))",
        "None)",
        "every simulated consumer can adopt whatever the diffusion curve; "
        "test_awareness_follows_the_logistic_and_bounds_adoption (tests/test_awareness.py)"),
    Mutation(
        "dense_serving", "marketsim/config/schema.py",
        "return self.tokens_per_adopter_per_period * self.active_parameter_fraction",
        "return self.tokens_per_adopter_per_period",
        "serving counts every parameter of a mixture-of-experts model; "
        "test_serving_counts_active_parameters_only (tests/test_awareness.py)"),
    Mutation(
        "no_research_runs", "marketsim/sim/strategies.py",
        "    if spend <= 0 or (profit_plan is not None",
        "    if True or (profit_plan is not None",
        "labs never train on their research budgets; "
        "test_several_labs_in_the_historical_world_train_from_2016 (tests/test_research.py)"),
    Mutation(
        "research_budget_flat", "marketsim/sim/finance.py",
        "return budget_per_year * growth_per_year ** max(years_since, 0.0) * cycle_years",
        "return budget_per_year * cycle_years",
        "research budgets do not grow; tests/test_research.py"),
    Mutation(
        "rho_N_ignored", "marketsim/sim/world.py",
        "            rho_N=self.parameter_efficiency.value(t),",
        "            rho_N=1.0,",
        "the world's parameter efficiency stays 1 whatever the scenario says; tests/test_parameter_efficiency.py"),
)

_GUARD_MODULE = "_mutation_guard"
_GUARD_SOURCE = '''"""pytest plugin written by tests/mutations/run_mutations.py: the run must import the copy."""
import os
from pathlib import Path

import pytest


def pytest_configure(config):
    import marketsim

    root = Path(os.environ["MUTATION_COPY_ROOT"]).resolve()
    where = Path(marketsim.__file__).resolve()
    Path(os.environ["MUTATION_REPORT"]).write_text(str(where), encoding="utf-8")
    if root not in where.parents:
        raise pytest.UsageError(f"mutation run imported marketsim from {where}, not from the copy in {root}")
'''


class SetupError(Exception):
    """A problem that makes the check meaningless (reported, exit status 2)."""


def apply(mutation: Mutation, copy_root: Path) -> None:
    """Replace the mutation's snippet in the copy under ``copy_root``; raise SetupError unless it
    occurs exactly once."""
    target = copy_root / mutation.path
    where = f"{Path(__file__).relative_to(REPO)} (MUTATIONS, {mutation.name!r})"
    if not target.is_file():
        raise SetupError(f"mutation {mutation.name!r}: file {mutation.path} does not exist; "
                         f"update its path in {where}")
    text = target.read_text(encoding="utf-8")
    found = text.count(mutation.snippet)
    if found != 1:
        raise SetupError(f"mutation {mutation.name!r}: snippet {mutation.snippet!r} occurs {found} times in "
                         f"{mutation.path} (must be exactly once); update its path/snippet in {where}")
    target.write_text(text.replace(mutation.snippet, mutation.replacement), encoding="utf-8")


def copy_package(dest: Path) -> None:
    """Copy the repository's package into ``dest`` (symlinks followed: the bundled scenarios folder
    is a symlink in the source tree)."""
    shutil.copytree(REPO / PACKAGE, dest / PACKAGE, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def run_tests(mutation: Mutation | None, test_args: list[str], verbose: bool,
              stop_first: bool = True) -> tuple[int, str, float]:
    """Run the tests against a (mutated) copy; returns (pytest exit code, output, seconds).

    Raises SetupError if the snippet is missing or the run did not import the copy.
    """
    with tempfile.TemporaryDirectory(prefix="marketsim-mutation-") as tmp:
        root = Path(tmp)
        copy_package(root)
        if mutation is not None:
            apply(mutation, root)
        (root / f"{_GUARD_MODULE}.py").write_text(_GUARD_SOURCE, encoding="utf-8")
        report = root / "imported_from.txt"
        env = dict(os.environ, MUTATION_COPY_ROOT=str(root), MUTATION_REPORT=str(report),
                   PYTHONPATH=os.pathsep.join([str(root), *filter(None, [os.environ.get("PYTHONPATH")])]),
                   PYTHONDONTWRITEBYTECODE="1")
        # -P: do not put the working directory (the real repository) first on sys.path, so the copy
        # on PYTHONPATH wins over both the checkout and the editable install.
        cmd = [sys.executable, "-P", "-m", "pytest", "-p", _GUARD_MODULE, "-p", "no:cacheprovider",
               *(["-x"] if stop_first else []), "-q", *test_args]
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        output = proc.stdout + proc.stderr
        if verbose:
            print(output)
        imported = report.read_text(encoding="utf-8") if report.is_file() else None
        if imported is None or root.resolve() not in Path(imported).parents:
            name = "control" if mutation is None else mutation.name
            raise SetupError(f"{name}: could not verify that the tests imported the copy "
                             f"(marketsim imported from {imported or 'unknown'}); pytest output:\n{output[-3000:]}")
        return proc.returncode, output, seconds


def _failed_tests(output: str) -> list[str]:
    """Names of the failed tests (without their file) in pytest's short summary (``FAILED path::test - ...``)."""
    return [line.split(" - ")[0].split()[-1].rpartition("::")[2]
            for line in output.splitlines() if line.startswith(("FAILED", "ERROR"))]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Apply each mutation to a temporary copy of marketsim/ and check that the tests fail.")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this mutation (repeatable); see --list")
    parser.add_argument("--tests", default=DEFAULT_TESTS, metavar="PYTEST_ARGS",
                        help=f"pytest arguments, relative to the repository root (default: {DEFAULT_TESTS!r}; "
                             "'tests' runs the whole suite)")
    parser.add_argument("--no-control", action="store_true",
                        help="skip the run on the unmodified copy (faster; only if you know it passes)")
    parser.add_argument("--keep-going", action="store_true",
                        help="run every selected test under each mutation (no -x) and list all that fail")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="print pytest's output of every run")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for m in MUTATIONS:
            print(f"{m.name:22s} {m.path}: {m.description}")
        return 0
    known = {m.name: m for m in MUTATIONS}
    unknown = [name for name in args.only or [] if name not in known]
    if unknown:
        print(f"--only {', '.join(unknown)}: unknown mutation; allowed {', '.join(known)}", file=sys.stderr)
        return 2
    selected = [known[name] for name in args.only] if args.only else list(MUTATIONS)
    test_args = shlex.split(args.tests)
    if not test_args:
        print("--tests '': must name at least one test path or pytest argument", file=sys.stderr)
        return 2

    total_start = time.perf_counter()
    try:
        for m in selected:  # check every snippet before spending minutes on test runs
            with tempfile.TemporaryDirectory(prefix="marketsim-snippet-") as tmp:
                copy_package(Path(tmp))
                apply(m, Path(tmp))
        if not args.no_control:
            code, output, seconds = run_tests(None, test_args, args.verbose, stop_first=not args.keep_going)
            if code != 0:
                print(f"control run (no mutation) FAILED with pytest exit code {code} in {seconds:.0f} s: "
                      f"fix the tests first\n{output[-3000:]}", file=sys.stderr)
                return 2
            print(f"{'control (no mutation)':24s} passed      {seconds:6.1f} s")
        results = []
        for m in selected:
            code, output, seconds = run_tests(m, test_args, args.verbose, stop_first=not args.keep_going)
            # pytest exit codes: 0 all passed, 1 some test failed; others (interrupted, internal or
            # usage error, nothing collected) mean the mutation broke the run itself, not a test.
            verdict = {0: "SURVIVED", 1: "KILLED"}.get(code, f"ERROR({code})")
            results.append(verdict)
            detail = ", ".join(_failed_tests(output)) if code == 1 else ""
            print(f"{m.name:24s} {verdict:11s} {seconds:6.1f} s  {detail}", flush=True)
    except SetupError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{results.count('KILLED')}/{len(results)} killed in {time.perf_counter() - total_start:.0f} s "
          f"(tests: {' '.join(test_args)})")
    if any(r.startswith("ERROR") for r in results):
        return 2
    return 1 if "SURVIVED" in results else 0


if __name__ == "__main__":
    sys.exit(main())
