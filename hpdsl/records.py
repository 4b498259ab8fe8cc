"""The result records of `schedule`, `emulate` and `compare --json` (DESIGN §7), built in one place.

Every result has `scheduler`, `status`, `makespan_ns`, `predicted_makespan_ns`,
`lower_bound_ns`, `solve_seconds`, `utilization` and `violations` (`common`). What the
scheduler claimed comes from a `Claim`: a `Schedule`'s own figures (`schedule`,
`compare`) or a plan file's header (`emulate`). An emulated result adds the emulator's
measurements (`measured`), the same fields in `emulate` and `compare`.

    >>> r = schedule_record(graph, machine, schedule)                    # doctest: +SKIP
    >>> r["makespan_ns"] == r["predicted_makespan_ns"], sorted(r["utilization"])  # doctest: +SKIP
    (True, ['AIC', 'AIV'])
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from hpdsl.blocks import compulsory
from hpdsl.utilization import utilization


@dataclass(frozen=True, slots=True)
class Claim:
    """What a scheduler said about its schedule; None where there is no schedule."""

    scheduler: str
    status: str
    makespan_ns: int | None = None
    lower_bound_ns: int | None = None
    solve_seconds: float | None = None

    @classmethod
    def of_schedule(cls, s) -> Claim:
        """A `Schedule`'s figures, solve time rounded to the microsecond."""
        return cls(s.scheduler, s.status, int(s.makespan), int(s.lower_bound),
                   round(s.solve_seconds, 6))

    @classmethod
    def of_header(cls, h) -> Claim:
        """A plan's `PlanHeader`, solve time as the plan file gives it."""
        return cls(h.scheduler, h.status, h.makespan_ns, h.lower_bound_ns, h.solve_seconds)


def common(claim: Claim, makespan_ns, util: dict, violations: list) -> dict:
    """The fields every result has; `makespan_ns` is the emulated one where there is one."""
    return {"scheduler": claim.scheduler, "status": claim.status, "makespan_ns": makespan_ns,
            "predicted_makespan_ns": claim.makespan_ns, "lower_bound_ns": claim.lower_bound_ns,
            "solve_seconds": claim.solve_seconds, "utilization": util,
            "violations": violations}


def findings(fs) -> list[dict]:
    """Emulator `Finding`s as JSON objects."""
    return [f.to_dict() for f in fs]


def plan_findings(messages) -> list[dict]:
    """The static plan checker's messages as violations, before the emulator's findings."""
    return [{"kind": "plan", "severity": "error", "message": m} for m in messages]


def measured(res, graph=None, machine=None) -> dict:
    """An emulator `Result`'s measurements, as `emulate` and `compare` report them; with the
    graph, also the compulsory off-chip bytes per op its `traffic` compares with; with the
    machine too, the lower bound on any emulation (`bounds(..., emulated=True)`: the
    cost-model bound `lower_bound_ns` may exceed a run whose order hits in L2)."""
    extra = {}
    if graph is not None and machine is not None:
        from hpdsl.solvers.bounds import bounds
        from hpdsl.solvers.context import Context

        extra["emulated_lower_bound_ns"] = bounds(Context.of(graph, machine), emulated=True).value
    return {**extra,"starved_ns": {k: float(v) for k, v in res.starved.items()},
            "exposed_comm_ns": int(res.exposed_comm),
            "traffic": {op: dict(t) for op, t in res.traffic.items()},
            **({} if graph is None else {"compulsory_hbm_bytes": compulsory(graph)}),
            "ops": [{"op": o.op, "first_start_ns": o.first_start, "last_end_ns": o.last_end,
                     "busy_ns": o.busy, "tasks": o.tasks} for o in res.ops]}


def schedule_record(graph, machine, s) -> dict:
    """`hpdsl schedule`: the schedule's own makespan is both the measured and the predicted one."""
    u = utilization(machine, s.start, s.end, s.worker, s.makespan)
    return {**common(Claim.of_schedule(s), s.makespan, u, []),
            "tasks": graph.n_tasks, "notes": list(s.notes)}


def emulate_record(header, res, static, graph=None, machine=None) -> dict:
    """`hpdsl emulate`: a plan's header, its emulation `res` and the static checker's messages."""
    violations = plan_findings(static) + findings(res.errors)
    return {**common(Claim.of_header(header), res.makespan, dict(res.utilization), violations),
            "warnings": findings(res.warnings),
            # an invalid plan's run is no makespan: measuring the prediction by it misleads
            "prediction_error": None if violations else res.prediction_error,
            **measured(res, graph, machine)}


def run_record(c, r) -> dict:
    """`hpdsl compare`: one `Run` of the `Comparison` c (failed runs keep the common fields)."""
    s, res = r.schedule, r.result
    claim = Claim(r.scheduler, "error") if s is None else replace(Claim.of_schedule(s),
                                                                  scheduler=r.scheduler)
    d = {**common(claim, r.makespan, {} if res is None else dict(res.utilization),
                  [] if res is None else findings(res.errors)),
         "emulate_seconds": round(r.emulate_seconds, 6),
         "warnings": [] if res is None else findings(res.warnings), "error": r.error}
    if s is not None:
        lb = int(s.lower_bound)
        d.update(gap=(s.makespan - lb) / lb if lb else None, notes=list(s.notes),
                 kernels=r.kernels, launch_ns=r.kernels * int(c.machine.hardware.launch))
    if res is not None:
        act = r.activity
        d.update(measured(res, c.graph, c.machine), comm_ns=int(act.comm_ns) if act is not None else None,
                 idle=dict(act.idle) if act is not None else {})
    d["speedup_vs_serial"] = c.speedup(r)
    d["why"] = list(r.why)
    return d


def comparison_record(c) -> dict:
    """`hpdsl compare --json`: the graph's facts, one result per run, skipped schedulers, why."""
    g = c.graph
    return {"target": g.name, "tasks": g.n_tasks, "edges": g.n_edges,
            "devices": g.devices, "workers": len(c.machine.workers),
            "generate_seconds": round(c.generate_seconds, 6),
            "results": [run_record(c, r) for r in c.runs],
            "skipped": [{"scheduler": s, "reason": why} for s, why in c.skipped],
            "why": list(c.summary)}


WALL_CLOCK = ("solve_seconds", "emulate_seconds", "generate_seconds")


def without_wall_clock(doc):
    """`doc` (decoded JSON) without the fields that depend on the machine's speed, so the
    records of two runs of the same input compare equal."""
    if isinstance(doc, dict):
        return {k: without_wall_clock(v) for k, v in doc.items() if k not in WALL_CLOCK}
    if isinstance(doc, list):
        return [without_wall_clock(v) for v in doc]
    return doc
