"""What a plan alone proves about the order of its signals."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from hpdsl.emulator import emulate
from hpdsl.plan import SIGNAL, check_plan, lower
from hpdsl.plan.order import may_follow, order_facts, signal_latency, single_producer
from plan_cases import local_then_send, relay, two_queue_fanin


def test_signal_latency_charges_the_link_after_a_send():
    hw, g, m, s = local_then_send()
    p = lower(g, m, s)
    lo, hi = signal_latency(p, g, m)
    assert lo.tolist() == hi.tolist() == [5, 12]


def test_single_producer():
    hw, g, m, s = two_queue_fanin()
    p = lower(g, m, s)
    assert single_producer(p).tolist() == [True, True]
    both = replace(p, arg=np.where(p.code == SIGNAL, 0, p.arg))
    assert single_producer(both).tolist() == [False, True]   # event 1 has no signal left


def test_a_wait_for_a_whole_event_proves_it_arrived():
    hw, g, m, s = relay()
    p = lower(g, m, s)
    lo, hi = signal_latency(p, g, m)
    first, seen = order_facts(p, np.array([0, 1]), hi, lo)
    assert seen == [0, 1]
    ki, kr = first[1]               # what C1 knows at its first signal of event 1
    assert kr & 1 and ki & 1
    assert may_follow(first[1], 0, int(hi[0]), int(lo[1]))
    assert not may_follow(first[0], 1, int(hi[1]), int(lo[0]))


def test_nothing_orders_two_queues_that_never_wait():
    hw, g, m, s = two_queue_fanin()
    p = lower(g, m, s)
    lo, hi = signal_latency(p, g, m)
    first, seen = order_facts(p, np.array([0, 1]), hi, lo)
    assert sorted(seen) == [0, 1] and first[0] == (0, 0) and first[1] == (0, 0)
    assert not may_follow(first[1], 0, int(hi[0]), int(lo[1]))


def test_one_queue_orders_a_fast_event_before_a_slower_one_only():
    # C0 signals the fast event (after a) before the slow one (after the send s): the fast
    # signal is issued first and arrives first
    hw, g, m, s = local_then_send()
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


def _many_events(p, n: int, signalled: bool):
    """`p` with n more events on flag 0 of device 0, bases in turn; with `signalled`, queue 0
    signals each once and queue 1 waits for each (a chain the proof must follow)."""
    from hpdsl.plan import WAIT

    base0 = int(p.signals_per_event().sum())
    names = p.event_names + tuple(f"x{i}" for i in range(n))
    code, arg, cnt, ptr = p.code, p.arg, p.count, p.ptr
    if signalled:
        e = np.arange(p.n_events, p.n_events + n)
        q0, q1 = slice(ptr[0], ptr[1]), slice(ptr[1], ptr[2])
        code = np.r_[code[q0], np.full(n, SIGNAL), code[q1], np.full(n, WAIT), code[ptr[2]:]]
        arg = np.r_[arg[q0], e, arg[q1], e, arg[ptr[2]:]]
        cnt = np.r_[cnt[q0], np.ones(n), cnt[q1], np.ones(n), cnt[ptr[2]:]]
        ptr = ptr + np.r_[0, n, 2 * n, np.full(len(ptr) - 3, 2 * n)]
    return replace(p, ptr=ptr, code=code, arg=arg, count=cnt, event_names=names,
                   event_device=np.r_[p.event_device, np.zeros(n)],
                   event_flag=np.r_[np.zeros(p.n_events), np.zeros(n)],
                   event_base=np.r_[np.arange(p.n_events), base0 + np.arange(n)])


def test_tracked_events_cost_a_bit_each_not_a_bitset_each():
    # 200,000 events on one flag took 2.8 GB: one Python integer of up to 200,000 bits each
    import tracemalloc

    hw, g, m, s = relay()
    p = _many_events(lower(g, m, s), 200_000, signalled=False)
    lo, hi = signal_latency(p, g, m)
    tracemalloc.start()
    first, seen = order_facts(p, np.arange(p.n_events), hi, lo)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100 * 2**20 and len(seen) == 2


def test_the_proof_refuses_a_plan_that_would_take_too_much_memory(monkeypatch):
    import hpdsl.plan.order as order
    from hpdsl.errors import UserError

    hw, g, m, s = relay()
    p = _many_events(lower(g, m, s), 6000, signalled=True)
    lo, hi = signal_latency(p, g, m)
    first, _ = order_facts(p, np.arange(p.n_events), hi, lo)   # fits the default cap
    assert len(first) == p.n_events
    monkeypatch.setattr(order, "MAX_PROOF_BYTES", 2**20)   # the chain keeps ~2 MiB
    with pytest.raises(UserError) as e:
        order_facts(p, np.arange(p.n_events), hi, lo)
    assert str(e.value) == ("error: proving the order of the 6,002 events that share sync flags "
                            "(of 6,002) would take more than 1 MiB; the plan shares flags in too "
                            "many ways for hpdsl to check")
