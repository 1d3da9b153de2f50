"""A short terminal table of one grading report."""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from autograder.grading.report import GradeReport
from autograder.results.text import printable


def print_report(report: GradeReport, console: Console | None = None, verbose: bool = False) -> None:
    """Print one row per question; with `verbose` (always for public checks) the explanations too."""
    console = console or Console()
    details = verbose or report.public_only
    table = Table(title=escape(f"{report.assignment} · {printable(report.submission)} ({report.format})"),
                  show_lines=details)
    table.add_column("question")
    table.add_column("result")
    if not report.public_only:
        table.add_column("score", justify="right")
    if details:
        table.add_column("details")
    for q in report.questions:
        if report.public_only:
            ok = not any(line.startswith("✗") for line in q.lines)
            row = [q.question.name, "[green]ok[/]" if ok else "[red]problem[/]"]
        else:
            status = "[green]passed[/]" if q.passed else ("[yellow]partial[/]" if q.score > 0 else "[red]failed[/]")
            row = [q.question.name, status, f"{q.score:g}/{q.question.points:g}"]
        if details:
            row.append(escape(printable("\n".join(q.lines), newlines=True)))
        table.add_row(*row)
    console.print(table)
    if not report.public_only:
        console.print(f"Total: [bold]{report.score:g} / {report.max_score:g}[/]  ({report.execution_time:.2f} s)")
    if report.failure:
        console.print(f"[red]Problem:[/] {escape(printable(report.failure))}")
