"""What every plan loader checks on the decoded arrays before a plan reaches the checker or
the emulator: values in range, each task executed once where it can run, and nothing
`lower` could not have made.

A loader (`hpdsl.plan.json_io` for JSON) decodes a file into a `Decoded` value: int64
arrays, event ids and the machine's queue order already resolved, every number fitting
int64. `well_formed` checks it and returns the `Plan`, or raises a `UserError` naming the
queue and instruction. The message builders below are shared with the loaders, so a
value too large for int64 reads the same as one merely out of range.

Beyond ranges, a plan must be one lowering could have made: every queue holds the same
barriers, with kernel numbers rising along it; every wait is on a queue of the device
its event lives on (a counter lives on its consumers' device); every declared event is
signalled or waited for.
"""
from __future__ import annotations

import json
from typing import NamedTuple

import numpy as np

from hpdsl.cost import task_times
from hpdsl.errors import Loc, UserError
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.plan.program import BARRIER, EXEC, SIGNAL, WAIT, Plan, PlanHeader

MAX_COUNT = 2**31 - 1   # counts, bases and kernel numbers live in int32 arrays


class Decoded(NamedTuple):
    """A plan as a loader read it; `well_formed` judges it. Queues in machine order."""

    ptr: np.ndarray            # int64, len(machine.workers) + 1
    code: np.ndarray           # int64 per instruction: EXEC, WAIT, SIGNAL or BARRIER
    arg: np.ndarray            # int64: task, event id or kernel number
    count: np.ndarray          # int64: a wait's count (0 for the others)
    event_names: tuple[str, ...]
    event_device: np.ndarray   # int64 per event
    event_flag: np.ndarray
    event_base: np.ndarray
    header: PlanHeader


def shown(v) -> str:
    """A JSON value as a message shows it (short)."""
    return json.dumps(v)[:40]


def bad_task(v, n: int) -> str:
    return f"unknown task {shown(v)}; task ids are 0..{n - 1}"


def bad_count(v) -> str:
    if isinstance(v, int) and not isinstance(v, bool) and v > MAX_COUNT:
        return f"a wait's \"count\" {v} is above the limit of {MAX_COUNT}"
    return f"a wait's \"count\" must be a positive integer, found {shown(v)}"


def bad_kernel(v) -> str:
    if isinstance(v, int) and not isinstance(v, bool) and v > MAX_COUNT:
        return f"a barrier's \"kernel\" {v} is above the limit of {MAX_COUNT}"
    return "a barrier needs a non-negative integer \"kernel\""


def bad_device(name: str, v, devices: int) -> str:
    return f"event '{name}' lives on device {shown(v)}, but the machine has devices 0..{devices - 1}"


def bad_flag(name: str, v, hw) -> str:
    if isinstance(v, int) and v < 0:
        return f"event '{name}' has negative flag {v}"
    return (f"event '{name}' uses flag {shown(v)}, but hardware '{hw.name}' has {hw.sync_flags} "
            f"sync flags per device (flags 0..{hw.sync_flags - 1})")


def bad_base(name: str, v) -> str:
    return (f"event '{name}' has \"base\" {shown(v)}; it must be a non-negative integer "
            f"(the flag count the event starts from)")


def well_formed(d: Decoded, graph: TaskGraph, machine: Machine, where: Loc) -> Plan:
    """The plan `d` describes, once every check above holds; UserError at the first that fails."""
    _check_events(d, machine, where)
    at = _At(d, machine, where)
    _check_values(d, graph, at)
    _check_execs(d, graph, machine, at)
    _check_barriers(d, machine, at)
    _check_events_used(d, machine, at)
    count = d.count.copy()
    _number_signals(d.code, d.arg, count, len(d.event_names))
    return Plan(queues=tuple(w.name for w in machine.workers), ptr=d.ptr, code=d.code,
                arg=d.arg, count=count, event_names=d.event_names, event_device=d.event_device,
                event_flag=d.event_flag, header=d.header, event_base=d.event_base)


class _At:
    """Names instruction i as its queue and index there, for messages."""

    def __init__(self, d: Decoded, machine: Machine, where: Loc):
        self.ptr, self.names, self.where = d.ptr, [w.name for w in machine.workers], where
        self.iq = np.repeat(np.arange(len(self.names)), np.diff(d.ptr))

    def __call__(self, i: int) -> str:
        q = int(self.iq[i])
        return f"queue '{self.names[q]}' instruction {i - int(self.ptr[q])}"

    def fail(self, msg: str, i: int | None = None):
        raise UserError(msg if i is None else f"{self(i)}: {msg}", loc=self.where)


def _check_events(d: Decoded, machine: Machine, where: Loc) -> None:
    hw, names = machine.hardware, d.event_names
    dev, flag, base = d.event_device, d.event_flag, d.event_base
    if (e := _first((dev < 0) | (dev >= machine.devices))) is not None:
        raise UserError(bad_device(names[e], int(dev[e]), machine.devices), loc=where)
    if (e := _first((flag < 0) | (flag >= hw.sync_flags))) is not None:
        raise UserError(bad_flag(names[e], int(flag[e]), hw), loc=where)
    if (e := _first((base < 0) | (base > MAX_COUNT))) is not None:
        raise UserError(bad_base(names[e], int(base[e])), loc=where)


def _first(mask: np.ndarray) -> int | None:
    hit = np.flatnonzero(mask)
    return int(hit[0]) if len(hit) else None


