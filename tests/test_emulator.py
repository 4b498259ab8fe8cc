"""The emulator: broken plans yield exactly the expected finding; exactness; contention."""
from __future__ import annotations

import itertools
import json
from dataclasses import replace

import numpy as np
from hypothesis import example, given, settings, strategies as st

from hpdsl.emulator import EmulatorOptions, emulate
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.plan import WAIT, check_plan, load_plan, lower, plan_to_json
from hpdsl.schedule import Schedule
from plan_cases import explicit, hardware, list_schedule


def chain():
    """a (10 ns, C0) -> b (1 ns, C1)."""
    hw = hardware(cores=(("C", 2),))
    g = replace(explicit(hw, [10, 1], [(0, 1)], ["C", "C"]), task_names=("a", "b"))
    m = Machine.of(hw)
    s = Schedule("m", "feasible", np.array([0, 1], np.int32), np.array([0, 10]), np.array([10, 11]))
    return g, m, lower(g, m, s)


def kinds(r):
    return [f.kind for f in r.findings]


def test_correct_plan_has_no_findings_and_matches_prediction():
    g, m, p = chain()
    r = emulate(g, m, p)
    assert r.findings == () and r.makespan == 11 and r.prediction_error == 0.0
    assert r.start.tolist() == [0, 10]


def test_removed_wait_is_a_missing_sync():
    g, m, p = chain()
    keep = np.flatnonzero(p.code != WAIT)
    broken = replace(p, ptr=np.array([0, 2, 3]), code=p.code[keep], arg=p.arg[keep], count=p.count[keep])
    r = emulate(g, m, broken)
    assert kinds(r) == ["missing-sync"]
    f = r.findings[0]
    assert f.tasks == (1, 0) and f.queues == ("d0.C1.q", "d0.C0.q") and f.times == (0, 10)
    assert f.message.startswith("b (task 1) on 'd0.C1.q' started at 0 ns, before its dependency "
                                "a (task 0 on 'd0.C0.q', ends at 10 ns")
    assert f.message.endswith("the plan lacks a sync")


def test_crossed_waits_deadlock_names_the_cycle():
    hw = hardware(cores=(("C", 2),))
    g = replace(explicit(hw, [1, 1, 1, 1], [(0, 1), (2, 3)], ["C"] * 4), task_names=tuple("abcd"))
    m = Machine.of(hw)
    doc = {"version": 1, "events": {"A": {"device": 0, "flag": 0}, "B": {"device": 0, "flag": 1}},
           "queues": {
               "d0.C0.q": [{"op": "wait", "event": "B", "count": 1}, {"op": "exec", "task": 0},
                           {"op": "signal", "event": "A"}, {"op": "exec", "task": 3}],
               "d0.C1.q": [{"op": "wait", "event": "A", "count": 1}, {"op": "exec", "task": 2},
                           {"op": "signal", "event": "B"}, {"op": "exec", "task": 1}]}}
    r = emulate(g, m, load_plan(json.dumps(doc), g, m, "p.json"))
    assert kinds(r) == ["deadlock"]
    f = r.findings[0]
    assert set(f.queues) == {"d0.C0.q", "d0.C1.q"} and set(f.tasks) == {0, 2}
    # one sentence per wait, each naming its own two queues (it read "deadlock: deadlock:
    # ... from 'd0.C1.q', which 'd0.C1.q' waits ...")
    assert f.message in (
        "queues wait for each other in a cycle: "
        + "; ".join(parts) + "; 2 queues never finish"
        for parts in itertools.permutations(
            ["'d0.C0.q' waits for event 'B' to reach 1 (it is at 0) from 'd0.C1.q'",
             "'d0.C1.q' waits for event 'A' to reach 1 (it is at 0) from 'd0.C0.q'"]))
    assert (r.start < 0).all()


def test_count_one_too_high_is_never_satisfied():
    g, m, p = chain()
    cnt = p.count.copy()
    cnt[p.code == WAIT] += 1
    r = emulate(g, m, replace(p, count=cnt))
    assert kinds(r) == ["never-satisfied"]
    assert r.findings[0].message == (
        "queue 'd0.C1.q' instruction 0 waits for event 'd0.C0.q>d0' to reach 2, but the plan "
        "signals it only 1 times; b (task 1) never runs")
    assert r.findings[0].tasks == (1,)


