"""One point of a sweep, as a task a Dask worker runs: generate, schedule, lower, emulate.

The task gets the loaded `Spec` (workers need no access to the spec's files), applies
the point's settings with the language's checks, runs `hpdsl.compare` with the point's
scheduler and flattens the run's record (`hpdsl.records`) into one row
(`hpdsl.sweep.row`). A user error at any step (an invalid setting, a scheduler that
refuses the graph) becomes the row's `error`; anything else is a bug and propagates, so
that the sweep reports it as a crashed point.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

from hpdsl import progress
from hpdsl.compare import CompareOptions, compare
from hpdsl.errors import UserError
from hpdsl.generate import DEFAULT_MAX_TASKS, generate
from hpdsl.lang import checked_target
from hpdsl.machine import Machine
from hpdsl.records import comparison_record
from hpdsl.settings import parse_settings
from hpdsl.spec import Spec
from hpdsl.sweep.grid import Point
from hpdsl.sweep.memory import PeakMemory
from hpdsl.sweep.row import ERROR, flatten

# A worker process runs one point at a time, however many threads it has: points are
# CPU-bound Python (threads would only share the interpreter), the z3 bindings share one
# context per process, and the point's peak memory is then its own.
_ONE_AT_A_TIME = threading.Lock()


@dataclass(frozen=True)
class Job:
    """What every point of a sweep shares: the spec, fixed `--set` texts, compare's options.

    `extra(graph, machine, run) -> dict` adds columns to the row of a point that emulated
    (it runs on the worker; a study's own figures, e.g. `benchmarks/reproduce.py`)."""

    spec: Spec
    target: str | None = None
    settings: tuple[str, ...] = ()
    time_limit: float = 10.0
    seed: int = 0
    max_tasks: int = DEFAULT_MAX_TASKS
    max_z3_tasks: int = 400
    extra: Callable | None = None


def _compare(job: Job, point: Point) -> dict:
    t0 = time.perf_counter()
    settings = parse_settings(list(job.settings) + point.settings())
    graph = generate(checked_target(job.spec, point.target(job.target), settings), job.max_tasks)
    machine = Machine.of(graph.hardware, graph.devices)
    options = CompareOptions(schedulers=(point.scheduler,), time_limit=job.time_limit,
                             seed=job.seed, max_z3_tasks=job.max_z3_tasks)
    c = compare(graph, machine, options, generate_seconds=time.perf_counter() - t0)
    record = comparison_record(c)
    row = {**flatten(record["results"][0]), "tasks": record["tasks"],
           "generate_seconds": record["generate_seconds"]}
    run = c.runs[0]
    if job.extra is not None and run.result is not None:
        row.update(job.extra(graph, machine, run))
    return row


def run_point(job: Job, point: Point) -> dict:
    """The row of `point`: its grid values, scheduler and measurements, or its error."""
    # no bars from the stages: a local worker's stderr is the user's terminal
    with _ONE_AT_A_TIME, progress.quiet():
        t0 = time.perf_counter()
        with PeakMemory() as peak:
            try:
                row = _compare(job, point)
            except UserError as e:
                row = {"status": ERROR, "error": str(e)}
    row.update(seconds=round(time.perf_counter() - t0, 6), peak_rss_bytes=peak.bytes)
    return {**dict(point.values), "scheduler": point.scheduler, **row}
