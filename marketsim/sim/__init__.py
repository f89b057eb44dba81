"""The simulation: the world, firms and their strategies, consumers and the Mesa model (imports
:mod:`marketsim.config` and :mod:`marketsim.economics`, never the layers above).

:func:`check_strategies` lists the firms of a scenario whose strategy is not registered.
"""

from marketsim.sim.strategies import check_strategies

__all__ = ["check_strategies"]
