"""A batch on a Ray cluster: one `NodeGrader` actor per node, submissions balanced across them.

The driver (`batch.run`) is the same as for a local batch; this executor only grades. Each node's
actor gets the grading bundle once, then submissions as bytes, at most `in_flight(jobs)` at a time
(enough that its slots never wait for the driver), so a faster node takes more. A node that dies
loses only its in-flight submissions: they go back to the queue and are graded on another node (one
lost MAX_LOSSES times is reported as a failure). Nodes that join while the batch runs get an actor
too; nodes without CPUs (a head kept free of work with `--num-cpus=0`) get none. A node that cannot
grade (isolation below the assignment's minimum, runs that would reach its network, another
autograder version, an actor that does not start) is left out, saying why; with no other node the
batch stops.
"""
from __future__ import annotations

import json
import logging
import socket
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

import ray
from ray.exceptions import RayError, RayTaskError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from autograder import __version__
from autograder.assignment import Assignment
from autograder.batch.discover import Entry
from autograder.batch.executor import Note, OnReport
from autograder.batch.slots import workers
from autograder.cluster import ClusterError
from autograder.cluster.actor import NodeGrader
from autograder.cluster.bundle import pack_bundle
from autograder.grading.pipeline import grade_prepared, prepare_file
from autograder.grading.record import report_from_dict
from autograder.submission.cells import SubmissionError
from autograder.submission.load import read_submission

MAX_LOSSES = 3  # a submission whose node was lost this many times is reported, not sent again
NODE_WAIT = 60.0  # seconds to wait for a node when none can take work
LOOK_EVERY = 2.0  # seconds between looks for nodes that joined
CONNECT_TIMEOUT = 10.0  # seconds to reach the cluster's address
CLOSE_WAIT = 10.0  # seconds an actor gets to kill its runs before it is killed

_REMOTE = ray.remote(NodeGrader)


def in_flight(jobs: int) -> int:
    """Submissions sent to a node of `jobs` slots at most: its slots' threads (`slots.workers`), and as
    many again prepared and waiting, so that a slot never waits for the driver to write a result."""
    return 2 * workers(jobs)


class NodeLost(Exception):
    """The node grading a submission was lost too often."""


@dataclass
class _Actor:
    node_id: str
    handle: Any
    host: str = "?"
    capacity: int = 0  # submissions in flight at most (0 until it is ready)
    inflight: int = 0

    @property
    def label(self) -> str:
        return f"{self.host} [{self.node_id[:8]}]"


class RayExecutor:
    """Grades on the Ray cluster at `address` ("auto": the one started on this machine). `jobs`:
    submissions at once per node (default: the node's CPUs)."""

    def __init__(self, assignment: Assignment, address: str, jobs: int | None = None, variants: bool = True) -> None:
        _reachable(address)
        self.assignment, self.address, self.jobs, self.variants = assignment, address, jobs, variants
        self.bundle = pack_bundle(assignment)
        self.actors: dict[str, _Actor] = {}
        self.gone: set[str] = set()  # nodes whose actor was lost: not used again in this batch

    def run(self, entries: list[Entry], on_report: OnReport, note: Note) -> None:
        try:
            ray.init(address=self.address, logging_level=logging.WARNING, log_to_driver=False)
        except Exception as e:  # Ray raises ConnectionError, ValueError, RuntimeError... with a message
            raise ClusterError(f"cannot connect to the Ray cluster at {self.address}: {e}") from None
        try:
            _Dispatch(self, entries, on_report, note).run()
        finally:
            self._close()
            ray.shutdown()

    def add_nodes(self, pending: dict[Any, _Actor]) -> None:
        """Start an actor on every live node with CPUs that has none; its `ready` call goes in `pending`."""
        for node in ray.nodes():
            node_id, cpus = node["NodeID"], int(node.get("Resources", {}).get("CPU", 0))
            if not node.get("Alive") or node_id in self.actors or node_id in self.gone or cpus < 1:
                continue
            jobs = self.jobs or cpus
            handle = _REMOTE.options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False), num_cpus=0,
                max_concurrency=in_flight(jobs) + 2, max_restarts=0, max_task_retries=0,
            ).remote(self.bundle, self.assignment.name, jobs, self.variants)
            actor = self.actors[node_id] = _Actor(node_id, handle, node.get("NodeManagerAddress", "?"))
            pending[handle.ready.remote()] = actor

    def lose(self, actor: _Actor) -> None:
        self.actors.pop(actor.node_id, None)
        self.gone.add(actor.node_id)
        actor.capacity = 0

    def _close(self) -> None:
        """Let every actor kill its runs, then kill it."""
        actors = list(self.actors.values())
        if actors:
            ray.wait([a.handle.close.remote() for a in actors], num_returns=len(actors), timeout=CLOSE_WAIT)
        for actor in actors:
            ray.kill(actor.handle)
        self.actors.clear()


