"""Honest students first: everyday deep-learning code grades as it runs in Colab, at every isolation level.

A grade must never depend on how the grader was installed, and an honest student must never lose
points to the sandbox. tests/corpus/honest/ holds the reference solution of A2S1 with everyday code
added (an optimiser that finds an answer, DataLoader workers, temporary files, process pools,
plots, pandas and `display`, progress bars, checkpoints, long output, a Colab set-up cell...; see
its cases.yaml and tests/corpus/make_honest.py, which generates it). Each case is graded with the
real grader at every isolation level this machine offers (namespace: bubblewrap; user: student
code as another uid, needs root; process: always), one fork server per level, and must:

- score full marks, every question's explanation showing its checks passed;
- run cleanly: status "graded", no note that a statement raised or an import was skipped, no
  traceback in the student's output;
- get the same grade at every level;
- leave no process running and nothing of the student's in the machine's /tmp.

Every case also runs in plain Python as Jupyter would (tests/corpus/make_honest.py --run), so a
failure here is the grader's, not the case's. The existing A2S1 corpus must get the same
per-question scores at every level too (except cases expected.yaml marks `needs_separate_user`,
which may differ at the "process" level).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
import yaml

from autograder.assignment import Assignment, load_assignment
from autograder.grading.pipeline import grade_file
from autograder.results.explain import question_lines
from autograder.grading.report import GradeReport
from autograder.sandbox.pool import ServerPool

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "grading_config.yaml"
HONEST = ROOT / "tests" / "corpus" / "honest"
GENERATOR = ROOT / "tests" / "corpus" / "make_honest.py"
MANIFEST: dict[str, dict] = yaml.safe_load((HONEST / "cases.yaml").read_text(encoding="utf-8"))
CASES = sorted(p.name for p in HONEST.iterdir() if p.suffix in (".py", ".ipynb"))
A2S1 = ROOT / "tests" / "corpus" / "A2S1"
A2S1_EXPECTED: dict[str, dict] = yaml.safe_load((A2S1 / "expected.yaml").read_text(encoding="utf-8"))
A2S1_CASES = sorted(p.name for p in A2S1.iterdir() if p.suffix in (".py", ".ipynb"))
LEVELS = ("namespace", "user", "process")

# Notes any submission may get without having run into trouble: `!`/`%` lines are not run.
BENIGN_NOTES = (r"skipped '[!%].*' \(shell and magic lines are not run\)", r"skipped a %%\w+ cell \(not Python\)")
# What Python prints when an exception goes somewhere an honest notebook never sends one.
TROUBLE_IN_OUTPUT = ("Traceback (most recent call last)", "Exception ignored")
# The corpus's own files in /tmp (removed before each grade), and what student code may leave
# there: its explicit files, multiprocessing's pymp-* folders, anything a student uid owns.
OWN_TMP_FILES = (Path("/tmp/a2s1_attention_notes.txt"),)
STUDENT_TMP = re.compile(r"^(a2s1_.*|pymp-.*|torchinductor_uid_\d+)$")
STUDENT_UIDS = range(64000, 65000)  # launcher.DEFAULT_UID plus the slot numbers
# Files a hostile A2S1 case may forge outside its scratch folder (as tests/test_corpus.py).
FORGEABLE = (Path("/autograder/results/results.json"), Path(tempfile.gettempdir()) / "escaped_results.json")
SETTLE_SECONDS = 3.0


# --------------------------------------------------------------------------- grading at every level

@dataclass
class Graded:
    """One file graded at one level: the report (or the exception) and what the run left behind."""

    report: GradeReport | None
    error: str | None
    seconds: float
    leftovers: list[str] = field(default_factory=list)  # processes still running afterwards
    left_in_tmp: list[str] = field(default_factory=list)  # the student's files in the machine's /tmp
    written: list[str] = field(default_factory=list)  # files outside the scratch folder


class Levels:
    """One fork server per isolation level (started on first use, kept for the module), and the
    grade of every (level, file), each graded once."""

    def __init__(self, assignment: Assignment, workdir: Path) -> None:
        self.assignment = assignment
        self.workdir = workdir
        self.pools: dict[str, ServerPool] = {}
        self.unavailable: dict[str, str] = {}
        self.cache: dict[tuple[str, Path], Graded] = {}

    def pool(self, level: str) -> ServerPool:
        """The level's pool; skips the test when this machine cannot isolate at `level`."""
        if level in self.unavailable:
            pytest.skip(self.unavailable[level])
        if level not in self.pools:
            pool = ServerPool(self.assignment.preload, isolation=level)
            if pool.level != level:
                pool.close(wait=False)
                self.unavailable[level] = (f"isolation {level!r} is not available here (the grader falls back "
                                           f"to {pool.level!r}): {_why_unavailable(level)}")
                pytest.skip(self.unavailable[level])
            grade_file(self.assignment.notebook, self.assignment, False, pool)  # start-up is not timed
            self.pools[level] = pool
        return self.pools[level]

    def available(self) -> list[str]:
        levels = []
        for level in LEVELS:
            try:
                self.pool(level)
            except pytest.skip.Exception:
                continue
            levels.append(level)
        return levels

    def get(self, level: str, path: Path) -> Graded:
        if (level, path) not in self.cache:
            self.cache[(level, path)] = self._grade(self.pool(level), path)
        return self.cache[(level, path)]

    def _grade(self, pool: ServerPool, path: Path) -> Graded:
        for p in (*OWN_TMP_FILES, FORGEABLE[1]):  # stale copies from an earlier grade or run
            p.unlink(missing_ok=True)
        _remove_student_tmp(owned_only=True)
        forged = {p for p in FORGEABLE if p.exists()}
        in_tmp = _student_tmp_entries()
        running = {p.pid for p in psutil.Process().children(recursive=True)}
        cwd = os.getcwd()
        os.chdir(self.workdir)
        start = time.monotonic()
        try:
            report, error = grade_file(path, self.assignment, False, pool), None
        except Exception:  # noqa: BLE001 - recorded and asserted on, never hidden
            report, error = None, traceback.format_exc()
        finally:
            seconds = time.monotonic() - start
            os.chdir(cwd)
        graded = Graded(report, error, seconds)
        graded.leftovers = _leftover_processes(keep=running | _server_pids(self.pools.values()))
        for p in sorted(self.workdir.iterdir()):
            graded.written.append(p.name)
            shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
        for p in FORGEABLE:
            if p.exists() and p not in forged:
                graded.written.append(str(p))
                p.unlink()
        for name in sorted(_student_tmp_entries() - in_tmp):
            graded.left_in_tmp.append(f"/tmp/{name}")
            target = Path("/tmp", name)
            shutil.rmtree(target, ignore_errors=True) if target.is_dir() and not target.is_symlink() \
                else target.unlink(missing_ok=True)
        return graded

    def close(self) -> None:
        for pool in self.pools.values():
            pool.close()
        self.pools.clear()


