"""Child side: turn a student's value into plain JSON data.

Runs inside the untrusted process. It holds references to the library functions
it needs, taken before any student code runs, so that monkeypatching torch or
numpy later cannot change how values are read. Whatever it sends, the trusted
side re-validates; this module only has to be faithful for honest values.
"""
from __future__ import annotations

import sys
from typing import Any, Callable

import numpy as np

from autograder.sandbox.protocol import MAX_OUTPUTS

_NUMERIC_KINDS = "biuf"
_MAX_REPR = 200


class Encoder:
    """Reads values as plain nested floats; construct before student code runs."""

    def __init__(self, max_elements: int) -> None:
        self.max_elements = max_elements
        self._np_asarray = np.asarray
        self._np_stack = np.stack
        self._ndarray = np.ndarray
        self._np_generic = np.generic
        self._float64 = np.float64
        self._ravel = np.ndarray.ravel
        self._tolist = np.ndarray.tolist
        self._tensor_to_numpy: Callable[[Any], Any] | None = None
        self._tensor_type: type | None = None
        if "torch" in sys.modules:
            self._grab_torch()

    def _grab_torch(self) -> None:
        """Keep torch's own functions (only possible once torch is imported: preload it)."""
        torch = sys.modules["torch"]
        base = torch._C.TensorBase
        detach, cpu, resolve_conj, numpy = base.detach, base.cpu, base.resolve_conj, base.numpy
        is_complex = base.is_complex
        disable = torch._C.DisableTorchFunction
        to_float = base.to
        f64 = torch.float64
        self._tensor_type = base

        def tensor_to_numpy(t: Any) -> Any:
            with disable():
                plain = detach(t)
                if is_complex(plain):
                    raise _NotNumeric(f"a complex tensor ({plain.dtype})")
                return numpy(resolve_conj(cpu(to_float(plain, f64))))

        self._tensor_to_numpy = tensor_to_numpy

    def encode(self, value: Any, present: bool = True, limit: int | None = None) -> dict:
        """Describe `value` as a JSON-ready dict (array, none, object or missing); an array of more
        than `limit` (default: max_elements) numbers is too large."""
        if not present:
            return {"type": "missing"}
        if value is None:
            return {"type": "none"}
        try:
            array, dtype = self._to_array(value, self.max_elements if limit is None else limit)
        except _NotNumeric as e:
            return {"type": "object", "class": _type_name(value), "detail": str(e)}
        except _TooLarge as e:
            return {"type": "too_large", "elements": e.args[0]}
        except Exception as e:  # noqa: BLE001 - a hostile object may raise anything
            return {"type": "object", "class": _type_name(value), "detail": f"unreadable: {type(e).__name__}"}
        flat = self._tolist(self._ravel(array))
        return {"type": "array", "dtype": dtype, "shape": list(array.shape), "data": flat}

    def returned(self, value: Any) -> dict:
        """What a function answer returned: one description per element of a tuple or list (one for
        any other value), at most MAX_OUTPUTS of them sharing max_elements numbers (`too_many`: more)."""
        kind = type(value)
        if issubclass(kind, (tuple, list)):  # the real type: the built-in length and items, never overrides
            base = tuple if issubclass(kind, tuple) else list
            count = base.__len__(value)
            if count > MAX_OUTPUTS:
                return {"too_many": count}
            values = [base.__getitem__(value, i) for i in range(count)]
        else:
            values = [value]
        outputs, room = [], self.max_elements
        for v in values:
            wire = self.encode(v, limit=room)
            room -= len(wire.get("data", ()))
            outputs.append(wire)
        return {"outputs": outputs}

    def _to_array(self, value: Any, limit: int) -> tuple[Any, str]:
        if self._tensor_type is None and "torch" in sys.modules:
            self._grab_torch()
        if self._tensor_to_numpy is not None and isinstance(value, self._tensor_type):
            _check_size(_numel(value.shape), limit)
            return self._tensor_to_numpy(value), str(value.dtype)
        if isinstance(value, (self._ndarray, self._np_generic)):
            arr = self._np_asarray(value)
            if arr.dtype.kind not in _NUMERIC_KINDS:
                raise _NotNumeric(f"an array of {arr.dtype}")
            _check_size(arr.size, limit)
            return arr.astype(self._float64), f"numpy.{arr.dtype}"
        if type(value) in (int, float, bool):
            return self._np_asarray(float(value), dtype=self._float64), type(value).__name__
        if type(value) in (list, tuple):
            _check_size(len(value), limit)
            if not value:
                return self._np_asarray([], dtype=self._float64), type(value).__name__
            parts = [self._to_array(v, limit)[0] for v in value]
            shapes = {p.shape for p in parts}
            if len(shapes) != 1:
                raise _NotNumeric(f"a ragged {type(value).__name__} (rows of different lengths)")
            stacked = self._np_stack(parts)
            _check_size(stacked.size, limit)
            return stacked, type(value).__name__
        raise _NotNumeric(f"a {_type_name(value)}")


class _NotNumeric(Exception):
    pass


class _TooLarge(Exception):
    pass


def _check_size(n: int, limit: int) -> None:
    if n > limit:
        raise _TooLarge(n)


def _numel(shape: Any) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _type_name(value: Any) -> str:
    t = type(value)
    return f"{type.__getattribute__(t, '__module__')}.{type.__getattribute__(t, '__qualname__')}"[:_MAX_REPR]
