"""Packing a plan's events into sync flags: chains of events that count on one flag in turn,
and *turn* events added where the plan alone does not order two events.

Chains (see `hpdsl.plan_flags` for why a chain is sound). Events are taken in the order
their first signals are expected; an event B joins the chain of a tail A that the plan
proves complete before B's first signal (preferring the tail expected to end last: best
fit, as in interval colouring); failing that it opens a new chain.

Turns. On a device that still needs more flags than it has, most events come from
queues that never wait on one another (the dispatch sends of every other die to a hot
one). There B may still follow a tail A when the schedule expects A's last signal to
arrive before B's first is issued: the plan is given a *turn* event, which A's producer
P signals right after A's last signal and B's producer Q waits for right before B's
first. That wait makes the order provable (Q learns what P had issued, and the turn's
latency covers A's when P and Q are on different devices, or B's latency is at least
A's); the expected times only choose where the wait costs nothing (the turn arrives
before Q reaches it) and cannot deadlock: every wait of the plan, turns included, is
for a signal the schedule issues strictly earlier. A turn lives on Q's device, which
must not be short of flags itself. Turns are used only once a device has opened as many
chains as it has flags, so a plan that fits without them gets none.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np

from hpdsl.latency import far, latency

from hpdsl.plan import SIGNAL, WAIT
from hpdsl.plan_flags import order_facts


@dataclass(frozen=True)
class Expect:
    """What the schedule expects, to place turns (never to prove anything)."""

    first_ns: np.ndarray        # int64 per event: when its first signal is issued
    last_ns: np.ndarray         # int64 per event: when its last signal is issued
    producer: np.ndarray        # int64 per event: its producer queue
    queue_device: np.ndarray    # int per queue
    kernel: np.ndarray          # int64 per event
    after_send: np.ndarray      # bool per event: its last signal follows a send
    devices: int
    hardware: object            # hpdsl.spec.Hardware: the turn's latency, by hpdsl.latency

    def turn_group(self, b: int) -> int:
        """The group of a turn waited for by b's producer (it lives on that queue's device)."""
        return int(self.kernel[b]) * self.devices + int(self.queue_device[self.producer[b]])


@dataclass(frozen=True)
class Facts:
    """The tracked events in rank order (bit k of a fact stands for ev[k]) and what the plan
    proves at each one's first signal (`hpdsl.plan_flags.order_facts`)."""

    tracked: np.ndarray
    by_rank: np.ndarray
    ev: np.ndarray
    first: dict
    seen: list
    group: list
    lat: list
    below: dict


def facts(plan, tracked, group, lat, rank) -> Facts:
    """`group[k]` is tracked[k]'s (kernel, device) group; `rank[k]` orders tails (higher:
    preferred)."""
    by_rank = np.argsort(rank, kind="stable")
    ev = tracked[by_rank]
    first, seen = order_facts(plan, ev, lat)
    lat_k = lat[ev].tolist()
    below = {v: sum(1 << k for k, x in enumerate(lat_k) if x <= v) for v in set(lat_k)}
    return Facts(tracked, by_rank, ev, first, seen, group[by_rank].tolist(), lat_k, below)