def _why_unavailable(level: str) -> str:
    if level == "namespace":
        return "bubblewrap is not installed or cannot make namespaces here"
    if os.geteuid() != 0:
        return "student code can only run as another user when the grader runs as root"
    paths = sysconfig.get_paths()
    for key in ("stdlib", "purelib", "platlib"):
        p = os.path.realpath(paths[key])
        while p != "/" and os.stat(p).st_mode & 0o005 == 0o005:
            p = os.path.dirname(p)
        if p != "/":
            return f"other users cannot read the Python installation ({paths[key]}): {p} is not o+rx"
    return "unknown"


def _student_tmp_entries() -> set[str]:
    """Entries of the machine's /tmp that student code made: the names the corpus writes, or owned
    by a student uid (other programs on this machine use /tmp too)."""
    names = set()
    for entry in os.scandir("/tmp"):
        try:
            owner = entry.stat(follow_symlinks=False).st_uid
        except OSError:
            continue
        if STUDENT_TMP.match(entry.name) or owner in STUDENT_UIDS:
            names.add(entry.name)
    return names


def _server_pids(pools) -> set[int]:  # noqa: ANN001 - ServerPools
    """The fork servers' own processes: each pool's process and, under bubblewrap, the processes
    bwrap runs (its init and the server), but not the server's children (runs, and orphans of runs,
    which a subreaper adopts)."""
    pids = set()
    for pool in pools:
        pids.add(pool.pid)
        try:
            frontier = [psutil.Process(pool.pid)]
            while frontier:
                parent = frontier.pop()
                if parent.name() == "bwrap":
                    for child in parent.children():
                        pids.add(child.pid)
                        frontier.append(child)
        except psutil.Error:
            pass
    return pids


