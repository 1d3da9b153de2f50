"""Batch grading throughput: `autograder batch` versus a fresh `autograder grade` per submission.

Generates N mixed A2S1 submissions (correct, partly wrong, broken, notebooks, and one
that loops forever), grades them all with `autograder batch`, grades a sample with one
fresh `autograder grade` process each, and prints submissions per second for both,
their ratio, how long the course report written at the batch's end takes, the peak memory of
the batch's whole process tree, and how long `import torch` takes (this VM's speed varies from
hour to hour: read the figures against it).

Usage: python bench/batch.py [--n 1000] [--jobs 2] [--fresh-sample 8]
Targets (2 cores): >= 40 submissions/s, < 1.5 GB in all, the course report <= 2 s.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
SOLUTION = (REPO / "solutions" / "A2S1" / "A2S1.py").read_text()
NOTEBOOK = json.loads((REPO / "solutions" / "A2S1" / "A2S1.ipynb").read_text())

VARIANTS = {
    "correct": lambda s: s,
    "wrong_121": lambda s: s.replace("query121 = 1e5 *", "query121 = 1 *"),
    "blank_142": lambda s: s.replace("m_key[2] = query132[0]", "m_key[2] ="),
    "raises_131": lambda s: s.replace("query131 = 1e-2 * key.mean(0, keepdim=True)",
                                      "query131 = 1e-2 * key.mean(0, keepdim=True)\nraise ValueError('oops')"),
    "partial_122": lambda s: s.replace("query122 = 1e5 * key", "query122 = 1e5 * key[[0, 1, 2, 0]]"),
    "missing_import": lambda s: s.replace("import torch\n", "import d2l\nimport torch\n", 1),
}
LOOP = lambda s: s.replace("query131 = 1e-2", "while True:\n    pass\nquery131 = 1e-2")  # noqa: E731


def generate(folder: Path, n: int) -> None:
    names = list(VARIANTS)
    for i in range(n):
        if i == n // 2:
            (folder / f"s{i:04d}_loop_A2S1.py").write_text(LOOP(SOLUTION))
        elif i % 10 == 9:
            (folder / f"s{i:04d}_A2S1.ipynb").write_text(json.dumps(NOTEBOOK))
        else:
            name = names[i % len(names)]
            (folder / f"s{i:04d}_{name}_A2S1.py").write_text(VARIANTS[name](SOLUTION))


def peak_memory(proc: subprocess.Popen, stop: threading.Event, out: list[int]) -> None:
    """Poll the total RSS of the process tree (proportional set size would be smaller)."""
    root = psutil.Process(proc.pid)
    peak = 0
    while not stop.is_set():
        try:
            procs = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_full_info().pss for p in procs if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.2)
    out.append(peak)


def course_report_time(out: Path) -> tuple[float, float]:
    """Seconds (wall clock, then this process's CPU) to write the course report as a batch does at its
    end: what the batch has not imported yet (matplotlib), reading every report, the plots, the page
    and the score imports. On a busy machine the CPU figure is the one that stays comparable."""
    from autograder.assignment import load_assignment
    from autograder.batch import sheet  # noqa: F401  (every batch has imported it)

    assignment = load_assignment(REPO / "grading_config.yaml", "A2S1")
    wall, cpu = time.perf_counter(), time.process_time()
    from autograder.course.write import write_course_report

    write_course_report(out, assignment)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--fresh-sample", type=int, default=8)
    parser.add_argument("--no-variants", action="store_true",
                        help="grade without the variant runs (answers that only fit the given data): their cost")
    args = parser.parse_args()
    cli = [sys.executable, "-m", "autograder"]
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    torch_time = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        subs, out = Path(tmp) / "subs", Path(tmp) / "out"
        subs.mkdir()
        generate(subs, args.n)

        start = time.perf_counter()
        variants = ["--no-variants"] if args.no_variants else ["--variants"]
        proc = subprocess.Popen([*cli, "batch", str(subs), "-a", "A2S1", "--out", str(out), "--jobs", str(args.jobs),
                                 *variants], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stop, peak = threading.Event(), []
        watcher = threading.Thread(target=peak_memory, args=(proc, stop, peak))
        watcher.start()
        proc.wait()
        batch_time = time.perf_counter() - start
        stop.set()
        watcher.join()
        if proc.returncode != 0:
            sys.exit(f"batch failed with exit code {proc.returncode}")
        rows = (out / "grades.csv").read_text().count("\n") - 1
        report_wall, report_cpu = course_report_time(out)
        isolation = json.loads(next(out.glob("*/results.json")).read_text())["extra_data"]["isolation"]

        sample = sorted(subs.iterdir())[: args.fresh_sample]
        start = time.perf_counter()
        for path in sample:
            subprocess.run([*cli, "grade", str(path), "-a", "A2S1", "--out", f"{tmp}/one.json"], cwd=REPO,
                           check=True, capture_output=True)
        fresh_time = time.perf_counter() - start

    batch_rate = args.n / batch_time
    fresh_rate = len(sample) / fresh_time
    print(f"batch:  {args.n} submissions ({rows} rows in grades.csv) in {batch_time:.1f} s "
          f"= {batch_rate:.1f} submissions/s with --jobs {args.jobs} {variants[0]} (target >= 40/s without variants, "
          f"each variant one more run); isolation: {isolation}")
    print(f"fresh:  {len(sample)} submissions, one `autograder grade` each, in {fresh_time:.1f} s "
          f"= {fresh_rate:.2f} submissions/s")
    print(f"ratio:  batch is {batch_rate / fresh_rate:.0f}x faster")
    print(f"report: the course report (report.html and the score imports) of {args.n} submissions again, as the "
          f"batch writes it at its end, in {report_wall:.2f} s ({report_cpu:.2f} s of CPU; target <= 2 s)")
    print(f"memory: peak {peak[0] / 1024**2:.0f} MB (PSS of the batch's process tree; target < 1536 MB)")
    print(f"machine: `import torch` took {torch_time:.2f} s (about 2.0 s on a quiet 2-core machine of this kind; "
          "slower means every figure above is too)")


if __name__ == "__main__":
    main()
