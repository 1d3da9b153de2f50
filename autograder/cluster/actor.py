"""The node's side of a cluster batch: one long-lived actor per node owning that node's `Node`
(fork-server pool and slots), built from the grading bundle the driver sends as files (bytes).

Everything crossing to the driver is plain data: submissions arrive as (file name, bytes), reports
leave as JSON text. A problem of the node (its isolation is below the assignment's minimum, the
bundle does not load) is reported by `ready`, never raised, so that the driver can say which node.
"""
from __future__ import annotations

import json
import socket
import tempfile
import traceback
from pathlib import Path

from autograder import __version__
from autograder.batch.node import Node
from autograder.batch.slots import workers
from autograder.cluster.bundle import unpack_bundle
from autograder.grading.pipeline import prepare_bytes
from autograder.grading.record import report_to_dict
from autograder.sandbox.launcher import require_isolation
from autograder.sandbox.pool import ServerPool
from autograder.sandbox.private_fs import runs_get_namespaces


class NodeUnsafe(Exception):
    """Student code on this node would reach its network."""


def _require_no_network(level: str) -> None:
    """A node has a network (the cluster's own control plane on it): its runs must each get a network
    namespace of their own, as bubblewrap gives and as root (in a container: CAP_SYS_ADMIN) allows."""
    if level != "namespace" and not runs_get_namespaces():
        raise NodeUnsafe("student code would reach this node's network (and the Ray cluster on it): run the "
                         "node as root with bubblewrap, or in the image with --cap-add SYS_ADMIN (see README)")


class NodeGrader:
    """Grades submissions of one assignment on this node, `jobs` at a time."""

    def __init__(self, bundle: dict[str, bytes], name: str, jobs: int, variants: bool) -> None:
        self.jobs, self.problem, self.node = jobs, None, None
        self._scratch = tempfile.TemporaryDirectory(prefix="autograder-node-")
        try:
            assignment = unpack_bundle(bundle, Path(self._scratch.name) / "bundle", name)
            pool = ServerPool(assignment.preload, workers(jobs), batch=True)
            try:
                require_isolation(pool.level, assignment.minimum_isolation)
                _require_no_network(pool.level)
            except Exception:
                pool.close(wait=False)
                raise
            self.node = Node(assignment, pool, jobs, variants)
        except Exception as e:  # said by `ready`
            self.problem = f"{type(e).__name__}: {e}"

    def ready(self) -> dict:
        """Who this node is and whether it can grade: host, version, jobs, problem."""
        return {"host": socket.gethostname(), "version": __version__, "jobs": self.jobs, "problem": self.problem}

    def grade(self, filename: str, data: bytes) -> dict:
        """Grade one submission: {"report": JSON text} or {"error": what failed in the grader}."""
        if self.node is None:
            return {"error": f"this node cannot grade: {self.problem}"}
        try:
            report = self.node.grade(prepare_bytes(data, filename, self.node.assignment))
            if report is None:
                return {"error": "the node was stopped"}
            return {"report": json.dumps(report_to_dict(report), ensure_ascii=False, allow_nan=True)}
        except Exception as e:  # a grader bug costs this submission, not the node
            return {"error": "".join(traceback.format_exception_only(type(e), e)).strip()}

    def close(self) -> None:
        """Kill the runs in progress and stop the pool (the actor is then killed)."""
        if self.node is not None:
            self.node.kill()
            self.node.close()
        self._scratch.cleanup()
