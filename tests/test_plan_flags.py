"""Sync-flag sharing: which events the plan orders, the bases, and the checks that catch
unsound sharing (static and emulated)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from hpdsl.emulator import EmulatorOptions, emulate
from hpdsl.errors import UserError
from hpdsl.machine import Machine
from hpdsl.plan import lower
from hpdsl.plan import check_plan
from hpdsl.plan import load_plan, plan_to_json
from hpdsl.schedule import Schedule
from plan_cases import explicit, hardware, list_schedule


def relay(flags=16):
    """a (C0) -> x (C1) -> y (C2): C1 waits for all of C0's event before signalling its own."""
    hw = hardware(cores=(("C", 3),), sync=5, flags=flags)
    g = explicit(hw, [10, 10, 10], [(0, 1), (1, 2)], ["C"] * 3)
    s = Schedule("m", "feasible", np.array([0, 1, 2], np.int32), np.array([0, 15, 30]),
                 np.array([10, 25, 40]))
    return hw, g, Machine.of(hw), s


def fanin(flags=16):
    """a (C0) and b (C1) -> c (C2): nothing orders a's signal and b's."""
    hw = hardware(cores=(("C", 3),), sync=5, flags=flags)
    g = explicit(hw, [10, 3, 1], [(0, 2), (1, 2)], ["C"] * 3)
    s = Schedule("m", "feasible", np.array([0, 1, 2], np.int32), np.array([0, 0, 15]),
                 np.array([10, 3, 16]))
    return hw, g, Machine.of(hw), s


def test_an_event_signalled_after_waiting_for_another_shares_its_flag():
    hw, g, m, s = relay()
    p = lower(g, m, s, share_flags=True)
    assert p.event_names == ("d0.C0.q>d0", "d0.C1.q>d0")
    assert p.event_flag.tolist() == [0, 0] and p.event_base.tolist() == [0, 1]
    assert p.flags_needed() == 1 and check_plan(p, g, m) == []
    r = emulate(g, m, p)
    assert r.findings == () and r.start.tolist() == [0, 15, 30]
    # the default shares only where the hardware has too few flags
    assert lower(g, m, s).event_flag.tolist() == [0, 1]
    assert lower(g, Machine.of(replace(hw, sync_flags=1)), s).flags_needed() == 1


def test_unordered_events_keep_their_own_flags():
    hw, g, m, s = fanin()
    p = lower(g, m, s, share_flags=True)
    assert p.event_flag.tolist() == [0, 1] and p.event_base.tolist() == [0, 0]
    with pytest.raises(UserError, match=r"the plan needs 2 sync flags on device 0 but hardware "
                                        r"'H' has 1 per device \(with events the plan orders "
                                        r"sharing flags\)"):
        lower(g, Machine.of(replace(hw, sync_flags=1)), s)


def test_one_queue_shares_a_flag_from_a_fast_event_to_a_slower_one_only():
    # C0 on device 0 runs a (-> b on device 0, fast) then s, a send to device 1 whose
    # consumer is on device 0 (its signal carries the link latency): the fast event's
    # signal is issued first and arrives first
    hw = hardware(cores=(("C", 2),), sync=5, link_lat=7)
    from hpdsl.graph import TaskGraph

    g = TaskGraph.build(name="g", hardware=hw, devices=2, ops=("g",), kinds=("C",),
                        cores=(("C",),), op=[0] * 3, kind=[0] * 3, device=[0, 0, 0],
                        src=[0, 1], dst_edges=[2, 2], fixed_ns=[3, 4, 1], dst=[-1, 1, -1],
                        bytes_sent=[0, 8, 0])
    m = Machine.of(hw, 2)
    s = Schedule("m", "feasible", np.array([0, 0, 1], np.int32), np.array([0, 3, 19]),
                 np.array([3, 7, 20]))
    p = lower(g, m, s, share_flags=True)
    assert p.event_names == ("d0.C0.q>d0", "d0.C0.q>d0+data")
    assert p.event_flag.tolist() == [0, 0] and p.event_base.tolist() == [0, 1]
    assert check_plan(p, g, m) == []
    assert emulate(g, m, p).findings == ()
    # the other way round (the slow signal first) the plan proves nothing
    swapped = replace(p, event_base=np.array([1, 0]))
    assert check_plan(swapped, g, m) == [
        "events 'd0.C0.q>d0+data' and 'd0.C0.q>d0' share flag 0 of device 0, but nothing in "
        "the plan makes every signal of the first arrive before the first signal of the second"]


