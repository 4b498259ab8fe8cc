"""Generator: edges equal a brute-force region-overlap oracle; closed-form task counts; errors."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from hpdsl.errors import UserError
from hpdsl.generate import (apply_settings, count_tasks, from_tiling, generate, resolve_target)
from hpdsl.routing import route
from hpdsl.spec import (CoreType, Graph, Hardware, Link, Memory, Op, Queue, Routing, Spec, Task,
                        TileRule, Tiling, Workload)

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


def oracle(g, t: Tiling):
    """Every edge by brute force: what each tile writes and reads, all pairs compared."""
    w = t.workload
    ch = route(w.routing, w.devices, w.tokens, w.experts, w.topk).choices
    rows_of = {e: [] for e in range(w.experts)}   # expert -> [(device, token)] in row order
    for d in range(w.devices):
        for tok in range(w.tokens):
            for e in ch[d, tok]:
                rows_of[int(e)].append((d, tok))
    ops = {o.name: o for o in w.ops}
    width = {}
    for o in w.ops:
        inw = w.hidden if o.input is None else width[o.input]
        width[o.name] = o.n if o.kind in ("grouped_matmul", "matmul") else (
            inw // 2 if o.kind == "swiglu" else inw)
    space = {}
    for o in w.ops:
        space[o.name] = {"dispatch": "e", "combine": "t"}.get(
            o.kind, "t" if o.kind == "matmul" else (space[o.input] if o.input else "t"))

    def own_rows(t_):
        e, r0, n = int(g.expert[t_]), int(g.row0[t_]), int(g.rows[t_])
        if e >= 0:
            return {("e", e, r) for r in range(r0, r0 + n)}
        return {("t", int(g.device[t_]), r) for r in range(r0, r0 + n)}

    writes, reads = [], []
    for u in range(g.n_tasks):
        o = ops[g.op_name(u)]
        rows = own_rows(u)
        c0, nc = int(g.col0[u]), int(g.cols[u])
        if o.kind == "combine":
            wrows = {("t",) + rows_of[e][r] for _, e, r in rows}
        else:
            wrows = rows
        writes.append((o.name, wrows, [(c0, c0 + nc)]))
        src = o.input
        if o.kind == "matmul" and src is not None and ops[src].kind == "dispatch":
            src = ops[src].input           # the shared expert reads the dispatched tokens
        if src is None:
            reads.append((None, set(), []))
            continue
        if o.kind == "dispatch":
            rrows = {("t",) + rows_of[e][r] for _, e, r in rows}
        else:
            rrows = rows
        if o.kind == "swiglu":
            half = width[o.name]
            cols = [(c0, c0 + nc), (half + c0, half + c0 + nc)]
        else:
            cols = [(0, width[src])]
        reads.append((src, rrows, cols))
    edges = set()
    for v, (src, rrows, rcols) in enumerate(reads):
        for u, (name, wrows, wcols) in enumerate(writes):
            if name == src and rrows & wrows and any(
                    a0 < b1 and b0 < a1 for a0, a1 in rcols for b0, b1 in wcols):
                edges.add((u, v))
    return edges


def edge_set(g):
    s, d = g.edges()
    return set(zip(s.tolist(), d.tolist()))


@pytest.mark.parametrize("routing,param", [("balanced", 0), ("zipf", 1.2), ("grouped", 2)])
@pytest.mark.parametrize("ops", [MOE, LONG, TWO], ids=["moe", "all-kinds", "two-layers"])
def test_edges_equal_region_oracle(routing, param, ops):
    t = make(ops, routing=routing, param=param, devices=2, experts=4, topk=2)
    g = from_tiling(t, t.workload)
    assert g.n_edges > 0
    assert edge_set(g) == oracle(g, t)


@settings(max_examples=20, deadline=None)
@given(devices=st.integers(1, 3), per=st.integers(1, 2), topk=st.integers(1, 3),
       tokens=st.integers(1, 9), routing=st.sampled_from(["balanced", "zipf", "grouped"]),
       chunk=st.integers(1, 9), m=st.integers(1, 9), w=st.sampled_from([8, 12, 16, 40]),
       seed=st.integers(0, 5))
def test_edges_equal_oracle_property(devices, per, topk, tokens, routing, chunk, m, w, seed):
    experts = devices * per * 2
    topk = min(topk, experts)
    if routing == "grouped":
        topk = 2 * max(1, topk // 2) if experts >= 2 else 1
    sizes = {"dispatch": chunk, "combine": chunk + 1, "up": (m, w), "act": (m + 1, 8),
             "down": (m, 8), "q0": (m, 8), "q1": (m, 16), "after": (m, 8), "shared": (m, 8)}
    t = make(LONG, devices, tokens, experts, topk, 40, routing, 1.1 if routing == "zipf" else 2,
             seed, sizes)
    g = from_tiling(t, t.workload)
    assert edge_set(g) == oracle(g, t)


def test_acyclic_and_ops_in_order():
    t = make(LONG, routing="zipf", param=1.0)
    g = from_tiling(t, t.workload)
    src, dst = g.edges()
    assert (g.op[src] < g.op[dst]).all()
    assert len(g.topological_order()) == g.n_tasks


def balanced_counts(devices, tokens, experts, topk, chunk, up, act, down, ffn2, hidden):
    """Closed-form task counts per op for balanced routing when everything divides."""
    per_pair = tokens * topk // experts            # rows per (source device, expert)
    per_expert = devices * per_pair
    sends = devices * experts * -(-per_pair // chunk)
    tiles = lambda tile, width: experts * -(-per_expert // tile[0]) * -(-width // tile[1])
    return {"dispatch": sends, "up": tiles(up, ffn2), "act": tiles(act, ffn2 // 2),
            "down": tiles(down, hidden), "combine": sends}


def op_counts(g):
    return {o: int((g.op == i).sum()) for i, o in enumerate(g.ops)}


def test_balanced_counts_closed_form_toy():
    t = make(MOE, devices=2, tokens=12, experts=4, topk=2, sizes={"up": (7, 16), "act": (7, 16),
                                                                  "down": (7, 16)})
    g = from_tiling(t, t.workload)
    assert op_counts(g) == balanced_counts(2, 12, 4, 2, 5, (7, 16), (7, 16), (7, 16), 96, 40)


def test_balanced_rows_exact():
    t = make(MOE, devices=3, tokens=10, experts=6, topk=3)
    r = route(t.workload.routing, 3, 10, 6, 3)
    assert (r.counts == 5).all()


@pytest.mark.parametrize("devices", [16, 64])
def test_deepseek_counts(devices):
    from hpdsl.lang import load
    spec = load(str(EXAMPLES / "deepseek_moe.hpm"))
    g = generate(spec, "fine", {"devices": str(devices)})
    expect = balanced_counts(devices, 4096, 256, 8, 128, (128, 256), (128, 512), (128, 256),
                             4096, 7168)
    assert op_counts(g) == expect
    if devices == 64:
        assert expect == {"dispatch": 16384, "up": 262144, "act": 65536, "down": 458752,
                          "combine": 16384}
        # aligned 128-row tiles: up 1 pred, act 4 (2 gate + 2 up), down 4, combine 28
        assert g.n_edges == 262144 * 1 + 65536 * 4 + 458752 * 4 + 16384 * 28


def test_count_tasks_matches_generated_for_skewed_routing():
    t = make(LONG, routing="zipf", param=1.5, devices=3, experts=6, tokens=20, topk=3)
    g = from_tiling(t, t.workload)
    from hpdsl.generate import _plan
    from hpdsl.ops.base import Layer
    w = t.workload
    r = route(w.routing, w.devices, w.tokens, w.experts, w.topk)
    layer = Layer(w.devices, w.tokens, w.hidden, w.experts, w.topk, 2, r.counts, r.choices)
    assert count_tasks(_plan(t, w), layer) == op_counts(g)


def test_work_of_tiles():
    t = make(MOE)
    g = from_tiling(t, t.workload)
    up = g.ops.index("up")
    u = int(np.flatnonzero(g.op == up)[0])
    rows, cols, k = int(g.rows[u]), int(g.cols[u]), 40
    assert g.flops[u] == 2 * rows * cols * k
    assert g.bytes_in[u] == (rows * k + k * cols) * 2
    assert g.bytes_out[u] == rows * cols * 2
    d = int(np.flatnonzero(g.op == 0)[0])
    assert g.bytes_sent[d] == g.rows[d] * 40 * 2
    assert g.dst[d] == g.expert[d] // 2     # 4 experts on 2 devices
    comb = np.flatnonzero(g.op == g.ops.index("combine"))
    assert (g.device[comb] == g.expert[comb] // 2).all()


def test_tiles_never_cross_an_expert():
    t = make(MOE, routing="zipf", param=1.3, tokens=30)
    g = from_tiling(t, t.workload)
    r = route(t.workload.routing, 2, 30, 4, 2)
    per_expert = r.counts.sum(axis=0)
    e = g.expert
    assert (g.row0 + g.rows <= per_expert[e]).all()
    assert (g.rows > 0).all()


def test_deterministic():
    t = make(LONG, routing="zipf", param=1.2, seed=9)
    a, b = from_tiling(t, t.workload), from_tiling(t, t.workload)
    assert edge_set(a) == edge_set(b) and (a.flops == b.flops).all()


# ------------------------------------------------------------------ targets, settings, errors

def spec_with(*tilings, graphs=()):
    return Spec(hardware=(HW,), workloads=(tilings[0].workload,) if tilings else (),
                tilings=tilings, graphs=graphs)


def test_resolve_target():
    t = make()
    assert resolve_target(spec_with(t), None) is t
    t2 = Tiling("coarse", t.workload, t.rules)
    with pytest.raises(UserError, match=r"the spec has 2 targets; choose one with --target "
                                        r"\(valid: 'coarse', 't'\)"):
        resolve_target(spec_with(t, t2), None)
    with pytest.raises(UserError, match=r"no tiling or graph named 'corse' "
                                        r"\(did you mean 'coarse'\? valid: 'coarse', 't'\)"):
        resolve_target(spec_with(t, t2), "corse")
    with pytest.raises(UserError, match="the spec has no tiling and no graph to run"):
        resolve_target(Spec(), None)


def test_settings_override_and_errors():
    w = make().workload
    w2 = apply_settings(w, {"devices": "4", "routing": "zipf 1.5", "seed": "11", "dtype": "fp32"})
    assert (w2.devices, w2.routing.kind, w2.routing.param, w2.routing.seed) == (4, "zipf", 1.5, 11)
    assert (w2.dtype, w2.dtype_bytes) == ("fp32", 4)
    assert apply_settings(w, {"routing": "grouped 2 seed 4"}).routing.seed == 4
    with pytest.raises(UserError, match=r"unknown setting 'device' in --set device=4 "
                                        r"\(did you mean 'devices'\?"):
        apply_settings(w, {"device": "4"})
    with pytest.raises(UserError, match=r"--set tokens=-3: expected a positive whole number, "
                                        r"got '-3'"):
        apply_settings(w, {"tokens": "-3"})
    with pytest.raises(UserError, match=r"--set seed=x: expected a whole number, got 'x'"):
        apply_settings(w, {"seed": "x"})
    with pytest.raises(UserError, match=r"--set dtype=bf8: unknown dtype 'bf8'"):
        apply_settings(w, {"dtype": "bf8"})
    with pytest.raises(UserError, match=r"--set routing='zipf': expected 'balanced', 'zipf S' "
                                        r"or 'grouped G', optionally followed by 'seed N'"):
        apply_settings(w, {"routing": "zipf"})


def test_generate_rechecks_overridden_workload_with_language_checks():
    spec = spec_with(make())
    with pytest.raises(UserError, match=r"experts 4 is not divisible by devices 3"):
        generate(spec, None, {"devices": "3"})


def test_generate_rechecks_overridden_workload(monkeypatch):
    import hpdsl.lang.check
    monkeypatch.setattr(hpdsl.lang.check, "check_workload", lambda w: [])   # own checks only
    spec = spec_with(make())
    with pytest.raises(UserError, match=r"experts \(4\) of workload 'W' must be a multiple of "
                                        r"devices \(3\)"):
        generate(spec, None, {"devices": "3"})
    with pytest.raises(UserError, match=r"grouped routing with 3 groups needs experts \(4\) and "
                                        r"topk \(2\) to be multiples of 3"):
        generate(spec, None, {"routing": "grouped 3"})
    with pytest.raises(UserError, match=r"tiles of 'up' are 16 columns wide, but 'up' has only "
                                        r"12 columns"):
        t = make(sizes={"up": (4, 16)})
        w = t.workload
        w = w.with_settings(ops=(Op("dispatch", "dispatch"), Op("up", "grouped_matmul", "dispatch", 12)))
        from_tiling(Tiling("t", w, t.rules[:2]), w)


def test_max_tasks_refused_before_building(monkeypatch):
    import hpdsl.lang.check
    monkeypatch.setattr(hpdsl.lang.check, "check_workload", lambda w: [])   # own limits only
    spec = spec_with(make())
    g = generate(spec, None, {})
    n = g.n_tasks
    with pytest.raises(UserError, match=rf"target 't' would generate {n} tasks, more than "
                                        rf"the limit of {n - 1}; use coarser tiles"):
        generate(spec, None, {}, max_tasks=n - 1)
    assert generate(spec, None, {}, max_tasks=n).n_tasks == n
    with pytest.raises(UserError, match=r"would generate at least [\d,]+ tasks"):
        generate(spec, None, {"tokens": "100000000"}, max_tasks=1000)
    with pytest.raises(UserError, match=r"workload 'W' routes 200,000,000 rows \(devices x tokens x "
                                        r"topk\), more than the 134,217,728 hpdsl generates"):
        generate(spec, None, {"tokens": "50000000"}, max_tasks=10**9)


def test_op_chain_errors():
    def gen(ops, sizes=None):
        t = make(ops, sizes=sizes)
        return from_tiling(t, t.workload)
    with pytest.raises(UserError, match=r"op 'up' \(grouped_matmul\) works on expert rows, but "
                                        r"'q' holds each device's own tokens; put a dispatch before it"):
        gen((("q", "quantize", None, None), ("up", "grouped_matmul", "q", 8)))
    with pytest.raises(UserError, match=r"op 'm' \(matmul\) works on each device's own tokens, "
                                        r"but 'up' holds expert rows; combine them first"):
        gen(MOE[:2] + (("m", "matmul", "up", 8),))
    with pytest.raises(UserError, match=r"op 'up' reads 'dispach', which is not an op of "
                                        r"workload 'W' \(did you mean 'dispatch'\?"):
        gen(MOE[:1] + (("up", "grouped_matmul", "dispach", 8),))
    with pytest.raises(UserError, match=r"op 'up' reads 'act', which is declared after it"):
        gen(MOE[:1] + (("up", "grouped_matmul", "act", 8), ("act", "swiglu", "dispatch", None)))
    with pytest.raises(UserError, match=r"op 'act' \(swiglu\) needs an input: write 'swiglu\(OP\)'"):
        gen(MOE[:1] + (("act", "swiglu", None, None),))
    with pytest.raises(UserError, match=r"op 'up' \(grouped_matmul\) needs a positive output "
                                        r"width: add 'n N'"):
        gen(MOE[:1] + (("up", "grouped_matmul", "dispatch", None),))
    with pytest.raises(UserError, match=r"unknown op kind 'swiglue' \(did you mean 'swiglu'\?"):
        gen(MOE[:2] + (("act", "swiglue", "up", None),))
    with pytest.raises(UserError, match=r"swiglu 'act' splits its input into gate and up halves, "
                                        r"but 'up' is 9 columns wide \(odd\)"):
        gen(MOE[:1] + (("up", "grouped_matmul", "dispatch", 9), ("act", "swiglu", "up", None)),
            sizes={"up": (4, 9), "act": (4, 4)})


def test_rule_errors():
    t = make()
    w = t.workload
    bad = Tiling("t", w, (TileRule("dispatch", tile=(4, 4)),) + t.rules[1:])
    with pytest.raises(UserError, match=r"op 'dispatch' \(dispatch\) is split by 'chunk ROWS', "
                                        r"not by 'tile ROWS x COLUMNS'"):
        from_tiling(bad, w)
    bad = Tiling("t", w, t.rules[:1] + (TileRule("up", chunk=4),) + t.rules[2:])
    with pytest.raises(UserError, match=r"op 'up' \(grouped_matmul\) is split by 'tile ROWS x "
                                        r"COLUMNS', not by 'chunk ROWS'"):
        from_tiling(bad, w)
    with pytest.raises(UserError, match=r"tiling 't' gives no rule for op 'act'"):
        from_tiling(Tiling("t", w, t.rules[:2]), w)
    with pytest.raises(UserError, match=r"tile sizes of 'dispatch' must be positive, got 0"):
        from_tiling(Tiling("t", w, (TileRule("dispatch", chunk=0),) + t.rules[1:]), w)
    pinned = Tiling("t", w, t.rules[:1] + (TileRule("up", tile=(4, 8), core="VX"),) + t.rules[2:])
    with pytest.raises(UserError, match=r"core type 'VX' cannot do 'matmul', which op 'up' needs"):
        from_tiling(pinned, w)
    pinned = Tiling("t", w, t.rules[:1] + (TileRule("up", tile=(4, 8), core="MXX"),) + t.rules[2:])
    with pytest.raises(UserError, match=r"unknown core type 'MXX' in hardware 'T' \(did you mean 'MX'\?"):
        from_tiling(pinned, w)
    nosend = Hardware("N", cores=(CoreType("MX", 1, (Queue("mx", ("matmul", "vector"), 1e12),)),))
    w2 = w.with_settings(hardware=nosend)
    with pytest.raises(UserError, match=r"no core type of hardware 'N' can do 'send', which op "
                                        r"'dispatch' \(dispatch\) needs"):
        from_tiling(Tiling("t", w2, t.rules), w2)


def test_pinned_core_makes_its_own_kind():
    t = make()
    rules = t.rules[:2] + (TileRule("act", tile=(7, 16), core="VX"),) + t.rules[3:]
    g = from_tiling(Tiling("t", t.workload, rules), t.workload)
    assert set(zip(g.kinds, g.cores)) == {("send", ("VX",)), ("matmul", ("MX",)),
                                          ("vector", ("VX",))}


# ------------------------------------------------------------------ explicit graphs

def diamond():
    hw = Hardware("Duo", cores=(CoreType("CPU", 1, (Queue("q", ("*",)),)),
                                CoreType("ACC", 1, (Queue("q", ("*",)),))))
    tasks = (Task("load", "CPU", 2000), Task("left", "ACC", 5000, ("load",)),
             Task("right", "CPU", 3000, ("load",)), Task("side", "ACC", 4000),
             Task("merge", "CPU", 1000, ("left", "right", "side")))
    return Graph("diamond", hw, tasks)


def test_explicit_graph():
    g = generate(Spec(graphs=(diamond(),)), None, {})
    assert g.task_names == ("load", "left", "right", "side", "merge")
    assert g.kinds == ("CPU", "ACC") and g.cores == (("CPU",), ("ACC",))
    assert g.fixed_ns.tolist() == [2000, 5000, 3000, 4000, 1000]
    assert g.ops == ("diamond",) and g.devices == 1
    assert edge_set(g) == {(0, 1), (0, 2), (1, 4), (2, 4), (3, 4)}
    with pytest.raises(UserError, match=r"--set changes workload settings, but 'diamond' is an "
                                        r"explicit graph"):
        generate(Spec(graphs=(diamond(),)), None, {"devices": "2"})


def test_explicit_graph_errors():
    d = diamond()
    bad = Graph("diamond", d.hardware, d.tasks[:4] + (Task("merge", "CPU", 1, ("lft",)),))
    with pytest.raises(UserError, match=r"task 'merge' comes after 'lft', which is not a task of "
                                        r"graph 'diamond' \(did you mean 'left'\?"):
        generate(Spec(graphs=(bad,)), None, {})
    cyc = Graph("c", d.hardware, (Task("a", "CPU", 1, ("b",)), Task("b", "CPU", 1, ("a",))))
    with pytest.raises(UserError, match=r"graph 'c' has a cycle: its tasks cannot all run"):
        generate(Spec(graphs=(cyc,)), None, {})
    bad = Graph("g", d.hardware, (Task("a", "GPU", 1),))
    with pytest.raises(UserError, match=r"unknown core type 'GPU' in hardware 'Duo'"):
        generate(Spec(graphs=(bad,)), None, {})


@pytest.mark.parametrize("name", ["toy.hpm", "diamond.hpm", "deepseek_moe.hpm"])
def test_examples_generate(name):
    from hpdsl.lang import load
    spec = load(str(EXAMPLES / name))
    for target in spec.targets():
        g = generate(spec, target, {})
        assert g.n_tasks > 0 and len(g.topological_order()) == g.n_tasks
