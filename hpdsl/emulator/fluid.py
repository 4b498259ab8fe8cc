"""Bandwidth contention: a fluid (processor-sharing) model of shared resources.

Each running task that moves data has a demand on some resources (bytes per ns at its
uncontended speed): its device's L2 and HBM (hpdsl.emulator.demand), and for a `send` the
sender's link injection and the receiver's link ejection. A resource whose summed demand exceeds its capacity
scales everyone on it by capacity / demand; a task runs at the smallest scale among its
resources (1 when nothing is oversubscribed). Example: two sends that each could use the
whole link share it, run at 1/2 speed and take twice as long as one.

Virtual time, so that a rate change costs O(log n), not one reschedule per flow. Flows
with the same resources (a *group*: e.g. every GMM tile of device 3 on its L2 and HBM, or
every send from device 0 to device 5) always run at the same rate, the min of their
resources' scales. Each group keeps a virtual clock V (uncontended ns of progress a
member has made since the group began) and a heap of its members' finish tags (V at their
start plus their work); a member finishes when V reaches its tag. A rate change only
changes how fast V advances, so only the group's earliest tag needs an event on the
global heap, and only when it moves earlier (a later finish is found when the pending
check comes). This is exact for the model above; finish times are rounded up to whole ns.

Two stages. A flow slowed by one resource does not use its full demand on the others:
48 sends sharing one link each move 1/48 of their uncontended rate, and charging L2 with
their full read rate would slow the matmuls beside them for traffic that never happens.
Resources marked `first` (the links) are shared as above on full demands; on every other
resource (memory) a flow's demand counts times its group's *link factor*, the smallest
scale among its first-stage resources.

This is proportional sharing, not max-min fairness: capacity that a flow limited
elsewhere leaves unused on a resource is not handed to the other flows there (flows
0->1, 2->1, 3->1 and 0->4 on unit links: 0->4 gets 1/2 of 0's link out, max-min gives
it 2/3), so it is pessimistic. `maxmin.MaxMin` gives the max-min rates; it is an option
(`EmulatorOptions(sharing="max-min")`), not the default, because it is 2-4x slower for
makespans at most 5% lower (benchmarks/bench_sharing.py; docs/emulator.md, Contention
model).
"""
from __future__ import annotations

import math
from heapq import heappop, heappush
from operator import itemgetter

NOTHING = (-1, ())      # a check that ends no flow and asks for no other


