"""How queues of a plan wait for each other when its streams are interpreted: waits parked
on (event, count) and the barrier that holds every queue.

Every stream interpreter (the emulator's `dataflow` and `timed`, and the plan's untimed
pass over its streams) runs a queue until it reaches a wait that cannot complete yet or
a barrier; these two records say which queues then go on, and when. They know nothing
of opcodes or plans, so any interpreter can use them without an import cycle.

    >>> p = Parked(2)
    >>> p.park(1, 2, q=5); p.park(1, 2, q=7); p.park(1, 3, q=6)
    >>> bool(p.by_event[0]), bool(p.by_event[1]), p.take(1, 1), p.take(1, 2)
    (False, True, None, [5, 7])
    >>> b = Barrier(2)
    >>> b.arrive(10), b.arrive(4), b.arrive(3)
    (None, 10, None)
"""
from __future__ import annotations


class Parked:
    """Queues parked on (event, count).

    `by_event[event]` is None or {count: the queues waiting for the event to reach that
    count, in the order they parked}, truthy while some queue is parked on the event:
    interpreters test it inline before `take`, as most signals find nobody waiting (a
    plain list, for the fastest indexing).
    """

    __slots__ = ("by_event",)

    def __init__(self, n_events: int):
        self.by_event: list[dict[int, list[int]] | None] = [None] * n_events

    def park(self, event: int, count: int, q: int) -> None:
        """Queue q waits until `event` reaches `count`."""
        pk = self.by_event[event]
        if pk is None:
            pk = self.by_event[event] = {}
        pk.setdefault(count, []).append(q)

    def take(self, event: int, count: int) -> list[int] | None:
        """The queues waiting for `event` to reach `count`, no longer parked, or None.

        The caller calls it at every count the event reaches (counts grow by one), so a
        queue parked on a count the event had not reached is taken exactly once."""
        pk = self.by_event[event]
        return pk.pop(count, None) if pk else None


class Barrier:
    """A barrier across all queues: none goes on until every one has arrived."""

    __slots__ = ("queues", "arrived", "last")

    def __init__(self, queues: int):
        self.queues = queues
        self.arrived = 0
        self.last = 0

    def arrive(self, t: int = 0) -> int | None:
        """A queue arrives at t. When it is the last one, the barrier is reset for the next
        and the latest arrival time is returned (the release is up to the caller); None
        until then."""
        self.arrived += 1
        if t > self.last:
            self.last = t
        if self.arrived < self.queues:
            return None
        last = self.last
        self.arrived = self.last = 0
        return last
