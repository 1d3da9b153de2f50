"""Writing grading reports out: Gradescope's results.json and a terminal table."""
