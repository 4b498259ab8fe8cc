"""Turn events: a signal and a wait that order two events the plan did not, where a device
is short of flags."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from hpdsl.emulator import EmulatorOptions, emulate
from hpdsl.errors import UserError
from hpdsl.machine import Machine
from hpdsl.plan import check_plan, lower
from plan_cases import dag_cases, explicit, hardware, list_schedule


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
def staggered(draw):
    """Senders on distinct queues of devices 1 and 2 that never wait on each other, ending
    one after another (further apart than any latency), feeding sinks on device 0, which
    has `flags` flags for more senders than that: each sender past the first `flags`
    needs a turn, and the devices of the senders have flags to spare for them."""
    flags = draw(st.integers(1, 3))
    n = draw(st.integers(flags + 1, 2 * flags))
    queues = draw(st.permutations(range(10)))[:n]      # 5 queues on each of devices 1, 2
    sync, link = draw(st.integers(0, 9)), draw(st.integers(0, 9))
    ends = [draw(st.integers(1, 10))]
    for _ in range(n - 1):
        ends.append(ends[-1] + sync + link + 1 + draw(st.integers(0, 5)))
    k = draw(st.integers(1, 2))
    # the first sink hears from every sender, a second from some
    feeds = [list(range(n))] + [[u for u in range(n) if draw(st.booleans())] or [n - 1]
                                for _ in range(k - 1)]
    return flags, queues, sync, link, ends, feeds, [draw(st.integers(0, 5)) for _ in range(k)]


@settings(max_examples=100, deadline=None)
@given(staggered())
def test_turns_fit_senders_into_the_flags_of_a_short_device(case):
    flags, queues, sync, link, ends, feeds, sink_ns = case
    n, k = len(queues), len(feeds)
    hw = hardware(cores=(("C", 3), ("D", 2)), sync=sync, link_lat=link, flags=flags)
    m = Machine.of(hw, 3)
    worker = [m.workers[5 + q] for q in queues]                # devices 1 and 2
    cores = [hw.cores[w.core_index].name for w in worker] + ["C"] * k
    edges = [(u, n + j) for j in range(k) for u in feeds[j]]
    g = explicit(hw, ends + sink_ns, edges, cores, devices=3,
                 device=[w.device for w in worker] + [0] * k)
    place = [w.id for w in worker] + list(range(k))           # sinks on d0.C0, d0.C1
    s = list_schedule(g, m, pick=lambda t, ok, free: place[t])
    p = lower(g, m, s)
    # device 0 has an event per sender; all but `flags` of them follow another by a turn
    on_d0 = np.flatnonzero(p.event_device == 0)
    assert len(on_d0) == n and sorted(set(p.event_flag[on_d0].tolist())) == list(range(flags))
    turns = [name for name in p.event_names if "+turn" in name]
    assert len(turns) == n - flags >= 1
    assert p.flags_needed() <= flags
    assert check_plan(p, g, m) == []
    r = emulate(g, m, p, EmulatorOptions(contention=False))
    assert r.findings == ()
    assert np.array_equal(r.start, s.start) and np.array_equal(r.end, s.end)


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
@given(st.one_of(dag_cases(), gathers()), st.integers(1, 3))
def test_plans_with_turns_are_proven_and_emulate_as_scheduled(case, flags):
    times, edges, cores, devs, device, sync, link, seed = case
    hw = hardware(cores=(("C", 3), ("D", 2)), sync=sync + 1, link_lat=link, flags=flags)
    g = explicit(hw, times, edges, cores, devices=devs, device=device)
    m = Machine.of(hw, devs)
    rng = np.random.default_rng(seed)
    s = list_schedule(g, m, pick=lambda t, ok, free: ok[rng.integers(len(ok))])
    try:
        p = lower(g, m, s)
    except UserError as e:
        # sharing and turns did not fit the plan into the flags; then nothing did
        assert "sync flags on device" in str(e)
        with pytest.raises(UserError):
            lower(g, m, s, share_flags=False)
        return
    assert p.flags_needed() <= flags
    assert check_plan(p, g, m) == []
    r = emulate(g, m, p, EmulatorOptions(contention=False))
    assert r.findings == ()
    assert np.array_equal(r.start, s.start) and np.array_equal(r.end, s.end)
