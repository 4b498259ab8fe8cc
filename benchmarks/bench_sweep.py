"""Time one sweep grid on local clusters of 1, 2, ... worker processes (or on a cluster).

    .venv/bin/python benchmarks/bench_sweep.py                       # 8 points, 1 and 2 workers
    .venv/bin/python benchmarks/bench_sweep.py --workers 1,2,4
    .venv/bin/python benchmarks/bench_sweep.py --cluster tcp://HOST:8786

The grid: the DeepSeek-V3 layer (examples/deepseek_moe.hpm, tiling `fine`) at 2 and 4
devices, `balanced` and `zipf 1.2` routing, serial and heft: 8 points of 2-10 s each.
Every run starts from an empty results file, so each one runs all points; the seconds
are wall time of the whole `hpdsl sweep` (cluster start and stop included), the same
command a user runs, and the sum of the points' own times on their workers:

    hpdsl sweep examples/deepseek_moe.hpm -t fine --grid devices=2,4 \\
        --grid routing='balanced,zipf 1.2' -s serial,heft --workers N -o r.csv
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hpdsl.sweep.results import read_results

GRID = ["--grid", "devices=2,4", "--grid", "routing=balanced,zipf 1.2", "-s", "serial,heft"]


def run(where: list[str], out: Path) -> float:
    cmd = [sys.executable, "-m", "hpdsl.cli", "sweep", str(ROOT / "examples" / "deepseek_moe.hpm"),
           "-t", "fine", *GRID, *where, "-o", str(out)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", default="1,2", help="local cluster sizes (default: 1,2)")
    ap.add_argument("--cluster", metavar="ADDRESS", help="time on this Dask scheduler instead")
    a = ap.parse_args()
    runs = ([("cluster " + a.cluster, ["--cluster", a.cluster])] if a.cluster else
            [(f"{n} worker(s)", ["--workers", n]) for n in a.workers.split(",")])
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, where) in enumerate(runs):
            out = Path(tmp) / f"r{i}.csv"
            seconds = run(where, out)
            _, rows = read_results(str(out))
            work = sum(r["seconds"] for r in rows)
            print(f"{label}: 8 points in {seconds:.1f} s (the points' own time: {work:.1f} s)",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