def test_check_plan_rejects_a_wrong_base_and_unordered_sharing():
    hw, g, m, s = relay()
    p = lower(g, m, s, share_flags=True)
    assert check_plan(replace(p, event_base=np.array([0, 2])), g, m) == [
        "event 'd0.C1.q>d0' on flag 0 of device 0 counts from 2, not from 1 (the signals of "
        "the events before it on that flag)"]
    hw, g, m, s = fanin()
    p = lower(g, m, s)
    bad = replace(p, event_flag=np.array([0, 0]), event_base=np.array([0, 1]))
    assert check_plan(bad, g, m) == [
        "events 'd0.C0.q>d0' and 'd0.C1.q>d0' share flag 0 of device 0, but nothing in the "
        "plan makes every signal of the first arrive before the first signal of the second"]
    # the emulator sees b's signal (at 8 ns) arrive before a's (15 ns)
    assert [f.kind for f in emulate(g, m, bad).findings] == ["flag-clash"]


def test_bases_survive_json_and_bad_ones_are_user_errors():
    hw, g, m, s = relay()
    p = lower(g, m, s, share_flags=True)
    text = plan_to_json(p)
    assert '"base": 1' in text
    assert load_plan(text, g, m).event_base.tolist() == [0, 1]
    with pytest.raises(UserError, match=r"plan.json: error: event 'd0.C1.q>d0' has \"base\" -1; "
                                        r"it must be a non-negative integer \(the flag count the "
                                        r"event starts from\)"):
        load_plan(text.replace('"base": 1', '"base": -1'), g, m, "plan.json")


@st.composite
def cases(draw):
    n = draw(st.integers(2, 14))
    edges = [(u, v) for v in range(n) for u in range(v) if draw(st.integers(0, 2)) == 0]
    cores = [draw(st.sampled_from("CD")) for _ in range(n)]
    times = [draw(st.integers(0, 20)) for _ in range(n)]
    devs = draw(st.integers(1, 2))
    device = [draw(st.integers(0, devs - 1)) for _ in range(n)]
    return (times, edges, cores, devs, device, draw(st.integers(0, 9)), draw(st.integers(0, 9)),
            draw(st.integers(0, 10**6)))


@settings(max_examples=150, deadline=None)
@given(cases())
def test_shared_flags_are_proven_and_change_no_time(case):
    times, edges, cores, devs, device, sync, link, seed = case
    hw = hardware(cores=(("C", 3), ("D", 2)), sync=sync, link_lat=link, flags=64)
    g = explicit(hw, times, edges, cores, devices=devs, device=device)
    m = Machine.of(hw, devs)
    rng = np.random.default_rng(seed)
    s = list_schedule(g, m, pick=lambda t, ok, free: ok[rng.integers(len(ok))])
    p = lower(g, m, s, share_flags=True)
    assert p.flags_needed() <= lower(g, m, s, share_flags=False).flags_needed()
    assert check_plan(p, g, m) == []
    r = emulate(g, m, p, EmulatorOptions(contention=False))
    assert r.findings == ()
    assert np.array_equal(r.start, s.start) and np.array_equal(r.end, s.end)


def two_senders(z_ns=20, flags=1):
    """a (d1.C0, 10 ns) and b (d1.C1, after z there) both feed c on device 0: device 0 has
    two events and, with one flag, can keep them apart only by a turn from d1.C0 to d1.C1."""
    hw = hardware(cores=(("C", 2),), sync=5, link_lat=7, flags=flags)
    a, z, b, c = range(4)
    g = explicit(hw, [10, z_ns, 3, 1], [(a, c), (z, b), (b, c)], ["C"] * 4, devices=2,
                 device=[1, 1, 1, 0])
    m = Machine.of(hw, 2)
    s = list_schedule(g, m, pick=lambda t, ok, free: {a: 2, z: 3, b: 3, c: 0}[t])
    return hw, g, m, s