def pack(f: Facts, lat, budget=None, expect: Expect | None = None, room=None):
    """(chain id per tracked event, numbered from 0 per group; the order events joined their
    chains; turns as (A, B) event pairs). With `expect`, groups in `budget` (group ->
    flags) that have opened that many chains link events by turns (module docstring),
    while the turn's own group has flags to spare (`room`: group -> free flags; updated)."""
    tracked, by_rank, ev, first, seen = f.tracked, f.by_rank, f.ev, f.first, f.seen
    pos = {e: k for k, e in enumerate(ev.tolist())}
    grp, lat_k, below = f.group, f.lat, f.below
    if expect is not None:
        # expected order; it agrees with every order the plan proves (first, seen, ties)
        at = {e: i for i, e in enumerate(seen)}
        seen = sorted(seen, key=lambda e: (int(expect.first_ns[e]), at[e]))
    chain_r = [-1] * len(ev)
    tails: dict[int, int] = {}        # group -> bitset of its chains' tails
    by_end: dict[int, list] = {}      # group -> sorted (expected last signal, event) of tails
    n_chains: dict[int, int] = {}
    turns = []
    for e in seen:
        k = pos[e]
        g = grp[k]
        ki, kr = first[e]
        avail = tails.get(g, 0) & (kr | (ki & below[lat_k[k]]))
        a = avail.bit_length() - 1 if avail else -1
        full = budget is not None and n_chains.get(g, 0) >= budget.get(g, 1 << 62)
        if a < 0 and full and expect is not None:
            tg_ = expect.turn_group(e)
            t = _turn_tail(expect, by_end.get(g, []), e, lat) if room[tg_] > 0 else -1
            if t >= 0:
                room[tg_] -= 1
                a = pos[t]
                turns.append((t, e))
        if a >= 0:
            chain_r[k] = chain_r[a]
            tails[g] ^= (1 << a) | (1 << k)
            if expect is not None:
                lst = by_end[g]
                lst.pop(bisect.bisect_left(lst, (int(expect.last_ns[ev[a]]), int(ev[a]))))
        else:
            chain_r[k] = n_chains.get(g, 0)
            n_chains[g] = chain_r[k] + 1
            tails[g] = tails.get(g, 0) | (1 << k)
        if expect is not None:
            bisect.insort(by_end.setdefault(g, []), (int(expect.last_ns[e]), e))
    chain = np.empty(len(tracked), np.int64)
    chain[by_rank] = chain_r
    reached = np.full(len(ev), len(ev), np.int64)
    reached[[pos[e] for e in seen]] = np.arange(len(seen))
    order = np.empty(len(tracked), np.int64)
    order[by_rank] = reached
    return chain, order, turns


def _turn_tail(x: Expect, tails: list, b: int, lat) -> int:
    """The tail expected to end last whose turn to b would arrive before b's first signal
    and would prove the order; -1 if none."""
    q = int(x.producer[b])
    i = bisect.bisect_right(tails, (int(x.first_ns[b]) - x.hardware.sync_latency, 1 << 62))
    while i > 0:
        i -= 1
        end, a = tails[i]
        p = int(x.producer[a])
        lt = int(latency(x.hardware, far(x.queue_device[p], x.queue_device[q], x.after_send[a])))
        # strictly later in expected time (or a latency between): no cycle can close
        later = end + lt <= x.first_ns[b] and (lt > 0 or end < x.first_ns[b])
        if p != q and later and (lat[a] <= lt or lat[a] <= lat[b]):
            return a
    return -1


def assign(plan, group, lat, rank, limit: int, share: bool | None, expect: Expect | None = None):
    """(plan, flag, base) with one flag per event of a (kernel, device) group (`group`:
    kernel * devices + device), numbered in event order, except that in groups with more
    events than `limit` (every group when `share` is True, none when False) chained events
    share flags, each counting from the signals of those before it on its flag. With
    `expect`, groups that still need more than `limit` get turns: the plan returned has
    them, as events after the given ones, each with a flag of its own."""
    E = plan.n_events
    if E == 0:
        return plan, np.zeros(0, np.int64), np.zeros(0, np.int64)
    _, inv, size = np.unique(group, return_inverse=True, return_counts=True)
    inv = inv.reshape(-1)
    flag = _own_flags(inv, size)
    base = np.zeros(E, np.int64)
    if share is False:
        return plan, flag, base
    over = size > limit if share is None else np.ones(len(size), bool)
    tracked = np.flatnonzero(over[inv])
    if len(tracked) == 0:
        return plan, flag, base
    tg = inv[tracked]
    f = facts(plan, tracked, tg, lat, rank[tracked])
    chain, order, turns = pack(f, lat)
    n_ch = np.zeros(len(size), np.int64)
    np.maximum.at(n_ch, tg, chain + 1)
    if expect is not None and np.any(n_ch > limit):
        # turns once a short group has opened `budget` chains; the budget shrinks by what
        # the last try overflowed (events whose producers take no turns, or whose turns
        # would land on devices without flags to spare, still need chains)
        short = np.flatnonzero(n_ch > limit)
        used = np.where(over, n_ch, size)         # flags per group before any turn
        room = dict(zip(np.unique(group).tolist(), (limit - used).tolist()))
        budget = {int(g): limit for g in short}
        for step in range(6):
            free = defaultdict(lambda: limit, room)
            chain, order, turns = pack(f, lat, budget, expect, free)
            n_ch[:] = 0
            np.maximum.at(n_ch, tg, chain + 1)
            spill = {g: int(n_ch[g]) - limit for g in budget if n_ch[g] > limit}
            if not spill:
                break
            # doubling steps: the last tries take turns from the first chain on
            budget = {g: max(b - (spill.get(g, 0) << step) if step < 4 else 0, 0)
                      for g, b in budget.items()}
    for g in np.unique(tg[chain < 0]).tolist():
        # events never reached (only in a plan that deadlocks) keep flags of their own
        sel = tg == g
        lost = sel & (chain < 0)
        chain[lost] = chain[sel].max() + 1 + np.arange(lost.sum())
    flag[tracked] = chain
    total = np.bincount(plan.arg[plan.code == SIGNAL], minlength=E)
    o = np.lexsort((order, chain, tg))
    t_sorted = total[tracked[o]]
    key = tg[o] * (E + 1) + chain[o]
    head = np.r_[True, key[1:] != key[:-1]]
    run = np.cumsum(t_sorted) - t_sorted
    base[tracked[o]] = run - np.maximum.accumulate(np.where(head, run, 0))
    if not turns:
        return plan, flag, base
    # turns take the next free flags of their groups
    nxt: dict[int, int] = {}
    for gv, fl in zip(group.tolist(), flag.tolist()):
        nxt[gv] = max(nxt.get(gv, 0), fl + 1)
    t_flag = []
    for _, b in turns:
        gv = expect.turn_group(b)
        t_flag.append(nxt.get(gv, 0))
        nxt[gv] = t_flag[-1] + 1
    plan = with_turns(plan, turns, expect)
    return plan, np.r_[flag, t_flag], np.r_[base, np.zeros(len(turns), np.int64)]


