"""Link timelines for the placer: busy intervals per device link, first fit across a route.

A send to another device holds its device's link out and the destination's link in for
`bytes / bandwidth` ns (on a route of several links and fabric ports, each for its own
time there: `Context.route_ns`). Unlike the workers, links are back-filled: a list scheduler
places tasks in priority order, not time order, and a send placed late in time must not
block the link for an earlier-ready send placed after it (the gap would be idle link
time that fair sharing in the emulator would use).

    >>> a, b = Timeline(), Timeline()
    >>> a.add(0, 10); b.add(20, 10)
    >>> first_fit(a, b, 0, 5), first_fit(a, b, 0, 15)
    (10, 30)
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right


class Timeline:
    """Disjoint busy intervals [start, end), sorted."""

    __slots__ = ("starts", "ends")

    def __init__(self):
        self.starts: list[int] = []
        self.ends: list[int] = []

    def conflict(self, t: int, d: int) -> int | None:
        """End of a busy interval overlapping [t, t + d), or None when it is free."""
        i = bisect_right(self.ends, t)
        if i < len(self.starts) and self.starts[i] < t + d:
            return self.ends[i]
        return None

    def add(self, t: int, d: int) -> None:
        # a zero-length interval goes before one that starts at the same time, so that
        # the ends stay sorted too
        i = bisect_right(self.starts, t) if d else bisect_left(self.starts, t)
        self.starts.insert(i, t)
        self.ends.insert(i, t + d)


def first_fit(a: Timeline, b: Timeline, t: int, d: int) -> int:
    """Earliest start >= t at which both timelines are free for d ns."""
    return fit_all((a, b), t, d)


def fit_all(timelines, t: int, d: int) -> int:
    """Earliest start >= t at which every timeline is free for d ns."""
    return fit_route([(tl, d) for tl in timelines], t)


def fit_route(held, t: int) -> int:
    """Earliest start >= t at which every (timeline, ns) of `held` is free for its ns: a
    send on a route holds each of its links and fabric ports for its own time there.

    >>> a, b = Timeline(), Timeline()
    >>> a.add(0, 10); b.add(12, 10)
    >>> fit_route([(a, 5), (b, 2)], 0), fit_route([(a, 5), (b, 5)], 0)
    (10, 22)
    """
    while True:
        for tl, d in held:
            c = tl.conflict(t, d)
            if c is not None:
                t = c
                break
        else:
            return t
