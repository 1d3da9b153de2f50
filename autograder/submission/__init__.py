"""Reading a student's file (.py in any export format, or .ipynb) into cells."""
from autograder.submission.cells import Cell, Submission, SubmissionError
from autograder.submission.load import load_submission

__all__ = ["Cell", "Submission", "SubmissionError", "load_submission"]
