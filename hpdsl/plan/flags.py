"""Sync flags for a plan's events: one each, or shared by chains of events counting in turn.

Sharing. Events A then B may use one flag (a counter that only grows) when every signal
of A *arrives* no later than the first signal of B: the flag's count then equals A's
base plus A's arrivals until A is complete, and B's base (A's base plus A's signals)
plus B's arrivals afterwards, so "event count >= j" is "flag count >= base + j" for both.
A chain A1, A2, ... of such pairs shares one flag (the order is transitive). Whether A's
signals all arrive first is proven from the plan alone (`hpdsl.plan.order`).

Chains. Events are taken in the order their first signals are expected; an event B joins
the chain of a tail A that the plan proves complete before B's first signal (preferring
the tail expected to end last: best fit, as in interval colouring); failing that it opens
a new chain. Where a device is still short, *turns* (`hpdsl.plan.turns`) make the plan
order two events it did not. A plan that still needs more flags than the hardware has
is a user error.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np

from hpdsl.errors import UserError
from hpdsl.plan.order import latency_masks, order_facts
from hpdsl.plan.program import SIGNAL, WAIT, Plan
from hpdsl.plan.turns import Expect, turn_flags, turn_tail, with_turns


def assign_flags(plan: Plan, machine, lat: np.ndarray, expect: Expect,
                 share: bool | None) -> Plan:
    """`plan` with flags for its events: one each per kernel and device (kernels reuse
    flags: a barrier ends every counter's life), shared where the plan proves it sound,
    with turns where a device is still short. `lat`: each event's signal latency.
    UserError when a device needs more flags than the hardware has."""
    hw, D = machine.hardware, machine.devices
    # tails ranked by when their last signal is expected (a heuristic order only)
    plan, flag, base = assign(plan, expect.kernel * D + plan.event_device.astype(np.int64), lat,
                              expect.last_ns, hw.sync_flags, share, expect)
    need = int(flag.max()) + 1 if len(flag) else 0
    if need > hw.sync_flags:
        worst = int(plan.event_device[np.argmax(flag)])
        shared = " (with events the plan orders sharing flags)" if share is not False else ""
        raise UserError(
            f"the plan needs {need} sync flags on device {worst} but hardware '{hw.name}' "
            f"has {hw.sync_flags} per device{shared}; declare more with 'sync flags N', use "
            f"coarser tiles, or spread dependent tasks over fewer queues", loc=hw.loc)
    return replace(plan, event_flag=flag, event_base=base)


def flag_key(plan: Plan, devices: int) -> np.ndarray:
    """int64 per event: one value per (kernel, device, flag), the counter it really uses
    (a kernel's counters end at its barrier; an event's kernel is that of its first use)."""
    E = plan.n_events
    use = np.flatnonzero((plan.code == SIGNAL) | (plan.code == WAIT))
    kern = np.full(E, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(kern, plan.arg[use], plan.barriers_before()[use])
    kern[kern == np.iinfo(np.int64).max] = 0
    nf = int(plan.event_flag.max()) + 1 if E else 1
    return (kern * max(devices, 1) + plan.event_device) * nf + plan.event_flag


def base_wanted(plan: Plan, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(events ordered by (key, base), the base each should have in that order: the
    signals of the events before it on its counter)."""
    o = np.lexsort((plan.event_base, key))
    return o, _bases(plan.signals_per_event()[o], key[o])


def _bases(total: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Per event, of events sorted so that those on one counter (equal `key`) are adjacent
    and in turn (`total`: their signals): the signals before it on its counter."""
    head = np.r_[True, key[1:] != key[:-1]]
    run = np.cumsum(total) - total
    return run - np.maximum.accumulate(np.where(head, run, 0))


@dataclass(frozen=True)
class Facts:
    """The tracked events in rank order (bit k of a fact stands for ev[k]) and what the plan
    proves at each one's first signal (`hpdsl.plan.order.order_facts`)."""

    tracked: np.ndarray
    by_rank: np.ndarray
    ev: np.ndarray
    first: dict
    seen: list
    group: list                 # per event in rank order: its group
    lat: list
    below: dict
    tracked_group: np.ndarray   # per tracked event (in `tracked` order): its group


def facts(plan, tracked, group, lat, rank) -> Facts:
    """`group[k]` is tracked[k]'s (kernel, device) group; `rank[k]` orders tails (higher:
    preferred)."""
    by_rank = np.argsort(rank, kind="stable")
    ev = tracked[by_rank]
    first, seen = order_facts(plan, ev, lat)
    lat_k = lat[ev].tolist()
    below = latency_masks(lat[ev])
    return Facts(tracked, by_rank, ev, first, seen, group[by_rank].tolist(), lat_k, below, group)


def pack(f: Facts, lat, budget=None, expect: Expect | None = None, room=None):
    """(chain id per tracked event, numbered from 0 per group; the order events joined their
    chains; turns as (A, B) event pairs). With `expect`, groups in `budget` (group ->
    flags) that have opened that many chains link events by turns (`hpdsl.plan.turns`),
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
            t = turn_tail(expect, by_end.get(g, []), e, lat) if room[tg_] > 0 else -1
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
        used = np.where(over, n_ch, size)         # flags per group before any turn
        room = dict(zip(np.unique(group).tolist(), (limit - used).tolist()))
        chain, order, turns = _pack_with_turns(f, lat, expect, limit, room, used)
    for g in np.unique(tg[chain < 0]).tolist():
        # events never reached (only in a plan that deadlocks) keep flags of their own
        sel = tg == g
        lost = sel & (chain < 0)
        chain[lost] = chain[sel].max() + 1 + np.arange(lost.sum())
    flag[tracked] = chain
    o = np.lexsort((order, chain, tg))
    base[tracked[o]] = _bases(plan.signals_per_event()[tracked[o]], tg[o] * (E + 1) + chain[o])
    if not turns:
        return plan, flag, base
    t_flag = turn_flags(group, flag, turns, expect)
    plan = with_turns(plan, turns, expect)
    return plan, np.r_[flag, t_flag], np.r_[base, np.zeros(len(turns), np.int64)]


def _pack_with_turns(f: Facts, lat, expect: Expect, limit: int, room: dict, used):
    """`pack` with turns once a short group (`used`: flags per group before any turn) has
    opened `budget` chains; the budget shrinks by what the last try overflowed (events
    whose producers take no turns, or whose turns would land on devices without flags to
    spare, still need chains). `room`: free flags per group value, for the turns."""
    budget = {int(g): limit for g in np.flatnonzero(used > limit)}
    n_ch = np.zeros(len(used), np.int64)
    for step in range(6):
        free = defaultdict(lambda: limit, room)
        chain, order, turns = pack(f, lat, budget, expect, free)
        n_ch[:] = 0
        np.maximum.at(n_ch, f.tracked_group, chain + 1)
        spill = {g: int(n_ch[g]) - limit for g in budget if n_ch[g] > limit}
        if not spill:
            break
        # doubling steps: the last tries take turns from the first chain on
        budget = {g: max(b - (spill.get(g, 0) << step) if step < 4 else 0, 0)
                  for g, b in budget.items()}
    return chain, order, turns


def _own_flags(inv, size) -> np.ndarray:
    o = np.argsort(inv, kind="stable")
    flag = np.empty(len(inv), np.int64)
    flag[o] = np.arange(len(inv)) - np.repeat(np.r_[0, np.cumsum(size)[:-1]], size)
    return flag
