"""The grading pipeline: submission -> cells -> isolated run -> answers -> checks -> report."""
from autograder.grading.pipeline import grade_file
from autograder.grading.report import GradeReport, QuestionResult

__all__ = ["GradeReport", "QuestionResult", "grade_file"]
