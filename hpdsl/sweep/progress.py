"""Progress of a sweep on stderr: a bar on a terminal, one line per point elsewhere.

    sweep [##########..............]  5/12 done, 1 failed, 2 running, ETA 1m 10s | dashboard http://...

The ETA is this run's time per finished point (points run side by side included) times
the points left.
"""
from __future__ import annotations

import sys
import time

from hpdsl.fmt import duration
from hpdsl.sweep.row import failed, why_failed

WIDTH = 24


class Progress:
    """Counts points as they finish and shows them (`stream`: a bar only on a terminal)."""

    def __init__(self, total: int, done_before: int, failed_before: int, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total, self.before = total, done_before
        self.done, self.failed, self.running = done_before, failed_before, 0
        self.t0 = time.monotonic()
        self.dashboard: str | None = None
        self.drawn = False

    def say(self, msg: str) -> None:
        """A line of its own (above the bar, which is drawn again)."""
        self._clear()
        print(f"hpdsl: {msg}", file=self.stream, flush=True)
        self._draw()

    def rows(self, rows: list[dict], labels: list[str]) -> None:
        for row, label in zip(rows, labels):
            self.done += 1
            self.failed += failed(row)
            if not self.tty:
                print(f"hpdsl: sweep: {self.done}/{self.total} {label}: " + _outcome(row),
                      file=self.stream, flush=True)
        self._draw()

    def tick(self, running: int) -> None:
        self.running = running
        self._draw()

    def eta(self) -> str:
        ran = self.done - self.before
        if not ran:
            return "?"
        per = (time.monotonic() - self.t0) / ran
        return duration(int(per * (self.total - self.done) * 1e9))

    def line(self) -> str:
        fill = int(WIDTH * self.done / self.total) if self.total else WIDTH
        text = (f"sweep [{'#' * fill}{'.' * (WIDTH - fill)}] {self.done}/{self.total} done, "
                f"{self.failed} failed, {self.running} running, ETA {self.eta()}")
        return text + (f" | dashboard {self.dashboard}" if self.dashboard else "")

    def _draw(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K" + self.line())
            self.stream.flush()
            self.drawn = True

    def _clear(self) -> None:
        if self.tty and self.drawn:
            self.stream.write("\r\x1b[K")
            self.drawn = False

    def close(self) -> None:
        if self.tty and self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def _outcome(row: dict) -> str:
    if failed(row):
        return why_failed(row).splitlines()[0]
    return f"makespan {duration(row.get('makespan_ns'))}"