def test_more_live_events_than_flags():
    hw = hardware(cores=(("C", 3),), flags=8)
    g = explicit(hw, [5, 3, 1], [(0, 2), (1, 2)], ["C"] * 3)
    m = Machine.of(hw)
    s = Schedule("m", "feasible", np.array([0, 1, 2], np.int32), np.array([0, 0, 5]), np.array([5, 3, 6]))
    p = lower(g, m, s)
    assert emulate(g, m, p).findings == ()
    r = emulate(g, Machine.of(replace(hw, sync_flags=1)), p)
    assert kinds(r) == ["flag-overflow"]
    assert r.findings[0].message.startswith(
        "device 0 has 2 sync flags live at 3 ns but the hardware has 1 per device")


def test_two_live_events_on_one_flag_clash():
    hw = hardware(cores=(("C", 3),), flags=8)
    g = explicit(hw, [5, 3, 1], [(0, 2), (1, 2)], ["C"] * 3)
    m = Machine.of(hw)
    s = Schedule("m", "feasible", np.array([0, 1, 2], np.int32), np.array([0, 0, 5]), np.array([5, 3, 6]))
    p = lower(g, m, s)
    r = emulate(g, m, replace(p, event_flag=np.zeros(2)))
    assert kinds(r) == ["flag-clash"]
    assert r.findings[0].message == (
        "events 'd0.C0.q>d0' and 'd0.C1.q>d0' share flag 0 on device 0, but the second "
        "counts from 0, not from 1 (the signals before it)")
    # with consistent bases, the two still arrive out of turn (b's at 3 ns, a's at 5 ns)
    r = emulate(g, m, replace(p, event_flag=np.zeros(2), event_base=np.array([0, 1])))
    assert kinds(r) == ["flag-clash"]
    assert r.findings[0].message == (
        "events 'd0.C0.q>d0' and 'd0.C1.q>d0' share flag 0 on device 0, but a signal of the "
        "second arrives at 3 ns, before the last of the first (5 ns)")
    # in the other turn they are fine
    assert emulate(g, m, replace(p, event_flag=np.zeros(2), event_base=np.array([1, 0]))).findings == ()


def test_tile_larger_than_buffer_is_a_warning():
    from hpdsl.spec import Buffer
    hw = hardware(cores=(("C", 1),))
    c = replace(hw.cores[0], buffers=(Buffer("UB", 1024),))
    hw = replace(hw, cores=(c,))
    g = TaskGraph.build(name="g", hardware=hw, devices=1, ops=("up",), kinds=("matmul",),
                        cores=(("C",),), op=[0, 0], kind=[0, 0], device=[0, 0], src=[], dst_edges=[],
                        fixed_ns=[1, 1], rows=[16, 8], cols=[16, 8], bytes_out=[512, 128])
    m = Machine.of(hw)
    r = emulate(g, m, lower(g, m, list_schedule(g, m)))
    # 16x16x2 B out + (16+16) x 64 x 2 B K-slice = 4608 > 1024; 8x8: 128 + 2048 = 2176 > 1024
    assert kinds(r) == ["buffer-overflow"] and r.ok
    assert r.findings[0].message.startswith("2 tiles of op 'up' hold more than C's largest buffer "
                                            "(UB, 1024 bytes), e.g. up[d0] (task 0) needs 4608")
    # with a K-slice 8 deep: 512 + 32 x 8 x 2 = 1024 and 128 + 16 x 8 x 2 = 384 fit
    hw8 = replace(hw, cores=(replace(c, k_slice=8),))
    g8, m8 = replace(g, hardware=hw8), Machine.of(hw8)
    assert emulate(g8, m8, lower(g8, m8, list_schedule(g8, m8))).findings == ()


@st.composite
def cases(draw):
    n = draw(st.integers(1, 16))
    edges = [(u, v) for v in range(n) for u in range(v) if draw(st.integers(0, 3)) == 0]
    cores = [draw(st.sampled_from("CD")) for _ in range(n)]
    # half the cases use mostly zero-time tasks, which tie at one instant on a worker
    short = draw(st.booleans())
    times = [draw(st.sampled_from((0, 0, 1)) if short else st.integers(0, 50)) for _ in range(n)]
    devs = draw(st.integers(1, 2))
    device = [draw(st.integers(0, devs - 1)) for _ in range(n)]
    return (times, edges, cores, devs, device, draw(st.integers(0, 9)), draw(st.integers(0, 30)),
            draw(st.integers(0, 20)), draw(st.integers(0, 10**6)))


