"""Generator: edges equal a brute-force region-overlap oracle; closed-form task counts; work
per tile; the task limits."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from generate_cases import EXAMPLES, LONG, MOE, TWO, edge_set, make
from hpdsl.errors import UserError
from hpdsl.generate import count_tasks, from_tiling, generate, plan_chain
from hpdsl.lang import checked_target, load
from hpdsl.routing import route
from hpdsl.settings import parse_settings
from hpdsl.spec import Tiling
from hpdsl.targets import with_settings


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


@pytest.mark.parametrize("routing,param", [("balanced", 0), ("zipf", 1.2), ("grouped", 2)])
@pytest.mark.parametrize("ops", [MOE, LONG, TWO], ids=["moe", "all-kinds", "two-layers"])
def test_edges_equal_region_oracle(routing, param, ops):
    t = make(ops, routing=routing, param=param, devices=2, experts=4, topk=2)
    g = from_tiling(t)
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
    g = from_tiling(t)
    assert edge_set(g) == oracle(g, t)


def test_acyclic_and_ops_in_order():
    t = make(LONG, routing="zipf", param=1.0)
    g = from_tiling(t)
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
    g = from_tiling(t)
    assert op_counts(g) == balanced_counts(2, 12, 4, 2, 5, (7, 16), (7, 16), (7, 16), 96, 40)


def test_balanced_rows_exact():
    t = make(MOE, devices=3, tokens=10, experts=6, topk=3)
    r = route(t.workload.routing, 3, 10, 6, 3)
    assert (r.counts == 5).all()


@pytest.mark.parametrize("devices", [16, 64])
def test_deepseek_counts(devices):
    spec = load(str(EXAMPLES / "deepseek_moe.hpm"))
    g = generate(checked_target(spec, "fine", parse_settings([f"devices={devices}"])))
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
    g = from_tiling(t)
    from hpdsl.ops.base import Layer
    w = t.workload
    r = route(w.routing, w.devices, w.tokens, w.experts, w.topk)
    layer = Layer(w.devices, w.tokens, w.hidden, w.experts, w.topk, 2, r.counts, r.choices)
    assert count_tasks(plan_chain(t), layer) == op_counts(g)


def test_work_of_tiles():
    t = make(MOE)
    g = from_tiling(t)
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
    g = from_tiling(t)
    r = route(t.workload.routing, 2, 30, 4, 2)
    per_expert = r.counts.sum(axis=0)
    e = g.expert
    assert (g.row0 + g.rows <= per_expert[e]).all()
    assert (g.rows > 0).all()


def test_deterministic():
    t = make(LONG, routing="zipf", param=1.2, seed=9)
    a, b = from_tiling(t), from_tiling(t)
    assert edge_set(a) == edge_set(b) and (a.flops == b.flops).all()


def test_max_tasks_refused_before_building():
    t = make()
    n = generate(t).n_tasks
    with pytest.raises(UserError, match=rf"target 't' would generate {n} tasks, more than "
                                        rf"the limit of {n - 1}; use coarser tiles"):
        generate(t, max_tasks=n - 1)
    assert generate(t, max_tasks=n).n_tasks == n
    # above the language's limits: the generator's own refusals, before any array is built
    with pytest.raises(UserError, match=r"would generate at least [\d,]+ tasks"):
        generate(with_settings(t, parse_settings(["tokens=100000000"])), max_tasks=1000)
    with pytest.raises(UserError, match=r"workload 'W' routes 200,000,000 rows \(devices x tokens x "
                                        r"topk\), more than the 134,217,728 hpdsl generates"):
        generate(with_settings(t, parse_settings(["tokens=50000000"])), max_tasks=10**9)


def test_routed_cells_refused_before_any_table(monkeypatch):
    # 4096 x 65536 (device, expert) pairs: a 2 GiB table, then a MemoryError, before this
    import hpdsl.generate as gen

    real = np.zeros
    monkeypatch.setattr(gen.np, "zeros", lambda shape, *a, **k: (
        pytest.fail(f"allocated {shape}") if np.prod(shape) > gen.MAX_ROUTED_CELLS
        else real(shape, *a, **k)))
    t = with_settings(make(), parse_settings(["devices=4096", "experts=65536", "tokens=1"]))
    with pytest.raises(UserError) as e:
        generate(t)
    assert str(e.value) == ("error: workload 'W' routes to 268,435,456 (device, expert) pairs "
                            "(devices x experts), more than the 4,194,304 hpdsl generates")


@pytest.mark.parametrize("name", ["toy.hpm", "diamond.hpm", "deepseek_moe.hpm"])
def test_examples_generate(name):
    spec = load(str(EXAMPLES / name))
    for target in spec.targets():
        g = generate(checked_target(spec, target))
        assert g.n_tasks > 0 and len(g.topological_order()) == g.n_tasks
