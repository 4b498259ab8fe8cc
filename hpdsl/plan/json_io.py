"""Plan JSON: `plan_to_json` and `load_plan`, which decodes a plan file for one graph.

    {"version": 1,
     "queues": {"d0.AIC0.cube": [{"op": "exec", "task": 3}, {"op": "signal", "event": "E"}, ...]},
     "events": {"E": {"device": 0, "flag": 5}},
     "schedule": {"scheduler": ..., "status": ..., "makespan_ns": ..., "lower_bound_ns": ...,
                  "solve_seconds": ...}}

A wait is `{"op": "wait", "event": E, "count": N}`; a kernel boundary of a baseline is
`{"op": "barrier", "kernel": K}` in every queue. Queues left out of "queues" are empty.

Decoding checks only the JSON's shapes and types (and that numbers fit int64); what the
values must be is `hpdsl.plan.wellformed`'s, shared with any other plan format.
"""
from __future__ import annotations

import json
import re

import numpy as np

from hpdsl.errors import Loc, Names, UserError, did_you_mean
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.plan.program import BARRIER, EXEC, OPS, PLAN_VERSION, SIGNAL, WAIT, Plan, PlanHeader
from hpdsl.plan.wellformed import (Decoded, bad_base, bad_count, bad_device, bad_flag,
                                   bad_kernel, bad_task, shown, well_formed)


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


def _fail(where: Loc, msg: str):
    raise UserError(msg, loc=where)


def _int(v) -> bool:
    """A JSON integer that fits int64 with room (not a bool, not a float)."""
    return isinstance(v, int) and not isinstance(v, bool) and -2**62 < v < 2**62


def _header(s, where: Loc) -> PlanHeader:
    """The "schedule" object (optional, informative), checked so a hand edit cannot crash."""
    if not isinstance(s, dict):
        _fail(where, f"\"schedule\" must be an object, found {shown(s)}")
    for key in ("scheduler", "status"):
        if not isinstance(s.get(key, ""), str):
            _fail(where, f"\"schedule\" field \"{key}\" must be a string, found {shown(s[key])}")
    for key in ("makespan_ns", "lower_bound_ns"):
        v = s.get(key, 0)
        if not _int(v) or v < 0:
            _fail(where, f"\"schedule\" field \"{key}\" must be a non-negative integer, "
                         f"found {shown(v)}")
    v = s.get("solve_seconds", 0.0)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < float("inf"):
        _fail(where, f"\"schedule\" field \"solve_seconds\" must be a non-negative number, "
                     f"found {shown(v)}")
    return PlanHeader(s.get("scheduler", "manual"), s.get("status", "feasible"),
                      s.get("makespan_ns", 0), s.get("lower_bound_ns", 0),
                      float(s.get("solve_seconds", 0.0)))


def load_plan(text: str, graph: TaskGraph, machine: Machine, filename: str = "<plan>") -> Plan:
    """Parse plan JSON and check it against `graph` and `machine`; UserError on any mistake.

    Checks here: JSON syntax, version, known queues and events, instructions that are
    objects with a known op and fields of the right types; then `well_formed`.
    """
    where = Loc(filename)
    doc = _document(text, filename)
    names, device, flag, base = _events(doc.get("events", {}), machine, where)
    index = {n: i for i, n in enumerate(names)}
    by_name = machine.worker_by_name()
    for qname in doc["queues"]:
        if qname not in by_name:
            _fail(where, f"unknown queue '{qname}'" + _near(qname, by_name))
    rd = _Reader(graph.n_tasks, index, where)
    for w in machine.workers:
        rd.queue(w.name, doc["queues"].get(w.name, []))
    header = _header(doc.get("schedule", {}) or {}, where)
    a = lambda v: np.array(v, np.int64)
    decoded = Decoded(a(rd.ptr), a(rd.code), a(rd.arg), a(rd.cnt), tuple(names), a(device),
                      a(flag), a(base), header)
    return well_formed(decoded, graph, machine, where)


def _near(name: str, valid) -> str:
    """did_you_mean for a queue: on a big machine, the nearest name and how names are made."""
    if len(valid) <= 20:
        return did_you_mean(name, valid)
    near = Names(valid).nearest(name)
    return ((f" (did you mean '{near}'?)" if near else "")
            + f" (queues are named d<device>.<core><instance>.<queue>, e.g. '{next(iter(valid))}')")


