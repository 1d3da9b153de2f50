"""Academic integrity: pairs of submissions whose code, or whose unusual answer values, are alike.

Evidence for a person to review, never a grade: nothing here reads or writes a score. `code` finds
code similarity with copydetect (a winnowing detector in the style of MOSS, the `integrity` extra),
the assignment's own notebook excluded; `answers` finds identical unusual answer values in the
batch's reports; `run` writes OUTDIR/integrity.html, .csv and .json.
"""
from __future__ import annotations

DEFAULT_THRESHOLD = 0.5  # share of a submission's own code found in another's that flags the pair


class IntegrityError(Exception):
    """The check cannot run as asked (a one-line message for the instructor)."""
