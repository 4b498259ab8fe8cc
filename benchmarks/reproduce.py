"""Reproduce HyperParallel-MoE's headline comparison: serial kernels vs. a tile-level flow.

DeepSeek-V3 MoE layer (examples/deepseek_moe.hpm, tiling `fine`) on A3 dies
(examples/a3.hpm, unchanged), expert parallel over 16/32/64 dies, balanced, skewed
(`zipf 1.2`) and MoGE (`grouped 8`) routing. The cases are a sweep (`hpdsl.sweep`: the
grid routing x devices x {`serial` baseline, `heft` and `heft-l2` tile-level event-driven
plans}), so they run on a local cluster of worker processes or on any Dask cluster
(`--cluster`); every point is `hpdsl compare` of one scheduler, emulated. It reports per
scheduler: Dispatch-to-Combine latency (the emulated makespan, one kernel launch
included), the prediction, cube MAC utilization, the share of device-time some
all-to-all send runs, how much of it is exposed (no other task running on the device),
the vector-only share (vector compute on some AIV, every AIC idle), and the weight and
HBM bytes read. docs/reproduction.md explains the figures against the paper's.

    .venv/bin/python benchmarks/reproduce.py                      # all 9 cases, minutes
    .venv/bin/python benchmarks/reproduce.py --devices 16 --routing balanced
    .venv/bin/python benchmarks/reproduce.py --json out.json      # also write the figures
    .venv/bin/python benchmarks/reproduce.py --cluster tcp://HOST:8786 --results r.csv

What-if runs (sensitivity, NOT the spec's figures, and labelled as such in the output):
`--link-bw 107` sets the die's link to 107 GB/s (DeepEP-Ascend's measured EP16 per-rank
dispatch bandwidth), `--cube-efficiency 0.6` runs matmul tiles at 60% of the cube peak,
`--l2-bw 8.7` gives L2 8.7 TB/s (the A3's estimated read and write rates added, as if
reads and writes did not share one path). They are hardware figures of the sweep
(`--set hw.link.bandwidth=107GB/s`, ...), applied to every point.

`--results FILE` keeps the sweep's rows (CSV or .parquet); running again with it skips
the cases already there. The paper's figures of each point are its `paper.*` columns.

Emulating a 64-die plan takes tens of seconds to minutes; this is a benchmark, not a test.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hpdsl.commands.common import write_atomic     # noqa: E402
from hpdsl.lang import load                         # noqa: E402
from hpdsl.sweep.engine import Cluster              # noqa: E402
from hpdsl.sweep.grid import parse_grid             # noqa: E402
from hpdsl.sweep.run import Sweep, run_sweep        # noqa: E402
from hpdsl.sweep.task import Job                    # noqa: E402
from hpdsl.traffic import weights_of                # noqa: E402

SPEC = ROOT / "examples" / "deepseek_moe.hpm"
ROUTINGS = ("balanced", "zipf 1.2", "grouped 8")
DEVICES = (16, 32, 64)
TILE = "heft-l2"    # the tile-level plan the speedup is measured with
SCHEDULERS = ("serial", "heft", TILE)
PAPER = "paper."    # the prefix of the columns figures() adds to the sweep's rows


def vector_only(graph, machine, res, worker) -> float:
    """Fraction of device-time with vector compute (an AIV task that is not a send) running
    and no AIC task: the paper's "vector-only" time, all-to-all apart (mean over devices)."""
    ci = {c: i for i, c in enumerate(machine.core_types)}
    ran = np.flatnonzero((res.start >= 0) & (res.end > res.start))
    core = machine.worker_core[worker[ran]].astype(np.int64)
    dev = graph.device[ran].astype(np.int64)
    aic = (core == ci["AIC"]).astype(np.int64)
    aiv = ((core == ci["AIV"]) & (graph.dst[ran] < 0)).astype(np.int64)
    t = np.r_[res.start[ran], res.end[ran]]
    g = np.r_[dev, dev]
    da, dv = np.r_[aic, -aic], np.r_[aiv, -aiv]
    order = np.lexsort((t, g))
    t, g, da, dv = t[order], g[order], np.cumsum(da[order]), np.cumsum(dv[order])
    length = np.where(g[1:] == g[:-1], t[1:] - t[:-1], 0)
    only = (dv[:-1] > 0) & (da[:-1] == 0)
    return float(length[only].sum()) / (machine.devices * res.makespan)


