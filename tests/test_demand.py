"""Emulator demands: reuse traffic in L2, compulsory traffic off chip, all of it on a spill."""
from __future__ import annotations

import numpy as np
import pytest

from hpdsl.emulator import EmulatorOptions, emulate
from hpdsl.emulator.demand import demands, memory_demands
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.plan import EXEC, lower
from hpdsl.schedule import Schedule
from hpdsl.spec import CoreType, Hardware, Memory, Queue


def hardware(cache=True):
    return Hardware("H", cores=(CoreType("V", 2, (Queue("v", ("vector",), 1e12),)),),
                    memory=Memory("HBM", 2**34, 1e12),
                    cache=Memory("L2", 4 * 2**20, 4e12) if cache else None, sync_latency=0)


def graph(hw, nbytes, hbm, spill):
    n = len(nbytes)
    return TaskGraph.build(name="x", hardware=hw, devices=1, ops=("o",), kinds=("vector",),
                           cores=(("V",),), op=np.zeros(n, np.int32), kind=np.zeros(n, np.int16),
                           device=np.zeros(n), src=[], dst_edges=[], bytes_in=nbytes,
                           bytes_hbm=hbm, bytes_spill=spill)


def planned(g, m, workers):
    from hpdsl.cost import task_times
    d = task_times(g, m)[:, 0]
    w = np.array(workers, np.int32)
    start = np.zeros(g.n_tasks, np.int64)
    for k in range(g.n_tasks):           # back to back per worker
        start[k] = sum(d[j] for j in range(k) if w[j] == w[k])
    p = lower(g, m, Schedule("m", "feasible", w, start, start + d))
    return p, np.flatnonzero(p.code == EXEC), d


def test_memory_demands_split_reuse_from_compulsory():
    hw = hardware()
    # a fitting tile (1 MB <= 2 MiB share) and one too big for its share
    g = graph(hw, np.array([1e6, 3e6]), np.array([1e5, 0.0]), np.array([3e5, 3e6]))
    m = Machine.of(hw)
    p, ex, _ = planned(g, m, [0, 1])
    dur = np.zeros(len(p.code), np.int64)
    dur[ex] = 1000
    l2, hbm, spill = memory_demands(g, m, p, dur, ex)
    t = p.arg[ex]
    assert l2[t == 0] == pytest.approx(1e3) and hbm[t == 0] == pytest.approx(1e2)
    assert spill[t == 0] == pytest.approx(3e2)
    # the big tile reuses nothing: everything off chip, in both states
    assert l2[t == 1] == 0 and hbm[t == 1] == spill[t == 1] == pytest.approx(3e3)
    assert [a.tolist() for a in demands(g, m, p, dur, ex)[:3]] == [l2.tolist(), hbm.tolist(),
                                                                   spill.tolist()]
    assert (demands(g, m, p, dur, ex).link == 0).all()


def test_without_a_cache_everything_is_off_chip():
    hw = hardware(cache=False)
    g = graph(hw, np.array([1e6]), np.array([1e5]), np.array([3e5]))
    m = Machine.of(hw)
    p, ex, _ = planned(g, m, [0])
    dur = np.full(len(p.code), 1000, np.int64)
    l2, hbm, spill, _ = demands(g, m, p, dur, ex)
    assert l2[0] == 0 and hbm[0] == spill[0] == pytest.approx(1e3)


def _spill_case(spill):
    """A writes 8 MiB (more than the 4 MiB L2) that C reads last; B1, B2 run while it is live."""
    hw = hardware()
    n = 4   # A, B1, B2, C
    g = TaskGraph.build(name="x", hardware=hw, devices=1, ops=("o",), kinds=("vector",),
                        cores=(("V",),), op=np.zeros(n, np.int32), kind=np.zeros(n, np.int16),
                        device=np.zeros(n), src=[0, 0, 0, 1, 2], dst_edges=[1, 2, 3, 3, 3],
                        bytes_in=np.array([0.0, 1e6, 1e6, 0.0]),
                        bytes_out=np.array([8 * 2**20, 0.0, 0.0, 0.0]),
                        bytes_spill=np.array([8 * 2**20, spill, spill, 0.0]))
    m = Machine.of(hw)
    from hpdsl.cost import task_times
    d = task_times(g, m)[:, 0]
    w = np.array([0, 0, 1, 0], np.int32)
    start = np.array([0, d[0], d[0], d[0] + d[1]])
    p = lower(g, m, Schedule("m", "feasible", w, start, start + d))
    r = emulate(g, m, p)
    assert r.findings == ()
    return (r.end - r.start)[1:3].tolist(), d[1]


