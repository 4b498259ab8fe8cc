"""Dask clusters on 127.0.0.1 for the sweep tests, and a watchdog so a hung one fails fast."""
from __future__ import annotations

import faulthandler
import logging
import sys
from contextlib import contextmanager

HANG_S = 120   # far above what one sweep test needs; ends the run with tracebacks if reached


@contextmanager
def watchdog(seconds: float = HANG_S):
    """Print every thread's traceback and exit if the block takes longer than `seconds`."""
    faulthandler.dump_traceback_later(seconds, exit=True, file=sys.__stderr__)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


@contextmanager
def local_cluster(workers: int = 2):
    """A scheduler and `workers` worker processes, as `dask scheduler` + `dask worker`
    would give (a point that kills its worker is not retried); yields the address."""
    import dask
    from distributed import LocalCluster

    with watchdog(), dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=":0",
                               silence_logs=logging.CRITICAL, timeout=60)
    with cluster:
        yield cluster.scheduler_address
