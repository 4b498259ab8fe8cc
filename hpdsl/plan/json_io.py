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
import re
from typing import NamedTuple

import numpy as np

from hpdsl.errors import Loc, UserError, did_you_mean
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.plan.program import BARRIER, EXEC, OPS, PLAN_VERSION, SIGNAL, WAIT, Plan
from hpdsl.plan.validate import Decoded, check_version, fail, header_of, validate


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


def load_plan(text: str, graph: TaskGraph, machine: Machine, filename: str = "<plan>") -> Plan:
    """Parse plan JSON and validate it against `graph` and `machine`; UserError on any mistake.

    Checked here: JSON syntax, the version, the types of the fields, events declared before
    they are used. Everything else (`hpdsl.plan.validate`): as for every plan format.
    """
    where = Loc(filename)
    return validate(decode_json(text, filename), graph, machine, where)


def decode_json(text: str, filename: str = "<plan>") -> Decoded:
    """Plan JSON as `Decoded` rows (in file order), with the JSON-only checks."""
    where = Loc(filename)
    doc = _document(text, filename)
    ev = _events(doc.get("events", {}), where)
    rd = _Reader(ev.index, where)
    for qname, stream in doc["queues"].items():
        rd.queue(qname, stream)
    shown: dict = {}
    return Decoded(queues=tuple(doc["queues"]), ptr=np.array(rd.ptr, np.int64),
                   code=np.array(rd.code, np.int8), arg=_int64s(rd.arg, "arg", shown),
                   count=_int64s(rd.cnt, "count", shown), event_names=tuple(ev.index),
                   event_device=_int64s(ev.device, "event_device", shown),
                   event_flag=_int64s(ev.flag, "event_flag", shown),
                   event_base=_int64s(ev.base, "event_base", shown),
                   header=header_of(doc.get("schedule", {}) or {}, where), shown=shown)


def _int64s(values: list, field: str, shown: dict) -> np.ndarray:
    """values as int64; one that is no integer or lies beyond int64 becomes the nearest
    int64 (or -1), its JSON text kept in `shown` so the validator's message quotes it."""
    if all(type(v) is int for v in values):   # bools are not (and numpy would take floats)
        try:
            return np.array(values, np.int64)
        except OverflowError:
            pass
    out = []
    for i, v in enumerate(values):
        if _int(v) and -2**63 <= v < 2**63:
            out.append(v)
            continue
        shown[(field, i)] = json.dumps(v)
        out.append(min(max(v, -2**63), 2**63 - 1) if _int(v) else -1)
    return np.array(out, np.int64)


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _document(text: str, filename: str) -> dict:
    """The JSON object of a plan, with "queues" and "events" of the right types."""
    where = Loc(filename)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise UserError(f"not valid JSON: {e.msg}", loc=Loc(filename, e.lineno, e.colno)) from None
    except RecursionError:
        fail(where, "not a plan: the JSON is nested too deeply")
    except ValueError:   # Python's limit on integer digits, which is no JSONDecodeError
        m = re.search(r"\d{4301}", text)
        at = Loc(filename, text.count("\n", 0, m.start()) + 1,
                 m.start() - text.rfind("\n", 0, m.start())) if m else where
        fail(at, "not a plan: an integer has more than 4300 digits")
    if not isinstance(doc, dict):
        fail(where, "a plan must be a JSON object with 'version', 'queues' and 'events'")
    check_version(doc.get("version"), where)
    if not isinstance(doc.get("queues"), dict):
        fail(where, "'queues' must be an object mapping queue names to instruction lists")
    if not isinstance(doc.get("events", {}), dict):
        fail(where, "'events' must be an object mapping event names to {device, flag}")
    return doc


class _Events(NamedTuple):
    index: dict             # event name -> id, in file order
    device: list
    flag: list
    base: list


def _events(events: dict, where: Loc) -> _Events:
    """The "events" table, each entry of the right shape (its values: `validate`)."""
    ev = _Events({}, [], [], [])
    for name, info in events.items():
        if not (isinstance(info, dict) and _int(info.get("device")) and _int(info.get("flag"))):
            fail(where, f"event '{name}' must be {{\"device\": D, \"flag\": F}} with integers")
        ev.index[name] = len(ev.device)
        ev.device.append(info["device"])
        ev.flag.append(info["flag"])
        ev.base.append(info.get("base", 0))
    return ev


class _Reader:
    """Reads the queues' instruction lists into flat rows, checking each one's JSON shape."""

    def __init__(self, ev_index: dict, where: Loc):
        self.ev_index, self.where = ev_index, where
        self.ptr, self.code, self.arg, self.cnt = [0], [], [], []

    def queue(self, qname: str, stream) -> None:
        if not isinstance(stream, list):
            fail(self.where, f"queue '{qname}' must be a list of instructions")
        for i, ins in enumerate(stream):
            if not isinstance(ins, dict) or ins.get("op") not in OPS:
                op = ins.get("op") if isinstance(ins, dict) else ins
                fail(self.where, f"queue '{qname}' instruction {i}: expected an object with "
                                 f"\"op\" one of {', '.join(OPS)}, found {json.dumps(op)}")
            op = ins["op"]
            if op == "exec":
                self._row(EXEC, ins.get("task"), 0)
            elif op == "barrier":
                self._row(BARRIER, ins.get("kernel"), 0)
            else:
                self._event_op(op, ins, f"queue '{qname}' instruction {i}")
        self.ptr.append(len(self.code))

    def _row(self, code: int, arg, cnt) -> None:
        self.code.append(code), self.arg.append(arg), self.cnt.append(cnt)

    def _event_op(self, op: str, ins, at: str) -> None:
        e = ins.get("event")
        if not isinstance(e, str) or e not in self.ev_index:
            fail(self.where, f"{at}: unknown event {json.dumps(e)}; declare it in \"events\""
                 + (did_you_mean(str(e), self.ev_index) if len(self.ev_index) <= 20 else ""))
        if op == "signal":   # a signal's count is its position, numbered by `validate`
            self._row(SIGNAL, self.ev_index[e], 0)
        else:
            self._row(WAIT, self.ev_index[e], ins.get("count", 1))
