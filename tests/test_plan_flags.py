"""Sync flags: one per event, shared by chains of events the plan orders, the bases, and
the error when a device needs more flags than it has."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from hpdsl.emulator import EmulatorOptions, emulate
from hpdsl.errors import UserError
from hpdsl.machine import Machine
from hpdsl.plan import check_plan, lower
from hpdsl.plan.flags import base_wanted, flag_key
from plan_cases import (dag_cases, explicit, hardware, list_schedule, one_queue_fanin, relay,
                        two_queue_fanin)


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
    hw, g, m, s = two_queue_fanin()
    p = lower(g, m, s, share_flags=True)
    assert p.event_flag.tolist() == [0, 1] and p.event_base.tolist() == [0, 0]
    with pytest.raises(UserError, match=r"the plan needs 2 sync flags on device 0 but hardware "
                                        r"'H' has 1 per device \(with events the plan orders "
                                        r"sharing flags\)"):
        lower(g, Machine.of(replace(hw, sync_flags=1)), s)


def test_too_few_flags_is_a_user_error():
    hw, g, m, s = one_queue_fanin()
    m0 = Machine.of(replace(hw, sync_flags=0))
    with pytest.raises(UserError) as e:
        lower(g, m0, s, share_flags=False)
    assert str(e.value) == (
        "error: the plan needs 1 sync flags on device 0 but hardware 'H' has 0 per device; "
        "declare more with 'sync flags N', use coarser tiles, or spread dependent tasks over "
        "fewer queues")
    with pytest.raises(UserError, match=r"the plan needs 1 sync flags on device 0 but hardware "
                                        r"'H' has 0 per device \(with events"):
        lower(g, m0, s)


def test_flag_key_and_bases_name_the_counter_each_event_counts_on():
    hw, g, m, s = relay()
    p = lower(g, m, s, share_flags=True)
    key = flag_key(p, m.devices)
    assert key[0] == key[1]
    order, want = base_wanted(p, key)
    assert order.tolist() == [0, 1] and want.tolist() == [0, 1]
    own = lower(g, m, s, share_flags=False)
    assert len(set(flag_key(own, m.devices).tolist())) == 2
    assert base_wanted(own, flag_key(own, m.devices))[1].tolist() == [0, 0]


@settings(max_examples=150, deadline=None)
@given(dag_cases())
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


@st.composite
def relays(draw):
    """A chain t0 -> t1 -> ... of tasks on distinct queues of one device, with random
    shortcuts t_i -> t_j: each queue waits for every earlier event before it signals."""
    k = draw(st.integers(2, 5))
    queues = draw(st.permutations(range(5)))[:k]
    edges = [(i, i + 1) for i in range(k - 1)]
    edges += [(i, j) for j in range(2, k) for i in range(j - 1) if draw(st.booleans())]
    times = [draw(st.integers(0, 20)) for _ in range(k)]
    return queues, edges, times, draw(st.integers(0, 9))


@settings(max_examples=60, deadline=None)
@given(relays())
def test_a_relay_of_queues_shares_one_flag(case):
    queues, edges, times, sync = case
    k = len(queues)
    hw = hardware(cores=(("C", 3), ("D", 2)), sync=sync, flags=1)
    cores = ["C" if q < 3 else "D" for q in queues]
    g = explicit(hw, times, edges, cores)
    m = Machine.of(hw)
    s = list_schedule(g, m, pick=lambda t, ok, free: queues[t])
    # one event per queue that feeds another, all on one flag, each counting on from the
    # signals before it; sharing is forced by the single flag
    p = lower(g, m, s)
    assert p.n_events == k - 1 and p.flags_needed() == 1
    assert p.event_flag.tolist() == [0] * (k - 1)
    assert sorted(p.event_base.tolist()) == list(range(k - 1))
    assert check_plan(p, g, m) == []
    r = emulate(g, m, p, EmulatorOptions(contention=False))
    assert r.findings == ()
    assert np.array_equal(r.start, s.start) and np.array_equal(r.end, s.end)
    # without sharing each event takes a flag of its own, more than the hardware has
    assert lower(g, Machine.of(replace(hw, sync_flags=64)), s).flags_needed() == k - 1
    if k > 2:
        with pytest.raises(UserError, match="the plan needs"):
            lower(g, m, s, share_flags=False)