@settings(max_examples=300, deadline=None)
@given(cases())
@example(([0, 0, 0], [(0, 2)], ["C", "C", "C"], 1, [0, 0, 0], 1, 0, 0, 1))
def test_uncontended_emulation_equals_the_list_schedule(case):
    """Why lowering reproduces these ASAP schedules exactly: see `hpdsl.plan.ties`."""
    times, edges, cores, devs, device, sync, link, launch, seed = case
    hw = hardware(cores=(("C", 2), ("D", 1)), sync=sync, link_lat=link, launch=launch, flags=64)
    g = explicit(hw, times, edges, cores, devices=devs, device=device)
    m = Machine.of(hw, devs)
    rng = np.random.default_rng(seed)
    s = list_schedule(g, m, pick=lambda t, ok, free: ok[rng.integers(len(ok))])
    p = lower(g, m, s)
    r = emulate(g, m, p)
    assert r.findings == ()
    assert np.array_equal(r.start, s.start) and np.array_equal(r.end, s.end)
    assert r.makespan == s.makespan and r.prediction_error in (0.0, None)
    r2 = emulate(g, m, load_plan(plan_to_json(p), g, m))
    assert np.array_equal(r2.start, r.start)


def test_zero_time_ties_put_the_latest_released_task_first():
    # 0 (C0) -> 2; the schedule runs 2 then 1 on C1, both at t=1 (2 waits for the sync
    # latency, 1 is free at 0 but queued behind 2): executing 1 first would run it at 0
    hw = hardware(cores=(("C", 2),), sync=1)
    g = explicit(hw, [0, 0, 0], [(0, 2)], ["C"] * 3)
    m = Machine.of(hw)
    s = Schedule("m", "feasible", np.array([0, 1, 1], np.int32), np.array([0, 1, 1]), np.array([0, 1, 1]))
    p = lower(g, m, s)
    assert p.stream(1) == [("wait", 0, 1), ("exec", 2, 0), ("exec", 1, 0)]
    r = emulate(g, m, p)
    assert r.start.tolist() == [0, 1, 1] and r.findings == ()


def test_zero_time_ties_keep_same_queue_dependencies():
    # 1, 2, 3 tied on C1 at t=3; 0 (on C0) releases 1 and 2 at 3, but 2 also needs 1 and 3
    # on the same queue, so the first is 1 (the latest-released task with no dependency
    # inside the tie), then 3 and 2 in topological order
    hw = hardware(cores=(("C", 2),), sync=0)
    g = explicit(hw, [3, 0, 0, 0], [(0, 1), (0, 2), (1, 2), (3, 2)], ["C"] * 4)
    m = Machine.of(hw)
    s = Schedule("m", "feasible", np.array([0, 1, 1, 1], np.int32), np.array([0, 3, 3, 3]),
                 np.array([3, 3, 3, 3]))
    p = lower(g, m, s)
    execs = [a for op, a, _ in p.stream(1) if op == "exec"]
    assert execs.index(1) < execs.index(2) and execs.index(3) < execs.index(2)
    assert emulate(g, m, p).start.tolist() == [0, 3, 3, 3]


def test_zero_time_ties_wait_for_a_task_released_at_the_instant():
    # C1: z (0..5) then y at 5; C0 is free from 0 but runs f (needs y) then x, both at 5;
    # x has the smaller id and nothing to wait for, so it must not go first
    hw = hardware(cores=(("C", 2),))
    z, x, y, f = range(4)
    g = explicit(hw, [5, 0, 0, 0], [(z, y), (y, f)], ["C"] * 4)
    m = Machine.of(hw)
    s = Schedule("m", "feasible", np.array([1, 0, 1, 0], np.int32), np.array([0, 5, 5, 5]),
                 np.array([5, 5, 5, 5]))
    p = lower(g, m, s)
    assert [a for op, a, _ in p.stream(0) if op == "exec"] == [f, x]
    assert emulate(g, m, p).start.tolist() == [0, 5, 5, 5]


