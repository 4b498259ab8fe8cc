"""Emulator demands: what a running task claims on L2, HBM and the links, and how they share."""
from __future__ import annotations

import numpy as np

from hpdsl.emulator import EmulatorOptions, emulate
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.plan import EXEC, lower
from hpdsl.schedule import Schedule
from hpdsl.spec import CoreType, Hardware, Memory, Queue


def hardware(cache=True):
    return Hardware("H", cores=(CoreType("V", 2, (Queue("v", ("vector",), 1e12),)),),
                    memory=Memory("HBM", 2**34, 1e12),
                    cache=Memory("L2", 4 * 2**20, 4e12) if cache else None, sync_latency=0)


def graph(hw, nbytes, hbm):
    n = len(nbytes)
    return TaskGraph.build(name="x", hardware=hw, devices=1, ops=("o",), kinds=("vector",),
                           cores=(("V",),), op=np.zeros(n, np.int32), kind=np.zeros(n, np.int16),
                           device=np.zeros(n), src=[], dst_edges=[], bytes_in=nbytes,
                           bytes_hbm=hbm)


def planned(g, m, workers):
    from hpdsl.cost import task_times
    d = task_times(g, m)[:, 0]
    w = np.array(workers, np.int32)
    start = np.zeros(g.n_tasks, np.int64)
    for k in range(g.n_tasks):           # back to back per worker
        start[k] = sum(d[j] for j in range(k) if w[j] == w[k])
    p = lower(g, m, Schedule("m", "feasible", w, start, start + d))
    return p, np.flatnonzero(p.code == EXEC), d


def test_without_data_blocks_every_byte_is_claimed_where_the_hardware_has_a_level():
    # a hand-built graph names no data blocks: nothing is known to be reused, so a task
    # claims all its bytes on L2 and on HBM (never the cost model's estimate)
    from hpdsl.emulator.demand import HBM, L2, flows, fluid_for
    for cache, want in ((True, ((L2, 1e3), (HBM, 1e3))), (False, ((HBM, 1e3),))):
        hw = hardware(cache=cache)
        g = graph(hw, np.array([1e6, 1e6]), np.array([1e5, 0.0]))
        m = Machine.of(hw)
        p, ex, _ = planned(g, m, [0, 1])
        dur = np.zeros(len(p.code), np.int64)
        dur[ex] = 1000
        fl = flows(g, m, p, dur, ex, fluid_for(m))
        a, b = (fl[i] for i in ex)
        assert a is b and a.claim.demands == want       # equal demands: built once
        assert all(f is None for i, f in enumerate(fl) if i not in set(ex.tolist()))


def test_a_claim_holds_only_the_resources_with_a_demand():
    from hpdsl.emulator.demand import HBM, L2, LINK_IN, LINK_OUT, Claims, fluid_for
    m = Machine.of(hardware(), 2)
    c = Claims(fluid_for(m))
    a, b = c.claim(1, -1, 2.0, 0.0, 0.0), c.claim(1, -1, 3.0, 0.0, 0.0)
    assert a.demands == ((4 + L2, 2.0),) and a.group == b.group
    s = c.claim(0, 1, 1.0, 0.5, 4.0)
    assert s.demands == ((L2, 1.0), (HBM, 0.5), (LINK_OUT, 4.0), (4 + LINK_IN, 4.0))
    assert s.group != a.group and c.claim(0, -1, 0.0, 0.0, 0.0) is None


def two_types(l2_size=4 * 2**20):
    """A (one instance, matmul at 1 TFLOP/s) and B (one instance, vector); L2 4 B/ns x 1000
    and no HBM (what goes off chip is the cache model's: tests/test_memory.py)."""
    return Hardware("H", cores=(CoreType("A", 1, (Queue("a", ("matmul",), 1e12),)),
                                CoreType("B", 1, (Queue("b", ("vector",), 1e12),))),
                    cache=Memory("L2", l2_size, 4e12), sync_latency=0)


def side_by_side(hw, flops, nbytes, hbm):
    """One A task and one B task, both started at 0; their (cost-model, emulated,
    emulated without contention) durations. Their off-chip part is the same in both L2
    states, so only the L2 reuse traffic tells the two-level model from an off-chip-only one."""
    from hpdsl.cost import task_times
    g = TaskGraph.build(name="x", hardware=hw, devices=1, ops=("o",), kinds=("matmul", "vector"),
                        cores=(("A",), ("B",)), op=np.zeros(2, np.int32), kind=np.array([0, 1]),
                        device=np.zeros(2), src=[], dst_edges=[], flops=np.array(flops, float),
                        bytes_in=np.array(nbytes, float), bytes_hbm=np.array(hbm, float))
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
                  cache=Memory("L2", 4 * 2**20, 4e12), link=Link("L", 1e12, 0), sync_latency=0)
    g = TaskGraph.build(name="x", hardware=hw, devices=2, ops=("mm", "put"),
                        kinds=("matmul", "send"), cores=(("A",), ("B",)),
                        op=np.array([0, 1, 1]), kind=np.array([0, 1, 1]), device=np.zeros(3),
                        src=[], dst_edges=[], flops=np.array([4e5, 0, 0]),
                        bytes_in=np.array([1.2e6, 4e5, 4e5]), bytes_sent=np.array([0, 4e5, 4e5]),
                        dst=np.array([-1, 1, 1]))
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
