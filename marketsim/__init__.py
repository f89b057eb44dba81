"""marketsim: an agent-based simulator of the market for large language models.

The economics of a profit-optimal training firm live in :mod:`marketsim.economics` (pure
numpy/scipy); the Mesa market is :class:`marketsim.model.MarketModel`.
"""

__version__ = "0.1.0"
