"""The `autograder` command line: one subcommand per job."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from autograder.assignment import Assignment, find_config, load_assignment
from autograder.config import ConfigError

config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                             help="grading_config.yaml to use (default: nearest one upwards, or $AUTOGRADER_CONFIG).")
assignment_option = click.option("--assignment", "-a", "assignment_name",
                                 help="Assignment name, e.g. A2S1 (default: guessed from the file name).")


def _assignment(config_path: Path | None, name: str | None, submission: Path | None) -> Assignment:
    try:
        assignment = load_assignment(find_config(config_path), name, submission)
        _ = assignment.registry
        return assignment
    except ConfigError as e:
        raise click.ClickException(str(e)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="autograder")
def main() -> None:
    """Grade deep-learning notebook assignments in isolation, with explained results."""


@main.command()
@click.argument("submission", type=click.Path(path_type=Path))
@assignment_option
@config_option
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=Path("results.json"),
              show_default=True, help="Where to write Gradescope's results.json.")
@click.option("--verbose", "-v", is_flag=True, help="Show each question's explanation in the table.")
def grade(submission: Path, assignment_name: str | None, config_path: Path | None, out: Path, verbose: bool) -> None:
    """Grade one SUBMISSION (.py or .ipynb) and write results.json."""
    from autograder.grading import grade_file
    from autograder.results.gradescope import write_results
    from autograder.results.table import print_report

    assignment = _assignment(config_path, assignment_name, submission)
    report = grade_file(submission, assignment)
    write_results(report, out)
    print_report(report, verbose=verbose)
    click.echo(f"Wrote {out}")


@main.command()
@click.argument("submission", type=click.Path(path_type=Path))
@assignment_option
@config_option
def check(submission: Path, assignment_name: str | None, config_path: Path | None) -> None:
    """Run only the public checks on SUBMISSION (what a student can run before handing in)."""
    from autograder.grading import grade_file
    from autograder.results.table import print_report

    assignment = _assignment(config_path, assignment_name, submission)
    report = grade_file(submission, assignment, public_only=True)
    print_report(report)
    if any(line.startswith("✗") for q in report.questions for line in q.lines):
        sys.exit(1)


if __name__ == "__main__":
    main()
