"""Bandwidth contention: a fluid (processor-sharing) model of shared resources.

Each running task that moves data has a demand on some resources (bytes per ns at its
uncontended speed): its device's HBM or L2, and for a `send` the sender's link injection
and the receiver's link ejection. A resource whose summed demand exceeds its capacity
scales everyone on it by capacity / demand; a task runs at the smallest scale among its
resources (1 when nothing is oversubscribed). Example: two sends that each could use the
whole link share it, run at 1/2 speed and take twice as long as one.

Virtual time, so that a rate change costs O(log n), not one reschedule per flow. Flows
with the same resources (a *group*: e.g. every HBM-only task of device 3, or every send
from device 0 to device 5 reading HBM) always run at the same rate, the min of their
resources' scales. Each group keeps a virtual clock V (uncontended ns of progress a
member has made since the group began) and a heap of its members' finish tags (V at their
start plus their work); a member finishes when V reaches its tag. A rate change only
changes how fast V advances, so only the group's earliest tag needs an event on the
global heap. This is exact for the model above; finish times are rounded up to whole ns.
"""
from __future__ import annotations

import heapq
import math


class Fluid:
    """Active flows in groups; `add`/`finish` return groups to (re)schedule as
    (time, group, version) for the caller's heap."""

    __slots__ = ("cap", "total", "count", "scale", "on", "gkey", "gres", "gv", "gt", "grate",
                 "gheap", "gver", "dem")

    def __init__(self, capacities: list[float]):
        r = len(capacities)
        self.cap = capacities                   # bytes per ns
        self.total = [0.0] * r                  # summed demand
        self.count = [0] * r                    # flows on each resource
        self.scale = [1.0] * r
        self.on: list[set[int]] = [set() for _ in range(r)]   # active groups per resource
        self.gkey: dict[tuple, int] = {}        # resource tuple -> group id
        self.gres: list[tuple] = []             # group -> its resources
        self.gv: list[float] = []               # group -> virtual clock
        self.gt: list[int] = []                 # group -> time of gv
        self.grate: list[float] = []            # group -> current rate
        self.gheap: list[list] = []             # group -> heap of (tag, instruction)
        self.gver: list[int] = []               # group -> version of its pending event
        self.dem: dict[int, tuple] = {}         # instruction -> its demands

    def _group(self, res: tuple) -> int:
        g = self.gkey.get(res)
        if g is None:
            g = self.gkey[res] = len(self.gres)
            self.gres.append(res)
            self.gv.append(0.0)
            self.gt.append(0)
            self.grate.append(1.0)
            self.gheap.append([])
            self.gver.append(0)
        return g

    def _next(self, touched, t: int) -> list[tuple[int, int, int]]:
        """The touched groups' next finishes as (time, group, version) heap entries; the
        new version voids any earlier entry of the group."""
        out = []
        for g in touched:
            v = self.gver[g] + 1
            self.gver[g] = v
            h = self.gheap[g]
            if h:
                left = h[0][0] - self.gv[g]
                out.append((t + max(0, math.ceil(left / self.grate[g] - 1e-9)), g, v))
        return out

    def _change(self, demands, t: int, sign: float, touched: set) -> None:
        """Add (sign 1) or remove (-1) demands; re-rate every group on a resource whose
        scale changes, bringing its clock to t first."""
        cap, total, scale, on, count = self.cap, self.total, self.scale, self.on, self.count
        for r, d in demands:
            k = count[r] + int(sign)
            count[r] = k
            tot = total[r] = total[r] + sign * d if k else 0.0
            s = 1.0 if tot <= cap[r] * (1 + 1e-12) else cap[r] / tot
            if s != scale[r]:
                scale[r] = s
                for g in on[r]:
                    self._advance(g, t)
                    self.grate[g] = min(scale[x] for x in self.gres[g])
                    touched.add(g)

    def _advance(self, g: int, t: int) -> None:
        dt = t - self.gt[g]
        if dt:
            self.gv[g] += dt * self.grate[g]
            self.gt[g] = t

    def add(self, i: int, t: int, work: int, demands: tuple) -> list[tuple[int, int, int]]:
        """Start flow `i` (an exec instruction) needing `work` ns uncontended."""
        res = tuple(r for r, _ in demands)
        g = self._group(res)
        h = self.gheap[g]
        self._advance(g, t)
        if not h:
            self.gt[g] = t
            for r in res:
                self.on[r].add(g)
            self.grate[g] = min(self.scale[x] for x in res)
        first = not h or h[0][0] > self.gv[g] + work
        heapq.heappush(h, (self.gv[g] + work, i))
        self.dem[i] = demands
        touched: set = {g} if first else set()
        self._change(demands, t, 1.0, touched)
        return self._next(touched, t)

    def finish(self, g: int, t: int) -> tuple[int, list[tuple[int, int, int]]]:
        """Group g's earliest member is done at t: remove it; return it and the groups to
        reschedule."""
        self._advance(g, t)
        h = self.gheap[g]
        _, i = heapq.heappop(h)
        touched = {g}
        if not h:
            self.gv[g] = 0.0              # an empty group restarts its clock (keeps tags small)
            for r in self.gres[g]:
                self.on[r].discard(g)
        self._change(self.dem.pop(i), t, -1.0, touched)
        return i, self._next(touched, t)
