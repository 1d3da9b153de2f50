"""Numeric comparisons and their compact rendering."""
from __future__ import annotations

import numpy as np

def fmt(a: np.ndarray) -> str:
    """A compact one-line rendering of a small array, 4 significant digits (numpy's printer is slow)."""
    return _fmt(np.asarray(a, dtype=np.float64).tolist())


def _fmt(x: object) -> str:
    if isinstance(x, list):
        return "[" + ", ".join(_fmt(v) for v in x) + "]"
    if x != x or x in (float("inf"), float("-inf")):  # NaN, ±Inf
        return str(x)
    return f"{x:.4g}" if abs(x) >= 1e-4 or x == 0 else "0"


def max_error(actual: np.ndarray, expected: np.ndarray) -> tuple[float, tuple[int, ...]]:
    """Largest absolute element-wise difference and where it occurs (NaN counts as infinite)."""
    diff = np.abs(np.asarray(actual, dtype=np.float64) - np.asarray(expected, dtype=np.float64))
    diff = np.where(np.isnan(diff), np.inf, diff)
    where = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else ()
    return (float(diff.max()) if diff.size else 0.0), tuple(int(i) for i in where)
