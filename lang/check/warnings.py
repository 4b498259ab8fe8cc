"""Warnings: what a spec leaves out that makes a cost free without a word.

A hardware that a workload runs on and that declares no memory, no cache or no launch
cost, and a queue without a rate that may run an op with flops, are accepted, but each
makes part of the model cost nothing. Explicit graphs are not warned about: their tasks
carry fixed times and move no data. Warnings are given for a spec without errors (they
would only bury the errors).
"""
from __future__ import annotations

from hpdsl.errors import WARNING, Diagnostic
from hpdsl.ops import KINDS
from hpdsl.spec import Hardware, Spec, Workload


def hardware_warnings(hw: Hardware) -> list[Diagnostic]:
    d = []
    if hw.memory is None:
        d.append(Diagnostic(hw.loc, f"hardware '{hw.name}' declares no memory: off-chip (HBM) "
                                    "traffic costs no time, the L2 cache model is off and "
                                    "the memory capacity is not checked", WARNING))
    if hw.cache is None:
        d.append(Diagnostic(hw.loc, f"hardware '{hw.name}' declares no cache: no L2 reuse is "
                                    "modelled; every byte moves at the memory's bandwidth",
                            WARNING))
    if hw.launch == 0 and "launch" not in dict(hw.locs):
        d.append(Diagnostic(hw.loc, f"hardware '{hw.name}' declares no launch cost: kernel "
                                    "launches (one per plan, one per kernel of the serial "
                                    "baseline) cost no time", WARNING))
    return d


def workload_warnings(w: Workload) -> list[Diagnostic]:
    """Warnings about `w` and the hardware it runs on."""
    d = hardware_warnings(w.hardware)
    for op in w.ops:
        kind = KINDS.get(op.kind)
        if kind is None or not kind.computes:
            continue
        for c in w.hardware.cores_for(kind.capability):
            q = c.queue_for(kind.capability)
            if not q.has_rate:
                d.append(Diagnostic(op.loc, f"queue '{q.name}' of core type '{c.name}' has no "
                                            f"rate, but op '{op.name}' ({op.kind}) may run on "
                                            "it: its compute costs no time there (only its "
                                            "memory, link and task overhead count)", WARNING))
    return d


def spec_warnings(spec: Spec) -> list[Diagnostic]:
    """Every warning of a spec, each hardware's once."""
    out, seen = [], set()
    for w in spec.workloads:
        for diag in workload_warnings(w):
            if str(diag) not in seen:
                seen.add(str(diag))
                out.append(diag)
    return out
