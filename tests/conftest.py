"""Shared test configuration: the hypothesis profiles.

Profiles (choose with the environment variable ``HYPOTHESIS_PROFILE``; default ``ci``):

- ``ci``: deterministic (``derandomize=True``: the examples are a fixed function of each test, so
  CI never fails on one run and passes on the next), no example database, no deadlines (the
  machines are shared and noisy: property tests assert values, never speed).
- ``deep``: random examples and ten times each test's ``max_examples``, for a search before a
  release or after changing the economics, e.g.
  ``HYPOTHESIS_PROFILE=deep python -m pytest tests/test_economics.py --hypothesis-seed=3``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

#: How many times more examples each property test draws under the ``deep`` profile.
DEEP_FACTOR = 10

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile("ci", derandomize=True, database=None, **_COMMON)
settings.register_profile("deep", derandomize=False, **_COMMON)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE not in ("ci", "deep"):
    raise pytest.UsageError(f"HYPOTHESIS_PROFILE = {PROFILE!r}: allowed 'ci' (default) or 'deep'")
settings.load_profile(PROFILE)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under the deep profile, multiply every property test's own ``max_examples`` by DEEP_FACTOR.

    Each test sets ``max_examples`` in its ``@settings`` to fit the CI budget; those explicit values
    win over any profile, so the deep profile scales them here instead.
    """
    if PROFILE != "deep":
        return
    for item in items:
        test = getattr(getattr(item, "obj", None), "__func__", getattr(item, "obj", None))
        current = getattr(test, "_hypothesis_internal_use_settings", None)
        if current is not None and not getattr(test, "_marketsim_deep", False):
            test._hypothesis_internal_use_settings = settings(current, max_examples=current.max_examples * DEEP_FACTOR)
            test._marketsim_deep = True  # parametrized tests share one function: scale it once