def _remove_student_tmp(owned_only: bool = False) -> None:
    """Remove what student code left in /tmp (`owned_only`: only what a student uid owns, which
    nothing but a grade can have made)."""
    for name in _student_tmp_entries():
        target = Path("/tmp", name)
        try:
            if owned_only and target.lstat().st_uid not in STUDENT_UIDS:
                continue
        except OSError:
            continue
        shutil.rmtree(target, ignore_errors=True) if target.is_dir() and not target.is_symlink() \
            else target.unlink(missing_ok=True)


def _leftover_processes(keep: set[int]) -> list[str]:
    """Descendants of this process not in `keep`, after a short grace; killed here so that a failing
    case does not leak them."""
    me = psutil.Process()
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        left = [p for p in me.children(recursive=True) if p.pid not in keep]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    described = []
    for p in left:
        try:
            described.append(f"pid {p.pid} {p.name()} ({p.status()}): {' '.join(p.cmdline())[:100]}")
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(left, timeout=2)
    return described


@pytest.fixture(scope="module")
def levels(tmp_path_factory: pytest.TempPathFactory):
    graders = Levels(load_assignment(CONFIG, "A2S1"), tmp_path_factory.mktemp("honest-cwd"))
    yield graders
    graders.close()
    for p in OWN_TMP_FILES:
        p.unlink(missing_ok=True)


def _report(graded: Graded) -> GradeReport:
    assert graded.error is None, f"grading raised:\n{graded.error}"
    assert graded.report is not None
    return graded.report


def _explain(report: GradeReport) -> str:
    """Everything a failure message needs: scores and explanations, notes, the end of the output."""
    lines = [f"{report.submission}: {report.score:g}/{report.max_score:g}, status {report.status()}, "
             f"isolation {report.isolation}"]
    lines += [f"  {r.question.id} = {r.score:g} [{r.cell}]: " + " | ".join(question_lines(r)) for r in report.questions]
    lines += [f"  note: {n}" for n in report.notes]
    if report.failure:
        lines.append(f"  failure: {report.failure}")
    out = report.student_output
    lines.append("  output (last 1500 characters):\n" + out[-1500:])
    return "\n".join(lines)


def _trouble_notes(report: GradeReport, case: str) -> list[str]:
    allowed = [*BENIGN_NOTES, *MANIFEST.get(case, {}).get("allowed_notes", [])]
    return [n for n in report.notes if not any(re.search(pattern, n) for pattern in allowed)]


# Level-major: all cases at one level, then the next.
HONEST_PARAMS = [pytest.param(level, case, id=f"{level}-{case}") for level in LEVELS for case in CASES]


# --------------------------------------------------------------------------- the corpus itself

def test_corpus_is_generated_and_up_to_date(tmp_path):
    """The committed corpus is exactly what tests/corpus/make_honest.py writes (regenerate it)."""
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path)], check=True, capture_output=True)
    fresh = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()}
    committed = {p.name: p.read_text(encoding="utf-8") for p in HONEST.iterdir()}
    assert sorted(committed) == sorted(fresh), "files differ: run tests/corpus/make_honest.py"
    stale = [name for name in fresh if committed[name] != fresh[name]]
    assert not stale, f"stale: {stale}; run tests/corpus/make_honest.py"
    assert set(CASES) == set(MANIFEST)
    assert any(c.endswith(".ipynb") for c in CASES) and any(c.endswith(".py") for c in CASES)


