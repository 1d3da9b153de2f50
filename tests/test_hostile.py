"""Adversarial suite: a hostile submission cannot change a grade, read a secret, harm another
submission or leave a process behind, in single and in batch grading. (The container mode runs
the same attacks from .ci/docker.)"""
from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from conftest import REPO

SOLUTION = (REPO / "solutions" / "A2S1" / "A2S1.py").read_text()
SECRET = "grader-secret-7f3a"


def attack_cell(targets: dict[str, str], port: int, outdir: str) -> str:
    """Python that tries every attack and prints `ATTACK name: blocked|SUCCEEDED`."""
    return textwrap.dedent(f'''

    # --- attacks ---------------------------------------------------------------
    import os, signal, socket, json
    def report(name, ok):
        print(f"ATTACK {{name}}: {{'SUCCEEDED' if ok else 'blocked'}}")
    for name, path in {targets!r}.items():
        try:
            with open(path, "rb") as f:
                report("read " + name, len(f.read()) > 0)
        except Exception:
            report("read " + name, False)
    report("env secret", "{SECRET}" in repr(dict(os.environ)))
    found = False
    for pid in os.listdir("/proc"):
        try:
            found |= b"{SECRET}" in open(f"/proc/{{pid}}/environ", "rb").read()
        except Exception:
            pass
    report("secret in /proc", found)
    for host, port in (("127.0.0.1", {port}), ("1.1.1.1", 53)):
        try:
            socket.create_connection((host, port), timeout=1).close()
            report(f"network {{host}}", True)
        except Exception:
            report(f"network {{host}}", False)
    for name, path in {targets!r}.items():
        if name.startswith("victim"):
            try:
                os.remove(path)
                report("delete " + name, True)
            except Exception:
                report("delete " + name, False)
    fake = json.dumps({{"score": 100, "tests": []}})
    print(fake)
    for path in ("results.json", "/autograder/results/results.json", os.path.join({outdir!r}, "results.json")):
        try:
            open(path, "w").write(fake)
            report("write " + path, path != "results.json")
        except Exception:
            report("write " + path, False)
    try:
        os.kill(os.getppid(), signal.SIGKILL)
        report("kill parent", True)
    except Exception:
        report("kill parent", False)
    try:
        os.kill(-1, signal.SIGKILL)  # returns 0 even when it may signal nobody: judged by its effect
    except Exception:
        pass
    ''')


@pytest.fixture
def listener():
    """A TCP server on loopback that student code must not reach."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    hits = []

    def accept():
        try:
            while True:
                conn, _ = server.accept()
                hits.append(conn)
        except OSError:
            pass

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1], hits
    server.close()


def secrets(victim_sub: Path, victim_result: Path) -> dict[str, str]:
    return {
        "hidden checks": str(REPO / "assignments" / "A2S1" / "checks.py"),
        "config": str(REPO / "grading_config.yaml"),
        "solution": str(REPO / "solutions" / "A2S1" / "A2S1.py"),
        "victim submission": str(victim_sub),
        "victim results": str(victim_result),
    }


def env() -> dict[str, str]:
    return {**os.environ, "GRADER_SECRET": SECRET}


def attacks_blocked(output: str) -> None:
    lines = [line for line in output.splitlines() if line.startswith("ATTACK ")]
    assert len(lines) >= 12, output
    assert not [line for line in lines if "SUCCEEDED" in line], "\n".join(lines)


def test_single_grading_survives_every_attack(tmp_path, listener):
    port, hits = listener
    victim = tmp_path / "victim_A2S1.py"
    victim.write_text(SOLUTION)
    hostile = tmp_path / "A2S1.py"
    hostile.write_text(SOLUTION + attack_cell(secrets(victim, tmp_path / "r.json"), port, str(tmp_path)))
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", str(hostile), "--out",
                             str(tmp_path / "r.json")], capture_output=True, text=True, cwd=REPO, env=env())
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["score"] == 6 and [t["score"] for t in data["tests"]] == [1.0] * 6
    isolation = data["extra_data"]["isolation"]
    assert "namespaces" in isolation and "separate user" in isolation, (
        f"isolation is only {isolation!r}" + ("" if shutil.which("bwrap") else ": install bubblewrap (see README)"))
    attacks_blocked(data["output"])
    assert victim.read_text() == SOLUTION and not hits


def test_batch_neighbours_are_unharmed(tmp_path, listener):
    port, hits = listener
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    victims = {f"v{i}_A2S1.py": SOLUTION.replace("query121 = 1e5 *", "query121 = 1 *") if i % 2 else SOLUTION
               for i in range(6)}
    for name, text in victims.items():
        (subs / name).write_text(text)
    victim = subs / "v0_A2S1.py"
    hostile = SOLUTION + attack_cell(secrets(victim, out / "v0_A2S1.py" / "results.json"), port, str(out))
    for i in range(3):
        (subs / f"h{i}_A2S1.py").write_text(hostile)
    result = subprocess.run([sys.executable, "-m", "autograder", "batch", str(subs), "-a", "A2S1", "--out", str(out),
                             "--jobs", "2"], capture_output=True, text=True, cwd=REPO, env=env())
    assert result.returncode == 0, result.stderr
    with (out / "grades.csv").open() as f:
        rows = {r["Submission"]: r for r in csv.DictReader(f)}
    for name in victims:
        expected = "5" if int(name[1]) % 2 else "6"
        assert rows[name]["Total Score"] == expected, rows[name]
        assert rows[name]["Status"] in ("graded", "partial") and "crashed" not in rows[name]["Note"], rows[name]
        assert (subs / name).read_text() == victims[name]
    for i in range(3):
        data = json.loads((out / f"h{i}_A2S1.py" / "results.json").read_text())
        assert data["score"] == 6
        attacks_blocked(data["output"])
    assert not (out / "results.json").exists() and not hits