def weights_read(graph, res) -> float:
    """Weight bytes read from HBM over the weights' size (1.0: each weight block once)."""
    total, _ = weights_of(graph)
    return sum(t["weights_hbm_bytes"] for t in res.traffic.values()) / max(1, int(total.sum()))


def figures(graph, machine, run) -> dict:
    """The paper's metrics for one emulated run."""
    res, s, act = run.result, run.schedule, run.activity
    hw = machine.hardware
    aic = hw.core("AIC")
    rate = aic.queue_for("matmul").rate
    mm = np.array([graph.op_kinds[o] in ("grouped_matmul", "matmul") for o in graph.op])
    mac = graph.flops[mm].sum() / (machine.devices * aic.count * rate * res.makespan * 1e-9)
    dt = machine.devices * res.makespan
    return {
        "latency_ms": res.makespan / 1e6,
        "predicted_ms": s.makespan / 1e6,
        "prediction_error": res.makespan / s.makespan - 1,
        "lower_bound_ms": s.lower_bound / 1e6,
        "cube_mac_utilization": float(mac),
        "aic_busy": float(res.utilization["AIC"]),
        "a2a_share": act.comm_ns / dt,
        "a2a_exposed_share": res.exposed_comm / dt,
        "a2a_exposed_fraction": res.exposed_comm / act.comm_ns if act.comm_ns else 0.0,
        "vector_only_share": vector_only(graph, machine, res, s.worker),
        "weights_read_x": weights_read(graph, res),
        "hbm_read_GB": sum(t["weights_hbm_bytes"] + t["activations_hbm_bytes"]
                           for t in res.traffic.values()) / 1e9,
        "violations": len(res.errors),
        "solve_s": s.solve_seconds,
        "emulate_s": run.emulate_seconds,
    }


def paper_figures(graph, machine, run) -> dict:
    """figures() as the sweep's extra columns (it runs on the worker of each point)."""
    return {PAPER + k: v for k, v in figures(graph, machine, run).items()}


def what_if(spec, link_bw: float | None, cube_eff: float | None,
            l2_bw: float | None = None) -> list[str]:
    """Hardware figures for another link bandwidth (GB/s), a derated matmul rate or another
    L2 bandwidth (TB/s), as `--set` texts (sensitivity runs)."""
    items = []
    if l2_bw is not None:
        items.append(f"hw.cache.bandwidth={l2_bw!r}TB/s")
    if link_bw is not None:
        items.append(f"hw.link.bandwidth={link_bw!r}GB/s")
    if cube_eff is not None:
        hw = next(t for t in spec.tilings if t.name == "fine").workload.hardware
        items += [f"hw.{c.name}.{q.name}.rate={q.rate * cube_eff!r}FLOPS"
                  for c in hw.cores for q in c.queues if q.can("matmul") and q.rate]
    return items


def cases_of(sweep_rows: list[dict], what: dict) -> list[dict]:
    """The sweep's rows as one case per (routing, devices), the figures of each scheduler."""
    cases: dict[tuple, dict] = {}
    for r in sweep_rows:
        c = cases.setdefault((r["routing"], r["devices"]), {
            "devices": int(r["devices"]), "routing": r["routing"], "tasks": r.get("tasks"),
            "runs": {}, "what_if": what, "seconds": 0.0})
        c["tasks"] = c["tasks"] or r.get("tasks")
        c["seconds"] += r.get("seconds") or 0.0
        if r.get("error") or r.get(PAPER + "latency_ms") is None:
            c["runs"][r["scheduler"]] = {"error": r.get("error") or "not emulated"}
        else:
            c["runs"][r["scheduler"]] = {k[len(PAPER):]: v for k, v in r.items()
                                         if k.startswith(PAPER)}
    for c in cases.values():
        base, tile = c["runs"].get("serial"), c["runs"].get(TILE)
        if base and tile and "latency_ms" in base and "latency_ms" in tile:
            c["speedup"] = base["latency_ms"] / tile["latency_ms"]
            c["predicted_speedup"] = base["predicted_ms"] / tile["predicted_ms"]
    return list(cases.values())


