"""The moves `tabu` tries, on one critical path of a `tabu_graph.Solution`.

- N5 swaps: in each critical block (consecutive path tasks on one worker, each starting
  as the one before ends) swap the first two and the last two, estimated in O(1) from
  heads and tails (Taillard's estimate);
- N7 shifts (Zhang et al., 2007): a task inside a block moved to the block's front or
  back, the first one moved behind an inner or the last task, the last one before an
  inner or the first task (all but N5's adjacent swaps); estimated as the swaps are
  (heads forward and tails backward over the block's new order), at most
  `shift_moves` per iteration;
- pool moves: a critical task onto another eligible worker of its device (an identical
  instance or another core type), inserted where its start falls in that worker's
  order; evaluated exactly, at most `pool_moves` per iteration.
- link moves: the sends of a link block (consecutive path sends on one link chain, each
  starting as the one before frees the link) swapped at both ends, the last moved to
  the front, the first to the back; evaluated exactly, at most `link_moves`.
A move is ("swap", u, v), ("shift", t, position), ("move", t, worker) or
("link", send, (chain, position)).
"""
from __future__ import annotations

import random
from bisect import bisect_left

from hpdsl.solvers.tabu_graph import Solution


def critical_path(sol: Solution) -> list[int]:
    """A longest path, launch to makespan; at each step the worker order is preferred."""
    ends = [ts[-1] for ts in sol.seq.values()
            if ts and sol.head[ts[-1]] + sol.dur(ts[-1]) == sol.makespan]
    x = min(ends)
    path = [x]
    while True:
        hx, wx, prev = sol.head[x], sol.worker[x], None
        if sol.pos[x] > 0:
            p = sol.seq[wx][sol.pos[x] - 1]
            if sol.head[p] + sol.dur(p) == hx:
                prev = p
        if prev is None:
            prev = next((u for u, w in sol.ins(x) if sol.head[u] + w == hx), None)
        if prev is None:
            return path[::-1]
        path.append(prev)
        x = prev


def _link_step(sol: Solution, a: int, b: int) -> int | None:
    """The link chain on which send b follows send a and starts as a frees the link."""
    if sol.head[a] + sol.xfer[a] != sol.head[b]:
        return None
    return next((k for k, i in sol.lpos[a].items() if sol.lpos[b].get(k) == i + 1), None)


def path_steps(sol: Solution) -> str:
    """What a critical path is made of, for the notes: its steps in link order, in
    worker order and along dependencies."""
    path = critical_path(sol)
    link = sum(_link_step(sol, a, b) is not None for a, b in zip(path, path[1:]))
    worker = sum(sol.worker[a] == sol.worker[b] and sol.pos[b] == sol.pos[a] + 1
                 and sol.head[a] + sol.d[a] == sol.head[b] for a, b in zip(path, path[1:]))
    return (f"a critical path of {len(path):,} tasks: {link:,} steps in link order, "
            f"{worker:,} in worker order, "
            f"{len(path) - 1 - link - worker:,} along dependencies")


def blocks(sol: Solution, path: list[int]) -> list[list[int]]:
    """Maximal runs of the path on one worker, each task right after the one before."""
    out, run = [], [path[0]]
    for a, b in zip(path, path[1:]):
        if sol.worker[a] == sol.worker[b] and sol.pos[b] == sol.pos[a] + 1:
            run.append(b)
            continue
        if len(run) > 1:
            out.append(run)
        run = [b]
    if len(run) > 1:
        out.append(run)
    return out


def _ready(sol: Solution, t: int) -> int:
    """t's earliest start from its dependencies and link order alone."""
    r, wt = sol.release, sol.worker[t]
    for u, L in sol.pred[t]:
        r = max(r, sol.head[u] + sol.dur(u) + (L if sol.worker[u] != wt else 0))
    for u in sol.lpred(t):
        r = max(r, sol.head[u] + sol.xfer[u])
    return r


def _rest(sol: Solution, t: int) -> int:
    """Longest path from t's start to the end through its dependencies and links."""
    d, wt = sol.dur(t), sol.worker[t]
    r = d
    for v, L in sol.succ[t]:
        r = max(r, d + (L if sol.worker[v] != wt else 0) + sol.reach[v])
    for v in sol.lsucc(t):
        r = max(r, sol.xfer[t] + sol.reach[v])
    return r


def estimate(sol: Solution, w: int, lo: int, tasks: list[int]) -> int | None:
    """The makespan after `tasks`, a reordering of worker w's tasks at positions lo..,
    estimated from heads and tails as Taillard's swap estimate generalizes: the moved
    tasks' heads forward in their new order, their tails backward, everything else as
    it is. None when a task would run before one it depends on directly."""
    ts = sol.seq[w]
    seen = set()
    for x in tasks:
        if any(u in seen for u, _ in sol.succ[x]):
            return None
        seen.add(x)
    p = ts[lo - 1] if lo > 0 else None
    s = ts[lo + len(tasks)] if lo + len(tasks) < len(ts) else None
    r, heads = sol.head[p] + sol.dur(p) if p is not None else 0, []
    for x in tasks:
        r = max(_ready(sol, x), r)
        heads.append(r)
        r += sol.dur(x)
    q, best = sol.reach[s] if s is not None else 0, 0
    for x, h in zip(reversed(tasks), reversed(heads)):
        q = max(_rest(sol, x), sol.dur(x) + q)
        best = max(best, h + q)
    return best


def swap_estimate(sol: Solution, u: int, v: int) -> int | None:
    """Taillard's estimate of the makespan after swapping u and v (u just before v on one
    worker); None when v depends on u directly."""
    return estimate(sol, sol.worker[u], sol.pos[u], [v, u])


