"""The one input check of the economics layer: a finite number above (or at) zero."""

from __future__ import annotations

import numpy as np


def require_positive(name: str, value: float, *, allow_zero: bool = False, prefix: str = "") -> None:
    """Raise ValueError ``"<prefix><name> = <value>: must be a finite number > 0"`` (``>= 0`` with allow_zero)."""
    ok = np.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        raise ValueError(f"{prefix}{name} = {value!r}: must be a finite number {'>= 0' if allow_zero else '> 0'}")
