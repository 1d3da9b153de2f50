"""Wall time of grading one submission from the command line (target: under 3 s on 2 cores).

Usage: python bench/grade_one.py [SUBMISSION] [--runs N]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("submission", nargs="?", default=str(REPO / "solutions" / "A2S1" / "A2S1.py"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "autograder", "grade", args.submission, "-a", "A2S1",
                            "--out", f"{tmp}/results.json"], check=True, capture_output=True, cwd=REPO)
            times.append(time.perf_counter() - start)
    print(f"grade one submission via CLI ({Path(args.submission).name}, {args.runs} runs): "
          f"median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s "
          f"(target < 3 s)")


if __name__ == "__main__":
    main()