def test_zero_latency_chains_through_another_queue_do_not_deadlock():
    # a1 -> b1 -> a2 all at t=3 with no sync latency; a1, a2 tie on C0 and both are
    # released at 3, but a2 only after b1 on C1, which needs a1
    hw = hardware(cores=(("C", 3),))
    c0, a2, a1, b1 = range(4)
    g = explicit(hw, [3, 0, 0, 0], [(c0, a1), (c0, a2), (a1, b1), (b1, a2)], ["C"] * 4)
    m = Machine.of(hw)
    s = Schedule("m", "feasible", np.array([2, 0, 0, 1], np.int32), np.array([0, 3, 3, 3]),
                 np.array([3, 3, 3, 3]))
    p = lower(g, m, s)
    assert [a for op, a, _ in p.stream(0) if op == "exec"] == [a1, a2]
    r = emulate(g, m, p)
    assert r.findings == () and r.start.tolist() == [0, 3, 3, 3]


def test_kernel_barriers_cost_a_launch():
    hw = hardware(cores=(("C", 2),), launch=100)
    g = explicit(hw, [10, 5, 1], [(0, 2)], ["C"] * 3)
    m = Machine.of(hw)
    s = Schedule("serial", "baseline", np.array([0, 1, 0], np.int32), np.array([100, 100, 210]),
                 np.array([110, 105, 211]), kernel=np.array([0, 0, 1], np.int32))
    r = emulate(g, m, lower(g, m, s))
    assert r.findings == () and r.start.tolist() == [100, 100, 210] and r.makespan == 211



def test_a_dependency_across_a_barrier_needs_no_sync_latency():
    # launch 5 < sync latency 100: b (next kernel, other queue) starts 5 ns after a ends;
    # the barrier is a host synchronization, so that is not a missing sync
    hw = hardware(cores=(("C", 2),), sync=100, launch=5)
    g = explicit(hw, [10, 1], [(0, 1)], ["C", "C"])
    m = Machine.of(hw)
    s = Schedule("serial", "baseline", np.array([0, 1], np.int32), np.array([5, 20]),
                 np.array([15, 21]), kernel=np.array([0, 1], np.int32))
    p = lower(g, m, s)
    assert p.n_events == 0 and check_plan(p, g, m) == []
    r = emulate(g, m, p)
    assert r.findings == () and r.start.tolist() == [5, 20]
    # the same two tasks in one kernel without a wait: b starts before a's signal arrives
    one = replace(p, code=p.code[p.code != 3], arg=p.arg[p.code != 3],
                  count=p.count[p.code != 3], ptr=np.array([0, 1, 2]))
    assert kinds(emulate(g, m, one)) == ["missing-sync"]

def sends(starts, routes, bw=1e9, cores=4, devices=3, mem_bw=None, bytes_in=0.0):
    """Send tasks of 1000 bytes on separate workers; a (fixed-time) vector task before each
    delays its start. `routes[i] = (src device, dst device)`."""
    hw = hardware(cores=(("V", cores),), link_bw=bw, does=("send", "vector"), mem_bw=mem_bw)
    n = len(routes)
    kind = [1] * n + [0] * n          # sends, then the delaying vector tasks
    g = TaskGraph.build(
        name="g", hardware=hw, devices=devices, ops=("send", "delay"), kinds=("send", "vector"),
        cores=(("V",), ("V",)), op=[0] * n + [1] * n, kind=kind,
        device=[r[0] for r in routes] * 2, src=list(range(n, 2 * n)), dst_edges=list(range(n)),
        bytes_sent=[1000.0] * n + [0.0] * n, dst=[r[1] for r in routes] + [-1] * n,
        fixed_ns=[-1] * n + list(starts), bytes_in=[bytes_in] * n + [0.0] * n)
    m = Machine.of(hw, devices)
    per_dev = {}
    w = []
    for i, (sd, _) in enumerate(routes):
        k = per_dev.get(sd, 0)
        per_dev[sd] = k + 1
        w.append(sd * cores + k)
    w = np.array(w + w, np.int32)
    st_ = np.r_[list(starts), np.zeros(n)].astype(np.int64)
    s = Schedule("m", "feasible", w, np.r_[st_[:n], np.zeros(n, np.int64)],
                 np.r_[st_[:n] + 1000, st_[:n]].astype(np.int64))
    return g, m, lower(g, m, s)