@pytest.fixture(scope="module")
def plain_runs() -> dict[str, str | None]:
    """Every case run in plain Python as Jupyter would (one process imports torch, each case runs in
    a fresh fork of it, in a folder of its own): None per case that ran cleanly with correct answers."""
    run = subprocess.run([sys.executable, str(GENERATOR), "--run", *(str(HONEST / c) for c in CASES)],
                         capture_output=True, text=True, timeout=600, cwd=tempfile.gettempdir())
    for p in OWN_TMP_FILES:
        p.unlink(missing_ok=True)
    try:
        return json.loads(run.stdout)
    except ValueError:
        pytest.fail(f"make_honest.py --run failed (exit status {run.returncode}):\n{run.stderr[-3000:]}")


@pytest.mark.parametrize("case", CASES)
def test_case_runs_in_plain_python(plain_runs: dict[str, str | None], case: str):
    """The case is honest and correct: it runs in plain Python (cells in a real __main__, `display` a
    builtin, !/% lines not run, a stub google.colab) and its answers pass the hidden checks."""
    assert plain_runs[case] is None, f"{case} fails outside the grader: {plain_runs[case]}"


# --------------------------------------------------------------------------- each case, at each level

@pytest.mark.parametrize(("level", "case"), HONEST_PARAMS)
def test_full_marks(levels: Levels, level: str, case: str):
    """(a) Full marks, and every question's explanation shows its checks passed."""
    report = _report(levels.get(level, HONEST / case))
    failed = [r.question.id for r in report.questions
              if r.score != pytest.approx(r.question.points, abs=1e-9)
              or any(line.startswith(("✗", "!")) for line in question_lines(r))
              or not any(line.startswith("✓") for line in question_lines(r))]
    assert not failed and report.score == pytest.approx(report.max_score), (
        f"{case} at level {level!r}: {report.score:g}/{report.max_score:g}, not passed: {failed}\n{_explain(report)}")


@pytest.mark.parametrize(("level", "case"), HONEST_PARAMS)
def test_runs_cleanly(levels: Levels, level: str, case: str):
    """(b) Status "graded" (or the case's own: "partial" where statements only Colab can run did
    not run), no other note of a statement that raised (or an import skipped), no traceback in the
    output: in Colab the case runs without one."""
    report = _report(levels.get(level, HONEST / case))
    status = report.status()
    trouble = _trouble_notes(report, case)
    in_output = [t for t in TROUBLE_IN_OUTPUT if t in report.student_output]
    wanted = MANIFEST.get(case, {}).get("status", "graded")
    assert status[0] == wanted and not trouble and not in_output and report.failure is None, (
        f"{case} at level {level!r} did not run cleanly: status {status}; notes: {trouble}; "
        f"in its output: {in_output}\n{_explain(report)}")


@pytest.mark.parametrize(("level", "case"), HONEST_PARAMS)
def test_leaves_nothing_behind(levels: Levels, level: str, case: str):
    """No process left running, nothing written outside the scratch folder, nothing of the
    student's left in the machine's /tmp (where the next submission, maybe as another uid, would
    find it)."""
    graded = levels.get(level, HONEST / case)
    _report(graded)
    assert graded.leftovers == [], f"{case} at level {level!r}: processes left running: {graded.leftovers}"
    assert graded.written == [], f"{case} at level {level!r}: files written outside its scratch: {graded.written}"
    assert graded.left_in_tmp == [], f"{case} at level {level!r}: left in the machine's /tmp: {graded.left_in_tmp}"


def _differences(grades: dict[str, dict[str, float]]) -> list[str]:
    """Pairs of levels whose per-question scores differ, each pair named with what differs."""
    found = []
    names = list(grades)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            diff = {q: (grades[a][q], grades[b].get(q)) for q in grades[a] if grades[a][q] != grades[b].get(q)}
            if diff:
                found.append(f"{a!r} vs {b!r}: " + ", ".join(f"{q} {x:g} vs {y:g}" for q, (x, y) in diff.items()))
    return found


