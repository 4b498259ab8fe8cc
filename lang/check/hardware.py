"""Checks of a `hardware` declaration: core types, queues, buffers, memories, sync (links:
`topology.py`)."""
from __future__ import annotations

from hpdsl.errors import Diagnostic, did_you_mean
from hpdsl.ops import CAPABILITIES
from hpdsl.spec import ANY, Hardware

from .common import duplicates, not_negative, positive
from .topology import check_topology


def check_hardware(hw: Hardware) -> list[Diagnostic]:
    d: list[Diagnostic] = []
    if not hw.cores:
        d.append(Diagnostic(hw.loc, f"hardware '{hw.name}' declares no core types"))
    duplicates(d, hw.cores, "core type", f"hardware '{hw.name}'")
    for c in hw.cores:
        positive(d, c.loc, f"core type '{c.name}' count", c.count, "core count")
        if not c.queues:
            d.append(Diagnostic(c.loc, f"core type '{c.name}' has no queues; declare "
                                       "'queue NAME does CAPABILITY' or leave out the body"))
        duplicates(d, c.queues, "queue", f"core type '{c.name}'")
        duplicates(d, c.buffers, "buffer", f"core type '{c.name}'")
        for q in c.queues:
            for cap in q.does:
                if cap != ANY and cap not in CAPABILITIES:
                    d.append(Diagnostic(q.loc, f"unknown capability '{cap}' of queue '{q.name}'"
                                        + did_you_mean(cap, CAPABILITIES)))
            positive(d, q.loc, f"queue '{q.name}' rate", q.rate)
        for b in c.buffers:
            positive(d, b.loc, f"buffer '{b.name}' size", b.size)
        positive(d, c.loc_of("k_slice"), f"core type '{c.name}' k_slice", c.k_slice)
    positive(d, hw.loc_of("clock"), "clock", hw.clock)
    for kind, m in (("memory", hw.memory), ("cache", hw.cache)):
        if m is not None:
            positive(d, m.loc, f"{kind} '{m.name}' size", m.size)
            positive(d, m.loc, f"{kind} '{m.name}' bandwidth", m.bandwidth)
    check_topology(d, hw)
    positive(d, hw.loc_of("sync"), "sync flags", hw.sync_flags, "sync flags")
    not_negative(d, hw.loc_of("sync"), "sync latency", hw.sync_latency, " ns")
    not_negative(d, hw.loc_of("launch"), "launch", hw.launch, " ns")
    return d


def who_does(hw: Hardware) -> str:
    """What each core type of `hw` can do, for a message: "'AIC' does matmul; ..."."""
    parts = []
    for c in hw.cores:
        does = sorted({cap for q in c.queues for cap in q.does})
        parts.append(f"'{c.name}' does " + ("anything" if ANY in does else ", ".join(does) or "nothing"))
    return "; ".join(parts) or "none"
