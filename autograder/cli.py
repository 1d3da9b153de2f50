"""The `autograder` command line: one subcommand per job."""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import click

from typing import TYPE_CHECKING

from autograder.integrity import DEFAULT_THRESHOLD
from autograder.results.text import printable

if TYPE_CHECKING:
    from autograder.assignment import Assignment
    from autograder.batch.discover import Entry
    from autograder.batch.executor import Executor
    from autograder.grading.report import GradeReport

# Most assignments import torch: the fork server starts importing it while the grader loads.
SPECULATIVE_PRELOAD = ("torch",)
GRADER_FAILED = 3  # exit status of `grade` and `check` when the grader itself failed on the submission
MAX_WARNINGS = 10  # warnings about the batch input printed (the rest are counted)

config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                             help="grading_config.yaml to use (default: $AUTOGRADER_CONFIG, the nearest one "
                                  "upwards, or the one of the checkout the grader was installed from).")
# A path to read: checked by `readable_input` once the config is known to be usable (click's own
# check would be a multi-line usage message).
input_path = click.Path(path_type=Path, readable=False)
assignment_option = click.option("--assignment", "-a", "assignment_name",
                                 help="Assignment name, e.g. A2S1 (default: guessed from the file name).")


class InputPathError(click.ClickException):
    """A path given on the command line that cannot be read: a usage error (nothing is written)."""

    exit_code = 2


def readable_input(path: Path) -> Path:
    """`path` if it is a file or folder this user can read, else an InputPathError saying why."""
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            os.scandir(path).close()
        elif stat.S_ISREG(mode):
            os.close(os.open(path, os.O_RDONLY))
        else:
            raise InputPathError(f"{printable(str(path))}: not a file or a folder")
    except OSError as e:
        raise InputPathError(f"{printable(str(path))}: cannot read it ({e.strerror})") from None
    return path


def _assignment(config_path: Path | None, name: str | None, submission: Path | None,
                checks: bool = True) -> Assignment:
    """The assignment, with its hidden checks loaded unless `checks` is False (`check` needs none)."""
    from autograder.assignment import find_config, load_assignment
    from autograder.config import ConfigError

    try:
        assignment = load_assignment(find_config(config_path), name, submission)
        if checks:
            _ = assignment.registry
        return assignment
    except ConfigError as e:
        raise click.ClickException(str(e)) from None


def _grade(submission: Path, name: str | None, config_path: Path | None,
           public_only: bool) -> tuple[GradeReport, bool]:
    """Grade one file, or the file `pick_submission` chooses in a folder; the fork server starts
    importing torch before the grader has loaded. Also True if the grader itself failed: the report
    is then a zero saying so."""
    from autograder.sandbox.launcher import IsolationError
    from autograder.sandbox.pool import ServerPool

    assignment = None
    try:
        with ServerPool(SPECULATIVE_PRELOAD) as pool:
            from autograder.batch.pick import nothing_to_grade, pick_submission
            from autograder.grading.pipeline import grade_file, unreadable

            assignment = _assignment(config_path, name, submission, checks=not public_only)
            readable_input(submission)
            pool.preload_more(assignment.preload)
            path = pick_submission(submission, assignment.name) if submission.is_dir() else submission
            if path is None:
                return unreadable(assignment, submission.name, nothing_to_grade(submission), public_only), False
            return grade_file(path, assignment, public_only, pool), False
    except IsolationError as e:
        raise click.ClickException(str(e)) from None
    except click.ClickException:
        raise
    except Exception as e:  # the grader's own failure: still a result for this submission, saying so
        from autograder.results.failure import failure_report

        assignment = assignment or _assignment(config_path, name, submission, not public_only)  # the pool failed first
        return failure_report(assignment, readable_input(submission).name, e, public_only), True


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="autograder")
def main() -> None:
    """Grade deep-learning notebook assignments in isolation, with explained results."""


