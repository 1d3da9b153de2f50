"""Progress of a batch: a live bar with rate and ETA on a terminal, plain periodic lines otherwise."""
from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text

from autograder.results.text import printable

LINE_EVERY = 5.0


class BatchProgress:
    """Counts finished submissions; `live` decides between a bar and log lines."""

    def __init__(self, total: int, live: bool | None = None, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.start = self._last = time.monotonic()
        self._bar: Progress | None = None
        if self.live:
            self._bar = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
                                 TextColumn("{task.fields[rate]}"), TimeRemainingColumn())
            self._task = self._bar.add_task("grading", total=total, rate="")
            self._bar.start()

    def rate(self) -> float:
        elapsed = time.monotonic() - self.start
        return self.done / elapsed if elapsed > 0 else 0.0

    def advance(self) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.update(self._task, advance=1, rate=f"{self.rate():.1f}/s")
            return
        now = time.monotonic()
        if now - self._last >= LINE_EVERY or self.done == self.total:
            self._last = now
            rate = self.rate()
            eta = (self.total - self.done) / rate if rate > 0 else float("inf")
            print(f"graded {self.done}/{self.total} ({rate:.1f}/s, about {eta:.0f} s left)", file=self.stream,
                  flush=True)

    def note(self, line: str) -> None:
        """Print one line about a submission (its name made printable), above the bar if there is one."""
        line = printable(line)
        if self._bar is not None:
            self._bar.console.print(Text(line))
        else:
            print(line, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
