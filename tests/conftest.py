"""Shared test configuration."""

from hypothesis import HealthCheck, settings

# The machines are shared and noisy: property tests assert values, never speed.
settings.register_profile("marketsim", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("marketsim")
