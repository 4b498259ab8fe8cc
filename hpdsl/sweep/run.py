"""`run_sweep`: every point of a grid on a Dask cluster, rows written as points finish.

The results file is read first: points with a row there are skipped (resume), except
`crashed` ones, and all with `force` (a row stays until its new one replaces it). Rows
of points outside this grid are kept, after the grid's.
When points finish the whole file is rewritten atomically, speedups over serial
recomputed, rows in grid order: at most once a second while points pour in (the rest a
second later), and at the end, also after Ctrl-C or an error.

    >>> from hpdsl.lang import load                                          # doctest: +SKIP
    >>> s = Sweep(Job(load("examples/toy.hpm")), parse_grid(["devices=1,2"]), ("serial", "heft"),
    ...           "toy.csv")                                                  # doctest: +SKIP
    >>> run_sweep(s, Cluster(workers=2)).failed                                # doctest: +SKIP
    []
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import NamedTuple

from hpdsl.errors import UserError
from hpdsl.sweep.engine import Cluster, connect, dashboard, run_points
from hpdsl.sweep.grid import Axis, Point, points
from hpdsl.sweep.progress import Progress
from hpdsl.sweep.results import read_results, write_results
from hpdsl.sweep.row import CRASHED, failed, with_speedups
from hpdsl.sweep.task import Job

WRITE_S = 1.0


@dataclass(frozen=True)
class Sweep:
    """A grid of points (axes x schedulers) of one job, and the file its rows go to."""

    job: Job
    axes: tuple[Axis, ...]
    schedulers: tuple[str, ...]
    out: str
    force: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(a.key for a in self.axes)


class Outcome(NamedTuple):
    """The grid's rows (grid order), how many points ran now and were skipped, the failed rows."""

    rows: list[dict]
    ran: int
    skipped: int
    failed: list[dict]


def _row_id(row: dict, keys: tuple[str, ...]) -> tuple:
    return tuple(str(row.get(k)) for k in keys) + (str(row.get("scheduler")),)


def _earlier(sweep: Sweep) -> dict[tuple, dict]:
    """Rows of the results file by point id; UserError when it holds another grid's keys."""
    found = read_results(sweep.out)
    if found is None:
        return {}
    keys, rows = found
    if set(keys) != set(sweep.keys):
        raise UserError(f"'{sweep.out}' holds a sweep over {', '.join(keys) or 'no grid keys'}, "
                        f"not over {', '.join(sweep.keys) or 'no grid keys'}; write this "
                        f"sweep to another file (-o) or delete it")
    return {_row_id(r, sweep.keys): r for r in rows}


class _Book:
    """The rows of the file, in grid order, written when points finish: at most every
    WRITE_S seconds (a big file is not rewritten for every point), and at the end."""

    def __init__(self, sweep: Sweep, grid: tuple[Point, ...], earlier: dict[tuple, dict]):
        self.sweep, self.grid = sweep, grid
        self.rows = dict(earlier)
        self.order = {p.id: i for i, p in enumerate(grid)}
        self.written: float | None = None          # monotonic time of the last write; None: never
        self.dirty = False

    def add(self, rows: list[dict]) -> None:
        for r in rows:
            self.rows[_row_id(r, self.sweep.keys)] = r
        self.dirty = True
        self.flush()

    def flush(self) -> None:
        """Write rows not written yet, unless the last write was less than WRITE_S ago."""
        if self.dirty and (self.written is None or time.monotonic() - self.written >= WRITE_S):
            self.write()

    def sorted(self) -> list[dict]:
        ids = sorted(self.rows, key=lambda i: self.order.get(i, len(self.order)))
        return with_speedups([self.rows[i] for i in ids], self.sweep.keys)

    def write(self) -> None:
        write_results(self.sweep.out, self.sweep.keys, self.sorted())
        self.written, self.dirty = time.monotonic(), False


def run_sweep(sweep: Sweep, cluster: Cluster) -> Outcome:
    """Run the points of `sweep` that have no row yet; see the module docstring."""
    grid = points(sweep.axes, sweep.schedulers)
    earlier = _earlier(sweep)
    keep = set() if sweep.force else {
        p.id for p in grid if p.id in earlier and earlier[p.id].get("status") != CRASHED}
    todo = [p for p in grid if p.id not in keep]
    book = _Book(sweep, grid, earlier)   # a row redone stays until its new one replaces it
    bar = Progress(len(grid), len(keep), sum(failed(earlier[i]) for i in keep))
    if keep:
        bar.say(f"sweep: {len(keep)} of {len(grid)} points are in {sweep.out} already "
                f"(--force runs them again)")
    labels = {p.id: p.label for p in todo}

    def on_rows(rows: list[dict]) -> None:
        book.add(rows)
        bar.rows(rows, [labels[_row_id(r, sweep.keys)] for r in rows])

    def on_tick(running: int) -> None:
        bar.tick(running)
        book.flush()

    if todo:
        with connect(cluster) as (client, where):
            board = dashboard(client)
            bar.say(f"sweep: {len(todo)} point(s) on {where}"
                    + (f"; dashboard {board}" if board else
                       "; no dashboard (it needs bokeh where the scheduler runs)"
                       if cluster.address else ""))
            bar.start(board)
            try:
                run_points(client, sweep.job, todo, on_rows, on_tick, cluster.timeout)
            finally:
                bar.close()
                if book.dirty:
                    book.write()
    else:
        book.write()   # the same rows, in this grid's order and with its speedups
    ids = {p.id for p in grid}
    rows = [r for r in book.sorted() if _row_id(r, sweep.keys) in ids]
    return Outcome(rows, len(todo), len(keep), [r for r in rows if failed(r)])
