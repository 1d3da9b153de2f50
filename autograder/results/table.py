"""A short terminal table of one grading report."""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from autograder.grading.report import GradeReport
from autograder.results.explain import question_lines
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
            row = [q.question.name, "[red]problem[/]" if q.failed_parts else
                   "[yellow]warning[/]" if q.warned else "[green]ok[/]"]
        else:
            status = "[green]passed[/]" if q.passed else ("[yellow]partial[/]" if q.score > 0 else "[red]failed[/]")
            row = [q.question.name, status, f"{q.score:g}/{q.question.points:g}"]
        if details:
            row.append(escape(printable("\n".join(question_lines(q)), newlines=True)))
        table.add_row(*row)
    console.print(table)
    if not report.public_only:
        console.print(f"Total: [bold]{report.score:g} / {report.max_score:g}[/]  ({report.execution_time:.2f} s)")
    if report.failure:
        console.print(f"[red]Problem:[/] {escape(printable(report.failure))}")


def print_check_summary(report: GradeReport, console: Console | None = None) -> None:
    """One line after `check`: how many answers look ready, have warnings or problems."""
    console = console or Console()
    problems = [q.question.id for q in report.questions if q.failed_parts]
    warnings = [q.question.id for q in report.questions if not q.failed_parts and q.warned]
    ready = len(report.questions) - len(problems) - len(warnings)
    parts = [f"{ready} of {len(report.questions)} answers ready"]
    if warnings:
        parts.append(f"warnings in {', '.join(warnings)}")
    if problems:
        parts.append(f"problems in {', '.join(problems)} (fix them before handing in)")
    console.print(escape("; ".join(parts) + ". Public checks only: your score is decided by hidden checks."))