class Fluid:
    """Active flows in groups. `add` and `check` return (time, group) pairs for the caller's
    heap; a pair is a *check*: at that time the group's earliest member may be done."""

    __slots__ = ("cap", "total", "count", "scale", "on", "gkey", "gres", "gv", "gt", "grate",
                 "gheap", "gdue", "gnext", "dem", "first", "gfirst", "glf", "gsum",
                 "gall", "gfa")

    def __init__(self, capacities: list[float], first: list[bool] | None = None):
        r = len(capacities)
        self.cap = capacities                   # bytes per ns
        self.first = first or [False] * r       # first-stage resources (links)
        self.total = [0.0] * r                  # summed demand (times the link factor on
                                                # second-stage resources)
        self.count = [0] * r                    # flows on each resource
        self.scale = [1.0] * r
        self.on: list[set[int]] = [set() for _ in range(r)]   # active groups per resource
        self.gkey: dict[tuple, int] = {}        # resource tuple -> group id
        self.gres: list[tuple] = []             # group -> its resources
        self.gv: list[float] = []               # group -> virtual clock
        self.gt: list[int] = []                 # group -> time of gv
        self.grate: list[float] = []            # group -> current rate
        self.gheap: list[list] = []             # group -> heap of (tag, instruction)
        self.gdue: list[int] = []               # group -> when its earliest member finishes
        self.gnext: list[int] = []              # group -> earliest pending check (-1: none)
        self.dem: dict[int, tuple] = {}         # instruction -> its demands
        self.gfirst: list[tuple] = []           # group -> its first-stage resources
        self.glf: list[float] = []              # group -> link factor
        self.gsum: list = []                    # group -> second-stage resource -> raw demand
                                                # (None for a group without links)
        # group -> getter of its resources' scales, and of its first-stage ones (a tuple
        # each: min() of it is the rate, or the link factor)
        self.gall: list[itemgetter] = []
        self.gfa: list[itemgetter | None] = []

    def group(self, res: tuple) -> int:
        """The group id of flows on resources `res` (one tuple, in one order, per set)."""
        g = self.gkey.get(res)
        if g is None:
            g = self.gkey[res] = len(self.gres)
            self.gres.append(res)
            self.gv.append(0.0)
            self.gt.append(0)
            self.grate.append(1.0)
            self.gheap.append([])
            self.gdue.append(-1)
            self.gnext.append(-1)
            fr = tuple(r for r in res if self.first[r])
            self.gfirst.append(fr)
            self.gall.append(itemgetter(*res, res[0]))
            self.gfa.append(itemgetter(*fr, fr[0]) if fr else None)
            self.glf.append(1.0)
            # a group without links keeps link factor 1: no raw sums needed
            self.gsum.append({r: 0.0 for r in res if not self.first[r]}
                             if self.gfirst[-1] else None)
        return g

    def _checks(self, touched, out: list) -> list:
        """Checks for touched groups: when each one's earliest member finishes at its
        current rate (its clock is current). A rate change that makes a group finish
        later needs no new check: the pending earlier one will find the member not done
        and re-check."""
        gnext, gheap, gdue, gv, gt, grate = (self.gnext, self.gheap, self.gdue, self.gv,
                                             self.gt, self.grate)
        ceil = math.ceil
        for g in touched:
            h = gheap[g]
            if h:
                x = ceil((h[0][0] - gv[g]) / grate[g] - 1e-9)
                f = gdue[g] = gt[g] + x if x > 0 else gt[g]
                n = gnext[g]
                if n < 0 or f < n:
                    gnext[g] = f
                    out.append((f, g))
        return out

    def _change(self, g: int, demands, t: int, sign: int, touched: set) -> None:
        """Add (sign 1) or remove (-1) the demands of a flow of group g; re-rate every group
        on a resource whose scale changes, bringing its clock to t first. A first-stage
        scale change moves the link factors of the groups on it, hence second-stage totals:
        those resources are re-scaled after the loop."""
        cap, total, scale, on, count, first = (self.cap, self.total, self.scale, self.on,
                                               self.count, self.first)
        gt, gv, grate, gall = self.gt, self.gv, self.grate, self.gall
        gs = self.gsum[g]
        moved = None
        for r, d in demands:
            k = count[r] + sign
            count[r] = k
            if gs is None or first[r]:
                tot = total[r] = total[r] + sign * d if k else 0.0
            else:
                gs[r] += sign * d
                tot = total[r] = total[r] + sign * d * self.glf[g] if k else 0.0
            c = cap[r]
            s = 1.0 if tot <= c * (1 + 1e-12) else c / tot
            if s == scale[r]:
                continue
            scale[r] = s
            if gs is not None and first[r]:
                moved = self._link_factors(r, t, moved, touched)
                continue
            for h in on[r]:
                if t != gt[h]:
                    gv[h] += (t - gt[h]) * grate[h]
                    gt[h] = t
                grate[h] = min(gall[h](scale))
                touched.add(h)
        if moved:
            for r in moved:
                tot = total[r]
                s = 1.0 if tot <= cap[r] * (1 + 1e-12) else cap[r] / tot
                if s != scale[r]:
                    scale[r] = s
                    for h in on[r]:
                        if t != gt[h]:
                            gv[h] += (t - gt[h]) * grate[h]
                            gt[h] = t
                        grate[h] = min(gall[h](scale))
                        touched.add(h)

    def _link_factors(self, r: int, t: int, moved: set | None, touched: set) -> set | None:
        """First-stage resource r's scale changed: re-rate every group on it, update its link
        factor and the second-stage totals that feed on it; return the resources moved."""
        scale, glf, gfa, gsum, total, count = (self.scale, self.glf, self.gfa, self.gsum,
                                               self.total, self.count)
        gt, gv, grate, gall, cap = self.gt, self.gv, self.grate, self.gall, self.cap
        if moved is None:
            moved = set()
        for h in self.on[r]:
            if t != gt[h]:
                gv[h] += (t - gt[h]) * grate[h]
                gt[h] = t
            lf = min(gfa[h](scale))
            old = glf[h]
            if lf != old:
                glf[h] = lf
                for r2, dd in gsum[h].items():
                    if count[r2]:
                        total[r2] += dd * (lf - old)
                    # a resource at full speed that stays within capacity keeps scale 1
                    if scale[r2] != 1.0 or total[r2] > cap[r2] * (1 + 1e-12):
                        moved.add(r2)
            grate[h] = min(gall[h](scale))
            touched.add(h)
        return moved

    def add(self, i: int, t: int, work: int, g: int, demands: tuple) -> list[tuple[int, int]]:
        """Start flow `i` (an exec instruction) of group g needing `work` ns uncontended."""
        h = self.gheap[g]
        gt, gv = self.gt, self.gv
        if t != gt[g]:          # an empty group too: its restarted clock moves on from 0
            gv[g] += (t - gt[g]) * self.grate[g]
            gt[g] = t
        if not h:
            res = self.gres[g]
            on = self.on
            for r in res:
                on[r].add(g)
            scale = self.scale
            self.grate[g] = min(self.gall[g](scale))
            fa = self.gfa[g]
            self.glf[g] = min(fa(scale)) if fa is not None else 1.0
        tag = gv[g] + work
        first = not h or h[0][0] > tag
        heappush(h, (tag, i))
        self.dem[i] = demands
        touched: set = {g} if first else set()
        self._change(g, demands, t, 1, touched)
        return self._checks(touched, [])

    def check(self, g: int, t: int) -> tuple[int, list[tuple[int, int]]]:
        """A check of group g at t: (its earliest member, now removed, or -1 if none is
        done yet or the check is stale; checks to schedule)."""
        gnext = self.gnext
        if gnext[g] != t:
            return NOTHING                # stale: an earlier check replaced it
        gnext[g] = -1
        h = self.gheap[g]
        if not h:
            return NOTHING
        f = self.gdue[g]
        if f > t:
            gnext[g] = f
            return -1, [(f, g)]
        gt = self.gt
        if t != gt[g]:
            self.gv[g] += (t - gt[g]) * self.grate[g]
            gt[g] = t
        _, i = heappop(h)
        touched = {g}
        if not h:
            self.gv[g] = 0.0              # an empty group restarts its clock (keeps tags small)
            on = self.on
            for r in self.gres[g]:
                on[r].discard(g)
        self._change(g, self.dem.pop(i), t, -1, touched)
        return i, self._checks(touched, [])
