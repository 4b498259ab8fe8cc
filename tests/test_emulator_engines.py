"""The two interpreters agree; the virtual-time fluid equals per-flow rescheduling."""
from __future__ import annotations

import heapq
import json
import math
from dataclasses import replace

import numpy as np
from hypothesis import given, settings, strategies as st

from hpdsl.emulator import emulate
from hpdsl.emulator.fluid import Fluid
from hpdsl.emulator.run import run_plan
from hpdsl.machine import Machine
from hpdsl.plan import WAIT, load_plan, lower
from plan_cases import explicit, hardware, list_schedule

FIELDS = ("start", "end", "reach", "done", "blocked", "counter")


@st.composite
def plans(draw):
    n = draw(st.integers(1, 14))
    edges = [(u, v) for v in range(n) for u in range(v) if draw(st.integers(0, 3)) == 0]
    cores = [draw(st.sampled_from("CD")) for _ in range(n)]
    times = [draw(st.integers(0, 30)) for _ in range(n)]
    devs = draw(st.integers(1, 2))
    device = [draw(st.integers(0, devs - 1)) for _ in range(n)]
    hw = hardware(cores=(("C", 2), ("D", 1)), sync=draw(st.integers(0, 5)),
                  link_lat=draw(st.integers(0, 20)), launch=draw(st.integers(0, 9)), flags=64)
    g = explicit(hw, times, edges, cores, devices=devs, device=device)
    m = Machine.of(hw, devs)
    rng = np.random.default_rng(draw(st.integers(0, 1000)))
    s = list_schedule(g, m, pick=lambda t, ok, free: ok[rng.integers(len(ok))])
    # sometimes two kernels (tasks are numbered in dependency order): barriers in every queue
    cut = draw(st.integers(0, n))
    if cut < n and draw(st.booleans()):
        s = replace(s, kernel=(np.arange(n) >= cut).astype(np.int32))
    p = lower(g, m, s)
    # break it sometimes: raise one wait's count (never satisfied, or a deadlock)
    waits = np.flatnonzero(p.code == WAIT)
    if len(waits) and draw(st.booleans()):
        cnt = p.count.copy()
        cnt[waits[draw(st.integers(0, len(waits) - 1))]] += draw(st.integers(1, 2))
        p = replace(p, count=cnt)
    return g, m, p


@settings(max_examples=150, deadline=None)
@given(plans())
def test_dataflow_and_timed_interpreters_record_the_same(case):
    g, m, p = case
    a = run_plan(g, m, p)
    b = run_plan(g, m, p, engine="timed")
    for f in FIELDS:
        assert np.array_equal(getattr(a, f), getattr(b, f)), f


def test_events_signalled_by_two_queues_use_the_heap_interpreter():
    # C0 and C1 both signal E, so arrivals need not come in issue order; C2 waits for both
    hw = hardware(cores=(("C", 3),), sync=1, link_lat=10)
    g = explicit(hw, [5, 2, 1], [(0, 2), (1, 2)], ["C"] * 3)
    m = Machine.of(hw)
    doc = {"version": 1, "events": {"E": {"device": 0, "flag": 0}},
           "queues": {"d0.C0.q": [{"op": "exec", "task": 0}, {"op": "signal", "event": "E"}],
                      "d0.C1.q": [{"op": "exec", "task": 1}, {"op": "signal", "event": "E"}],
                      "d0.C2.q": [{"op": "wait", "event": "E", "count": 2},
                                  {"op": "exec", "task": 2}]}}
    p = load_plan(json.dumps(doc), g, m, "p.json")
    r = emulate(g, m, p)
    # arrivals at 5 + 1 and 2 + 1: the second is at 6
    assert r.start.tolist() == [0, 0, 6] and r.findings == ()
    b = run_plan(g, m, p, engine="timed")
    assert np.array_equal(b.start, r.start)


def reference(flows, caps, first=None):
    """Finish times by rescheduling every flow at every change (the plain fluid model, in
    two stages: `first` resources on full demands, the others on demands times the flow's
    smallest first-stage scale): flows are (start, work, ((resource, demand), ...)); ends
    are rounded up to whole ns."""
    first = first or [False] * len(caps)
    events = sorted((s, k) for k, (s, _, _) in enumerate(flows))
    active = {}                        # flow -> [remaining work, rate, last update]
    out = [None] * len(flows)
    t = 0
    pending = list(events)

    def rates():
        total = [0.0] * len(caps)
        for k in active:
            for r, d in flows[k][2]:
                if first[r]:
                    total[r] += d
        sc = [1.0 if tot <= c * (1 + 1e-12) else c / tot for tot, c in zip(total, caps)]
        for k in active:
            lf = min([sc[r] for r, _ in flows[k][2] if first[r]], default=1.0)
            for r, d in flows[k][2]:
                if not first[r]:
                    total[r] += d * lf
        sc = [1.0 if tot <= c * (1 + 1e-12) else c / tot for tot, c in zip(total, caps)]
        return {k: min([sc[r] for r, _ in flows[k][2]], default=1.0) for k in active}

    while pending or active:
        fin = {k: t + max(0, math.ceil(a[0] / a[1] - 1e-9)) for k, a in active.items()}
        nxt_end = min(fin.values(), default=None)
        nxt_start = pending[0][0] if pending else None
        if nxt_start is not None and (nxt_end is None or nxt_start < nxt_end):
            t2 = nxt_start
        else:
            t2 = nxt_end
        for a in active.values():
            a[0] -= (t2 - t) * a[1]
        t = t2
        for k in [k for k, f in fin.items() if f == t]:
            out[k] = t
            del active[k]
        while pending and pending[0][0] == t:
            _, k = pending.pop(0)
            active[k] = [float(flows[k][1]), 1.0]
        for k, rt in rates().items():
            active[k][1] = rt
    return out