@main.command()
@click.argument("submission", type=input_path)
@assignment_option
@config_option
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=Path("results.json"),
              show_default=True, help="Where to write Gradescope's results.json.")
@click.option("--verbose", "-v", is_flag=True, help="Show each question's explanation in the table.")
def grade(submission: Path, assignment_name: str | None, config_path: Path | None, out: Path, verbose: bool) -> None:
    """Grade one SUBMISSION (a .py or .ipynb, or a folder holding one) and write results.json."""
    from autograder.batch.sheet import write_outputs
    from autograder.results.table import print_report

    report, failed = _grade(submission, assignment_name, config_path, public_only=False)
    try:
        write_outputs(report, out.parent, out.name)
    except OSError as e:
        raise click.ClickException(f"cannot write {out}: {e.strerror}") from None
    print_report(report, verbose=verbose)
    click.echo(f"Wrote {out}")
    if failed:
        sys.exit(GRADER_FAILED)


@main.command()
@click.argument("submission", type=input_path)
@assignment_option
@config_option
def check(submission: Path, assignment_name: str | None, config_path: Path | None) -> None:
    """Run only the public checks on SUBMISSION (what a student can run before handing in)."""
    from autograder.results.table import print_report

    from autograder.results.table import print_check_summary

    report, failed = _grade(submission, assignment_name, config_path, public_only=True)
    print_report(report)
    print_check_summary(report)
    if failed:
        sys.exit(GRADER_FAILED)
    if any(q.failed_parts for q in report.questions):
        sys.exit(1)


@main.command()
@click.argument("source", type=input_path)
@assignment_option
@config_option
@click.option("--out", "-o", "outdir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for <submission>/results.json, grades.csv and the course report.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Submissions graded at once (default: number of CPUs).")
@click.option("--force", is_flag=True, help="Regrade submissions that already have complete results.")
@click.option("--variants/--no-variants", default=True, show_default=True,
              help="Also run each submission on fresh instances of the data (the config's `variants`) to find "
                   "answers that only fit the given data; never changes a grade.")
@click.option("--docker", "image", metavar="IMAGE",
              help="Grade inside one container of IMAGE (no network, SOURCE read-only), with its bundled config.")
@click.option("--ray", "ray_address", metavar="ADDRESS",
              help="Grade on the Ray cluster at ADDRESS (host:port, or auto), one actor per node running "
                   "--jobs submissions at once (default: the node's CPUs). Needs autograder[ray].")
def batch(source: Path, assignment_name: str | None, config_path: Path | None, outdir: Path, jobs: int | None,
          force: bool, variants: bool, image: str | None, ray_address: str | None) -> None:
    """Grade every submission in SOURCE (a folder, or Gradescope's export zip) into OUTDIR."""
    if image is not None:
        if ray_address is not None:
            raise click.UsageError("--docker and --ray cannot be combined (Ray nodes run the image themselves)")
        readable_input(source)
        _batch_in_docker(image, source, assignment_name, config_path, outdir, jobs, force)
        return
    import tempfile

    from autograder.batch.discover import InputError, discover
    from autograder.batch.run import Interrupted, run_batch
    from autograder.course.roster import write_roster
    from autograder.batch.slots import workers
    from autograder.cluster import ClusterError
    from autograder.sandbox.launcher import IsolationError, SandboxError
    from autograder.sandbox.pool import ServerPool
    from autograder.results.summary import print_batch

    pool = None
    if ray_address is None:
        jobs = jobs or os.cpu_count() or 1
        pool = ServerPool(SPECULATIVE_PRELOAD, workers(jobs), batch=True)  # imports torch while the grader loads
    try:
        assignment = _assignment(config_path, assignment_name, None)
        readable_input(source)
        executor = _ray_executor(assignment, ray_address, jobs, variants) if ray_address is not None else None
    except BaseException:
        if pool is not None:
            pool.close(wait=False)
        raise
    with tempfile.TemporaryDirectory(prefix="autograder-batch-") as scratch:
        try:
            found = discover(source, assignment.name, Path(scratch))
        except InputError as e:
            if pool is not None:
                pool.close(wait=False)
            raise click.ClickException(str(e)) from None
        for warning in found.warnings[:MAX_WARNINGS]:
            click.echo(f"Warning: {printable(warning)}", err=True)
        if len(found.warnings) > MAX_WARNINGS:
            click.echo(f"Warning: and {len(found.warnings) - MAX_WARNINGS} more like these", err=True)
        try:
            summary = run_batch(found.entries, assignment, outdir, jobs or 1, force, pool=pool, variants=variants,
                                executor=executor)
        except (IsolationError, SandboxError, ClusterError) as e:
            raise click.ClickException(str(e)) from None
        except OSError as e:
            raise click.ClickException(f"cannot write the results in {outdir}: {e.strerror or e}") from None
        except Interrupted:
            write_roster(found.entries, outdir)
            click.echo(f"Interrupted: finished results are kept in {outdir}; run the same command to resume "
                       f"(or `autograder report {outdir}` for the course report).", err=True)
            sys.exit(130)
    print_batch(summary, outdir)
    from autograder.course.write import CourseError

    try:
        _course_report(outdir, assignment, found.entries)
    except CourseError as e:
        click.echo(f"No course report: {e}", err=True)


