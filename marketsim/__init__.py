"""marketsim: an agent-based simulator of the market for large language models.

The economics of a profit-optimal training firm live in :mod:`marketsim.economics` (pure
numpy/scipy); the Mesa market is :class:`marketsim.sim.model.MarketModel`.

For notebooks (README, "Python API")::

    import marketsim
    model = marketsim.MarketModel("baseline", overrides={"hardware.stall_year": 2030}).run()
    model.model_table()                        # one row per period, as model.csv
    scenario = marketsim.load("baseline", overrides={"meta.years": 5})   # a validated Scenario

``MarketModel``, ``Scenario``, ``ScenarioError`` and :func:`load` are imported on first use, so that
``import marketsim`` (and ``marketsim --version``) stays fast.
"""

from __future__ import annotations

from importlib import metadata as _metadata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from marketsim.sim.model import MarketModel
    from marketsim.config import Overrides, Scenario, ScenarioError

__all__ = ["MarketModel", "Scenario", "ScenarioError", "__version__", "load"]


def _version() -> str:
    """The installed distribution's version (pyproject.toml); ``0+unknown`` when not installed."""
    try:
        return _metadata.version("marketsim")
    except _metadata.PackageNotFoundError:  # imported from a source tree that was never installed
        return "0+unknown"


__version__: str = _version()


def load(source: str | Path | Scenario, overrides: Overrides = ()) -> Scenario:
    """A validated scenario from a file path or bundled name (``"baseline"``), with overrides.

    The same as ``marketsim run FILE --set key=value``: ``overrides`` is ``{"hardware.stall_year": 2030}``
    or ``["hardware.stall_year=2030"]``. See :func:`marketsim.config.load`.

    Raises:
        ScenarioError: (a ValueError) no such file or bundled scenario, an unknown key, an invalid value.
    """
    from marketsim.config import load as load_scenario_source

    return load_scenario_source(source, overrides)


_LAZY = {"MarketModel": "marketsim.sim.model", "Scenario": "marketsim.config", "ScenarioError": "marketsim.config"}


def __getattr__(name: str) -> Any:
    """``marketsim.MarketModel`` etc., imported on first use (mesa and pandas are slow to import)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'marketsim' has no attribute {name!r}")
