"""Bandwidth contention: a fluid (processor-sharing) model of shared resources.

Each running task that moves data has a demand on some resources (bytes per ns at its
uncontended speed): its device's HBM or L2, and for a `send` the sender's link injection
and the receiver's link ejection. A resource whose summed demand exceeds its capacity
scales everyone on it by capacity / demand; a task runs at the smallest scale among its
resources (1 when nothing is oversubscribed). Rates are recomputed only when a
resource's scale changes, i.e. when the set of active flows on a saturated resource
changes, and only for that resource's members. Example: two sends that each could use
the whole link share it, run at 1/2 speed and take twice as long as one.
"""
from __future__ import annotations

import math


class Fluid:
    """Active flows on resources; returns new (end time, instruction, version) to schedule."""

    __slots__ = ("cap", "total", "members", "scale", "rem", "rate", "last", "ver", "res")

    def __init__(self, capacities: list[float]):
        r = len(capacities)
        self.cap = capacities                  # bytes per ns
        self.total = [0.0] * r
        self.members: list[dict[int, float]] = [{} for _ in range(r)]
        self.scale = [1.0] * r
        self.rem: dict[int, float] = {}        # uncontended ns of work left
        self.rate: dict[int, float] = {}
        self.last: dict[int, int] = {}
        self.ver: dict[int, int] = {}
        self.res: dict[int, tuple] = {}

    def _rescale(self, r: int, changed: list[int]) -> None:
        tot = self.total[r]
        s = 1.0 if tot <= self.cap[r] * (1 + 1e-12) else self.cap[r] / tot
        if s != self.scale[r]:
            self.scale[r] = s
            changed.append(r)

    def _reprogram(self, j: int, t: int) -> tuple[int, int, int]:
        rem = self.rem[j] - (t - self.last[j]) * self.rate[j]
        rate = min(self.scale[r] for r, _ in self.res[j])
        self.rem[j], self.rate[j], self.last[j] = rem, rate, t
        v = self.ver[j] + 1
        self.ver[j] = v
        return t + max(0, math.ceil(rem / rate - 1e-9)), j, v

    def _affected(self, changed: list[int], extra: int | None) -> list[int]:
        out = [] if extra is None else [extra]
        seen = set(out)
        for r in changed:
            for j in self.members[r]:
                if j not in seen:
                    seen.add(j)
                    out.append(j)
        return out

    def add(self, i: int, t: int, work: int, demands: tuple) -> list[tuple[int, int, int]]:
        """Start flow `i` (an exec instruction) needing `work` ns uncontended."""
        self.rem[i], self.rate[i], self.last[i], self.ver[i], self.res[i] = float(work), 1.0, t, 0, demands
        changed: list[int] = []
        for r, d in demands:
            self.members[r][i] = d
            self.total[r] += d
            self._rescale(r, changed)
        return [self._reprogram(j, t) for j in self._affected(changed, i)]

    def remove(self, i: int, t: int) -> list[tuple[int, int, int]]:
        """Flow `i` finished at t; reschedule the flows whose rate changed."""
        changed: list[int] = []
        for r, d in self.res.pop(i):
            del self.members[r][i]
            self.total[r] = self.total[r] - d if self.members[r] else 0.0
            self._rescale(r, changed)
        for m in (self.rem, self.rate, self.last, self.ver):
            del m[i]
        return [self._reprogram(j, t) for j in self._affected(changed, None)]
