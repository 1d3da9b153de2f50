"""Child side: build a function answer's arguments from the plan's plain data, and seed the random
generators before a call.

Runs inside the untrusted process; like `encode`, it keeps the library functions it uses, taken
before any student code runs, except what only a call with a seed needs (`numpy.random`, whose
import would cost every run several milliseconds): taken at that call.
"""
from __future__ import annotations

import copy
import importlib
import random
import sys
from typing import Any

import numpy as np

from autograder.sandbox.protocol import DTYPES, ArgKind


class Arguments:
    """Builds arguments (`build`) and seeds generators (`seed`); construct before student code runs."""

    def __init__(self) -> None:
        self._np_asarray = np.asarray
        self._random_seed = random.seed
        self._deepcopy = copy.deepcopy
        self._eval = eval
        self._tensor: Any = None
        self._manual_seed: Any = None
        self._dtypes: dict[str, Any] = {}
        if "torch" in sys.modules:
            self._grab_torch()

    def _grab_torch(self) -> None:
        """Keep torch's functions (imported now if no one has: the plan asks for a tensor or a seed)."""
        torch = sys.modules.get("torch") or importlib.import_module("torch")
        self._tensor, self._manual_seed = torch.tensor, torch.manual_seed
        self._dtypes = {name: getattr(torch, name) for name in DTYPES}

    def build(self, arg: tuple, ns: dict) -> Any:
        """The argument that `arg`, (kind, dtype, value) from the plan, describes; `code` is evaluated in `ns`."""
        kind, dtype, value = arg
        if kind == ArgKind.TENSOR:
            if self._tensor is None:
                self._grab_torch()
            return self._tensor(value, dtype=self._dtypes[dtype])
        if kind == ArgKind.ARRAY:
            return self._np_asarray(value, dtype=dtype)
        if kind == ArgKind.CODE:
            return self._eval(value, ns)
        return self._deepcopy(value)  # a mutable value changed by one call must not reach the next

    def seed(self, seed: int) -> None:
        """Seed torch's, numpy's and `random`'s generators."""
        if self._manual_seed is None:
            self._grab_torch()
        self._manual_seed(seed)
        importlib.import_module("numpy.random").seed(seed)
        self._random_seed(seed)
