"""`batch --ray` against the local executor on the same machine, and a heavy assignment on two nodes.

1. Overhead: N mixed A2S1 submissions (bench/batch.py's mix, without its endless loop, whose 10 s
   timeout would hide the rate) graded by `autograder batch --jobs J`
   and by `autograder batch --ray` on a one-node Ray cluster of J CPUs on this machine (the same
   slots). Prints each rate over the whole batch and in steady state (from the 10th report written
   to the last: without the fixed start-up, torch's import and Ray's actor), and the Ray path's
   overhead per submission. Goal: within 10%.
2. Heavy: M copies of A2S2's solution (its training question takes the longest) on a Ray cluster of
   two nodes with J/2 CPUs each, started as separate `ray start` processes, against the local executor.

Usage: python bench/ray.py [--n 400] [--m 40] [--jobs 2] [--runs 3]   (--m 0: no heavy batch)
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from batch import generate  # noqa: E402  (bench/batch.py's mix of submissions)

from autograder.cluster.local import LocalCluster  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
A2S2_SOLUTION = REPO / "solutions" / "A2S2" / "A2S2.py"
STEADY_FROM = 10  # reports written before the steady-state clock starts


def batch(source: Path, out: Path, assignment: str, *args: str) -> tuple[float, float]:
    """Run one batch; its wall time and its steady-state seconds per submission."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "autograder", "batch", str(source), "-a", assignment,
                           "--out", str(out), "--no-variants", *args], cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"batch {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    written = sorted(p.stat().st_mtime for p in out.glob("*/report.json"))
    steady = (written[-1] - written[STEADY_FROM - 1]) / (len(written) - STEADY_FROM) if len(written) > STEADY_FROM \
        else float("nan")
    shutil.rmtree(out)
    return wall, steady


def line(label: str, n: int, wall: float, steady: float) -> str:
    return f"{label:<28} {n / wall:6.1f} submissions/s over the batch ({wall:5.1f} s), " \
           f"{1 / steady:6.1f}/s in steady state ({steady * 1000:5.1f} ms each)"


def overhead(tmp: Path, n: int, jobs: int, runs: int) -> None:
    subs = tmp / "a2s1"
    subs.mkdir()
    generate(subs, n)
    for loop in subs.glob("*_loop_*"):
        loop.unlink()
    with LocalCluster() as cluster:
        cluster.add_node(cpus=jobs)
        times: dict[str, list[tuple[float, float]]] = {"local": [], "ray": []}
        for _ in range(runs):  # alternated: this VM's speed drifts
            times["local"].append(batch(subs, tmp / "out", "A2S1", "--jobs", str(jobs)))
            times["ray"].append(batch(subs, tmp / "out", "A2S1", "--ray", cluster.address, "--jobs", str(jobs)))
    best = {k: (min(w for w, _ in v), min(s for _, s in v)) for k, v in times.items()}
    n = len(list(subs.iterdir()))
    print(f"overhead: {n} A2S1 submissions, --jobs {jobs}, best of {runs} runs each")
    print("  " + line("local executor:", n, *best["local"]))
    print("  " + line("Ray, one node on this box:", n, *best["ray"]))
    (lw, ls), (rw, rs) = best["local"], best["ray"]
    print(f"  Ray path: {(rs - ls) * 1000:+.1f} ms per submission in steady state ({(rs / ls - 1) * 100:+.0f}%), "
          f"{(rw / lw - 1) * 100:+.0f}% over the whole batch (goal: within 10%)")


def heavy(tmp: Path, m: int, jobs: int) -> None:
    subs = tmp / "a2s2"
    subs.mkdir()
    for i in range(m):
        shutil.copyfile(A2S2_SOLUTION, subs / f"s{i:03d}_A2S2.py")
    local = batch(subs, tmp / "out", "A2S2", "--jobs", str(jobs))
    with LocalCluster() as cluster:
        for _ in range(2):
            cluster.add_node(cpus=max(1, jobs // 2))
        ray = batch(subs, tmp / "out", "A2S2", "--ray", cluster.address)
    print(f"heavy: {m} copies of A2S2's solution (it trains a search engine)")
    print("  " + line(f"local executor, --jobs {jobs}:", m, *local))
    print("  " + line(f"Ray, 2 nodes x {max(1, jobs // 2)} CPU:", m, *ray))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--m", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3, help="runs of each executor, alternated (the best counts)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        overhead(Path(tmp), args.n, args.jobs, args.runs)
        if args.m:
            heavy(Path(tmp), args.m, args.jobs)


if __name__ == "__main__":
    main()
