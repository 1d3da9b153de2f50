"""Trusted checks: public checks of form, hidden checks against targets, and their API."""
from autograder.checks.api import CallResult, Context, Part, check, inputs
from autograder.checks.values import Answer

__all__ = ["Answer", "CallResult", "Context", "Part", "check", "inputs"]
