"""Progress of a sweep on stderr: a bar where `hpdsl.progress` draws bars, lines elsewhere.

On a terminal (the rule of `hpdsl.progress`), a tqdm bar of points done, with the
failed and running ones and the cluster's dashboard beside it:

    hpdsl: sweep:  42%|####      | 5/12 [00:20<00:28, 4.0s/point, 1 failed, 2 running, dashboard http://...]

Its ETA is tqdm's: this run's time per finished point (points run side by side
included) times the points left. Where bars are off, every finished point prints one
line instead, so a log shows the sweep advance.
"""
from __future__ import annotations

import sys

from hpdsl import progress
from hpdsl.fmt import duration
from hpdsl.sweep.row import failed, why_failed


class Progress:
    """Counts points as they finish and shows them (see the module docstring)."""

    def __init__(self, total: int, done_before: int, failed_before: int):
        self.total, self.done, self.failed, self.running = total, done_before, failed_before, 0
        self.dashboard: str | None = None
        self._bar = None

    def start(self, dashboard: str | None = None) -> None:
        """Points are running from now on (the ETA's clock starts here, not at the cluster's
        start); `dashboard`: the cluster's dashboard address, if it has one."""
        self.dashboard = dashboard
        if progress.enabled() and self.total:
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, initial=self.done, desc="hpdsl: sweep",
                             unit="point", leave=False, delay=progress.DELAY_S,
                             file=sys.stderr, dynamic_ncols=True)
            self._postfix()

    def say(self, msg: str) -> None:
        """A line of its own (above the bar, which stays below it)."""
        if self._bar is not None:
            self._bar.write(f"hpdsl: {msg}", file=sys.stderr)
        else:
            print(f"hpdsl: {msg}", file=sys.stderr, flush=True)

    def rows(self, rows: list[dict], labels: list[str]) -> None:
        for row, label in zip(rows, labels):
            self.done += 1
            self.failed += failed(row)
            if self._bar is None:
                print(f"hpdsl: sweep: {self.done}/{self.total} {label}: " + _outcome(row),
                      file=sys.stderr, flush=True)
        if self._bar is not None:
            self._bar.update(len(rows))
            self._postfix()

    def tick(self, running: int) -> None:
        if running != self.running:
            self.running = running
            self._postfix()

    def status(self) -> str:
        """The counts beside the bar: failed, running, the dashboard."""
        text = f"{self.failed} failed, {self.running} running"
        return text + (f", dashboard {self.dashboard}" if self.dashboard else "")

    def _postfix(self) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(self.status())

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _outcome(row: dict) -> str:
    if failed(row):
        return why_failed(row).splitlines()[0]
    return f"makespan {duration(row.get('makespan_ns'))}"
