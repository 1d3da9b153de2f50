"""The end-of-batch summary printed for the instructor."""
from __future__ import annotations

from pathlib import Path

import click

from autograder.batch.run import BatchSummary
from autograder.results.text import printable

LISTED = 10  # names listed per kind of trouble


def print_batch(summary: BatchSummary, outdir: Path) -> None:
    """Counts by status, speed, the submissions that need attention, and where the sheet is."""
    rate = summary.graded / summary.elapsed if summary.elapsed > 0 else 0
    statuses = ", ".join(f"{n} {printable(s)}" for s, n in sorted(summary.statuses.items()))
    again = f"{summary.rechecked} re-checked from their stored answers, " if summary.rechecked else ""
    click.echo(f"{summary.total} submissions: {summary.graded} graded now ({rate:.1f}/s), {again}"
               f"{summary.skipped} already complete; {statuses}")
    for names, what in ((summary.failed, "The grader failed on (please report; a rerun retries them)"),
                        (summary.refused, "Refused (unsafe names; see Note in grades.csv)"),
                        (summary.not_graded, "Not graded (rerun to retry)")):
        if names:
            more = f" and {len(names) - LISTED} more" if len(names) > LISTED else ""
            click.echo(f"{what}: {', '.join(map(printable, names[:LISTED]))}{more}")
    click.echo(f"Grades: {summary.sheet}")
    click.echo(f"Results: {outdir}/<submission>/results.json")