def rows(c: dict) -> list[str]:
    """One table row per scheduler of a case."""
    w = c.get("what_if", {})
    tag = "".join(f" [link {w['link_GBps']:g} GB/s]" if k == "link_GBps" and w.get(k) else
                  f" [cube x{w['cube_efficiency']:g}]" if k == "cube_efficiency" and w.get(k) else
                  f" [L2 {w['l2_TBps']:g} TB/s]" if k == "l2_TBps" and w.get(k) else ""
                  for k in ("link_GBps", "cube_efficiency", "l2_TBps"))
    out = []
    base = c["runs"].get("serial", {}).get("latency_ms")
    for name, r in c["runs"].items():
        cells = [str(c["devices"]), c["routing"] + tag, name]
        if "latency_ms" not in r:
            out.append("| " + " | ".join(cells + ["-"] * 9) + " |")
            continue
        cells += [f"{r['latency_ms']:.2f}", f"{r['predicted_ms']:.2f}",
                  f"{r['cube_mac_utilization']:.0%}", f"{r['a2a_share']:.0%}",
                  f"{r['a2a_exposed_fraction']:.0%}", f"{r['vector_only_share']:.1%}",
                  f"{r['weights_read_x']:.2f}x", f"{r['hbm_read_GB']:.0f}",
                  f"{base / r['latency_ms']:.2f}x" if base else "-"]
        out.append("| " + " | ".join(cells) + " |")
    return out


HEAD = ("| EP | routing | scheduler | ms | pred | cube MAC | a2a time | a2a exposed "
        "| vector-only | weights read | HBM read GB | speedup |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|")


def _args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", default=",".join(map(str, DEVICES)),
                    help="comma-separated EP sizes (default: 16,32,64)")
    ap.add_argument("--routing", action="append",
                    help="routing to run (repeatable; default: balanced, zipf 1.2, grouped 8)")
    ap.add_argument("--json", metavar="FILE", help="also write all figures as JSON")
    ap.add_argument("--link-bw", type=float, metavar="GBPS",
                    help="what-if: link bandwidth per die in GB/s instead of the spec's")
    ap.add_argument("--cube-efficiency", type=float, metavar="F",
                    help="what-if: matmul queues run at F x their spec rate")
    ap.add_argument("--l2-bw", type=float, metavar="TBPS",
                    help="what-if: L2 bandwidth per die in TB/s instead of the spec's")
    ap.add_argument("--results", metavar="FILE",
                    help="keep the sweep's rows in FILE and skip the cases already there "
                         "(default: a temporary file)")
    ap.add_argument("--force", action="store_true", help="run the cases in --results again")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--cluster", metavar="ADDRESS", help="a Dask scheduler to run on")
    where.add_argument("--workers", type=int, metavar="N",
                       help="worker processes of the local cluster (default: one per core)")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    a = _args(argv)
    spec = load(str(SPEC))
    axes = parse_grid(["routing=" + ",".join(a.routing or ROUTINGS), f"devices={a.devices}"])
    job = Job(spec, "fine", tuple(what_if(spec, a.link_bw, a.cube_efficiency, a.l2_bw)),
              extra=paper_figures)
    with tempfile.TemporaryDirectory() as tmp:
        out = a.results or str(Path(tmp) / "reproduce.csv")
        outcome = run_sweep(Sweep(job, axes, SCHEDULERS, out, a.force),
                            Cluster(a.cluster, a.workers))
    what = {"link_GBps": a.link_bw, "cube_efficiency": a.cube_efficiency, "l2_TBps": a.l2_bw}
    cases = cases_of(outcome.rows, what)
    print(HEAD, flush=True)
    for c in cases:
        print("\n".join(rows(c)), flush=True)
    for c in cases:
        print(f"EP{c['devices']} {c['routing']}: {c['tasks'] or 0:,} tasks, {c['seconds']:.0f} s; "
              f"predicted speedup {c.get('predicted_speedup', float('nan')):.2f}x; "
              f"prediction error " + ", ".join(f"{n} {r.get('prediction_error', 0):+.1%}"
                                               for n, r in c["runs"].items()), file=sys.stderr)
        for name, r in c["runs"].items():
            if "error" in r:
                print(f"  {name}: no plan: {r['error']}", file=sys.stderr)
    if a.json:
        write_atomic(a.json, json.dumps({"spec": "examples/deepseek_moe.hpm", "tiling": "fine",
                                         "cases": cases}, indent=1))
    return 1 if outcome.failed else 0


if __name__ == "__main__":
    sys.exit(main())