@main.command()
@click.argument("outdir", type=input_path)
@assignment_option
@config_option
def report(outdir: Path, assignment_name: str | None, config_path: Path | None) -> None:
    """Write the course report (OUTDIR/report.html) and the Gradescope and Canvas score imports from a
    batch's OUTDIR (with -a or --config: the questions and title of that config)."""
    from autograder.course.write import CourseError

    assignment = None
    if assignment_name or config_path:
        assignment = _assignment(config_path, assignment_name, None, checks=False)
    readable_input(outdir)
    try:
        _course_report(outdir, assignment)
    except CourseError as e:
        raise InputPathError(str(e)) from None


@main.command()
@click.argument("source", type=input_path)
@assignment_option
@config_option
@click.option("--out", "-o", "outdir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The batch's OUTDIR: its reports give the answers; integrity.html, .csv and .json go there.")
@click.option("--earlier", multiple=True, type=input_path,
              help="A folder (or export zip) of an earlier term's submissions to compare with; repeatable.")
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True), default=DEFAULT_THRESHOLD, show_default=True,
              help="Share of one submission's own code found in another's that flags the pair.")
@click.option("--boilerplate", multiple=True, type=input_path,
              help="A .py/.ipynb of code handed out to students, left out like the notebook; repeatable.")
def integrity(source: Path, assignment_name: str | None, config_path: Path | None, outdir: Path,
              earlier: tuple[Path, ...], threshold: float, boilerplate: tuple[Path, ...]) -> None:
    """Pairs of submissions in SOURCE alike in code or in unusual answer values, for a person to review
    (never a grade): OUTDIR/integrity.html, integrity.csv and integrity.json."""
    from autograder.integrity import IntegrityError
    from autograder.integrity.run import check_integrity

    assignment = _assignment(config_path, assignment_name, None, checks=False)
    for path in (source, *earlier, *boilerplate):
        readable_input(path)
    try:
        written = check_integrity(source, assignment, outdir, list(earlier), threshold, list(boilerplate))
    except IntegrityError as e:
        raise click.ClickException(printable(str(e))) from None
    except OSError as e:
        raise click.ClickException(f"cannot write in {printable(str(outdir))}: {e.strerror or e}") from None
    for line in written.lines():
        click.echo(printable(line))
    if any(outdir.glob("*/report.json")):  # the course report shows the pairs beside the grades
        _course_report(outdir, assignment)


