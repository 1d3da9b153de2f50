"""Public checks: the answer exists, is numeric, finite and of a usable shape."""
from __future__ import annotations

import numpy as np

from autograder.checks.api import Part
from autograder.checks.values import Answer


def public_parts(answer: Answer, shapes: list[list[int]] | None) -> list[Part]:
    """Checks a student can run locally; any failure makes the question score zero."""
    if not answer.usable:
        return [Part(False, f"{answer.problem}", required=True)]
    a = answer.array
    assert a is not None
    parts = [Part(True, f"`{answer.name}` is a {answer.describe()}", 0.0, True)]
    if shapes is not None and list(a.shape) not in shapes:
        wanted = " or ".join(str(tuple(s)) for s in shapes)
        parts.append(Part(False, f"`{answer.name}` should have shape {wanted}, but has shape {tuple(a.shape)}",
                          required=True))
        return parts
    bad = ~np.isfinite(a)
    if bad.any():
        where = [int(i) for i in np.argwhere(bad)[0]]
        parts.append(Part(False, f"`{answer.name}` contains NaN or Inf ({int(bad.sum())} element(s), first at {where})",
                          required=True))
    return parts
