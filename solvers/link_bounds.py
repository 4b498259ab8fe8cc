"""Lower bounds from the links: sends on one link resource run one after another.

They hold for every schedule that serializes sends on their links for
`Context.route_ns` (every scheduler here: the placer's and heft-ins' link timelines,
the link constraints of z3 and cpsat, tabu's link orders). `check_schedule` does not
enforce link exclusivity (docs/solvers.md#links), so a hand-made schedule that overlaps
two sends on a link could beat them; the work and critical-path bounds hold regardless.
"""
from __future__ import annotations

import numpy as np

from hpdsl.solvers.context import Context, gather


def _holds(ctx: Context) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(timeline, task, ns) per link hold of every send."""
    tl, task, ns = [], [], []
    for t, route in enumerate(ctx.route_ns):
        for timeline, hold in route:
            tl.append(timeline)
            task.append(t)
            ns.append(hold)
    return np.array(tl, np.int64), np.array(task, np.int64), np.array(ns, np.int64)


def link_bound(ctx: Context, head: np.ndarray, tail: np.ndarray, d: np.ndarray) -> int:
    """For sends S on one resource, each holding it for l_x from its start: the last of
    them to start does so at least min head(S) + sum l(S) - l_x, and ends its chain
    d_x + tail_x later, so C >= min head(S) + sum l(S) + min over S of (d + tail - l).
    S runs over the prefixes by descending head (late arrivals) and by descending tail
    (early leavers)."""
    tl, task, ns = _holds(ctx)
    best = 0
    for timeline in np.unique(tl).tolist():
        on = tl == timeline
        x, l = task[on], ns[on]
        for key in (head[x], tail[x]):
            o = np.argsort(-key, kind="stable")
            hmin = np.minimum.accumulate(head[x][o])
            slack = np.minimum.accumulate((d[x] + tail[x] - l)[o])
            best = max(best, int((hmin + np.cumsum(l[o]) + slack).max()))
    return best


def _fed_by(ctx: Context) -> np.ndarray:
    """Per task, one send from another device that it depends on through tasks of its own
    device only (the largest such send id), or -1."""
    g = ctx.graph
    rep = np.full(ctx.n, -1, np.int64)
    remote = ctx.link_ns > 0
    for lv in ctx.levels[1:]:
        owner, slot = gather(g.pred_ptr, g.pred, lv)
        u = g.pred[slot].astype(np.int64)
        via = np.where(remote[u] & (g.dst[u] == g.device[owner]), u,
                       np.where(g.device[u] == g.device[owner], rep[u], -1))
        np.maximum.at(rep, owner, via)
    return rep


def feed_bound(ctx: Context, groups, head: np.ndarray, tail: np.ndarray,
               d: np.ndarray) -> int:
    """Work that waits for a device's incoming link.

    Give each task of a worker set U (m workers, `groups`) the one incoming send
    `_fed_by` names, w_x the work so given to send x. The sends S into the device on one
    link-in resource that feed U (w_x > 0) start at or after h0 = min head(S), one after another, so the ones
    started before a time tau hold at most tau - h0 + max l of it; the sends still
    unstarted at tau hold at least R = sum l(S) - (tau - h0) - max l, and their tasks
    start at or after tau + min d(S). The work of those tasks is at least the
    fractional-knapsack minimum of w over link time R (cheapest w / l first), so
    m (C - tau - min d(S) - min tail) >= W(R). tau runs over the knapsack's breakpoints
    (and h0, where every send is unstarted)."""
    tl, task, ns = _holds(ctx)
    if not len(tl):
        return 0
    g = ctx.graph
    rep = _fed_by(ctx)
    best = 0
    for m, sel in groups:
        fed = sel[rep[sel] >= 0]
        if not len(fed):
            continue
        dev = int(g.device[fed[0]])
        work = np.bincount(rep[fed], weights=d[fed], minlength=ctx.n)
        tmin = int(tail[fed].min())
        for timeline in np.unique(tl[(tl // 6 == dev) & (tl % 2 == 1)]).tolist():
            on = (tl == timeline) & (work[task] > 0)   # a subset of a link's sends is serialized too
            if not on.any():
                continue
            x, l = task[on], ns[on]
            w = work[x]
            o = np.argsort(w / l, kind="stable")
            cl = np.concatenate(([0], np.cumsum(l[o])))
            cw = np.concatenate(([0.0], np.cumsum(w[o])))
            h0, total, lmax, dmin = int(head[x].min()), int(cl[-1]), int(l.max()), int(d[x].min())
            # tau with cl[k] > 0 link time unstarted (k = 0 would claim work where none waits)
            tau = h0 + total - lmax - cl
            ok = (tau >= h0) & (cl > 0)
            cand = np.concatenate((tau[ok] + dmin + tmin + np.floor(cw[ok] / m),
                                   [h0 + dmin + tmin + np.floor(cw[-1] / m)]))
            best = max(best, int(cand.max()))
    return best
