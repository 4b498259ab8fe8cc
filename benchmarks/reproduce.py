"""Reproduce HyperParallel-MoE's comparison on an A3 SuperPoD: serial kernels, its own
runtime (`hpmoe`) and hpdsl's best tile plan (`heft-l2`).

DeepSeek-V3 MoE layer (examples/deepseek_superpod.hpm) on A3 dies in a SuperPoD
(examples/a3_superpod.hpm: packages, UB fabric calibrated on DeepEP-Ascend, sourced
figures), expert parallel over 16/32/64 dies, balanced, skewed (`zipf 1.2`) and MoGE
(`grouped 8`) routing. `serial` and `heft-l2` run on the tiling `fine`, `hpmoe` on the
tiling `hpmoe` (HyperParallel-MoE's own tiles). The cases are sweeps (`hpdsl.sweep`, one
per tiling: the grid routing x devices x schedulers), so they run on a local cluster of
worker processes or on any Dask cluster (`--cluster`); every point is `hpdsl compare` of
one scheduler, emulated. It reports per scheduler: Dispatch-to-Combine latency (the
emulated makespan, one kernel launch included), the prediction, cube MAC utilization
(against the 16x16x16-MAC peak at the clock, not the derated rate), the share of
device-time some all-to-all send runs and the part of it exposed (no other task running
on the device), the vector-only share (vector compute on some AIV, every AIC idle), the
weight bytes read over the weights' size, and the per-rank all-to-all bandwidth of
dispatch and combine (`hpdsl.collective`, meaningful for `serial`).

    .venv/bin/python benchmarks/reproduce.py --json reproduce.json     # all 27 runs
    .venv/bin/python benchmarks/reproduce.py --devices 16 --routing balanced
    .venv/bin/python benchmarks/reproduce.py --sensitivity --json sensitivity.json
    .venv/bin/python benchmarks/reproduce.py --calibration   # the fabric's grid

`--sensitivity`: EP16, balanced routing, one figure changed at a time (a grid axis each,
NOT the spec's figures, and labelled as such): the fabric's bandwidth, the cube rate,
the event latency and the L2 size (`SENSITIVITY`).

`--results FILE` keeps the sweeps' rows (FILE and FILE with `.hpmoe` before its suffix);
running again with it skips the cases already there. The figures of each point are its
`paper.*` columns.

Emulating a 64-die plan takes a minute or more; this is a benchmark, not a test.
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

from hpdsl.collective import collective_bandwidth  # noqa: E402
from hpdsl.commands.common import write_atomic     # noqa: E402
from hpdsl.lang import load                         # noqa: E402
from hpdsl.sweep.engine import Cluster              # noqa: E402
from hpdsl.sweep.grid import parse_grid             # noqa: E402
from hpdsl.sweep.run import Sweep, run_sweep        # noqa: E402
from hpdsl.sweep.task import Job                    # noqa: E402
from hpdsl.traffic import weights_of                # noqa: E402

SPEC = ROOT / "examples" / "deepseek_superpod.hpm"
ROUTINGS = ("balanced", "zipf 1.2", "grouped 8")
DEVICES = (16, 32, 64)
TILE = "heft-l2"    # hpdsl's best tile-level plan
RUNS = (("fine", ("serial", TILE)), ("hpmoe", ("hpmoe",)))   # tiling -> its schedulers
PAPER = "paper."    # the prefix of the columns figures() adds to the sweep's rows
# one figure at a time around the spec's (EP16, balanced): --sensitivity
SENSITIVITY = (("hw.fabric.bandwidth", ("56GB/s", "224GB/s")),
               ("hw.AIC.cube.rate", ("7.58TFLOPS", "15.16TFLOPS")),
               ("hw.sync.latency", ("2us", "75us")),
               ("hw.cache.size", ("96MiB", "384MiB")))
# --calibration: the fabric's (bandwidth, per_peer) pairs tried, serial against
# DeepEP-Ascend at EP32 and EP64 (calibration) and EP16 (validation; docs/reproduction.md,
# "The fabric"); GB/s: INT8 dispatch, BF16 combine
CALIBRATION = (("124GB/s", "14us"), ("120GB/s", "12us"), ("115GB/s", "10us"),
               ("112GB/s", "8us"), ("110GB/s", "7us"), ("125GB/s", "20us"), ("130GB/s", "15us"))
DEEPEP = {16: (107, 103), 32: (102, 95), 64: (81, 91)}


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
    peak = 2 * 16 ** 3 * hw.clock      # FLOP/s per AIC: 16x16x16 bf16 MACs per cycle
    mm = np.array([graph.op_kinds[o] in ("grouped_matmul", "matmul") for o in graph.op])
    mac = graph.flops[mm].sum() / (machine.devices * aic.count * peak * res.makespan * 1e-9)
    dt = machine.devices * res.makespan
    return {
        "dispatch_GBps": collective_bandwidth(graph, machine, res, "dispatch") / 1e9,
        "combine_GBps": collective_bandwidth(graph, machine, res, "combine") / 1e9,
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


def rows(c: dict, tag: str = "") -> list[str]:
    """One table row per scheduler of a case."""
    out = []
    base = c["runs"].get("serial", {}).get("latency_ms")
    for name, r in c["runs"].items():
        cells = [str(c["devices"]), c["routing"] + tag, name]
        if "latency_ms" not in r:
            out.append("| " + " | ".join(cells + ["-"] * 11) + " |")
            continue
        cells += [f"{r['latency_ms']:.2f}", f"{r['predicted_ms']:.2f}",
                  f"{r['cube_mac_utilization']:.0%}", f"{r['a2a_share']:.0%}",
                  f"{r['a2a_exposed_fraction']:.0%}", f"{r['a2a_exposed_share']:.0%}",
                  f"{r['vector_only_share']:.1%}", f"{r['weights_read_x']:.2f}x",
                  f"{r['dispatch_GBps']:.1f}", f"{r['combine_GBps']:.1f}",
                  f"{base / r['latency_ms']:.2f}x" if base else "-"]
        out.append("| " + " | ".join(cells) + " |")
    return out


HEAD = ("| EP | routing | scheduler | ms | pred | cube MAC | a2a time | of it exposed "
        "| a2a exposed | vector-only | weights read | dispatch GB/s | combine GB/s | speedup |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def calibration_table(cases: list[dict]) -> str:
    """serial's per-rank bandwidth error against DeepEP-Ascend, one row per fabric pair."""
    out = ["| fabric | EP | dispatch | combine | largest |", "| --- | --- | --- | --- | --- |"]
    for c in cases:
        r = c["runs"].get("serial", {})
        if "dispatch_GBps" not in r:
            continue
        d, k = DEEPEP[c["devices"]]
        e = (r["dispatch_GBps"] / d - 1, r["combine_GBps"] / k - 1)
        out.append(f"| {c['tag'].strip(' []')[7:]} | {c['devices']} | {e[0]:+.1%} | "
                   f"{e[1]:+.1%} | {max(map(abs, e)):.1%} |")
    return "\n".join(out)


