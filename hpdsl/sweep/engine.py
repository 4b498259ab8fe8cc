"""The distributed engine of a sweep: a Dask cluster, one task per point.

Without an address the sweep starts a local cluster of worker processes (one thread
each: a point is CPU-bound Python, and one point per process keeps its peak memory its
own) on 127.0.0.1; with `tcp://host:port` it uses an existing Dask scheduler, which, like
its workers, must have the same hpdsl installed. Points go to the cluster at once and come
back as they finish; a point whose worker died comes back as a `crashed` row.

Timeouts keep a broken cluster from hanging the command: connecting, waiting for the
first worker, and a cluster that has had no worker for `timeout` seconds all end the
sweep with a UserError (finished rows are kept).
"""
from __future__ import annotations

import logging
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

from hpdsl.errors import UserError
from hpdsl.sweep.grid import Point
from hpdsl.sweep.row import crashed
from hpdsl.sweep.task import Job, run_point

REFRESH_S = 0.5   # how often the progress display and the cluster's health are looked at
POLL_S = 0.05     # how often finished points are collected


@dataclass(frozen=True, slots=True)
class Cluster:
    """Where points run: `address` of a Dask scheduler, or a local cluster of `workers`
    processes (None: one per core)."""

    address: str | None = None
    workers: int | None = None
    timeout: float = 30.0


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:   # not on Linux
        return os.cpu_count() or 1


def dashboard(client) -> str | None:
    """The cluster's dashboard address, where its scheduler serves one (it needs bokeh)."""
    try:
        has = client.run_on_scheduler(lambda: __import__("importlib.util").util.find_spec(
            "bokeh") is not None)
    except Exception:   # an old or locked-down scheduler: the dashboard is a nicety
        return None
    return client.dashboard_link if has else None


@contextmanager
def connect(cluster: Cluster) -> Iterator[tuple[object, str]]:
    """A Dask client for `cluster` and a description of it, for the progress line."""
    import dask
    from distributed import Client, LocalCluster

    if cluster.address is None:
        n = cluster.workers or cores()
        # a point that kills its worker (memory) is reported, not retried on the next one
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
                LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                             host="127.0.0.1", dashboard_address=":0",
                             silence_logs=logging.CRITICAL) as lc, \
                Client(lc, set_as_default=False) as client:
            yield client, f"a local cluster of {n} worker process{'es' if n != 1 else ''}"
        return
    try:
        client = Client(cluster.address, timeout=cluster.timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise UserError(f"cannot reach the Dask scheduler at '{cluster.address}' within "
                        f"{cluster.timeout:g} s: {e}") from None
    with client:
        try:
            client.wait_for_workers(1, timeout=cluster.timeout)
        except TimeoutError:
            raise UserError(f"the Dask scheduler at '{cluster.address}' has no workers after "
                            f"{cluster.timeout:g} s; start some with 'dask worker "
                            f"{cluster.address}'") from None
        check_workers(client, cluster.address)
        yield client, f"the cluster at {cluster.address}"


def check_workers(client, address: str) -> None:
    """Refuse a scheduler or workers without this hpdsl: the scheduler unpickles the
    points' arguments and the workers run them, so either would fail every point (or run
    other code)."""
    from hpdsl import __version__

    def version():
        return __import__("hpdsl").__version__

    try:
        found = {"the scheduler": client.run_on_scheduler(version)}
        found.update((f"worker {w}", v) for w, v in client.run(version).items())
    except Exception as e:   # a process that cannot import hpdsl raises whatever that raised
        raise UserError(f"the cluster at '{address}' cannot run hpdsl ({type(e).__name__}: "
                        f"{e}); install hpdsl {__version__} where its scheduler and workers "
                        f"run") from None
    other = {w: v for w, v in found.items() if v != __version__}
    if other:
        w, v = min(other.items())
        raise UserError(f"{w} of '{address}' has hpdsl {v}, this machine {__version__}; "
                        f"install the same hpdsl where the scheduler and the workers run")


def _result(future, point: Point) -> dict:
    if future.status == "finished":
        return future.result()
    if future.status == "cancelled":
        return crashed(dict(point.values), point.scheduler, "the cluster cancelled this point")
    e = future.exception()
    name = type(e).__name__
    if name == "KilledWorker":
        where = getattr(getattr(e, "last_worker", None), "address", None)
        why = "the worker running this point died" + (f" ({where}; see its log)" if where else "")
    else:
        why = f"internal error (a bug in hpdsl): {name}: {e}"
    return crashed(dict(point.values), point.scheduler, why)


def run_points(client, job: Job, todo: list[Point], on_rows: Callable[[list[dict]], None],
               on_tick: Callable[[int], None], timeout: float) -> None:
    """Run `todo` on `client`'s cluster; `on_rows` gets each batch of finished rows,
    `on_tick` the number of points running, every REFRESH_S seconds."""
    from distributed import as_completed

    token = uuid.uuid4().hex[:8]
    # the job (a few KB) goes with every task rather than scattered once: scattered data
    # dies with the workers holding it, and a sweep must outlive dead workers
    futures = {client.submit(run_point, job, p, key=f"hpdsl-sweep-{token}-{i}",
                             pure=False): p for i, p in enumerate(todo)}
    ac = as_completed(list(futures), loop=client.loop)
    left, lonely_since, next_look = len(futures), None, 0.0
    while left:
        done = ac.next_batch(block=False)
        if done:
            left -= len(done)
            on_rows([_result(f, futures[f]) for f in done])
        else:
            time.sleep(POLL_S)
        if time.monotonic() < next_look:
            continue
        next_look = time.monotonic() + REFRESH_S
        threads = sum(client.nthreads().values())
        if threads:
            lonely_since = None
        elif lonely_since is None:
            lonely_since = time.monotonic()
        elif time.monotonic() - lonely_since > timeout:
            raise UserError(f"the cluster has had no workers for {timeout:g} s; {left} "
                            f"point(s) did not run (run again to resume)")
        busy = sum(len(v) for v in client.processing().values())
        on_tick(min(busy, threads, left))
