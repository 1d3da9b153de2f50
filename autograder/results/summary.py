"""The end-of-batch summary printed for the instructor."""
from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import click

from autograder.batch.run import BatchSummary


def print_batch(summary: BatchSummary, outdir: Path) -> None:
    """Counts by status, speed, and where the sheet is."""
    assert summary.sheet is not None
    with summary.sheet.open(encoding="utf-8") as f:
        statuses = Counter(row["Status"] for row in csv.DictReader(f))
    rate = summary.graded / summary.elapsed if summary.elapsed > 0 else 0
    click.echo(f"{summary.total} submissions: {summary.graded} graded now ({rate:.1f}/s), "
               f"{summary.skipped} already complete; " + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())))
    if summary.not_graded:
        click.echo(f"Not graded (rerun to retry): {', '.join(summary.not_graded[:10])}")
    click.echo(f"Grades: {summary.sheet}")
    click.echo(f"Results: {outdir}/<submission>/results.json")
