"""What every plan file must satisfy, whatever its format: `Decoded`, `validate` and the bound.

Each reader (`json_io`, `npz_io`) decodes its file into a `Decoded` value, checking only
what its own format can get wrong (JSON types and event names; npz members, dtypes and
shapes). `validate` then checks the decoded arrays against the graph and the machine,
vectorized, and builds the `Plan`; the messages live here, so both formats say the same
thing about the same mistake. Of several mistakes in the instructions, the one reported is
the first in machine queue order, as a reader going queue by queue would find it.
"""
from __future__ import annotations

import json
from typing import NamedTuple

import numpy as np

from hpdsl.cost import task_times
from hpdsl.errors import Loc, UserError, did_you_mean
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.plan.program import BARRIER, EXEC, OPS, PLAN_VERSION, SIGNAL, WAIT, Plan, PlanHeader
from hpdsl.plan.shape import check_shape

# counts and kernels live in int32 arrays; no plan signals an event more often than this
MAX_COUNT = 2**31 - 1


# A lowered plan takes up to about 250 bytes a task as JSON (heft on the 16-device DeepSeek
# layer: 52 MB for 204,800 tasks; emulating it peaks at 570 MB), less as npz: the bound
# leaves room for hand edits and keeps the JSON parser's memory (several times the text)
# near what a real plan of the graph needs (docs/limits.md).
PLAN_BASE_BYTES = 16 * 2**20
PLAN_BYTES_PER_TASK = 512


def max_plan_bytes(n_tasks: int) -> int:
    """The most bytes a plan file for an n-task graph may hold or unpack to, in any format."""
    return min(2**31, PLAN_BASE_BYTES + PLAN_BYTES_PER_TASK * n_tasks)


class Decoded(NamedTuple):
    """A plan file as its reader decoded it; nothing is checked against a graph yet.

    Rows in file order: the file's queue q holds rows `ptr[q]:ptr[q+1]`. `arg` is an exec's
    task, a wait's or signal's event id, a barrier's kernel; `count` a wait's count (other
    rows: ignored). Integers are int64; where a reader had to put something else in their
    place (a JSON string, a number beyond int64), `shown[(array name, index)]` holds the
    file's text, so the message quotes the file.
    """

    queues: tuple[str, ...]
    ptr: np.ndarray
    code: np.ndarray
    arg: np.ndarray
    count: np.ndarray
    event_names: tuple[str, ...]
    event_device: np.ndarray
    event_flag: np.ndarray
    event_base: np.ndarray
    header: PlanHeader
    shown: dict | None = None


def fail(where: Loc, msg: str):
    raise UserError(msg, loc=where)


def check_version(version, where: Loc) -> None:
    # exactly the integer: in Python true == 1 and 1.0 == 1
    if not (_is_int(version) and version == PLAN_VERSION):
        fail(where, f"unsupported plan version {json.dumps(version)[:40]}; this hpdsl reads "
                    f"version {PLAN_VERSION}")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def header_of(s, where: Loc) -> PlanHeader:
    """The "schedule" object (optional, informative), checked so a hand edit cannot crash."""
    if not isinstance(s, dict):
        fail(where, f"\"schedule\" must be an object, found {json.dumps(s)[:40]}")
    for key in ("scheduler", "status"):
        if not isinstance(s.get(key, ""), str):
            fail(where, f"\"schedule\" field \"{key}\" must be a string, found {json.dumps(s[key])[:40]}")
    for key in ("makespan_ns", "lower_bound_ns"):
        v = s.get(key, 0)
        if not _is_int(v) or not 0 <= v < 2**63:
            fail(where, f"\"schedule\" field \"{key}\" must be a non-negative integer, "
                        f"found {json.dumps(v)[:40]}")
    v = s.get("solve_seconds", 0.0)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < float("inf"):
        fail(where, f"\"schedule\" field \"solve_seconds\" must be a non-negative number, "
                    f"found {json.dumps(v)[:40]}")
    return PlanHeader(s.get("scheduler", "manual"), s.get("status", "feasible"),
                      s.get("makespan_ns", 0), s.get("lower_bound_ns", 0),
                      float(s.get("solve_seconds", 0.0)))


def near(name: str, valid) -> str:
    """did_you_mean, without listing thousands of queue names on a big machine."""
    valid = list(valid)
    if len(valid) <= 20:
        return did_you_mean(name, valid)
    hint = did_you_mean(name, valid).split("?")[0]
    return (hint + "?)" if "did you mean" in hint else "") + \
        f" (queues are named d<device>.<core><instance>.<queue>, e.g. '{valid[0]}')"


