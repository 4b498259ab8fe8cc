"""Plan JSON: `plan_to_json` and `load_plan`, which validates a plan file for one graph.

    {"version": 1,
     "queues": {"d0.AIC0.cube": [{"op": "exec", "task": 3}, {"op": "signal", "event": "E"}, ...]},
     "events": {"E": {"device": 0, "flag": 5}},
     "schedule": {"scheduler": ..., "status": ..., "makespan_ns": ..., "lower_bound_ns": ...,
                  "solve_seconds": ...}}

A wait is `{"op": "wait", "event": E, "count": N}`; a kernel boundary of a baseline is
`{"op": "barrier", "kernel": K}` in every queue. Queues left out of "queues" are empty.
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


def plan_to_json(plan: Plan) -> str:
    """The plan as JSON text (built here, on demand; streams are written one line per queue)."""
    names = plan.event_names
    code, arg, cnt = plan.code.tolist(), plan.arg.tolist(), plan.count.tolist()
    q_ev = [json.dumps(n) for n in names]

    def ins(i: int) -> str:
        c = code[i]
        if c == EXEC:
            return f'{{"op": "exec", "task": {arg[i]}}}'
        if c == WAIT:
            return f'{{"op": "wait", "event": {q_ev[arg[i]]}, "count": {cnt[i]}}}'
        if c == SIGNAL:
            return f'{{"op": "signal", "event": {q_ev[arg[i]]}}}'
        return f'{{"op": "barrier", "kernel": {arg[i]}}}'

    ptr = plan.ptr.tolist()
    queues = []
    for q, qname in enumerate(plan.queues):
        body = ", ".join(ins(i) for i in range(ptr[q], ptr[q + 1]))
        queues.append(f'    {json.dumps(qname)}: [{body}]')
    # "base" (only when not 0): where the event's counts start on a flag it shares
    events = ",\n".join(f'    {q_ev[e]}: {{"device": {d}, "flag": {f}' + (f', "base": {b}}}' if b else '}')
                        for e, (d, f, b) in enumerate(zip(plan.event_device.tolist(),
                                                          plan.event_flag.tolist(),
                                                          plan.event_base.tolist())))
    h = plan.header
    sched = json.dumps({"scheduler": h.scheduler, "status": h.status, "makespan_ns": h.makespan_ns,
                        "lower_bound_ns": h.lower_bound_ns, "solve_seconds": h.solve_seconds})
    return ('{"version": %d,\n "queues": {\n%s\n },\n "events": {\n%s\n },\n "schedule": %s}\n'
            % (PLAN_VERSION, ",\n".join(queues), events, sched))


def _near(name: str, valid) -> str:
    """did_you_mean, without listing thousands of queue names on a big machine."""
    valid = list(valid)
    if len(valid) <= 20:
        return did_you_mean(name, valid)
    hint = did_you_mean(name, valid).split("?")[0]
    return (hint + "?)" if "did you mean" in hint else "") + \
        f" (queues are named d<device>.<core><instance>.<queue>, e.g. '{valid[0]}')"


def _fail(where: Loc, msg: str):
    raise UserError(msg, loc=where)


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# counts live in int32 arrays; no plan signals an event more often than this
MAX_COUNT = 2**31 - 1


def _header(s, where: Loc) -> PlanHeader:
    """The "schedule" object (optional, informative), checked so a hand edit cannot crash."""
    if not isinstance(s, dict):
        _fail(where, f"\"schedule\" must be an object, found {json.dumps(s)[:40]}")
    for key in ("scheduler", "status"):
        if not isinstance(s.get(key, ""), str):
            _fail(where, f"\"schedule\" field \"{key}\" must be a string, found {json.dumps(s[key])[:40]}")
    for key in ("makespan_ns", "lower_bound_ns"):
        v = s.get(key, 0)
        if not _int(v) or not 0 <= v < 2**63:
            _fail(where, f"\"schedule\" field \"{key}\" must be a non-negative integer, "
                         f"found {json.dumps(v)[:40]}")
    v = s.get("solve_seconds", 0.0)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < float("inf"):
        _fail(where, f"\"schedule\" field \"solve_seconds\" must be a non-negative number, "
                     f"found {json.dumps(v)[:40]}")
    return PlanHeader(s.get("scheduler", "manual"), s.get("status", "feasible"),
                      s.get("makespan_ns", 0), s.get("lower_bound_ns", 0),
                      float(s.get("solve_seconds", 0.0)))


def load_plan(text: str, graph: TaskGraph, machine: Machine, filename: str = "<plan>") -> Plan:
    """Parse and validate plan JSON against `graph` and `machine`; UserError on any mistake.

    Checks: JSON syntax, version, known queues, well-formed instructions, task ids in range,
    each task executed exactly once on a queue that can run it, events declared.
    """
    where = Loc(filename)
    doc = _document(text, filename)
    queues, events = doc["queues"], doc.get("events", {})
    ev = _events(events, machine, where)
    by_name = machine.worker_by_name()
    for qname in queues:
        if qname not in by_name:
            _fail(where, f"unknown queue '{qname}'" + _near(qname, by_name))
    rd = _Reader(graph, machine, ev.index, where)
    for w in machine.workers:
        rd.queue(w, queues.get(w.name, []))
    rd.all_executed()
    code, arg, cnt = np.array(rd.code, np.int8), np.array(rd.arg, np.int32), np.array(rd.cnt, np.int32)
    _number_signals(code, arg, cnt, len(ev.device))
    header = _header(doc.get("schedule", {}) or {}, where)
    return Plan(queues=tuple(w.name for w in machine.workers), ptr=np.array(rd.ptr), code=code,
                arg=arg, count=cnt, event_names=tuple(ev.index), event_device=np.array(ev.device),
                event_flag=np.array(ev.flag), header=header,
                event_base=np.array(ev.base, np.int64))


def _document(text: str, filename: str) -> dict:
    """The JSON object of a plan, with "queues" and "events" of the right types."""
    where = Loc(filename)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise UserError(f"not valid JSON: {e.msg}", loc=Loc(filename, e.lineno, e.colno)) from None
    except RecursionError:
        _fail(where, "not a plan: the JSON is nested too deeply")
    if not isinstance(doc, dict):
        _fail(where, "a plan must be a JSON object with 'version', 'queues' and 'events'")
    if doc.get("version") != PLAN_VERSION:
        _fail(where, f"unsupported plan version {doc.get('version')!r}; this hpdsl reads version "
                     f"{PLAN_VERSION}")
    if not isinstance(doc.get("queues"), dict):
        _fail(where, "'queues' must be an object mapping queue names to instruction lists")
    if not isinstance(doc.get("events", {}), dict):
        _fail(where, "'events' must be an object mapping event names to {device, flag}")
    return doc


class _Events(NamedTuple):
    index: dict             # event name -> id, in file order
    device: list
    flag: list
    base: list


def _events(events: dict, machine: Machine, where: Loc) -> _Events:
    """The "events" table, each entry checked against the machine."""
    ev = _Events({}, [], [], [])
    for name, info in events.items():
        if not (isinstance(info, dict) and _int(info.get("device")) and _int(info.get("flag"))):
            _fail(where, f"event '{name}' must be {{\"device\": D, \"flag\": F}} with integers")
        if not 0 <= info["device"] < machine.devices:
            _fail(where, f"event '{name}' lives on device {info['device']}, but the machine has "
                         f"devices 0..{machine.devices - 1}")
        if info["flag"] < 0:
            _fail(where, f"event '{name}' has negative flag {info['flag']}")
        if info["flag"] >= machine.hardware.sync_flags:
            _fail(where, f"event '{name}' uses flag {info['flag']}, but hardware "
                         f"'{machine.hardware.name}' has {machine.hardware.sync_flags} sync flags "
                         f"per device (flags 0..{machine.hardware.sync_flags - 1})")
        b = info.get("base", 0)
        if not _int(b) or not 0 <= b <= MAX_COUNT:
            _fail(where, f"event '{name}' has \"base\" {json.dumps(b)}; it must be a "
                         f"non-negative integer (the flag count the event starts from)")
        ev.index[name] = len(ev.device)
        ev.device.append(info["device"])
        ev.flag.append(info["flag"])
        ev.base.append(b)
    return ev


class _Reader:
    """Reads the queues' instruction lists into flat rows, checking each instruction."""

    def __init__(self, graph: TaskGraph, machine: Machine, ev_index: dict, where: Loc):
        self.graph, self.ev_index, self.where = graph, ev_index, where
        self.times = task_times(graph, machine)
        self.placed = np.full(graph.n_tasks, -1, dtype=np.int64)
        self.placed_at: dict[int, str] = {}
        self.ptr, self.code, self.arg, self.cnt = [0], [], [], []

    def queue(self, w, stream) -> None:
        if not isinstance(stream, list):
            _fail(self.where, f"queue '{w.name}' must be a list of instructions")
        for i, ins in enumerate(stream):
            at = f"queue '{w.name}' instruction {i}"
            if not isinstance(ins, dict) or ins.get("op") not in OPS:
                op = ins.get("op") if isinstance(ins, dict) else ins
                _fail(self.where, f"{at}: expected an object with \"op\" one of "
                                  f"{', '.join(OPS)}, found {json.dumps(op)}")
            op = ins["op"]
            if op == "exec":
                self._exec(w, ins, at)
            elif op == "barrier":
                k = ins.get("kernel")
                if not _int(k) or k < 0:
                    _fail(self.where, f"{at}: a barrier needs a non-negative integer \"kernel\"")
                self._row(BARRIER, k, 0)
            else:
                self._event_op(op, ins, at)
        self.ptr.append(len(self.code))

    def _row(self, code: int, arg: int, cnt: int) -> None:
        self.code.append(code), self.arg.append(arg), self.cnt.append(cnt)

    def _exec(self, w, ins, at: str) -> None:
        g, n, where = self.graph, self.graph.n_tasks, self.where
        t = ins.get("task")
        if not _int(t) or not 0 <= t < n:
            _fail(where, f"{at}: unknown task {json.dumps(t)}; task ids are 0..{n - 1}")
        if self.placed[t] >= 0:
            _fail(where, f"{at}: task {t} ({g.label(t)}) is executed twice; it is "
                         f"already executed at {self.placed_at[t]}")
        if g.device[t] != w.device or self.times[t, w.core_index] < 0:
            _fail(where, f"{at}: task {t} ({g.label(t)}) cannot run on '{w.name}'")
        self.placed[t] = w.id
        self.placed_at[t] = at
        self._row(EXEC, t, 0)

    def _event_op(self, op: str, ins, at: str) -> None:
        e, where = ins.get("event"), self.where
        if e not in self.ev_index:
            _fail(where, f"{at}: unknown event {json.dumps(e)}; declare it in \"events\""
                  + (did_you_mean(str(e), self.ev_index) if len(self.ev_index) <= 20 else ""))
        if op == "signal":
            self._row(SIGNAL, self.ev_index[e], 0)
            return
        c = ins.get("count", 1)
        if not _int(c) or c < 1:
            _fail(where, f"{at}: a wait's \"count\" must be a positive integer, "
                         f"found {json.dumps(c)}")
        if c > MAX_COUNT:
            _fail(where, f"{at}: a wait's \"count\" {c} is above the limit of {MAX_COUNT}")
        self._row(WAIT, self.ev_index[e], c)

    def all_executed(self) -> None:
        never = np.flatnonzero(self.placed < 0)
        if len(never):
            t = int(never[0])
            more = f" (and {len(never) - 1} more)" if len(never) > 1 else ""
            _fail(self.where, f"task {t} ({self.graph.label(t)}) is never executed{more}")


def _number_signals(code: np.ndarray, arg: np.ndarray, cnt: np.ndarray, n_events: int) -> None:
    """Write each signal's count: its position among its event's signals (as `lower` does)."""
    sig = np.flatnonzero(code == SIGNAL)
    if len(sig):
        ev = arg[sig]
        o = np.argsort(ev, kind="stable")
        first = np.r_[0, np.cumsum(np.bincount(ev, minlength=n_events))]
        ords = np.empty(len(sig), np.int32)
        ords[o] = np.arange(len(sig)) - first[ev[o]] + 1
        cnt[sig] = ords