def test_a_device_short_of_flags_gets_a_turn_that_costs_no_time():
    hw, g, m, s = two_senders()
    assert s.start.tolist() == [0, 0, 20, 35]
    p = lower(g, m, s)
    assert p.event_names == ("d1.C0.q>d0", "d1.C1.q>d0", "d1.C0.q>d1+turn1")
    assert p.event_device.tolist() == [0, 0, 1]
    assert p.event_flag.tolist() == [0, 0, 0] and p.event_base.tolist() == [0, 1, 0]
    assert p.stream(2) == [("exec", 0, 0), ("signal", 0, 1), ("signal", 2, 1)]
    assert p.stream(3) == [("exec", 1, 0), ("exec", 2, 0), ("wait", 2, 1), ("signal", 1, 1)]
    assert check_plan(p, g, m) == []
    r = emulate(g, m, p)
    assert r.findings == () and r.start.tolist() == s.start.tolist()
    # without the turn's wait the sharing is unproven
    keep = np.flatnonzero((p.code != 1) | (p.arg != 2))
    broken = replace(p, code=p.code[keep], arg=p.arg[keep], count=p.count[keep],
                     ptr=p.ptr - np.r_[0, 0, 0, 0, 1])
    assert check_plan(broken, g, m)[0].startswith(
        "events 'd1.C0.q>d0' and 'd1.C1.q>d0' share flag 0 of device 0, but nothing")


def test_no_turn_when_it_would_cost_time():
    # b's signal (at 12 ns) comes before a's turn could arrive (10 + 5): refused
    hw, g, m, s = two_senders(z_ns=9)
    assert s.end[2] == 12
    with pytest.raises(UserError, match="the plan needs 2 sync flags on device 0"):
        lower(g, m, s)


def test_no_turn_onto_a_device_without_a_flag_to_spare():
    # as two_senders (which fits one flag with a turn), but a also feeds y on d1.C1 after
    # b: device 1 uses its one flag already
    hw = hardware(cores=(("C", 2),), sync=5, link_lat=7, flags=1)
    a, z, b, c, y = range(5)
    g = explicit(hw, [10, 20, 3, 1, 1], [(a, c), (z, b), (b, c), (a, y), (b, y)], ["C"] * 5,
                 devices=2, device=[1, 1, 1, 0, 1])
    m = Machine.of(hw, 2)
    s = list_schedule(g, m, pick=lambda t, ok, free: {a: 2, z: 3, b: 3, c: 0, y: 3}[t])
    with pytest.raises(UserError, match="the plan needs 2 sync flags on device 0"):
        lower(g, m, s)


@st.composite
def gathers(draw):
    """Tasks on devices 1 and 2 (with dependencies among them) feeding sinks on device 0,
    which is short of flags: where turns are needed."""
    n = draw(st.integers(2, 12))
    k = draw(st.integers(1, 3))
    edges = [(u, v) for v in range(n) for u in range(v) if draw(st.integers(0, 3)) == 0]
    edges += [(u, n + j) for j in range(k) for u in range(n) if draw(st.integers(0, 1))]
    cores = [draw(st.sampled_from("CD")) for _ in range(n + k)]
    times = [draw(st.integers(0, 20)) for _ in range(n + k)]
    device = [draw(st.integers(1, 2)) for _ in range(n)] + [0] * k
    return (times, edges, cores, 3, device, draw(st.integers(0, 9)), draw(st.integers(0, 9)),
            draw(st.integers(0, 10**6)))


@settings(max_examples=150, deadline=None)
@given(st.one_of(cases(), gathers()), st.integers(1, 3))
def test_plans_with_turns_are_proven_and_emulate_as_scheduled(case, flags):
    times, edges, cores, devs, device, sync, link, seed = case
    hw = hardware(cores=(("C", 3), ("D", 2)), sync=sync + 1, link_lat=link, flags=flags)
    g = explicit(hw, times, edges, cores, devices=devs, device=device)
    m = Machine.of(hw, devs)
    rng = np.random.default_rng(seed)
    s = list_schedule(g, m, pick=lambda t, ok, free: ok[rng.integers(len(ok))])
    try:
        p = lower(g, m, s)
    except UserError:
        return
    assert p.flags_needed() <= flags
    assert check_plan(p, g, m) == []
    r = emulate(g, m, p, EmulatorOptions(contention=False))
    assert r.findings == ()
    assert np.array_equal(r.start, s.start) and np.array_equal(r.end, s.end)