def validate(d: Decoded, graph: TaskGraph, machine: Machine, where: Loc) -> Plan:
    """The plan `d` describes, checked against `graph` and `machine`; UserError on any mistake.

    Checks: events on a device of the machine, in a sync flag it has, with a base in range;
    known queues, each named once; known opcodes; task ids in range, each task executed
    exactly once on a queue that can run it; event ids declared; wait counts and barrier
    kernels in range; the shape lowering gives every plan (`hpdsl.plan.shape`).
    """
    shown = d.shown or {}
    _check_events(d, machine, where, shown)
    rows, ptr = _machine_order(d, machine, where)
    code, arg, cnt = d.code[rows], d.arg[rows], d.count[rows]
    _check_rows(_Rows(code, arg, cnt, ptr, rows, shown, len(d.event_names)), graph, machine, where)
    placed = np.zeros(graph.n_tasks, bool)
    placed[arg[code == EXEC]] = True
    never = np.flatnonzero(~placed)
    if len(never):
        t = int(never[0])
        more = f" (and {len(never) - 1} more)" if len(never) > 1 else ""
        fail(where, f"task {t} ({graph.label(t)}) is never executed{more}")
    check_shape(code, arg, ptr, d.event_names, d.event_device, machine, where)
    # only a wait's count is the file's; a signal's is its position, the rest have none
    arg, cnt = arg.astype(np.int32), np.where(code == WAIT, cnt, 0).astype(np.int32)
    number_signals(code, arg, cnt, len(d.event_names))
    return Plan(queues=tuple(w.name for w in machine.workers), ptr=ptr, code=code, arg=arg,
                count=cnt, event_names=tuple(d.event_names), event_device=d.event_device,
                event_flag=d.event_flag, header=d.header, event_base=d.event_base)


def _first_failure(checks, where: Loc) -> None:
    """checks: (mask, message of index) in priority order; raise for the smallest index any
    mask flags, with the first check's message flagging it."""
    best = None
    for mask, message in checks:
        hit = np.flatnonzero(mask)
        if len(hit) and (best is None or hit[0] < best[0]):
            best = (int(hit[0]), message)
    if best is not None:
        fail(where, best[1](best[0]))


def _check_events(d: Decoded, machine: Machine, where: Loc, shown: dict) -> None:
    hw, dev, flag, base = machine.hardware, d.event_device, d.event_flag, d.event_base
    name = d.event_names

    def show(field, e):
        return shown.get((field, e), str(int(getattr(d, field)[e])))

    _first_failure([
        ((dev < 0) | (dev >= machine.devices),
         lambda e: f"event '{name[e]}' lives on device {show('event_device', e)}, but the "
                   f"machine has devices 0..{machine.devices - 1}"),
        (flag < 0, lambda e: f"event '{name[e]}' has negative flag {show('event_flag', e)}"),
        (flag >= hw.sync_flags,
         lambda e: f"event '{name[e]}' uses flag {show('event_flag', e)}, but hardware "
                   f"'{hw.name}' has {hw.sync_flags} sync flags per device "
                   f"(flags 0..{hw.sync_flags - 1})"),
        ((base < 0) | (base > MAX_COUNT),
         lambda e: f"event '{name[e]}' has \"base\" {show('event_base', e)}; it must be a "
                   f"non-negative integer (the flag count the event starts from)"),
    ], where)
    if len(set(name)) != len(name):
        seen = set()
        dup = next(n for n in name if n in seen or seen.add(n))
        fail(where, f"event '{dup}' is declared twice")


def _machine_order(d: Decoded, machine: Machine, where: Loc) -> tuple[np.ndarray, np.ndarray]:
    """(file row of each row in machine worker order, the CSR pointers of that order)."""
    by_name = machine.worker_by_name()
    seg = np.full(len(machine.workers), -1, np.int64)
    for q, qname in enumerate(d.queues):
        w = by_name.get(qname)
        if w is None:
            fail(where, f"unknown queue '{qname}'" + near(qname, by_name))
        if seg[w] >= 0:
            fail(where, f"queue '{qname}' appears twice")
        seg[w] = q
    has, at = seg >= 0, np.maximum(seg, 0)
    sizes = np.r_[np.diff(d.ptr), 0]      # a trailing 0 so `at` indexes even with no queues
    lengths = np.where(has, sizes[at], 0)
    ptr = np.r_[0, np.cumsum(lengths)].astype(np.int64)
    starts = np.where(has, d.ptr[at], 0)
    rows = np.repeat(starts - ptr[:-1], lengths) + np.arange(ptr[-1], dtype=np.int64)
    return rows, ptr