def _course_report(outdir: Path, assignment: Assignment | None, entries: list[Entry] | None = None) -> None:
    """Write the course report and the score imports into OUTDIR (after a batch, its roster first), and say where."""
    from autograder.course.roster import write_roster
    from autograder.course.write import write_course_report

    try:
        if entries is not None:
            write_roster(entries, outdir)
        written = write_course_report(outdir, assignment)
    except OSError as e:
        raise click.ClickException(f"cannot write the course report in {printable(str(outdir))}: "
                                   f"{e.strerror or e}") from None
    for line in written.lines():
        click.echo(line)


def _ray_executor(assignment: Assignment, address: str, jobs: int | None, variants: bool) -> Executor:
    """The executor of `batch --ray`; a one-line error without Ray installed."""
    try:
        from autograder.cluster.executor import RayExecutor
    except ImportError as e:
        if e.name is None or not e.name.startswith("ray"):
            raise
        raise click.ClickException("--ray needs Ray: pip install 'autograder[ray]'") from None
    from autograder.cluster import ClusterError

    try:
        return RayExecutor(assignment, address, jobs, variants)
    except ClusterError as e:
        raise click.ClickException(str(e)) from None


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
def validate(assignment_name: str | None, config_path: Path | None) -> None:
    """Check an assignment is ready: solutions full marks, blank notebook zero, prompts found, points agree."""
    from autograder.assign.validate import validate as findings_of
    from autograder.sandbox.pool import ServerPool

    assignment = _assignment(config_path, assignment_name, None)
    with ServerPool(assignment.preload) as pool:
        findings = findings_of(assignment, pool)
    for finding in findings:
        click.echo(f"✗ {printable(str(finding))}")
    if findings:
        raise click.ClickException(f"{assignment.name}: {len(findings)} problem(s); fix them before handing it out")
    click.echo(f"✓ {assignment.name}: the solutions score full marks, the blank notebook zero, every prompt is "
               "found and the points agree")


@main.command()
@click.argument("outdir", type=input_path)
@assignment_option
@config_option
@click.option("--merge", "sheet", type=click.Path(dir_okay=False, path_type=Path),
              help="A filled-in written_scores.csv to merge into the batch's results.")
def written(outdir: Path, assignment_name: str | None, config_path: Path | None, sheet: Path | None) -> None:
    """Written answers of a batch in OUTDIR: a page and a scores sheet for TAs, or --merge their scores."""
    from autograder.manual.merge import merge_scores, write_written
    from autograder.manual.scores import ScoresError

    assignment = _assignment(config_path, assignment_name, None, checks=False)
    readable_input(outdir)
    if not any(q.is_written for q in assignment.questions):
        raise click.ClickException(f"{assignment.name} has no written questions (answer: {{written: true}})")
    try:
        if sheet is not None:
            changed = merge_scores(outdir, assignment, readable_input(sheet))
            click.echo(f"Merged: {changed} submission(s) changed; {outdir / 'grades.csv'} rewritten")
        for path in write_written(outdir, assignment):
            click.echo(f"Wrote {path}")
    except ScoresError as e:
        raise click.ClickException(str(e)) from None
    except OSError as e:
        raise click.ClickException(f"cannot write in {outdir}: {e.strerror or e}") from None


@main.command("student-kit")
@assignment_option
@config_option
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the kit into.")
def student_kit(assignment_name: str | None, config_path: Path | None, out: Path) -> None:
    """Write what students need to run `autograder check`: the config without hidden checks, and the notebook."""
    from autograder.ship.bundle import write_student_kit

    assignment = _assignment(config_path, assignment_name, None, checks=False)
    try:
        written = write_student_kit(assignment, out)
    except OSError as e:
        raise click.ClickException(f"cannot write {out}: {e.strerror or e}") from None
    for path in written:
        click.echo(f"Wrote {path}")
    click.echo(f"Students run: autograder check {assignment.name}.py --config {out / 'grading_config.yaml'}")


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