def apply(sol: Solution, move: tuple, tails: bool = True) -> bool:
    """Make the move; False (and nothing changed) when it closes a cycle. Without
    `tails` the solution's tails are stale until `undo` (for a trial)."""
    kind, t, arg = move
    if kind == "link":
        return sol.change({}, tails=tails, links=_link_orders(sol, t, *arg))
    w = sol.worker[t]
    if kind == "swap":
        ts = sol.seq[w][:]
        i = sol.pos[t]
        ts[i], ts[i + 1] = ts[i + 1], ts[i]
        return sol.change({w: ts}, tails=tails)
    ts = [x for x in sol.seq[w] if x != t]
    if kind == "shift":
        ts.insert(arg, t)
        return sol.change({w: ts}, tails=tails)
    new = sol.seq.get(arg, [])[:]
    new.insert(bisect_left([sol.head[x] for x in new], sol.head[t]), t)
    return sol.change({w: ts, arg: new}, moved={t: arg}, tails=tails)


def _link_orders(sol: Solution, t: int, k: int, j: int) -> dict[int, list[int]]:
    """Send t at position j of link chain k, and in its other chain moved as little as
    keeps the sends both chains hold (same source, same destination) in one order:
    otherwise the two chains would close a cycle."""
    new = [x for x in sol.lseq[k] if x != t]
    new.insert(j, t)
    out = {k: new}
    for k2 in sol.lpos[t]:
        if k2 == k:
            continue
        other = [x for x in sol.lseq[k2] if x != t]
        at = {x: i for i, x in enumerate(other)}
        mine = [x for x in new if x in at]
        split = sum(1 for x in new[:j] if x in at)   # shared sends before t in chain k
        lo = at[mine[split - 1]] + 1 if split else 0
        hi = at[mine[split]] if split < len(mine) else len(other)
        other.insert(min(max(sol.lpos[t][k2], lo), hi), t)
        out[k2] = other
    return out


def link_blocks(sol: Solution, path: list[int]) -> list[tuple[int, list[int]]]:
    """(chain, run): maximal runs of the path along one link chain, each send starting
    as the one before frees the link."""
    out, run, key = [], [path[0]], None
    for a, b in zip(path, path[1:]):
        k = _link_step(sol, a, b)
        if k is not None:
            if key in (None, k):
                run.append(b)
                key = k
                continue
            out.append((key, run))
            run, key = [a, b], k
            continue
        if len(run) > 1:
            out.append((key, run))
        run, key = [b], None
    if len(run) > 1:
        out.append((key, run))
    return out


def _link_moves(sol: Solution, path: list[int]) -> list[tuple]:
    """Swaps at both ends of each link block, its last send to its front, its first to
    its back: ("link", send, (chain, new position))."""
    out = set()
    for k, run in link_blocks(sol, path):
        first, last = sol.lpos[run[0]][k], sol.lpos[run[-1]][k]
        out |= {("link", run[1], (k, first)), ("link", run[-1], (k, sol.lpos[run[-2]][k])),
                ("link", run[-1], (k, first)), ("link", run[0], (k, last))}
    return sorted(out)


def _shifts(b: list[int]) -> list[tuple[int, int]]:
    """N7's (task, index in the block it moves to) beyond N5's adjacent swaps."""
    k = len(b)
    # b[1] to the front and b[-2] to the back are N5's swaps
    out = [(b[i], 0) for i in range(2, k - 1)] + [(b[i], k - 1) for i in range(1, k - 2)]
    out += [(b[0], i) for i in range(2, k)] + [(b[-1], i) for i in range(k - 2)]
    return out


def _exact(sol: Solution, move: tuple) -> int | None:
    """The makespan after the move, the solution left as it was (None: a cycle)."""
    if not apply(sol, move, tails=False):
        return None
    mk = sol.makespan
    sol.undo()
    return mk


def moves(sol: Solution, rng: random.Random, pool_moves: int = 4,
          shift_moves: int = 8, link_moves: int = 4) -> list[tuple]:
    """[(makespan or its estimate, tabu key, move)] on one critical path."""
    path = critical_path(sol)
    out, shifts = [], []
    for b in blocks(sol, path):
        for u, v in sorted({(b[0], b[1]), (b[-2], b[-1])}):
            est = swap_estimate(sol, u, v)
            if est is not None:
                out.append((est, (u, v), ("swap", u, v)))
        shifts += [(b, t, i) for t, i in _shifts(b)]
    # a sample first: blocks of hundreds of tiles have O(k) shifts of O(k) each
    for b, t, i in rng.sample(shifts, min(shift_moves, len(shifts))):
        tasks = [x for x in b if x != t]
        tasks.insert(i, t)
        first = sol.pos[b[0]]
        move = ("shift", t, first + i)
        est = estimate(sol, sol.worker[t], first, tasks)
        if est is not None:
            out.append((est, (move[1],), move))
    links = _link_moves(sol, path)
    for move in rng.sample(links, min(link_moves, len(links))):
        mk = _exact(sol, move)
        if mk is not None:
            out.append((mk, (move[1],), move))
    crit = [t for t in path if len(sol.elig[t]) > 1]
    rng.shuffle(crit)
    for t in crit[:pool_moves]:
        others = [w for w in sol.elig[t] if w != sol.worker[t]]
        move = ("move", t, others[rng.randrange(len(others))])
        mk = _exact(sol, move)
        if mk is not None:
            out.append((mk, (t,), move))
    return out
