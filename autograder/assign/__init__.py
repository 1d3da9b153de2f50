"""Build an assignment's student notebook and reference solutions from its master notebook."""
from autograder.assign.otter_format import (
    Master,
    MasterCell,
    MasterFormatError,
    Question,
    colab_script,
    parse_master,
    solution_notebook,
    student_notebook,
    write_assignment,
)

__all__ = [
    "Master",
    "MasterCell",
    "MasterFormatError",
    "Question",
    "colab_script",
    "parse_master",
    "solution_notebook",
    "student_notebook",
    "write_assignment",
]
