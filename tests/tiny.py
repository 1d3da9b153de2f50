"""A tiny assignment for tests that need a config and checks of their own: one question whose
answer `x` should be 42, no torch. Its check raises (a bug on the trusted side) when x > 100."""
from __future__ import annotations

import textwrap
from pathlib import Path

CHECKS = '''
import numpy as np
from autograder.checks import Context, check

@check("1")
def the_answer(ctx: Context) -> None:
    if ctx.matrix().max() > 100:
        raise RuntimeError("boom in the check")
    ctx.close("x", ctx.matrix(), np.array([[42.0]]))
'''
CONFIG = """
assignments:
  T1:
    title: Tiny
    checks: checks.py
    questions:
      - id: "1"
        title: The answer
        points: 1
        prompt: the answer to everything
        answer: x
"""


def tiny_config(folder: Path, checks: str = CHECKS, config: str = CONFIG) -> Path:
    """Write the tiny assignment's grading_config.yaml and checks.py into `folder`; the config's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "checks.py").write_text(textwrap.dedent(checks))
    (folder / "grading_config.yaml").write_text(textwrap.dedent(config))
    return folder / "grading_config.yaml"


def answer(x: object) -> str:
    """A submission answering `x`."""
    return f"# the answer to everything\nx = {x}\n"
