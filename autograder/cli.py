"""The `autograder` command line: one subcommand per job."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograder.assignment import Assignment
    from autograder.grading import GradeReport

# Most assignments import torch: the fork server starts importing it while the grader loads.
SPECULATIVE_PRELOAD = ("torch",)

config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                             help="grading_config.yaml to use (default: nearest one upwards, or $AUTOGRADER_CONFIG).")
assignment_option = click.option("--assignment", "-a", "assignment_name",
                                 help="Assignment name, e.g. A2S1 (default: guessed from the file name).")


def _assignment(config_path: Path | None, name: str | None, submission: Path | None) -> Assignment:
    from autograder.assignment import find_config, load_assignment
    from autograder.config import ConfigError

    try:
        assignment = load_assignment(find_config(config_path), name, submission)
        _ = assignment.registry
        return assignment
    except ConfigError as e:
        raise click.ClickException(str(e)) from None


def _grade(submission: Path, name: str | None, config_path: Path | None, public_only: bool) -> GradeReport:
    """Grade one file; the fork server starts importing torch before the grader has loaded."""
    from autograder.sandbox.pool import ServerPool

    from autograder.sandbox.launcher import IsolationError

    with ServerPool(SPECULATIVE_PRELOAD) as pool:
        from autograder.grading import grade_file

        assignment = _assignment(config_path, name, submission)
        pool.preload_more(assignment.preload)
        try:
            return grade_file(submission, assignment, public_only, pool)
        except IsolationError as e:
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
    from autograder.results.gradescope import write_results
    from autograder.results.table import print_report

    report = _grade(submission, assignment_name, config_path, public_only=False)
    write_results(report, out)
    print_report(report, verbose=verbose)
    click.echo(f"Wrote {out}")


@main.command()
@click.argument("submission", type=click.Path(path_type=Path))
@assignment_option
@config_option
def check(submission: Path, assignment_name: str | None, config_path: Path | None) -> None:
    """Run only the public checks on SUBMISSION (what a student can run before handing in)."""
    from autograder.results.table import print_report

    report = _grade(submission, assignment_name, config_path, public_only=True)
    print_report(report)
    if any(line.startswith("✗") for q in report.questions for line in q.lines):
        sys.exit(1)


@main.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@assignment_option
@config_option
@click.option("--out", "-o", "outdir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for <submission>/results.json and grades.csv.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Submissions graded at once (default: number of CPUs).")
@click.option("--force", is_flag=True, help="Regrade submissions that already have complete results.")
@click.option("--docker", "image", metavar="IMAGE",
              help="Grade inside one container of IMAGE (no network, SOURCE read-only), with its bundled config.")
def batch(source: Path, assignment_name: str | None, config_path: Path | None, outdir: Path, jobs: int | None,
          force: bool, image: str | None) -> None:
    """Grade every submission in SOURCE (a folder, or Gradescope's export zip) into OUTDIR."""
    if image is not None:
        _batch_in_docker(image, source, assignment_name, config_path, outdir, jobs, force)
        return
    import os
    import tempfile

    from autograder.batch.discover import InputError, discover
    from autograder.batch.run import Interrupted, run_batch
    from autograder.batch.slots import workers
    from autograder.sandbox.launcher import IsolationError, SandboxError
    from autograder.sandbox.pool import ServerPool
    from autograder.results.summary import print_batch

    jobs = jobs or os.cpu_count() or 1
    pool = ServerPool(SPECULATIVE_PRELOAD, workers(jobs), batch=True)  # imports torch while the grader loads
    try:
        assignment = _assignment(config_path, assignment_name, None)
    except BaseException:
        pool.close(wait=False)
        raise
    with tempfile.TemporaryDirectory(prefix="autograder-batch-") as scratch:
        try:
            entries = discover(source, assignment.name, Path(scratch))
        except InputError as e:
            pool.close(wait=False)
            raise click.ClickException(str(e)) from None
        try:
            summary = run_batch(entries, assignment, outdir, jobs, force, pool=pool)
        except (IsolationError, SandboxError) as e:
            raise click.ClickException(str(e)) from None
        except Interrupted:
            click.echo(f"Interrupted: finished results are kept in {outdir}; run the same command to resume.",
                       err=True)
            sys.exit(130)
    print_batch(summary, outdir)


def _batch_in_docker(image: str, source: Path, assignment_name: str | None, config_path: Path | None,
                     outdir: Path, jobs: int | None, force: bool) -> None:
    """`batch --docker`: the same batch inside one container of IMAGE, with the image's config."""
    from autograder.ship import ShipError
    from autograder.ship.docker import batch_in_docker

    if config_path is not None:
        raise click.UsageError("--config cannot be used with --docker: the image grades with its own bundled config")
    try:
        status = batch_in_docker(image, source, outdir, assignment_name, jobs, force)
    except ShipError as e:
        raise click.ClickException(str(e)) from None
    if status:
        sys.exit(status)


@main.command("gradescope-zip")
@assignment_option
@config_option
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=Path("autograder.zip"),
              show_default=True, help="Where to write the zip to upload to Gradescope.")
@click.option("--wheel", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The autograder wheel to ship (default: build one from this source tree).")
def gradescope_zip(assignment_name: str | None, config_path: Path | None, out: Path, wheel: Path | None) -> None:
    """Write Gradescope's autograder.zip for one assignment (no solutions in it)."""
    from autograder.ship import ShipError
    from autograder.ship.gradescope import write_gradescope_zip

    assignment = _assignment(config_path, assignment_name, None)
    try:
        write_gradescope_zip(assignment, out, wheel)
    except ShipError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Wrote {out}: upload it as the assignment's autograder on Gradescope (Ubuntu 22.04 base).")


@main.command()
@assignment_option
@config_option
def assign(assignment_name: str | None, config_path: Path | None) -> None:
    """Regenerate the student notebook and the reference solutions from the master notebook."""
    from autograder.assign import MasterFormatError, write_assignment

    assignment = _assignment(config_path, assignment_name, None)
    by_suffix = {p.suffix: p for p in assignment.solutions}
    if assignment.master is None or assignment.notebook is None or not {".ipynb", ".py"} <= by_suffix.keys():
        raise click.ClickException(f"{assignment.name}: `assign` needs `master`, `notebook` and an .ipynb and "
                                   "a .py in `solutions` in grading_config.yaml")
    try:
        write_assignment(assignment.master, assignment.notebook, by_suffix[".ipynb"], by_suffix[".py"])
    except MasterFormatError as e:
        raise click.ClickException(f"{assignment.master}: {e}") from None
    for path in (assignment.notebook, by_suffix[".ipynb"], by_suffix[".py"]):
        click.echo(f"Wrote {path.relative_to(assignment.root)}")


if __name__ == "__main__":
    main()
