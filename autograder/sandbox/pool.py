"""A fork server shared by grading threads, replaced if it dies (student code may kill it)."""
from __future__ import annotations

import queue
import shutil
import threading
from typing import Callable, TypeVar

from autograder.sandbox.launcher import Connection, ForkServer, SandboxError

T = TypeVar("T")
ATTEMPTS = 3


class ServerPool:
    """One fork server with one connection per concurrent job; a dead server is replaced once."""

    def __init__(self, preload: tuple[str, ...] | list[str], jobs: int = 1, batch: bool = False,
                 isolation: str | None = None) -> None:
        """`isolation`: the highest isolation level to use (see `ForkServer`)."""
        self.preload, self.jobs, self.batch, self.isolation = tuple(preload), jobs, batch, isolation
        self._lock = threading.Lock()
        self._dead: list[str] = []
        self.generation = 0
        self._start()

    def _start(self) -> None:
        self.server = ForkServer(self.preload, self.jobs, self.isolation, batch=self.batch)
        self.free: queue.Queue[Connection] = queue.Queue()
        for conn in self.server.connections:
            self.free.put(conn)

    @property
    def pid(self) -> int:
        return self.server.pid

    @property
    def level(self) -> str:
        return self.server.level

    def preload_more(self, modules: tuple[str, ...] | list[str]) -> None:
        """Import more modules in the server before any child is forked."""
        missing = tuple(m for m in modules if m not in self.preload)
        if missing:
            conn = self.free.get()
            try:
                conn.preload(missing)
            finally:
                self.free.put(conn)
            self.preload += missing

    def run(self, job: Callable[[Connection], T]) -> T:
        """Call `job` with a free connection, on a fresh server if the current one has died."""
        for attempt in range(ATTEMPTS):
            generation, free, conn = self._acquire()
            try:
                return job(conn)
            except SandboxError:
                if attempt == ATTEMPTS - 1:
                    raise
                self._restart(generation)
            finally:
                with self._lock:
                    current = generation == self.generation
                if current:
                    free.put(conn)
                else:
                    conn.sock.close()  # only its owner closes it: a number closed twice may be reused
        raise AssertionError("unreachable")

    def _acquire(self) -> tuple[int, queue.Queue[Connection], Connection]:
        while True:
            with self._lock:
                generation, free = self.generation, self.free
            try:
                return generation, free, free.get(timeout=0.5)
            except queue.Empty:
                continue  # the server may have been replaced meanwhile: look again

    def _restart(self, generation: int) -> None:
        with self._lock:
            if generation != self.generation:
                return
            self.server.process.kill()
            self.server.process.wait()
            self.server.release_uids()
            self._dead.append(self.server.scratch_root)  # other threads may still be using it
            while not self.free.empty():
                self.free.get().sock.close()
            self.generation += 1
            self._start()

    def kill_runs(self) -> None:
        """Kill every run in progress (the batch was interrupted)."""
        self.server.kill_runs()

    def close(self, wait: bool = True) -> None:
        self.server.close(wait)
        for scratch in self._dead:
            shutil.rmtree(scratch, ignore_errors=True)

    def __enter__(self) -> ServerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