def _scores(report: GradeReport) -> dict[str, float]:
    return {r.question.id: round(r.score, 6) for r in report.questions}


@pytest.mark.parametrize("case", CASES)
def test_same_grade_at_every_level(levels: Levels, case: str):
    """(c) The grade does not depend on the isolation level."""
    available = levels.available()
    grades = {level: _scores(_report(levels.get(level, HONEST / case))) for level in available}
    differ = _differences(grades)
    assert not differ, f"{case}: the grade depends on the isolation level: " + "; ".join(differ)


@pytest.mark.parametrize("level", LEVELS)
def test_runs_in_other_slots_do_not_inherit_tmp(levels: Levels, level: str):
    """Two runs of tempfiles.py, one after the other in the two slots of one fork server (so as two
    different uids where student code runs as another user): both get full marks. A file the first
    left in /tmp must not make the second fail."""
    levels.pool(level)  # skips when the level is not available
    case = HONEST / "tempfiles.py"
    for p in OWN_TMP_FILES:
        p.unlink(missing_ok=True)
    reports = []
    try:
        with ServerPool(levels.assignment.preload, jobs=2, isolation=level) as pool:
            for _ in range(2):  # the pool hands out its connections in turn: slot 0, then slot 1
                reports.append(grade_file(case, levels.assignment, False, pool))
    finally:
        for p in OWN_TMP_FILES:
            p.unlink(missing_ok=True)
        _remove_student_tmp(owned_only=True)
    for n, report in enumerate(reports, 1):
        assert report.score == pytest.approx(report.max_score) and report.status()[0] == "graded", (
            f"run {n} of tempfiles.py at level {level!r}:\n{_explain(report)}")


@pytest.mark.parametrize("level", LEVELS)
def test_no_stale_signal_wakeup_fd(levels: Levels, level: str, tmp_path: Path):
    """Behind a flaky failure of dataloader_workers.py ("Exception ignored when trying to write to the
    signal wakeup fd ... Bad file descriptor" in the student's output): student code must not inherit
    the fork server's signal wakeup descriptor. The run closes that descriptor, so the next signal
    with a Python handler (DataLoader's SIGCHLD handler, when a worker exits) writes a byte to a
    closed descriptor, or, once its number is reused, into whatever the run opened under it."""
    probe = (ROOT / "solutions" / "A2S1" / "A2S1.py").read_text(encoding="utf-8") + (
        '\n"""## Probe"""\n\nimport signal\n\nprint("wakeup fd:", signal.set_wakeup_fd(-1))\n')
    (tmp_path / "A2S1.py").write_text(probe, encoding="utf-8")
    report = _report(levels.get(level, tmp_path / "A2S1.py"))
    found = re.findall(r"wakeup fd: (-?\d+)", report.student_output)
    assert found == ["-1"], f"level {level!r}: student code starts with signal wakeup fd {found}\n{_explain(report)}"


# --------------------------------------------------------------------------- the A2S1 corpus, across levels

@pytest.mark.parametrize("case", A2S1_CASES)
def test_a2s1_corpus_same_grade_at_every_level(levels: Levels, case: str):
    """Every file of tests/corpus/A2S1 gets the same per-question scores at every level. A case that
    needs student code to run as a separate user (`needs_separate_user`) may differ at "process"."""
    available = levels.available()
    if A2S1_EXPECTED.get(case, {}).get("needs_separate_user"):
        available = [level for level in available if level != "process"]
    grades = {}
    for level in available:
        graded = levels.get(level, A2S1 / case)
        assert graded.error is None, f"{case} at level {level!r}: grading raised:\n{graded.error}"
        grades[level] = _scores(graded.report)
    differ = _differences(grades)
    assert not differ, f"{case}: the grade depends on the isolation level: " + "; ".join(differ)
