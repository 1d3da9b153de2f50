"""The grader kills what the sandbox leaves behind, never its own other processes (a browser driven
by the same program, a cluster's agent)."""
from __future__ import annotations

import subprocess

from autograder.grading.pipeline import grade_file
from autograder.sandbox.pool import ServerPool


def test_closing_a_server_spares_the_graders_own_children(a2s1, tmp_path):
    own = subprocess.Popen(["sleep", "60"])
    try:
        sub = tmp_path / "A2S1.py"
        sub.write_text(a2s1.solutions[1].read_text())
        with ServerPool(a2s1.preload) as pool:
            assert grade_file(sub, a2s1, pool=pool).score == 6
        assert own.poll() is None, "the grader killed a process of its own caller"
    finally:
        own.kill()
        own.wait()