def test_a_spill_charges_the_compulsory_bytes_not_the_reuse_traffic():
    # B: 1 MB through L2 at its 2 TB/s share = 500 ns; while A's 8 MiB are live it spills
    got, d = _spill_case(1e5)      # 2 x 200 B/ns off chip: fits the 1000 B/ns HBM
    assert d == 500 and got == [500, 500]
    got, _ = _spill_case(1e6)      # 2 x 2000 B/ns: HBM is 4x oversubscribed
    assert got == [2000, 2000]


def two_types(l2_size=4 * 2**20):
    """A (one instance, matmul at 1 TFLOP/s) and B (one instance, vector); L2 4 B/ns x 1000,
    HBM 1000 B/ns."""
    return Hardware("H", cores=(CoreType("A", 1, (Queue("a", ("matmul",), 1e12),)),
                                CoreType("B", 1, (Queue("b", ("vector",), 1e12),))),
                    memory=Memory("HBM", 2**34, 1e12), cache=Memory("L2", l2_size, 4e12),
                    sync_latency=0)


def side_by_side(hw, flops, nbytes, hbm):
    """One A task and one B task, both started at 0; their (cost-model, emulated,
    emulated without contention) durations. Their off-chip part is the same in both L2
    states, so only the L2 reuse traffic tells the two-level model from an off-chip-only one."""
    from hpdsl.cost import task_times
    g = TaskGraph.build(name="x", hardware=hw, devices=1, ops=("o",), kinds=("matmul", "vector"),
                        cores=(("A",), ("B",)), op=np.zeros(2, np.int32), kind=np.array([0, 1]),
                        device=np.zeros(2), src=[], dst_edges=[], flops=np.array(flops, float),
                        bytes_in=np.array(nbytes, float), bytes_hbm=np.array(hbm, float),
                        bytes_spill=np.array(hbm, float))
    m = Machine.of(hw)
    d = task_times(g, m).max(axis=1)
    p = lower(g, m, Schedule("m", "feasible", np.array([0, 1], np.int32), np.zeros(2, np.int64), d))
    r = emulate(g, m, p)
    free = emulate(g, m, p, EmulatorOptions(contention=False))
    assert r.findings == () and free.findings == ()
    return d.tolist(), (r.end - r.start).tolist(), (free.end - free.start).tolist()


def test_l2_shared_by_core_types_slows_both_by_the_ratio():
    # A: compute bound, 400 ns, reads 1 MB through L2 (2500 B/ns); B: 1.6 MB at the whole
    # L2's 4000 B/ns, 400 ns. Together 6500 B/ns on a 4000 B/ns L2: both at 4000/6500,
    # 400 x 6500 / 4000 = 650 ns each. Without contention, the cost model's 400 ns.
    d, got, free = side_by_side(two_types(), [4e5, 0], [1e6, 1.6e6], [0, 0])
    assert d == [400, 400] and got == [650, 650] and free == [400, 400]


def test_the_compulsory_part_loads_hbm_at_the_same_time():
    # each: 1 MB through L2 (250 ns) and 0.4 MB off chip at the whole HBM (400 ns): 400 ns
    # alone, 2500 B/ns of L2 and 1000 B/ns of HBM. Together L2 is at 5000/4000 and HBM at
    # 2000/1000: HBM is the tighter, both run at 1/2, 800 ns
    d, got, _ = side_by_side(two_types(), [0, 0], [1e6, 1e6], [4e5, 4e5])
    assert d == [400, 400] and got == [800, 800]