class _Rows(NamedTuple):
    """The instructions in machine order, with what the messages need."""

    code: np.ndarray
    arg: np.ndarray
    count: np.ndarray
    ptr: np.ndarray
    file_row: np.ndarray     # the row in the decoded file (the key of `shown`)
    shown: dict
    n_events: int


def _check_rows(r: _Rows, graph: TaskGraph, machine: Machine, where: Loc) -> None:
    n, code, arg, cnt = graph.n_tasks, r.code, r.arg, r.count
    iq = np.repeat(np.arange(len(machine.workers)), np.diff(r.ptr))
    names = [w.name for w in machine.workers]

    def at(i):
        return f"queue '{names[iq[i]]}' instruction {i - r.ptr[iq[i]]}"

    def show(field, i):
        return r.shown.get((field, int(r.file_row[i])), str(int(getattr(r, field)[i])))

    ex = (code == EXEC) & (arg >= 0) & (arg < n)
    first, twice = _first_execs(ex, arg, n)
    t = np.where(ex, arg, 0)
    cannot = ex & ~twice & ((graph.device[t] != machine.worker_device[iq])
                            | (task_times(graph, machine)[t, machine.worker_core[iq]] < 0))
    evop = (code == WAIT) | (code == SIGNAL)
    _first_failure([
        ((code < 0) | (code >= len(OPS)),
         lambda i: f"{at(i)}: unknown opcode {code[i]}; opcodes are "
                   + ", ".join(f"{k} ({op})" for k, op in enumerate(OPS))),
        ((code == EXEC) & ~ex,
         lambda i: f"{at(i)}: unknown task {show('arg', i)}; task ids are 0..{n - 1}"),
        (twice, lambda i: f"{at(i)}: task {arg[i]} ({graph.label(int(arg[i]))}) is executed "
                          f"twice; it is already executed at {at(first[arg[i]])}"),
        (cannot, lambda i: f"{at(i)}: task {arg[i]} ({graph.label(int(arg[i]))}) cannot run "
                           f"on '{names[iq[i]]}'"),
        (evop & ((arg < 0) | (arg >= r.n_events)),
         lambda i: f"{at(i)}: unknown event id {show('arg', i)}; the plan declares events "
                   f"0..{r.n_events - 1}"),
        ((code == WAIT) & (cnt < 1),
         lambda i: f"{at(i)}: a wait's \"count\" must be a positive integer, found "
                   f"{show('count', i)}"),
        ((code == WAIT) & (cnt > MAX_COUNT),
         lambda i: f"{at(i)}: a wait's \"count\" {show('count', i)} is above the limit of "
                   f"{MAX_COUNT}"),
        ((code == BARRIER) & (arg < 0),
         lambda i: f"{at(i)}: a barrier needs a non-negative integer \"kernel\""),
        ((code == BARRIER) & (arg > MAX_COUNT),
         lambda i: f"{at(i)}: a barrier's \"kernel\" {show('arg', i)} is above the limit of "
                   f"{MAX_COUNT}"),
    ], where)


def _first_execs(ex: np.ndarray, arg: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(per task, the row of its first exec (-1: none); per row, whether it execs a task a
    row before it already executed)."""
    rows = np.flatnonzero(ex)
    _, first = np.unique(arg[rows], return_index=True)
    twice = np.zeros(len(arg), bool)
    twice[rows] = True
    twice[rows[first]] = False
    first_row = np.full(n, -1, np.int64)
    first_row[arg[rows[first]]] = rows[first]
    return first_row, twice


def number_signals(code: np.ndarray, arg: np.ndarray, cnt: np.ndarray, n_events: int) -> None:
    """Write each signal's count: its position among its event's signals (as `lower` does)."""
    sig = np.flatnonzero(code == SIGNAL)
    if len(sig):
        ev = arg[sig]
        o = np.argsort(ev, kind="stable")
        first = np.r_[0, np.cumsum(np.bincount(ev, minlength=n_events))]
        ords = np.empty(len(sig), np.int32)
        ords[o] = np.arange(len(sig)) - first[ev[o]] + 1
        cnt[sig] = ords