def _document(text: str, filename: str) -> dict:
    """The JSON object of a plan, with "queues" and "events" of the right types."""
    where = Loc(filename)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise UserError(f"not valid JSON: {e.msg}", loc=Loc(filename, e.lineno, e.colno)) from None
    except RecursionError:
        _fail(where, "not a plan: the JSON is nested too deeply")
    except ValueError:   # Python's limit on integer digits (not a JSONDecodeError)
        m = re.search(r"\d{4300}", text)
        line = text.count("\n", 0, m.start()) + 1 if m else 0
        col = m.start() - text.rfind("\n", 0, m.start()) if m else 0
        _fail(Loc(filename, line, col), "not a plan: an integer has more than 4300 digits")
    if not isinstance(doc, dict):
        _fail(where, "a plan must be a JSON object with 'version', 'queues' and 'events'")
    v = doc.get("version")
    if not (_int(v) and v == PLAN_VERSION):   # true == 1 and 1.0 == 1 in Python: not here
        _fail(where, f"unsupported plan version {shown(v)}; this hpdsl reads version {PLAN_VERSION}")
    if not isinstance(doc.get("queues"), dict):
        _fail(where, "'queues' must be an object mapping queue names to instruction lists")
    if not isinstance(doc.get("events", {}), dict):
        _fail(where, "'events' must be an object mapping event names to {device, flag}")
    return doc


def _events(events: dict, machine: Machine, where: Loc):
    """The "events" table as (names, device, flag, base) lists, in file order."""
    out: tuple[list, list, list, list] = ([], [], [], [])
    for name, info in events.items():
        if not (isinstance(info, dict) and isinstance(info.get("device"), int)
                and isinstance(info.get("flag"), int)
                and not isinstance(info["device"], bool) and not isinstance(info["flag"], bool)):
            _fail(where, f"event '{name}' must be {{\"device\": D, \"flag\": F}} with integers")
        d, f, b = info["device"], info["flag"], info.get("base", 0)
        if not _int(d):
            _fail(where, bad_device(name, d, machine.devices))
        if not _int(f):
            _fail(where, bad_flag(name, f, machine.hardware))
        if not _int(b):
            _fail(where, bad_base(name, b))
        for lst, v in zip(out, (name, d, f, b)):
            lst.append(v)
    return out


class _Reader:
    """Reads the queues' instruction lists into flat rows, checking their JSON types."""

    def __init__(self, n_tasks: int, ev_index: dict, where: Loc):
        self.n, self.ev_index, self.where = n_tasks, ev_index, where
        self.ptr, self.code, self.arg, self.cnt = [0], [], [], []
        self.near = Names(ev_index)   # one for all unknown events

    def queue(self, name: str, stream) -> None:
        if not isinstance(stream, list):
            _fail(self.where, f"queue '{name}' must be a list of instructions")
        for i, ins in enumerate(stream):
            at = f"queue '{name}' instruction {i}"
            if not isinstance(ins, dict) or ins.get("op") not in OPS:
                op = ins.get("op") if isinstance(ins, dict) else ins
                _fail(self.where, f"{at}: expected an object with \"op\" one of "
                                  f"{', '.join(OPS)}, found {shown(op)}")
            op = ins["op"]
            if op == "exec":
                t = ins.get("task")
                self._row(EXEC, t, 0, _int(t) or bad_task(t, self.n), at)
            elif op == "barrier":
                k = ins.get("kernel")
                self._row(BARRIER, k, 0, _int(k) or bad_kernel(k), at)
            else:
                self._event_op(op, ins, at)
        self.ptr.append(len(self.code))

    def _row(self, code: int, arg, cnt, ok, at: str) -> None:
        """One row, or `ok` (a message) as the error at `at`."""
        if ok is not True:
            _fail(self.where, f"{at}: {ok}")
        self.code.append(code), self.arg.append(arg), self.cnt.append(cnt)

    def _event_op(self, op: str, ins, at: str) -> None:
        e = ins.get("event")
        if not isinstance(e, str) or e not in self.ev_index:   # a list or object is no name
            near = did_you_mean(e, self.near) if isinstance(e, str) and len(self.near) else ""
            _fail(self.where, f"{at}: unknown event {shown(e)}; declare it in \"events\"{near}")
        if op == "signal":
            self._row(SIGNAL, self.ev_index[e], 0, True, at)
            return
        c = ins.get("count", 1)
        self._row(WAIT, self.ev_index[e], c, _int(c) or bad_count(c), at)
