"""Input checks shared by every layer: one message style, ``"<name> = <value>: must be ..."``.

Used by the economics (laws, demand, costs, optimizer) and by the simulation (growth paths,
consumers). Values are shown with :func:`show`, so numpy scalars read as plain Python numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["show", "is_real", "require_positive"]


def show(value: Any) -> str:
    """repr of a value for an error message, with numpy scalars shown as plain Python numbers."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def is_real(value: Any) -> bool:
    """Whether ``value`` is a real number (bool excluded: True/False as a quantity is a mistake)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def require_positive(name: str, value: Any, *, allow_zero: bool = False, prefix: str = "",
                     unit: str = "") -> None:
    """Raise ValueError ``"<prefix><name> = <value>: must be a finite number > 0[ (unit)]"``
    (``>= 0`` with allow_zero) unless ``value`` is such a number."""
    try:
        ok = not isinstance(value, (bool, np.bool_)) and bool(
            np.isfinite(value) and (value >= 0 if allow_zero else value > 0))
    except TypeError:  # not a number at all (a string, None)
        ok = False
    if not ok:
        suffix = f" ({unit})" if unit else ""
        raise ValueError(f"{prefix}{name} = {show(value)}: must be a finite number "
                         f"{'>= 0' if allow_zero else '> 0'}{suffix}")
