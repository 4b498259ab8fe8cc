"""Shared small specs for the generator tests (test_generate*.py)."""
from __future__ import annotations

from pathlib import Path

from hpdsl.spec import CoreType, Hardware, Link, Memory, Op, Queue, Routing, TileRule, Tiling, Workload

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

HW = Hardware("T", cores=(
    CoreType("MX", 2, (Queue("mx", ("matmul",), 1e12),)),
    CoreType("VX", 2, (Queue("vx", ("vector", "send"), 1e11),))),
    memory=Memory("DRAM", 2**33, 1e11), link=Link("NET", 1e10, 2000), sync_latency=100)

MOE = (("dispatch", "dispatch", None, None), ("up", "grouped_matmul", "dispatch", 96),
       ("act", "swiglu", "up", None), ("down", "grouped_matmul", "act", 40),
       ("combine", "combine", "down", None))
# every kind, token-space ops before and after the routed part, a matmul over dispatched tokens
LONG = (("q0", "quantize", None, None), ("dispatch", "dispatch", "q0", None),
        ("up", "grouped_matmul", "dispatch", 64), ("act", "swiglu", "up", None),
        ("q1", "quantize", "act", None), ("down", "grouped_matmul", "q1", 40),
        ("combine", "combine", "down", None), ("after", "matmul", "combine", 24),
        ("shared", "matmul", "dispatch", 16))

# two routed layers back to back: the second dispatch reads what the first combine wrote
TWO = MOE[:2] + (("c1", "combine", "up", None), ("d2", "dispatch", "c1", None),
                 ("up2", "grouped_matmul", "d2", 24), ("c2", "combine", "up2", None))


def make(ops=MOE, devices=2, tokens=12, experts=4, topk=2, hidden=40, routing="balanced",
         param=0.0, seed=3, sizes=None):
    sizes = sizes or {}
    w = Workload("W", HW, devices, tokens, hidden, experts, topk, 48, "bf16", 2,
                 Routing(routing, param, seed), tuple(Op(n, k, i, nn) for n, k, i, nn in ops))
    rules = []
    for name, kind, _, _ in ops:
        if kind in ("dispatch", "combine"):
            rules.append(TileRule(name, chunk=sizes.get(name, 5)))
        else:
            rules.append(TileRule(name, tile=sizes.get(name, (7, 16))))
    return Tiling("t", w, tuple(rules))


def edge_set(g):
    s, d = g.edges()
    return set(zip(s.tolist(), d.tolist()))
