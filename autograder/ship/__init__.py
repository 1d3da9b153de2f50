"""Shipping the grader: the solution-free bundle, the Gradescope zip, batch grading in Docker."""
from __future__ import annotations


class ShipError(Exception):
    """A problem the user can fix (missing wheel, no Docker engine, ...): a one-line message."""
