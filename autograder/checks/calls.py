"""The calls a checks module asks the grader to make to a function answer: `call(...)` and its arguments.

Each argument says how the student's process builds it from plain data: `tensor` (a torch tensor
of a dtype), `array` (a numpy array), `py` (a plain Python value, as it is) or `code` (an expression
of the assignment's author, evaluated in the notebook's namespace at call time). Everything is
validated here, on the trusted side, when the checks module builds it: a mistake is an error of
the checks module, never of a submission.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.sandbox.protocol import DTYPES, ArgKind

CODE_FILENAME = "<grader argument>"
_INT_RANGES = {"int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1), "bool": (0, 1)}
_PLAIN = (int, float, bool, str, type(None))


@dataclass(frozen=True)
class Arg:
    """One argument: how the child builds it (`kind`, `dtype`) from `value` (plain nested lists of
    numbers for a tensor or array, a plain value for `py`, the source for `code`)."""

    kind: ArgKind
    value: Any
    dtype: str = ""


@dataclass(frozen=True)
class Call:
    """One call of a function answer: its arguments, the seed set right before it (torch, numpy and
    `random`), and its own timeout in seconds (None: the question's, else `limits.cell_timeout`)."""

    args: tuple[Arg, ...]
    kwargs: dict[str, Arg] = field(default_factory=dict)
    seed: int | None = None
    timeout: float | None = None


def tensor(value: Any, dtype: str = "float32") -> Arg:
    """An argument that is a torch tensor of `dtype` (float32, float64, int64, int32 or bool) holding
    `value`, plain nested lists of numbers (or anything numpy reads as such)."""
    return Arg(ArgKind.TENSOR, _numbers(value, dtype), dtype)


def array(value: Any, dtype: str = "float64") -> Arg:
    """An argument that is a numpy array of `dtype` holding `value` (as for `tensor`)."""
    return Arg(ArgKind.ARRAY, _numbers(value, dtype), dtype)


def py(value: Any) -> Arg:
    """An argument that is a plain Python value, passed as it is (a fresh copy for each call): an int,
    float, bool, str or None, or lists, tuples and dicts of these."""
    _check_plain(value)
    return Arg(ArgKind.PY, value)


def code(source: str) -> Arg:
    """An argument that is the value of the Python expression `source`, evaluated in the notebook's
    namespace right before the call (it may name the student's functions and variables); if it
    raises, that call is an error."""
    if not isinstance(source, str):
        raise TypeError(f"code() takes the source of an expression, not {type(source).__name__}")
    compile(source, CODE_FILENAME, "eval", dont_inherit=True)  # a SyntaxError names the author's mistake now
    return Arg(ArgKind.CODE, source)


def call(*args: Any, seed: int | None = None, timeout: float | None = None, **kwargs: Any) -> Call:
    """One call of a function answer with these positional and keyword arguments (each a `tensor`,
    `array`, `py` or `code`; plain nested lists of numbers mean `tensor(value)`)."""
    if seed is not None and (type(seed) is not int or not 0 <= seed < 2**32):
        raise ValueError(f"seed must be an int from 0 to 2**32 - 1, not {seed!r}")
    if timeout is not None and (type(timeout) not in (int, float) or not 0 < timeout < math.inf):
        raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
    return Call(tuple(_arg(a) for a in args), {k: _arg(v) for k, v in kwargs.items()}, seed,
                None if timeout is None else float(timeout))


Inputs = Call | list | tuple  # what an @inputs function lists: calls, or plain argument lists


def as_call(entry: Inputs) -> Call:
    """An entry of an @inputs list as a Call: a `call(...)`, or a list of arguments."""
    if isinstance(entry, Call):
        return entry
    if isinstance(entry, (list, tuple)):
        return call(*entry)
    raise TypeError(f"an @inputs list holds call(...) or argument lists, not {type(entry).__name__}")


def _arg(value: Any) -> Arg:
    return value if isinstance(value, Arg) else tensor(value)


def _numbers(value: Any, dtype: str) -> Any:
    """`value` as plain nested lists of `dtype`'s numbers; a ValueError if it does not fit."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
    try:
        a = np.asarray(value)
    except ValueError as e:  # ragged lists
        raise ValueError(f"not a regular array of numbers: {e}") from None
    if a.dtype.kind not in "biuf":
        raise ValueError(f"expected numbers (nested lists of them), got an array of {a.dtype}")
    if dtype in _INT_RANGES and a.size:
        low, high = _INT_RANGES[dtype]
        if not (np.isfinite(a).all() and (a == np.round(a)).all() and low <= a.min() and a.max() <= high):
            raise ValueError(f"{dtype} takes whole numbers from {low} to {high}")
    return a.astype(dtype).tolist()


def _check_plain(value: Any) -> None:
    if type(value) in (list, tuple):
        for v in value:
            _check_plain(v)
    elif type(value) is dict:
        for k, v in value.items():
            _check_plain(k)
            _check_plain(v)
    elif type(value) not in _PLAIN:
        raise TypeError(f"py() takes plain values (numbers, strings, None, lists, tuples, dicts), "
                        f"not {type(value).__name__}")
