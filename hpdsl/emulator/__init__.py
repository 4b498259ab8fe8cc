"""The A3-like emulator: runs a `Plan` as written and measures and judges it.

    >>> result = emulate(graph, machine, plan)          # doctest: +SKIP
    >>> result.makespan, result.utilization, result.findings   # doctest: +SKIP

Modules: `run` (prepares a run and records it), `streams` (the interpreters' input and
output), `dataflow` and `timed` (the two queue interpreters: without and with a clock),
`demand` (what each task asks of memory and links), `memory` (the memory model: which
demands apply when a task starts), `fluid` (bandwidth contention; `maxmin` its max-min
rule), `record`, `validate`
(findings), `metrics`, `result`, `trace` (Chrome trace-event export). Waits and barriers
are `hpdsl.sync`'s, shared with the plan's own pass over its streams.
Semantics and models: docs/emulator.md.
"""
from __future__ import annotations

from dataclasses import dataclass

from hpdsl.emulator.metrics import exposed_comm, per_op, starved, utilization, worker_busy
from hpdsl.emulator.result import Finding, OpStats, Result
from hpdsl.emulator.run import run_plan
from hpdsl.emulator.validate import validate
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.plan import Plan

__all__ = ["EmulatorOptions", "Finding", "OpStats", "Result", "emulate"]


@dataclass(frozen=True, slots=True)
class EmulatorOptions:
    contention: bool = True     # share link and memory bandwidth between concurrent tasks
    l2: bool = True             # L2 caches data blocks (False: it holds nothing, all to HBM)
    cache: bool = True          # False: no cache model, every task its cost-model time (whose
                                # memory part is the scheduler's estimate): for comparisons only
    sharing: str = "proportional"   # bandwidth sharing: "proportional" or "max-min"
                                    # (docs/emulator.md, Contention model)
    max_findings: int = 20      # per kind, before "... and N more"


def emulate(graph: TaskGraph, machine: Machine, plan: Plan,
            options: EmulatorOptions | None = None) -> Result:
    """Run `plan` on the emulated `machine` and return times, measurements and findings."""
    o = options or EmulatorOptions()
    rec = run_plan(graph, machine, plan, contention=o.contention, l2=o.l2, cache=o.cache,
                   sharing=o.sharing)
    w = plan.exec_queue(graph.n_tasks)
    mk = rec.makespan
    busy = worker_busy(rec.start, rec.end, w, len(machine.workers), mk)
    return Result(
        start=rec.start, end=rec.end, makespan=mk, predicted_makespan=plan.header.makespan_ns,
        worker_busy=busy, utilization=utilization(machine, busy),
        starved=starved(graph, machine, rec.start, rec.end, w, machine.hardware.launch),
        exposed_comm=exposed_comm(graph, rec.start, rec.end),
        ops=per_op(graph, rec.start, rec.end),
        findings=validate(graph, machine, plan, rec, o.max_findings),
        events_processed=rec.events_processed, record=rec)