def durations(r, n):
    return (r.end[:n] - r.start[:n]).tolist()


def test_one_send_takes_bytes_over_bandwidth():
    g, m, p = sends([0], [(0, 1)])
    assert durations(emulate(g, m, p), 1) == [1000]


def test_two_sends_on_one_link_take_twice_as_long():
    g, m, p = sends([0, 0], [(0, 1), (0, 2)])       # share device 0's injection
    assert durations(emulate(g, m, p), 2) == [2000, 2000]
    g, m, p = sends([0, 0], [(0, 2), (1, 2)])       # share device 2's ejection
    assert durations(emulate(g, m, p), 2) == [2000, 2000]
    g, m, p = sends([0, 0], [(0, 1), (1, 0)])       # opposite directions do not contend
    assert durations(emulate(g, m, p), 2) == [1000, 1000]
    r = emulate(g, m, sends([0, 0], [(0, 1), (0, 2)])[2], EmulatorOptions(contention=False))
    assert durations(r, 2) == [1000, 1000]


def test_staggered_sends_share_only_while_they_overlap():
    # A alone for 500 ns (500 B), both at half rate until A's last 500 B are sent at 1500,
    # then B alone: its 500 B left take until 2000.
    g, m, p = sends([0, 500], [(0, 1), (0, 2)])
    r = emulate(g, m, p)
    assert r.start[:2].tolist() == [0, 500] and r.end[:2].tolist() == [1500, 2000]


def test_hbm_is_shared_and_without_data_blocks_l2_relieves_nothing():
    # two memory-bound tasks on two core types, each alone at the full HBM bandwidth
    def build(cache):
        hw = hardware(cores=(("A", 1), ("B", 1)), mem_bw=1e9, cache=cache)
        g = TaskGraph.build(name="g", hardware=hw, devices=1, ops=("x",), kinds=("A", "B"),
                            cores=(("A",), ("B",)), op=[0, 0], kind=[0, 1], device=[0, 0],
                            src=[], dst_edges=[], bytes_in=[1000.0, 1000.0])
        m = Machine.of(hw)
        return g, m, lower(g, m, list_schedule(g, m))
    g, m, p = build(None)
    assert durations(emulate(g, m, p), 2) == [2000, 2000]
    # with an L2 the cost model charges 1000 B at 4 GB/s = 250 ns. A hand-built graph names
    # no data blocks, so nothing is known to be reused: each task still claims its 1000 B
    # on HBM, and the two share it as before (the L2 cache model: tests/test_memory.py)
    g, m, p = build((1 << 20, 4e9))
    assert durations(emulate(g, m, p, EmulatorOptions(contention=False)), 2) == [250, 250]
    assert durations(emulate(g, m, p), 2) == [2000, 2000]


def test_measurements():
    hw = hardware(cores=(("C", 1), ("D", 1)))
    g = explicit(hw, [10, 10, 5], [(0, 2)], ["C", "C", "D"])
    m = Machine.of(hw)
    r = emulate(g, m, lower(g, m, list_schedule(g, m)))
    assert r.makespan == 20 and r.utilization == {"C": 1.0, "D": 0.25}
    # task 1 is ready at 0 but C is busy until 10: no idle C worker, so nothing starved
    assert r.starved == {"C": 0.0, "D": 0.0}
    assert [(o.op, o.first_start, o.last_end, o.busy) for o in r.ops] == [("g", 0, 20, 25)]


def test_exposed_communication_and_starvation():
    g, m, p = sends([0, 0], [(0, 1), (0, 2)])
    r = emulate(g, m, p)
    assert r.exposed_comm == 2000          # sends on device 0, no compute beside them
    # a task ready while a worker of its type idles: b (C) waits for a on another queue
    hw = hardware(cores=(("C", 2),), sync=7)
    g = explicit(hw, [10, 1], [(0, 1)], ["C", "C"])
    m = Machine.of(hw)
    s = Schedule("m", "feasible", np.array([0, 1], np.int32), np.array([0, 17]), np.array([10, 18]))
    r = emulate(g, m, lower(g, m, s))
    assert r.starved["C"] == 7.0           # ready at 10, started at 17 after the sync latency
