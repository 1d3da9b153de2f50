"""A Ray cluster on this machine: a head and more nodes, each a `ray start --block` process of its
own, as on separate machines (to try `batch --ray`, and for the tests and the bench).

Each node can be killed alone, as a machine failure would: its raylet, its workers and their children.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

# Lost nodes are noticed in about a second instead of Ray's default fifteen.
FAST_HEALTH = {"RAY_health_check_period_ms": "500", "RAY_health_check_failure_threshold": "2",
               "RAY_health_check_timeout_ms": "500"}
OBJECT_STORE = 80_000_000  # bytes per node: submissions and reports are small


class LocalCluster:
    """`with LocalCluster() as c: c.add_node(cpus=1); ... c.address`: the head is the first node."""

    def __init__(self) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.temp = tempfile.mkdtemp(prefix="rt", dir="/tmp")  # short: Ray's socket paths must fit
        self.nodes: list[subprocess.Popen] = []

    def add_node(self, cpus: int = 1, env: dict[str, str] | None = None, timeout: float = 90) -> subprocess.Popen:
        """Start a node (the head first) with `cpus` CPUs (its processes with `env` added) and wait
        until the cluster has it."""
        head = not self.nodes
        where = ["--head", f"--port={self.port}", "--include-dashboard=false"] if head else [f"--address={self.address}"]
        ray = Path(sys.executable).with_name("ray")
        proc = subprocess.Popen([str(ray), "start", *where, f"--num-cpus={cpus}", f"--object-store-memory={OBJECT_STORE}",
                                 "--disable-usage-stats", f"--temp-dir={self.temp}", "--block"],
                                env={**os.environ, **FAST_HEALTH, **(env or {})}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        self.nodes.append(proc)
        self.wait_for(sum(p.poll() is None for p in self.nodes), timeout)
        return proc

    def wait_for(self, alive: int, timeout: float = 90) -> None:
        """Wait until the cluster has `alive` live nodes."""
        script = ("import ray, logging; ray.init(address=%r, logging_level=logging.ERROR); "
                  "print(sum(n['Alive'] for n in ray.nodes()))" % self.address)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
            if out.returncode == 0 and out.stdout.strip() == str(alive):
                return
            time.sleep(0.5)
        raise RuntimeError(f"the Ray cluster at {self.address} did not reach {alive} live nodes in {timeout:g} s")

    def kill(self, node: subprocess.Popen) -> None:
        """Kill a node at once: its `ray start`, raylet, workers and their children."""
        try:
            tree = [psutil.Process(node.pid), *psutil.Process(node.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            tree = []
        for process in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        node.wait()

    def close(self) -> None:
        for node in reversed(self.nodes):
            if node.poll() is None:
                self.kill(node)
        shutil.rmtree(self.temp, ignore_errors=True)

    def __enter__(self) -> LocalCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def free_port() -> int:
    """A TCP port of this machine nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
