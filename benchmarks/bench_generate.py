"""Generation speed and memory for the DeepSeek-V3 example at 16 and 64 devices.

Each size runs in a fresh Python process so peak memory is its own: wall time of
`generate` (spec loading excluded), peak resident memory of the process
(resource.getrusage) and peak traced allocations (tracemalloc, a second run), tasks/s.

    .venv/bin/python benchmarks/bench_generate.py [--devices 16 64] [--routing "zipf 1.2"]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

SPEC = Path(__file__).resolve().parents[1] / "examples" / "deepseek_moe.hpm"


def one(devices: int, routing: str | None, target: str) -> dict:
    import resource
    import tracemalloc

    from hpdsl.generate import generate
    from hpdsl.lang import checked_target, load
    from hpdsl.settings import parse_settings

    spec = load(str(SPEC))
    settings = [f"devices={devices}"] + ([f"routing={routing}"] if routing else [])
    item = checked_target(spec, target, parse_settings(settings))
    t0 = time.perf_counter()
    g = generate(item)
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024   # KiB on Linux
    n, e = g.n_tasks, g.n_edges
    del g
    tracemalloc.start()
    generate(item)
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"devices": devices, "routing": routing or "balanced (spec)", "tasks": n, "edges": e,
            "seconds": round(wall, 3), "tasks_per_s": round(n / wall), "peak_rss_MB": round(rss / 2**20),
            "peak_traced_MB": round(traced / 2**20)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--devices", type=int, nargs="+", default=[16, 64])
    p.add_argument("--routing", default=None, help="override routing, e.g. 'zipf 1.2'")
    p.add_argument("--target", default="fine")
    p.add_argument("--one", type=int, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.one is not None:
        print(json.dumps(one(a.one, a.routing, a.target)))
        return
    for d in a.devices:
        cmd = [sys.executable, __file__, "--one", str(d), "--target", a.target]
        if a.routing:
            cmd += ["--routing", a.routing]
        r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        print(f"devices {r['devices']:3d}  routing {r['routing']:<16} {r['tasks']:>9,} tasks "
              f"{r['edges']:>10,} edges  {r['seconds']:6.2f} s  {r['tasks_per_s']:>10,} tasks/s  "
              f"peak RSS {r['peak_rss_MB']:,} MB  peak traced {r['peak_traced_MB']:,} MB")


if __name__ == "__main__":
    main()
