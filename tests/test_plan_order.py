"""What a plan alone proves about the order of its signals."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

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
    assert may_follow(first[1], 1, int(hi[0]), int(lo[1]))
    assert not may_follow(first[0], 2, int(hi[1]), int(lo[0]))


def test_nothing_orders_two_queues_that_never_wait():
    hw, g, m, s = two_queue_fanin()
    p = lower(g, m, s)
    lo, hi = signal_latency(p, g, m)
    first, seen = order_facts(p, np.array([0, 1]), hi, lo)
    assert sorted(seen) == [0, 1] and first[0] == (0, 0) and first[1] == (0, 0)
    assert not may_follow(first[1], 1, int(hi[0]), int(lo[1]))


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
