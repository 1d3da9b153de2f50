"""Trusted checks: public checks of form, hidden checks against targets, and their API."""
from autograder.checks.api import CallResult, Context, array, call, check, code, data, inputs, py, tensor
from autograder.checks.parts import Heatmap, Part, PartKind, Reveal
from autograder.checks.values import Answer

__all__ = ["Answer", "CallResult", "Context", "Heatmap", "Part", "PartKind", "Reveal", "array", "call", "check", "code",
           "data", "inputs", "py", "tensor"]
