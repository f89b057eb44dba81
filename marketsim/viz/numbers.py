"""Numbers written for people: counts and dollar amounts as '1.5B', '$800M', '3e15'.

Pure Python (no matplotlib), so that tables and messages can use it without loading plotting.
"""

from __future__ import annotations

import math

__all__ = ["SCIENTIFIC_FROM", "human_number"]

_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))
# From this magnitude on, numbers are written 2e15 rather than with a suffix: 'thousand
# trillion' is not a unit anyone reads easily.
SCIENTIFIC_FROM = 1e15


def _scientific(mag: float) -> str:
    """A non-negative magnitude as '2e15' / '1.5e16' (no '+', no padded exponent)."""
    mantissa, exponent = f"{mag:.2e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


def human_number(x: float, prefix: str = "", *, scientific: bool | None = None) -> str:
    """Format a count or dollar amount compactly: 1.5e9 -> '1.5B', with '$' as ``prefix``.

    Amounts of 1e15 and more use scientific notation ('3e15'); ``scientific=True`` forces that
    style for any amount (so that all labels of one axis look alike), ``False`` forbids it.
    """
    if not math.isfinite(x):
        return str(x)
    sign = "-" if x < 0 else ""
    mag = abs(x)
    if scientific is None:
        scientific = mag >= SCIENTIFIC_FROM
    if scientific and mag > 0:
        return f"{sign}{prefix}{_scientific(mag)}"
    for scale, suffix in _SUFFIXES:
        if mag >= scale:
            return f"{sign}{prefix}{mag / scale:.3g}{suffix}"
    return f"{sign}{prefix}{mag:.3g}"
