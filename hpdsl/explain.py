"""Why one schedule is faster than another: idle time by cause, communication, launches.

`activity()` sweeps the emulated task intervals of every device once (numpy, no per-task
Python) and measures, per core type, how much of the device-time all its workers sat idle
and which ops were running meanwhile; `why()` turns that into a few sentences such as

    serial: AIC idle 41% of the time (18% while act runs, 20% with nothing running);
    ops running: dispatch 12%, up 30%, act 18%, down 15%, combine 10% of the time;
    35% of communication exposed; 5 kernel launches = 100 us.

The numbers are means over devices: "AIC idle 41%" means that on an average device, for
41% of the makespan no AIC worker was running a task; "act 18%" that for 18% of it some
task of `act` was running. Every op is named in the second line, and in an idle
sentence wherever it ran for at least 1% of the time while that core type sat idle.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hpdsl.fmt import duration
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine


@dataclass(frozen=True, slots=True)
class Activity:
    """Fractions of device-time (devices x makespan), per core type and op."""

    makespan: int
    idle: dict            # core type -> fraction with no worker of that type busy
    idle_while: dict      # core type -> {op name -> fraction idle while that op runs}
    idle_empty: dict      # core type -> fraction idle while nothing at all runs
    comm_ns: int          # summed over devices: time some send runs
    busy_by_op: dict      # op name -> fraction of device-time it runs (any worker)


# What can make an emulated makespan differ from the scheduler's, named without claiming
# which one did: `why` sees totals only, not the per-task predicted times.
SLOWER = ("candidate causes: link, L2 and HBM bandwidth shared among the tasks running "
          "at once, and the L2 misses and write-backs the plan's order causes, where the "
          "scheduler's estimate charges fixed bandwidth shares with weights reused and "
          "intermediates in L2, and sees links only through its per-link send timelines")
FASTER = ("the plan runs each task as soon as its waits allow, earlier than the "
          "scheduler's estimate where it charged latencies or link time that the "
          "run did not need")


def activity(graph: TaskGraph, machine: Machine, start: np.ndarray, end: np.ndarray,
             worker: np.ndarray, makespan: int) -> Activity:
    """Sweep the intervals of tasks that ran; see `Activity`."""
    C, O, D = len(machine.core_types), len(graph.ops), machine.devices
    total = float(D * makespan) if makespan > 0 else 0.0
    ran = np.flatnonzero((start >= 0) & (end > start))
    core = machine.worker_core[worker[ran]].astype(np.int64)
    op = graph.op[ran].astype(np.int64)
    send = (graph.dst[ran] >= 0).astype(np.int64)
    dev = graph.device[ran].astype(np.int64)
    # one row of counters per end point: C core-type counts, O op counts, 1 send count
    k = len(ran)
    delta = np.zeros((2 * k, C + O + 1), np.int32)   # counts stay far below 2**31
    rows = np.arange(k)
    delta[rows, core] = 1
    delta[k + rows, core] = -1
    delta[rows, C + op] = 1
    delta[k + rows, C + op] = -1
    delta[rows, C + O] = send
    delta[k + rows, C + O] = -send
    t = np.r_[start[ran], end[ran]].astype(np.int64)
    g = np.r_[dev, dev]
    order = np.lexsort((t, g))
    t, g, delta = t[order], g[order], delta[order]
    counts = (np.cumsum(delta, axis=0, dtype=np.int32)[:-1] if len(t)
              else np.zeros((0, C + O + 1), np.int32))
    length = (np.where(g[1:] == g[:-1], t[1:] - t[:-1], 0) if len(t) > 1
              else np.zeros(0, np.int64)).astype(np.float64)
    busy_core = counts[:, :C] > 0
    running = counts[:, C:C + O] > 0
    anything = busy_core.any(axis=1)
    idle, idle_while, idle_empty = {}, {}, {}
    for ci, c in enumerate(machine.core_types):
        busy_ns = float(length[busy_core[:, ci]].sum())
        idle[c] = 1.0 - busy_ns / total if total else 0.0
        off = ~busy_core[:, ci]
        idle_while[c] = {graph.ops[o]: float(length[off & running[:, o]].sum()) / total
                         for o in range(O) if total and (off & running[:, o]).any()}
        # inside the sweep nothing runs in gaps; outside it (launch, tail) too
        inside_empty = float(length[~anything].sum())
        covered = float(length.sum())
        idle_empty[c] = (inside_empty + total - covered) / total if total else 0.0
    busy_by_op = {graph.ops[o]: float(length[running[:, o]].sum()) / total
                  for o in range(O) if total}
    comm = int(length[counts[:, C + O] > 0].sum()) if len(length) else 0
    return Activity(int(makespan), idle, idle_while, idle_empty, comm, busy_by_op)


def idle_sentence(act: Activity, core: str, explicit: bool) -> str:
    """'AIC idle 41% of the time (20% while act runs, 18% with nothing running)'."""
    parts = []
    if not explicit:   # an explicit graph has one "op" (its name): naming it says nothing
        during = sorted(act.idle_while.get(core, {}).items(), key=lambda kv: -kv[1])
        parts += [f"{f:.0%} while {op} runs" for op, f in during if f >= 0.01]
    if act.idle_empty.get(core, 0.0) >= 0.01:
        parts.append(f"{act.idle_empty[core]:.0%} with nothing running")
    tail = f" ({', '.join(parts)})" if parts else ""
    return f"{core} idle {act.idle.get(core, 0.0):.0%} of the time{tail}"


def ops_sentence(act: Activity) -> str:
    """'ops running: dispatch 12%, up 30%, act 18% of the time' (every op, in op order)."""
    share = [f"{op} {f:.0%}" if f >= 0.005 else f"{op} <1%" for op, f in act.busy_by_op.items()]
    return f"ops running: {', '.join(share)} of the time"


def why(name: str, graph: TaskGraph, machine: Machine, act: Activity, *, kernels: int,
        exposed_comm: int, starved: dict, prediction_error: float | None,
        errors: int, traffic: tuple[str, ...] = ()) -> list[str]:
    """A few sentences on what limited one run (see the module docstring); `traffic`: the
    off-chip sentences worth saying (`hpdsl.traffic.reread_lines`)."""
    explicit = graph.task_names is not None
    lines = []
    idle = [idle_sentence(act, c, explicit) for c in machine.core_types
            if act.idle.get(c, 0.0) >= 0.01]
    if idle:
        lines.append("; ".join(idle))
    if not explicit and act.busy_by_op:
        lines.append(ops_sentence(act))
    if act.comm_ns > 0:
        lines.append(f"{exposed_comm / act.comm_ns:.0%} of communication exposed "
                     f"({duration(exposed_comm / machine.devices)} of {duration(act.comm_ns / machine.devices)} "
                     f"per device with no compute beside it)")
    launch = machine.hardware.launch
    if launch:
        lines.append(f"{kernels} kernel launch{'es' if kernels != 1 else ''} = "
                     f"{duration(kernels * launch)}")
    waits = {c: v for c, v in starved.items() if act.makespan and v >= 0.05 * act.makespan}
    if waits:
        lines.append("ready tasks waited beside an idle " + ", ".join(
            f"{c} {duration(v)} ({v / act.makespan:.0%})" for c, v in waits.items())
            + " per device (ordering or barriers, not a lack of cores)")
    lines += traffic
    if prediction_error is not None and prediction_error >= 0.05:
        lines.append(f"emulated {prediction_error:+.0%} vs. predicted ({SLOWER})")
    elif prediction_error is not None and prediction_error <= -0.05:
        lines.append(f"emulated {prediction_error:+.0%} vs. predicted ({FASTER})")
    if errors:
        lines.append(f"{errors} violation{'s' if errors != 1 else ''} found by the emulator: "
                     f"the plan is wrong, its times mean nothing")
    return [f"{name}: {s}" for s in lines]