class _Dispatch:
    """One batch's queue: fill each ready actor up to its capacity, least loaded first, and handle
    what comes back (readiness, reports, lost nodes) until every entry is reported."""

    def __init__(self, executor: RayExecutor, entries: list[Entry], on_report: OnReport, note: Note) -> None:
        self.ex, self.on_report, self.note = executor, on_report, note
        self.queue = deque(entries)
        self.inflight: dict[Any, tuple[Entry, _Actor]] = {}
        self.pending: dict[Any, _Actor] = {}  # `ready` calls of starting actors
        self.losses: Counter[str] = Counter()
        self.graded: Counter[str] = Counter()  # reports per node
        self.refused: list[str] = []  # nodes that cannot grade, and why

    def run(self) -> None:
        looked, idle_since = float("-inf"), None
        while self.queue or self.inflight:
            now = time.monotonic()
            if now - looked >= LOOK_EVERY:
                self.ex.add_nodes(self.pending)
                looked = now
            self._fill()
            waiting = [*self.inflight, *self.pending]
            if not waiting:  # no node can take work: wait for one to join
                if self.refused:
                    raise ClusterError(f"no Ray node can grade ({len(self.queue)} submissions left): "
                                       + "; ".join(self.refused))
                idle_since = idle_since or now
                if now - idle_since > NODE_WAIT:
                    raise ClusterError(f"no Ray node can grade ({len(self.queue)} submissions left): "
                                       "every node was lost or has no CPUs")
                time.sleep(LOOK_EVERY / 4)
                continue
            idle_since = None
            done, _ = ray.wait(waiting, num_returns=1, timeout=LOOK_EVERY)
            for ref in done:
                if ref in self.pending:
                    self._ready(ref, self.pending.pop(ref))
                else:
                    self._result(ref, *self.inflight.pop(ref))
        if self.graded:
            self.note(f"Ray: graded on {len(self.graded)} node(s): "
                      + ", ".join(f"{node} ({n})" for node, n in sorted(self.graded.items())))

    def _fill(self) -> None:
        actors = sorted((a for a in self.ex.actors.values() if a.capacity),
                        key=lambda a: a.inflight / a.capacity)
        for actor in actors:
            while self.queue and actor.inflight < actor.capacity:
                self._send(self.queue.popleft(), actor)

    def _send(self, entry: Entry, actor: _Actor) -> None:
        """Send the file's bytes; one that cannot be read is reported here, as a local batch does."""
        assert entry.path is not None
        try:
            data = read_submission(entry.path)
        except SubmissionError:
            try:
                report = grade_prepared(prepare_file(entry.path, self.ex.assignment), self.ex.assignment, None)
            except Exception as e:  # a grader bug costs one submission
                self.on_report(entry, None, e)
            else:
                self.on_report(entry, report, None)
            return
        self.inflight[actor.handle.grade.remote(entry.path.name, data)] = (entry, actor)
        actor.inflight += 1

    def _ready(self, ref: Any, actor: _Actor) -> None:
        try:
            info = ray.get(ref)
        except RayError as e:  # the actor did not start there (autograder missing, another Python...)
            self.ex.lose(actor)
            self.refused.append(f"Ray node {actor.label} could not start grading: {_short(e)}")
            self.note(self.refused[-1])
            return
        actor.host = info["host"]
        problem = info["problem"] or (f"it runs autograder {info['version']}, this batch {__version__}"
                                      if info["version"] != __version__ else None)
        if problem:  # never used in this batch: the others grade
            self.ex.lose(actor)
            ray.kill(actor.handle)
            self.refused.append(f"Ray node {actor.label} cannot grade: {problem}")
            self.note(self.refused[-1])
            return
        actor.capacity = in_flight(info["jobs"])

    def _result(self, ref: Any, entry: Entry, actor: _Actor) -> None:
        actor.inflight -= 1
        try:
            out = ray.get(ref)
        except RayTaskError as e:  # the actor's method itself failed: a grader bug
            self.on_report(entry, None, RuntimeError(_short(e)))
            return
        except RayError as e:  # the node (or its actor) is gone
            if actor.node_id in self.ex.actors:
                self.ex.lose(actor)
                self.note(f"Ray node {actor.label} was lost ({_short(e)}); its submissions go to other nodes")
            self._lost(entry)
            return
        self.graded[actor.label] += 1
        report = report_from_dict(json.loads(out["report"])) if "report" in out else None
        if report is None:
            self.on_report(entry, None, RuntimeError(out.get("error") or "a node sent a report this grader cannot read"))
        else:
            self.on_report(entry, report, None)

    def _lost(self, entry: Entry) -> None:
        self.losses[entry.key] += 1
        if self.losses[entry.key] >= MAX_LOSSES:
            self.on_report(entry, None, NodeLost(f"the Ray node grading it was lost {MAX_LOSSES} times"))
        else:
            self.queue.appendleft(entry)


def _reachable(address: str) -> None:
    """Refuse at once an address nothing listens on (Ray itself would retry for minutes)."""
    if address == "auto" or address.startswith("ray://"):
        return
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=CONNECT_TIMEOUT).close()
    except ValueError:
        raise ClusterError(f"not a Ray address: {address} (host:port, or auto)") from None
    except OSError as e:
        raise ClusterError(f"cannot reach the Ray cluster at {address}: {e.strerror or e}") from None


def _short(error: Exception) -> str:
    """The first line of a Ray error's message."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
