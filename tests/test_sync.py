"""Waits parked on (event, count) and the all-queues barrier, as the interpreters use them."""
from __future__ import annotations

from hpdsl.sync import Barrier, Parked


def test_a_count_releases_the_queues_parked_on_it_once_in_park_order():
    p = Parked(3)
    assert not any(p.by_event)
    p.park(2, 1, q=4)
    p.park(2, 2, q=0)
    p.park(2, 1, q=1)
    assert p.by_event[2] and not p.by_event[0]
    assert p.take(2, 1) == [4, 1]
    assert p.take(2, 1) is None          # taken once
    assert p.take(2, 2) == [0]
    assert not p.by_event[2] and p.take(0, 1) is None


def test_the_barrier_opens_at_the_last_arrival_and_resets():
    b = Barrier(3)
    assert [b.arrive(t) for t in (5, 9, 7)] == [None, None, 9]
    assert [b.arrive(t) for t in (1, 2, 3)] == [None, None, 3]   # the next barrier
    one = Barrier(1)
    assert one.arrive() == 0 and one.arrive(4) == 4