def run_fluid(flows, caps, first=None):
    f = Fluid(caps, first)
    heap, out = [], [None] * len(flows)
    for k, (s, w, d) in enumerate(flows):
        heapq.heappush(heap, (s, 0, k))
    while heap:
        t, kind, a = heapq.heappop(heap)
        if kind == 0:
            entries = f.add(a, t, flows[a][1], f.group(tuple(r for r, _ in flows[a][2])), flows[a][2])
        else:
            i, entries = f.check(a, t)
            if i >= 0:
                out[i] = t
        for when, g in entries:
            heapq.heappush(heap, (when, 1, g))
    return out


@st.composite
def flow_sets(draw):
    n_res = 4
    caps = [float(draw(st.integers(1, 4))) for _ in range(n_res)]
    flows = []
    for _ in range(draw(st.integers(1, 12))):
        res = draw(st.lists(st.integers(0, n_res - 1), min_size=1, max_size=3, unique=True))
        flows.append((draw(st.integers(0, 200)), draw(st.integers(0, 300)),
                      tuple((r, float(draw(st.integers(1, 4)))) for r in sorted(res))))
    return flows, caps, [draw(st.booleans()) for _ in range(n_res)]


@settings(max_examples=300, deadline=None)
@given(flow_sets())
def test_virtual_time_fluid_matches_per_flow_rescheduling(case):
    flows, caps, first = case
    want, got = reference(flows, caps, first), run_fluid(flows, caps, first)
    # the two sum progress in different orders; rounding up to ns can differ by 1
    assert all(abs(a - b) <= 1 for a, b in zip(want, got)), (want, got)


def test_fluid_hand_example_one_group():
    # two flows on one resource of capacity 1, demand 1 each: A (work 1000) from 0, B from
    # 500: A alone until 500, both at half rate until A ends at 1500, B alone until 2000
    out = run_fluid([(0, 1000, ((0, 1.0),)), (500, 1000, ((0, 1.0),))], [1.0])
    assert out == [1500, 2000]


def test_a_task_starting_when_another_ends_reads_what_that_end_wrote():
    # Q (on A, 1000 ns) writes block 0 when it ends at T; R (on B) starts at T and reads
    # block 0: writes at an instant come before reads, so R hits in L2 and takes its
    # 250 ns (1000 B at the L2's 4 B/ns); had Q ended 1 ns later, R would have read HBM
    # at 1 B/ns
    from hpdsl.blocks import ACTIVATION, DataBlocks
    from hpdsl.graph import TaskGraph
    from hpdsl.schedule import Schedule
    hw = hardware(cores=(("A", 1), ("B", 1)), mem_bw=1e9, cache=(2000, 4e9))
    T = 10**6 + 1000
    z = np.zeros(1, np.int64)
    data = DataBlocks(("x",), np.array([ACTIVATION], np.int8), np.zeros(1, np.int16),
                      np.zeros(1, np.int32), np.array([1000]), z - 1, z, z, z, z,
                      np.array([0, 0, 0, 0, 1]), np.array([0], np.int32),
                      np.array([0, 0, 1, 1, 1]), np.array([0], np.int32))

    def run(q_ends):
        g = TaskGraph.build(name="g", hardware=hw, devices=1, ops=("x",), kinds=("A", "B"),
                            cores=(("A",), ("B",)), op=[0] * 4, kind=[0, 0, 1, 1],
                            device=[0] * 4, src=[0, 2], dst_edges=[1, 3],
                            fixed_ns=[10**6, q_ends - 10**6, T, -1],
                            bytes_out=[0, 1000.0, 0, 0], bytes_in=[0, 0, 0, 1000.0], data=data)
        m = Machine.of(hw)
        s = Schedule("m", "feasible", np.array([0, 0, 1, 1], np.int32),
                     np.array([0, 10**6, 0, T]), np.array([10**6, q_ends, T, T + 250]))
        r = emulate(g, m, lower(g, m, s))
        assert r.start.tolist() == [0, 10**6, 0, T]
        return int(r.end[3])
    assert run(T) == T + 250
    assert run(T + 1) == T + 1000
