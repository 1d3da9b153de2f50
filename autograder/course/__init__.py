"""The course report: a batch's results for the instructor (one HTML page) and its scores for
Gradescope's and Canvas's imports, written into OUTDIR at the end of every batch and by
`autograder report OUTDIR`.

roster (OUTDIR/roster.json) -> load (submissions, rubric) -> stats -> plots, page; exports -> write.
Nothing is imported here: a batch imports `roster` early and the rest (matplotlib) only at its end.
"""