def _args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", default=",".join(map(str, DEVICES)),
                    help="comma-separated EP sizes (default: 16,32,64)")
    ap.add_argument("--routing", action="append",
                    help="routing to run (repeatable; default: balanced, zipf 1.2, grouped 8)")
    ap.add_argument("--sensitivity", action="store_true",
                    help="EP16 balanced, one hardware figure changed at a time (SENSITIVITY)")
    ap.add_argument("--calibration", action="store_true",
                    help="serial at EP16, 32, 64 for each fabric pair of CALIBRATION")
    ap.add_argument("--json", metavar="FILE", help="also write all figures as JSON")
    ap.add_argument("--results", metavar="FILE",
                    help="keep the sweeps' rows in FILE (and FILE.hpmoe) and skip the cases "
                         "already there (default: temporary files)")
    ap.add_argument("--force", action="store_true", help="run the cases in --results again")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--cluster", metavar="ADDRESS", help="a Dask scheduler to run on")
    where.add_argument("--workers", type=int, metavar="N",
                       help="worker processes of the local cluster (default: one per core)")
    return ap.parse_args(argv)


def sweeps(a, spec, grid: list[str], out: str, runs=RUNS) -> tuple[list[dict], bool]:
    """Every tiling's sweep of `grid` (`runs`); their rows and whether any point failed."""
    rows_, failed = [], False
    for tiling, schedulers in runs:
        job = Job(spec, tiling, extra=paper_figures)
        stem = Path(out)
        path = str(stem if tiling == RUNS[0][0] else stem.with_suffix(f".{tiling}{stem.suffix}"))
        outcome = run_sweep(Sweep(job, parse_grid(grid), schedulers, path, a.force),
                            Cluster(a.cluster, a.workers))
        rows_ += outcome.rows
        failed |= bool(outcome.failed)
    return rows_, failed


def main(argv=None) -> int:
    a = _args(argv)
    spec = load(str(SPEC))
    grids = [("", ["routing=" + ",".join(a.routing or ROUTINGS), f"devices={a.devices}"])]
    if a.sensitivity:
        grids = [(f" [{key[3:]} {v}]", ["routing=balanced", "devices=16", f"{key}={v}"])
                 for key, values in SENSITIVITY for v in values]
    if a.calibration:
        grids = [(f" [fabric {b} {t}]", ["routing=balanced", "devices=16,32,64",
                                          f"hw.fabric.bandwidth={b}", f"hw.fabric.per_peer={t}"])
                 for b, t in CALIBRATION]
    runs = ((RUNS[0][0], ("serial",)),) if a.calibration else RUNS
    cases, failed = [], False
    with tempfile.TemporaryDirectory() as tmp:
        for n, (tag, grid) in enumerate(grids):
            out = a.results or str(Path(tmp) / "reproduce.csv")
            if a.sensitivity or a.calibration:
                out = str(Path(out).with_suffix(f".s{n}{Path(out).suffix}"))
            got, bad = sweeps(a, spec, grid, out, runs)
            failed |= bad
            for c in cases_of(got, {"change": tag.strip(" []")}):
                c["tag"] = tag
                cases.append(c)
    print(HEAD, flush=True)
    for c in cases:
        print("\n".join(rows(c, c["tag"])), flush=True)
    if a.calibration:
        print(calibration_table(cases), flush=True)
    for c in cases:
        print(f"EP{c['devices']} {c['routing']}{c['tag']}: {c['tasks'] or 0:,} tasks, "
              f"{c['seconds']:.0f} s; prediction error " + ", ".join(
                  f"{n} {r.get('prediction_error', 0):+.1%}" for n, r in c["runs"].items()),
              file=sys.stderr)
        for name, r in c["runs"].items():
            if "error" in r:
                print(f"  {name}: no plan: {r['error']}", file=sys.stderr)
    if a.json:
        write_atomic(a.json, json.dumps({"spec": "examples/deepseek_superpod.hpm",
                                         "cases": cases}, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
