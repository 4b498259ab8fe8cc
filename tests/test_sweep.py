"""`hpdsl sweep` against a real Dask scheduler and workers on 127.0.0.1: rows, resume,
failures, Parquet, the report, the local cluster of the default path, and the errors."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sweep_cluster import watchdog

from hpdsl.cli import main

TOY = str(Path(__file__).resolve().parents[1] / "examples" / "toy.hpm")
GRID = ["--grid", "devices=1,2", "--grid", "routing=balanced,zipf 1.2", "-s", "serial,heft"]


@pytest.fixture(autouse=True)
def _hang_guard():
    with watchdog():
        yield


@pytest.fixture
def address(dask_address):
    return dask_address


def _rows(path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_a_2x2_grid_times_2_schedulers_gives_8_rows_equal_to_compare(address, tmp_path, capsys):
    out = tmp_path / "r.csv"
    assert main(["sweep", TOY, *GRID, "--cluster", address, "-o", str(out)]) == 0
    cap = capsys.readouterr()
    rows = _rows(out)
    assert [(r["devices"], r["routing"], r["scheduler"]) for r in rows] == [
        (d, r, s) for d in ("1", "2") for r in ("balanced", "zipf 1.2") for s in ("serial", "heft")]
    assert all(r["error"] == "" and r["status"] in ("baseline", "heuristic") for r in rows)
    assert f"8 rows in {out} (8 run now, 0 from an earlier run)" in cap.out
    assert f"sweep: 8 point(s) on the cluster at {address}" in cap.err
    assert main(["compare", TOY, "-s", "serial,heft", "--json", "--set", "devices=2",
                 "--set", "routing=zipf 1.2"]) == 0
    want = {r["scheduler"]: r for r in json.loads(capsys.readouterr().out)["results"]}
    for r in rows[-2:]:
        w = want[r["scheduler"]]
        assert int(r["makespan_ns"]) == w["makespan_ns"]
        assert int(r["lower_bound_ns"]) == w["lower_bound_ns"]
        assert float(r["utilization.MX"]) == w["utilization"]["MX"]
        assert int(r["weights_hbm_bytes"]) == sum(t["weights_hbm_bytes"]
                                                  for t in w["traffic"].values())
        assert float(r["speedup_vs_serial"]) == pytest.approx(
            want["serial"]["makespan_ns"] / w["makespan_ns"])


def test_a_rerun_redoes_nothing_and_force_redoes_everything(address, tmp_path, capsys):
    out = tmp_path / "r.csv"
    argv = ["sweep", TOY, "--grid", "devices=1,2", "-s", "serial,heft", "--cluster", address,
            "-o", str(out)]
    assert main(argv) == 0
    before = out.read_bytes()
    capsys.readouterr()
    assert main(argv) == 0
    cap = capsys.readouterr()
    assert out.read_bytes() == before
    assert "4 of 4 points are in" in cap.err and "point(s) on" not in cap.err
    assert "(0 run now, 4 from an earlier run)" in cap.out
    # a bigger grid over the same keys runs only the new points
    assert main(argv[:3] + ["devices=1,2,4"] + argv[4:]) == 0
    assert "2 point(s) on" in capsys.readouterr().err and len(_rows(out)) == 6
    assert main(argv + ["--force"]) == 0
    assert "4 point(s) on" in capsys.readouterr().err and len(_rows(out)) == 6


def test_one_invalid_point_gives_the_good_rows_its_error_and_exit_1(address, tmp_path, capsys):
    out = tmp_path / "r.csv"
    assert main(["sweep", TOY, "--grid", "devices=1,3", "-s", "serial,heft", "--cluster",
                 address, "-o", str(out)]) == 1
    cap = capsys.readouterr()
    rows = {(r["devices"], r["scheduler"]): r for r in _rows(out)}
    assert rows["1", "heft"]["status"] == "heuristic" and rows["1", "heft"]["error"] == ""
    assert float(rows["1", "heft"]["speedup_vs_serial"]) > 1
    bad = rows["3", "serial"]
    assert bad["status"] == "error" and bad["makespan_ns"] == ""
    assert "experts 4 is not divisible by devices 3" in bad["error"]
    assert "2 point(s) failed:" in cap.out
    assert "  devices=3 serial: " in cap.out and "experts 4 is not divisible" in cap.out
    # a user error would fail again: a rerun keeps it and still exits 1
    assert main(["sweep", TOY, "--grid", "devices=1,3", "-s", "serial,heft", "--cluster",
                 address, "-o", str(out)]) == 1
    assert "4 of 4 points are in" in capsys.readouterr().err


def test_parquet_results_and_the_report(address, tmp_path, capsys):
    import pyarrow.parquet as pq

    out, rep = tmp_path / "r.parquet", tmp_path / "rep"
    argv = ["sweep", TOY, "--grid", "hw.link.bandwidth=1GB/s,10 GB/s", "-s", "serial,heft",
            "--cluster", address, "-o", str(out), "--report", str(rep)]
    assert main(argv) == 0
    t = pq.read_table(out)
    assert t.num_rows == 4 and str(t.schema.field("makespan_ns").type) == "int64"
    assert t.column("hw.link.bandwidth").to_pylist() == ["1GB/s"] * 2 + ["10 GB/s"] * 2
    slow, fast = t.column("makespan_ns").to_pylist()[::2]
    assert slow > fast   # the link figure reached the emulator
    html = (rep / "report.html").read_text()
    assert html.count("<svg") == 2 and "against hw.link.bandwidth" in html
    assert f"report: {rep}/report.html" in capsys.readouterr().out
    assert main(argv) == 0 and "4 of 4 points are in" in capsys.readouterr().err


def test_the_default_local_cluster_of_2_processes(tmp_path, capsys):
    out = tmp_path / "r.csv"
    argv = ["sweep", TOY, "--grid", "tokens=32,64", "-s", "serial", "--workers", "2",
            "-o", str(out)]
    assert main(argv) == 0
    assert "sweep: 2 point(s) on a local cluster of 2 worker processes" in capsys.readouterr().err
    assert [r["tokens"] for r in _rows(out)] == ["32", "64"]
    assert main(argv) == 0 and "2 of 2 points are in" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--workers", "0"], "error: --workers must be at least 1, got 0"),
    (["--timeout", "0"], "error: --timeout must be a positive number of seconds, got 0"),
    (["-s", "serial,nope"], "unknown scheduler 'nope'"),
    (["--grid", "devices"], "error: --grid expects KEY=V1,V2,..., got 'devices'"),
    (["--set", "devices=x"], "error: --set devices=x: expected a positive whole number"),
    (["-t", "nope"], "error: no tiling or graph named 'nope'"),
    (["-o", "/nonexistent/r.csv"], "cannot write '/nonexistent/r.csv': folder '/nonexistent' "
                                   "does not exist"),
    (["--cluster", "tcp://127.0.0.1:1", "--timeout", "0.5"],
     "error: cannot reach the Dask scheduler at 'tcp://127.0.0.1:1' within 0.5 s"),
])
def test_errors_before_any_point_runs(tmp_path, capsys, argv, message):
    full = ["sweep", TOY, "-o", str(tmp_path / "r.csv")] + argv
    assert main(full) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r.csv").exists() or "-o" in argv


def test_a_results_file_of_another_grid_is_not_mixed_in(address, tmp_path, capsys):
    out = tmp_path / "r.csv"
    out.write_text("tokens,scheduler,status\n32,serial,baseline\n")
    assert main(["sweep", TOY, "--grid", "devices=1", "-s", "serial", "--cluster", address,
                 "-o", str(out)]) == 1
    assert (f"error: '{out}' holds a sweep over tokens, not over devices; write this sweep to "
            f"another file (-o) or delete it") in capsys.readouterr().err


def test_the_summary_names_failed_points_as_typed_and_stops_at_a_screenful():
    from hpdsl.commands.sweep import MAX_LISTED, summary
    from hpdsl.sweep.run import Outcome

    bad = [{"routing": "zipf 1.2", "tokens": str(i), "scheduler": "heft", "status": "error",
            "error": "error: nope"} for i in range(MAX_LISTED + 5)]
    text = summary(Outcome(bad, len(bad), 0, bad), ("routing", "tokens"), "r.csv")
    assert f"{len(bad)} point(s) failed:\n  routing='zipf 1.2' tokens=0 heft: error: nope" in text
    assert text.endswith("  ... 5 more in r.csv") and "... 5 more rows in r.csv" in text
