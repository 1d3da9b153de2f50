"""`batch --ray`: a real Ray cluster of two nodes on this machine (a head and a second node, each
started with `ray start` as its own process), grades byte-identical to the local executor's apart
from timings, and a node killed mid-batch loses nothing."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("ray")

from autograder.cluster.bundle import pack_bundle, unpack_bundle  # noqa: E402
from autograder.cluster.local import LocalCluster, free_port  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "assignments" / "A2S1" / "samples"
TIMINGS = {"execution_time", "elapsed", "seconds"}  # the only fields allowed to differ between executors


@pytest.fixture
def cluster() -> Iterator[LocalCluster]:
    """A two-node Ray cluster on this machine."""
    with LocalCluster() as c:
        c.add_node()
        c.add_node()
        yield c


def _batch(source: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "batch", str(source), "-a", "A2S1", "--out", str(out),
                           *args], cwd=REPO, capture_output=True, text=True, timeout=600)


def _without_timings(data: object) -> object:
    if isinstance(data, dict):
        return {k: _without_timings(v) for k, v in data.items() if k not in TIMINGS}
    if isinstance(data, list):
        return [_without_timings(v) for v in data]
    return data


def _reports(out: Path) -> dict[str, object]:
    return {p.parent.name: _without_timings(json.loads(p.read_text())) for p in out.glob("*/report.json")}


def _scores(out: Path) -> dict[str, tuple[str, str]]:
    with open(out / "grades.csv", encoding="utf-8") as f:
        return {r["Submission"]: (r["Total Score"], r["Status"]) for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def local_samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local") / "out"
    done = _batch(SAMPLES, out, "--jobs", "2")
    assert done.returncode == 0, done.stderr
    return out


def test_bundle_round_trip_keeps_the_grade_fingerprint(a2s1, tmp_path: Path) -> None:
    node = unpack_bundle(pack_bundle(a2s1), tmp_path, "A2S1")
    assert node.fingerprint == a2s1.fingerprint and node.run_fingerprint == a2s1.run_fingerprint
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        "assignments/A2S1/checks.py", "grading_config.yaml"]  # no solutions, samples or notebooks


def test_an_unreachable_cluster_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    done = _batch(SAMPLES, tmp_path / "out", "--ray", f"127.0.0.1:{free_port()}")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and "cannot reach the Ray cluster" in done.stderr
    assert not (tmp_path / "out").exists()


def test_two_nodes_grade_as_the_local_executor_does(cluster: LocalCluster, local_samples: Path, tmp_path: Path) -> None:
    out = tmp_path / "ray"
    done = _batch(SAMPLES, out, "--ray", cluster.address)
    assert done.returncode == 0, done.stderr
    assert "graded on 2 node(s)" in done.stderr  # the batch was spread over both
    assert _scores(out) == _scores(local_samples)
    assert (out / "grades.csv").read_bytes() == (local_samples / "grades.csv").read_bytes()
    assert _reports(out) == _reports(local_samples)
    # Resumption works as today: nothing is graded again.
    again = _batch(SAMPLES, out, "--ray", cluster.address)
    assert again.returncode == 0 and "0 graded now" in again.stdout + again.stderr, again.stdout + again.stderr


def test_a_node_killed_mid_batch_loses_nothing(cluster: LocalCluster, local_samples: Path, tmp_path: Path) -> None:
    source = tmp_path / "subs"
    source.mkdir()
    originals = [p for p in sorted(SAMPLES.iterdir()) if not p.name.startswith("loops")]  # no 10 s timeouts
    copies = {}
    for i in range(8):
        for p in originals:
            name = f"c{i}_{p.name}"
            shutil.copyfile(p, source / name)
            copies[name] = p.name
    out = tmp_path / "ray"
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "batch", str(source), "-a", "A2S1", "--out", str(out),
                             "--ray", cluster.address], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 300
    while len(list(out.glob("*/report.json"))) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    cluster.kill(cluster.nodes[1])
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    assert "was lost" in stderr, stderr
    local = _scores(local_samples)
    assert _scores(out) == {copy: local[original] for copy, original in copies.items()}


def test_a_bundle_file_outside_the_bundle_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outside the bundle"):
        unpack_bundle({"../escape.py": b""}, tmp_path / "b", "A2S1")
    assert not (tmp_path / "escape.py").exists()


def test_a_node_that_cannot_grade_is_left_out_saying_why(local_samples: Path, tmp_path: Path) -> None:
    """A node below the assignment's minimum isolation grades nothing; the others grade everything,
    and with no other node the batch stops in one line."""
    strict = tmp_path / "course"
    strict.mkdir()
    for folder in ("assignments", "solutions"):
        (strict / folder).symlink_to(REPO / folder)
    text = (REPO / "grading_config.yaml").read_text()
    assert "minimum_isolation: process" in text
    (strict / "grading_config.yaml").write_text(text.replace("minimum_isolation: process", "minimum_isolation: namespace"))
    config = ["--config", str(strict / "grading_config.yaml")]
    with LocalCluster() as cluster:
        cluster.add_node(env={"AUTOGRADER_ISOLATION": "process"})  # the head: below the minimum
        good = cluster.add_node()
        done = _batch(SAMPLES, tmp_path / "out", "--ray", cluster.address, *config)
        assert done.returncode == 0, done.stderr
        assert "cannot grade: IsolationError" in done.stderr and "graded on 1 node(s)" in done.stderr, done.stderr
        assert _scores(tmp_path / "out") == _scores(local_samples)
        cluster.kill(good)
        cluster.wait_for(1)
        alone = _batch(SAMPLES, tmp_path / "again", "--ray", cluster.address, *config)
    assert alone.returncode == 1
    assert alone.stderr.strip().splitlines()[-1].startswith("Error: no Ray node can grade (7 submissions left): Ray node")


@pytest.mark.parametrize("address, problem", [("nohost", "not a Ray address"), ("host:port", "not a Ray address"),
                                              ("", "not a Ray address")])
def test_a_malformed_address_is_refused_before_connecting(address: str, problem: str) -> None:
    from autograder.cluster import ClusterError
    from autograder.cluster.executor import _reachable

    with pytest.raises(ClusterError, match=problem):
        _reachable(address)
    _reachable("auto")  # Ray finds the cluster started on this machine itself

