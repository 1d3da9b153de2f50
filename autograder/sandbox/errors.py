"""How an exception from student code is described to the grader: plain data."""
from __future__ import annotations

import traceback


def describe(exc: BaseException, filename: str) -> dict:
    """Type, one-line message and the line in `filename` where it happened (else the error's own line)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    line = frames[-1].lineno if frames else getattr(exc, "lineno", None)
    message = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()[-1]
    return {"type": type(exc).__name__, "message": message[:500], "line": line}
