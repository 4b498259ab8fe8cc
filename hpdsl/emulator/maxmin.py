"""Max-min fair bandwidth sharing: `Fluid`'s virtual-time groups with progressive filling.

`Fluid` (proportional sharing) scales every flow on an oversubscribed resource by
capacity / demand and gives a flow the smallest of its scales; what a flow limited
elsewhere leaves unused is never handed to the others. `MaxMin` gives the max-min fair
rates instead, on every resource at once (links, HBM and L2: no stages). A flow's rate is
a fraction x of its uncontended speed, so it uses x times its demand on each of its
resources. Progressive filling: raise every flow's x together; when a resource fills,
its flows keep the x they have; the others go on rising; no x exceeds 1. Every flow then
has a bottleneck: a full resource on which no flow has a larger x (or it runs at 1).
Example (issue's): sends 0->1, 2->1, 3->1 and 0->4, each able to fill a link. 1's link in
fills at x = 1/3; 0->4 rises on to 2/3, where 0's link out fills (proportional: 1/2).

Flows of one group (the same resources) always get the same x, so `Fluid`'s groups,
virtual clocks and checks carry over; only how a change re-rates groups differs. A change
that touches only resources with room to spare, before and after it, changes no other
flow's rate: the others' bottlenecks are untouched and the new flow runs at 1 (the fast
path). Any other change refills the connected part of the machine it touches: the
resources reachable from the changed ones through the groups on them.
"""
from __future__ import annotations

from hpdsl.emulator.fluid import Fluid

FULL = 1 - 1e-9        # a resource this close to capacity counts as full (float sums)


class MaxMin(Fluid):
    """`Fluid` with max-min fair rates (see the module doc); the same interface."""

    __slots__ = ("gdem", "load")

    def __init__(self, capacities: list[float], first: list[bool] | None = None):
        super().__init__(capacities, None)   # no stages: max-min covers every resource
        self.gdem: list[dict] = []              # group -> resource -> its members' demands
        self.load = [0.0] * len(capacities)     # bytes per ns in use, at the current rates

    def group(self, res: tuple) -> int:
        g = super().group(res)
        if g == len(self.gdem):
            self.gdem.append(dict.fromkeys(res, 0.0))
        return g

    def _change(self, g: int, demands, t: int, sign: int, touched: set) -> None:
        """Add (sign 1) or remove (-1) a flow of group g; re-rate the groups whose max-min
        rate moves, bringing their clocks to t first."""
        cap, load, gd, x = self.cap, self.load, self.gdem[g], self.grate[g]
        room = True
        for r, d in demands:
            self.count[r] += sign
            if load[r] >= cap[r] * FULL or load[r] + sign * d * x > cap[r] * FULL:
                room = False
        if not self.gheap[g]:
            for r in gd:                 # an empty group: no float residue left behind
                gd[r] = 0.0
        else:
            for r, d in demands:
                gd[r] += sign * d
        if room:
            for r, d in demands:
                load[r] += sign * d * x
            return
        self._refill([r for r, _ in demands], t, touched)

    def _component(self, start: list[int]) -> tuple[list[int], list[int]]:
        """The resources and the active groups reachable from `start`, sorted."""
        on, gres = self.on, self.gres
        res, groups, todo = set(start), set(), list(start)
        while todo:
            for h in on[todo.pop()]:
                if h not in groups:
                    groups.add(h)
                    for r in gres[h]:
                        if r not in res:
                            res.add(r)
                            todo.append(r)
        return sorted(res), sorted(groups)

    def _refill(self, start: list[int], t: int, touched: set) -> None:
        """Progressive filling over the part of the machine connected to `start`."""
        res, groups = self._component(start)
        gdem, gres, cap = self.gdem, self.gres, self.cap
        left = {r: cap[r] for r in res}                  # capacity not given to fixed flows
        want = dict.fromkeys(res, 0.0)                   # demand of the flows still rising
        rising = dict.fromkeys(res, 0)
        for h in groups:
            for r, d in gdem[h].items():
                want[r] += d
                rising[r] += 1
        rate, free = {}, set(groups)
        while free:
            x, full = 1.0, []
            for r in res:
                if rising[r]:
                    lv = left[r] / want[r] if want[r] > 0 else 1.0
                    if lv < x * (1 - 1e-12):
                        x, full = lv, [r]
                    elif lv <= x * (1 + 1e-12):
                        full.append(r)
            x = max(x, 0.0)
            fixed = sorted(free) if x >= 1.0 else sorted(
                {h for r in full for h in self.on[r] if h in free})
            for h in fixed:
                rate[h] = x
                free.discard(h)
                for r, d in gdem[h].items():
                    left[r] -= x * d
                    rising[r] -= 1
                    want[r] = want[r] - d if rising[r] else 0.0
        self._apply(rate, res, t, touched)

    def _apply(self, rate: dict, res: list[int], t: int, touched: set) -> None:
        """Give the groups their new rates and recompute the loads of `res`."""
        grate, gt, gv, gdem, load = self.grate, self.gt, self.gv, self.gdem, self.load
        for h, x in rate.items():
            if x != grate[h]:
                dt = t - gt[h]
                if dt:
                    gv[h] += dt * grate[h]
                    gt[h] = t
                grate[h] = x
                touched.add(h)
        for r in res:
            load[r] = sum(grate[h] * gdem[h][r] for h in self.on[r])
