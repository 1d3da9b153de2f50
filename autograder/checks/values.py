"""Trusted side: validate a value the child reported and turn it into a numpy array.

The wire data is untrusted: anything but the exact expected structure of plain
numbers is rejected with a message, never evaluated.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_DIMS = 8


@dataclass(frozen=True)
class Answer:
    """A student's answer as the grader sees it: an array, or the reason there is none."""

    name: str
    array: np.ndarray | None
    dtype: str = ""
    problem: str | None = None

    @property
    def usable(self) -> bool:
        return self.array is not None

    def describe(self) -> str:
        if self.array is None:
            return self.problem or "no value"
        return f"{self.dtype} of shape {tuple(self.array.shape)}"


def decode_wire(name: str, wire: object, max_elements: int) -> Answer:
    """Build an Answer from the child's report for variable `name`."""
    if not isinstance(wire, dict):
        return Answer(name, None, problem=f"`{name}` was never reached (its cell did not run)")
    kind = wire.get("type")
    if kind == "missing":
        return Answer(name, None, problem=f"`{name}` is not defined")
    if kind == "none":
        return Answer(name, None, problem=f"`{name}` is None")
    if kind == "too_large":
        return Answer(name, None, problem=f"`{name}` is far too large ({_int(wire.get('elements'))} elements)")
    if kind == "object":
        detail = wire.get("detail")  # only a string is shown: str() of a huge or deep value is not bounded
        return Answer(name, None, problem=f"`{name}` is {detail[:200] if isinstance(detail, str) else 'an object'}, "
                                          "not numbers")
    if kind != "array":
        return Answer(name, None, problem=f"`{name}` could not be read")
    shape, data = wire.get("shape"), wire.get("data")
    if (not isinstance(shape, list) or len(shape) > MAX_DIMS
            or not all(type(d) is int and 0 <= d <= max_elements for d in shape)
            or not isinstance(data, list) or len(data) != math.prod(shape) or len(data) > max_elements
            or not all(type(x) in (int, float) for x in data)):
        return Answer(name, None, problem=f"`{name}` could not be read")
    try:
        array = np.array(data, dtype=np.float64).reshape(shape)
    except OverflowError:
        return Answer(name, None, problem=f"`{name}` holds a number too large for a float")
    dtype = wire.get("dtype")
    return Answer(name, array, dtype=dtype[:40] if isinstance(dtype, str) else "")


def _int(x: object) -> str:
    return str(x) if type(x) is int and -10**18 < x < 10**18 else "?"