def test_a_tile_reusing_nothing_does_not_load_l2():
    # A's 2 MB do not fit its 1 MiB L2 share: 2000 ns at the whole HBM, no L2 demand; B's
    # 0.8 MB fit and have no off-chip part: 200 ns at the whole L2. Nothing is shared.
    d, got, _ = side_by_side(two_types(l2_size=2**20), [0, 0], [2e6, 8e5], [0, 0])
    assert d == [2000, 200] and got == [2000, 200]


def test_link_bound_sends_load_l2_at_the_rate_they_move():
    # device 0: A reads 1.2 MB through L2 in its 400 ns of compute (3000 B/ns); two sends
    # to device 1 each read 0.4 MB (L2 share 2000 B/ns: 200 ns) and send it over the
    # 1000 B/ns link (400 ns), i.e. 1000 B/ns of L2 and of link each. Together they
    # oversubscribe the link 2x and run at 1/2 (800 ns), so they read L2 at 500 B/ns each:
    # 3000 + 2 x 500 = the L2's 4000 B/ns, and A keeps its 400 ns. Charging the sends'
    # full read rate (5000 B/ns) would have slowed A to 500 ns.
    from hpdsl.cost import task_times
    from hpdsl.spec import Link
    hw = Hardware("H", cores=(CoreType("A", 1, (Queue("a", ("matmul",), 1e12),)),
                              CoreType("B", 2, (Queue("b", ("send",), 1e12),))),
                  memory=Memory("HBM", 2**34, 1e12), cache=Memory("L2", 4 * 2**20, 4e12),
                  link=Link("L", 1e12, 0), sync_latency=0)
    g = TaskGraph.build(name="x", hardware=hw, devices=2, ops=("mm", "put"),
                        kinds=("matmul", "send"), cores=(("A",), ("B",)),
                        op=np.array([0, 1, 1]), kind=np.array([0, 1, 1]), device=np.zeros(3),
                        src=[], dst_edges=[], flops=np.array([4e5, 0, 0]),
                        bytes_in=np.array([1.2e6, 4e5, 4e5]), bytes_sent=np.array([0, 4e5, 4e5]),
                        dst=np.array([-1, 1, 1]), bytes_spill=np.zeros(3))
    m = Machine.of(hw, 2)
    d = task_times(g, m).max(axis=1)
    assert d.tolist() == [400, 400, 400]
    on0 = [w for w in range(len(m.workers)) if m.worker_device[w] == 0]
    a = [w for w in on0 if m.core_types[m.worker_core[w]] == "A"]
    b = [w for w in on0 if m.core_types[m.worker_core[w]] == "B"]
    s = Schedule("m", "feasible", np.array([a[0], b[0], b[1]], np.int32), np.zeros(3, np.int64), d)
    r = emulate(g, m, lower(g, m, s))
    assert r.findings == ()
    assert (r.end - r.start).tolist() == [400, 800, 800]


def test_flows_claim_only_the_resources_a_task_uses_in_each_l2_state():
    from hpdsl.emulator.demand import HBM, L2, flows, fluid_for
    hw = hardware()
    # two equal fitting tiles (1 MB <= 2 MiB share), one with nothing off chip until a spill
    g = graph(hw, np.array([1e6, 1e6, 1e6]), np.array([1e5, 1e5, 0.0]),
              np.array([3e5, 3e5, 3e5]))
    m = Machine.of(hw)
    p, ex, _ = planned(g, m, [0, 1, 0])
    dur = np.zeros(len(p.code), np.int64)
    dur[ex] = 1000
    fl = flows(g, m, p, dur, ex, fluid_for(m))
    by_task = {int(p.arg[i]): fl[i] for i in ex}
    a, b, c = by_task[0], by_task[1], by_task[2]
    assert a is b                        # equal demands: one flow, built once
    assert a.fit.demands == ((L2, 1e3), (HBM, 1e2)) and a.spill.demands == ((L2, 1e3), (HBM, 3e2))
    assert a.fit.group == a.spill.group   # same resources, other rates
    assert c.fit.demands == ((L2, 1e3),) and c.fit.group != a.fit.group
    assert all(f is None for i, f in enumerate(fl) if i not in set(ex.tolist()))