def with_turns(plan, turns, x: Expect):
    """`plan` with a turn per (A, B): A's producer signals it right after A's last signal,
    B's producer waits for it right before B's first."""
    E = plan.n_events
    sig = np.flatnonzero(plan.code == SIGNAL)
    ev = plan.arg[sig]
    last = np.full(E, -1, np.int64)
    np.maximum.at(last, ev, sig)
    first = np.full(E, len(plan.code), np.int64)
    np.minimum.at(first, ev, sig)
    a = np.array([t[0] for t in turns], np.int64)
    b = np.array([t[1] for t in turns], np.int64)
    ids = E + np.arange(len(turns))
    # signals go in after A's last signal, waits before B's first; at one index, signals first
    at = np.r_[last[a] + 1, first[b]]
    kind = np.r_[np.zeros(len(a), np.int64), np.ones(len(b), np.int64)]
    o = np.lexsort((kind, at))
    at, kind = at[o], kind[o]
    codes = np.where(kind == 0, SIGNAL, WAIT)
    args = np.r_[ids, ids][o]
    code = np.insert(plan.code, at, codes)
    arg = np.insert(plan.arg, at, args)
    count = np.insert(plan.count, at, np.ones(len(at), np.int64))
    iq = plan.instruction_queue()
    added = np.bincount(np.r_[iq[last[a]], iq[first[b]]], minlength=len(plan.queues))
    ptr = plan.ptr + np.r_[0, np.cumsum(added)]
    names, dev, seen = list(plan.event_names), list(plan.event_device.tolist()), {}
    for i, (ea, eb) in enumerate(turns):
        p, q = int(x.producer[ea]), int(x.producer[eb])
        d = int(x.queue_device[q])
        key = (p, d, int(x.kernel[ea]))
        seen[key] = seen.get(key, 0) + 1
        pre = plan.event_names[ea].split(":")[0] + ":" if ":" in plan.event_names[ea] else ""
        names.append(f"{pre}{plan.queues[p]}>d{d}+turn{seen[key]}")
        dev.append(d)
    return replace(plan, ptr=ptr, code=code, arg=arg, count=count, event_names=tuple(names),
                   event_device=np.array(dev), event_flag=np.zeros(len(names), np.int64),
                   event_base=np.zeros(len(names), np.int64))


def _own_flags(inv, size) -> np.ndarray:
    o = np.argsort(inv, kind="stable")
    flag = np.empty(len(inv), np.int64)
    flag[o] = np.arange(len(inv)) - np.repeat(np.r_[0, np.cumsum(size)[:-1]], size)
    return flag
