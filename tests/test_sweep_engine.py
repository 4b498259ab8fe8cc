"""The sweep's Dask engine: dead workers, bugs on a worker, a cluster without workers."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hpdsl.lang import load
from sweep_cluster import local_cluster, watchdog

from hpdsl.cli import main
from hpdsl.errors import UserError
from hpdsl.sweep.engine import Cluster, check_workers, run_points
from hpdsl.sweep.grid import Point, parse_grid
from hpdsl.sweep.run import Sweep, run_sweep
from hpdsl.sweep.task import Job

TOY = str(Path(__file__).resolve().parents[1] / "examples" / "toy.hpm")


@pytest.fixture(autouse=True)
def _hang_guard():
    with watchdog():
        yield


def test_a_dead_worker_and_a_bug_are_crashed_rows_that_a_rerun_redoes(dask_address, tmp_path):
    def extra(graph, machine, run):   # a local function: sent to the workers by value
        if graph.devices == 2:
            os._exit(3)               # as the kernel's OOM killer would end the worker
        if graph.devices == 4:
            raise ValueError("boom")
        return {}

    spec, out = load(TOY), str(tmp_path / "r.csv")
    axes = parse_grid(["devices=1,2,4"])
    cluster = Cluster(dask_address, timeout=30)
    first = run_sweep(Sweep(Job(spec, extra=extra), axes, ("serial",), out), cluster)
    rows = {r["devices"]: r for r in first.rows}
    assert first.ran == 3 and rows["1"]["status"] == "baseline"
    assert rows["2"]["status"] == "crashed"
    assert rows["2"]["error"].startswith("the worker running this point died")
    assert rows["4"]["status"] == "crashed"
    assert rows["4"]["error"] == "internal error (a bug in hpdsl): ValueError: boom"
    assert [r["devices"] for r in first.failed] == ["2", "4"]
    again = run_sweep(Sweep(Job(spec), axes, ("serial",), out), cluster)
    assert (again.ran, again.skipped, again.failed) == (2, 1, [])


def test_a_scheduler_without_workers_fails_after_the_timeout(tmp_path, capsys):
    from distributed import Client

    with local_cluster(0) as address:
        assert main(["sweep", TOY, "-s", "serial", "--cluster", address, "--timeout", "1",
                     "-o", str(tmp_path / "r.csv")]) == 1
        # workers gone during a sweep: the same timeout ends it
        with Client(address, set_as_default=False) as client, \
                pytest.raises(UserError, match=r"the cluster has had no workers for 0.5 s; 1 "
                                               r"point\(s\) did not run \(run again to resume\)"):
            run_points(client, Job(load(TOY)), [Point((), "serial")], print, lambda n: None, 0.5)
    assert (f"error: the Dask scheduler at '{address}' has no workers after 1 s; start some "
            f"with 'dask worker {address}'") in capsys.readouterr().err


def test_workers_with_another_hpdsl_are_refused(dask_address, tmp_path, capsys, monkeypatch):
    import hpdsl

    real = hpdsl.__version__
    monkeypatch.setattr(hpdsl, "__version__", "0.0-other")
    assert main(["sweep", TOY, "-s", "serial", "--cluster", dask_address,
                 "-o", str(tmp_path / "r.csv")]) == 1
    err = capsys.readouterr().err
    # the fixture's scheduler runs in this process, and so sees the same (patched) version
    assert f"of '{dask_address}' has hpdsl {real}," in err and "error: worker tcp://" in err
    assert "this machine 0.0-other; install the same hpdsl where the scheduler and the " \
           "workers run" in err
    assert not (tmp_path / "r.csv").exists()


def test_workers_without_hpdsl_are_refused():
    class NoHpdsl:
        def run_on_scheduler(self, f):
            return f()

        def run(self, f):
            raise ModuleNotFoundError("No module named 'hpdsl'")

    with pytest.raises(UserError, match=r"the cluster at 'tcp://h:1' cannot run hpdsl "
                                        r"\(ModuleNotFoundError: No module named 'hpdsl'\); "
                                        r"install hpdsl .* where its scheduler and workers run"):
        check_workers(NoHpdsl(), "tcp://h:1")
