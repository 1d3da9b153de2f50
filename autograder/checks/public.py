"""Public checks: the answer exists, is numeric, finite and of a usable shape."""
from __future__ import annotations

import numpy as np

from autograder.checks.parts import Part, PartKind
from autograder.checks.values import Answer

NAN_HINT = ("NaN comes from 0/0, such as normalising an all-zero vector (x / x.norm()), or from inf - inf; "
            "Inf from dividing by zero or exp of a large number. Print the values that went into it.")


def public_parts(answer: Answer, shapes: list[list[int]] | None) -> list[Part]:
    """Checks a student can run locally; any failure makes the question score zero."""
    if not answer.usable:
        return [Part(PartKind.CONDITION, False, f"{answer.problem}", 0.0, True,
                     reason=_generic(answer.problem or "", answer.name))]
    a = answer.array
    assert a is not None
    parts = [Part(PartKind.CONDITION, True, f"`{answer.name}` is a {answer.describe()}", 0.0, True)]
    if shapes is not None and list(a.shape) not in shapes:
        wanted = " or ".join(str(tuple(s)) for s in shapes)
        parts.append(Part(PartKind.CONDITION, False,
                          f"`{answer.name}` should have shape {wanted}, but has shape {tuple(a.shape)}", 0.0, True,
                          reason=f"`{answer.name}` has the wrong shape"))
        return parts
    bad = ~np.isfinite(a)
    if bad.any():
        where = [int(i) for i in np.argwhere(bad)[0]]
        parts.append(Part(PartKind.CONDITION, False,
                          f"`{answer.name}` contains NaN or Inf ({int(bad.sum())} element(s), first at {where})",
                          0.0, True, hint=NAN_HINT, reason=f"`{answer.name}` contains NaN or Inf"))
    return parts


def _generic(problem: str, name: str) -> str:
    """A problem without its details (a type name, a size), for counting alike failures."""
    for marker in (" is not defined", " is None", " was never reached", " is far too large", " could not be read",
                   " holds a number too large"):
        if marker in problem:
            return f"`{name}`{marker}"
    return f"`{name}` is not numbers"