def _check_values(d: Decoded, graph: TaskGraph, at: _At) -> None:
    """Opcodes, task and event ids, counts and kernel numbers in range."""
    code, arg, cnt = d.code, d.arg, d.count
    if (i := _first((code < EXEC) | (code > BARRIER))) is not None:
        at.fail(f"unknown opcode {int(code[i])}", i)
    ex, ev = code == EXEC, (code == WAIT) | (code == SIGNAL)
    if (i := _first(ex & ((arg < 0) | (arg >= graph.n_tasks)))) is not None:
        at.fail(bad_task(int(arg[i]), graph.n_tasks), i)
    if (i := _first(ev & ((arg < 0) | (arg >= len(d.event_names))))) is not None:
        at.fail(f"unknown event id {int(arg[i])}; events are 0..{len(d.event_names) - 1}", i)
    if (i := _first((code == WAIT) & ((cnt < 1) | (cnt > MAX_COUNT)))) is not None:
        at.fail(bad_count(int(cnt[i])), i)
    if (i := _first((code == BARRIER) & ((arg < 0) | (arg > MAX_COUNT)))) is not None:
        at.fail(bad_kernel(int(arg[i])), i)


def _check_execs(d: Decoded, graph: TaskGraph, machine: Machine, at: _At) -> None:
    """Each task executed exactly once, on a queue of its device whose core can run it."""
    ex = np.flatnonzero(d.code == EXEC)
    task = d.arg[ex]
    o = np.argsort(task, kind="stable")          # stream order within each task
    twice = np.flatnonzero(task[o][1:] == task[o][:-1])
    if len(twice):
        first, again = ex[o[twice]], ex[o[twice + 1]]
        k = int(np.argmin(again))                # the first repeat in stream order
        t = int(d.arg[again[k]])
        at.fail(f"task {t} ({graph.label(t)}) is executed twice; it is already executed at "
                f"{at(int(first[k]))}", int(again[k]))
    q = at.iq[ex]
    times = task_times(graph, machine)
    bad = (machine.worker_device[q] != graph.device[task]) | (times[task, machine.worker_core[q]] < 0)
    if (k := _first(bad)) is not None:
        t = int(task[k])
        at.fail(f"task {t} ({graph.label(t)}) cannot run on '{at.names[q[k]]}'", int(ex[k]))
    never = np.setdiff1d(np.arange(graph.n_tasks), task)
    if len(never):
        t = int(never[0])
        more = f" (and {len(never) - 1} more)" if len(never) > 1 else ""
        at.fail(f"task {t} ({graph.label(t)}) is never executed{more}")


def _check_barriers(d: Decoded, machine: Machine, at: _At) -> None:
    """The same barriers in every queue, their kernel numbers rising along it."""
    bar = np.flatnonzero(d.code == BARRIER)
    nb = np.bincount(at.iq[bar], minlength=len(at.names))
    if (q := _first(nb != nb[0])) is not None:
        at.fail(f"queue '{at.names[q]}' has {nb[q]} barriers, queue '{at.names[0]}' has {nb[0]}; "
                "every queue must reach every barrier")
    kern = d.arg[bar].reshape(len(at.names), int(nb[0]))   # queue-major: one row per queue
    if (k := _first((np.diff(kern, axis=1) <= 0).ravel())) is not None:
        q, j = divmod(k, int(nb[0]) - 1)
        at.fail(f"barrier kernel {kern[q, j + 1]} follows kernel {kern[q, j]}; kernel numbers "
                "rise along a queue (each kernel starts once)", int(bar[q * nb[0] + j + 1]))
    if (k := _first((kern != kern[0]).ravel())) is not None:
        q, j = divmod(k, int(nb[0]))
        at.fail(f"barrier {j} starts kernel {kern[q, j]}, but barrier {j} of queue "
                f"'{at.names[0]}' starts kernel {kern[0, j]}; every queue holds the same "
                "barriers", int(bar[k]))


def _check_events_used(d: Decoded, machine: Machine, at: _At) -> None:
    """Waits on the event's own device; no event declared for nothing."""
    wait = np.flatnonzero(d.code == WAIT)
    e = d.arg[wait]
    off = machine.worker_device[at.iq[wait]] != d.event_device[e]
    if (k := _first(off)) is not None:
        name, dev = d.event_names[int(e[k])], int(d.event_device[e[k]])
        at.fail(f"waits for event '{name}', which lives on device {dev}; a queue waits only for "
                "counters on its own device (lowering puts each event on the device of the "
                "queues that wait for it)", int(wait[k]))
    used = np.zeros(len(d.event_names), bool)
    used[d.arg[(d.code == WAIT) | (d.code == SIGNAL)]] = True
    if (e0 := _first(~used)) is not None:
        at.fail(f"event '{d.event_names[e0]}' is declared, but no instruction signals or waits "
                "for it")


def _number_signals(code: np.ndarray, arg: np.ndarray, cnt: np.ndarray, n_events: int) -> None:
    """Write each signal's count: its position among its event's signals (as `lower` does)."""
    sig = np.flatnonzero(code == SIGNAL)
    if len(sig):
        ev = arg[sig]
        o = np.argsort(ev, kind="stable")
        first = np.r_[0, np.cumsum(np.bincount(ev, minlength=n_events))]
        ords = np.empty(len(sig), np.int64)
        ords[o] = np.arange(len(sig)) - first[ev[o]] + 1
        cnt[sig] = ords
