"""Sync-flag sharing inside a kernel: what the plan alone proves about signal order, and
the static check of shared flags (the packing is in `hpdsl.plan_share`).

Sharing. Events A then B may use one flag (a counter that only grows) when every signal
of A *arrives* no later than the first signal of B: the flag's count then equals A's
base plus A's arrivals until A is complete, and B's base (A's base plus A's signals)
plus B's arrivals afterwards, so "event count >= j" is "flag count >= base + j" for both.
A chain A1, A2, ... of such pairs shares one flag (the order is transitive).

Proof, from the plan only (never from predicted times). Every event has one producer
queue and one latency (as `lower` builds them). Per queue we track two sets of events:
I, those whose last signal was issued before this point, and R, those whose last signal
has arrived. A queue adds an event to I when it issues the event's last signal. A wait
for count c on event e (signalled by queue P) completes after P's c-th signal arrived,
that is `lat(e)` after P issued it, so the waiter learns P's R and I at that signal, and
counts as arrived every event of that I whose latency is at most lat(e); when c is e's
total it learns that e is complete too. Instructions of a queue run in order, so what a
queue knows stays known. B may follow A on a flag when, at B's first signal, B's producer
knows A arrived, or knows A issued and lat(A) <= lat(B) (both then arrive in issue order).

Cost: one untimed pass over the plan's streams (the dataflow order of the emulator, with
Python integers as bitsets over the tracked events), run only where flags are shared.
"""
from __future__ import annotations

import numpy as np

from hpdsl.latency import far, latency

from hpdsl.plan import BARRIER, EXEC, SIGNAL, WAIT


def signal_latency(plan, graph, machine) -> tuple[np.ndarray, np.ndarray]:
    """(smallest, largest) int64 per event: the latency of its signals, by the emulator's
    rule (sync latency, plus the link latency when the counter is on another device or the
    signal follows a send). Plans from `lower` have one latency per event."""
    hw = machine.hardware
    code = plan.code
    idx = np.arange(len(code))
    iq = plan.instruction_queue()
    last = np.maximum.accumulate(np.where(code == EXEC, idx, -1)) if len(code) else idx
    sig = np.flatnonzero(code == SIGNAL)
    ev = plan.arg[sig].astype(np.int64)
    after = last[sig] >= plan.ptr[iq[sig]]
    send = after & (graph.dst[plan.arg[np.maximum(last[sig], 0)]] >= 0)
    lat = latency(hw, far(machine.worker_device[iq[sig]], plan.event_device[ev], send))
    hi = np.zeros(plan.n_events, np.int64)
    np.maximum.at(hi, ev, lat)
    lo = hi.copy()
    np.minimum.at(lo, ev, lat)
    return lo, hi


def single_producer(plan) -> np.ndarray:
    """bool per event: all its signals come from one queue."""
    iq = plan.instruction_queue()
    sig = np.flatnonzero(plan.code == SIGNAL)
    ev = plan.arg[sig]
    lo = np.full(plan.n_events, np.iinfo(np.int64).max, np.int64)
    hi = np.full(plan.n_events, -1, np.int64)
    np.minimum.at(lo, ev, iq[sig])
    np.maximum.at(hi, ev, iq[sig])
    return (hi < 0) | (lo == hi)


def order_facts(plan, tracked: np.ndarray, lat: np.ndarray, lat_lo: np.ndarray | None = None):
    """For the tracked events (int array; bit k stands for tracked[k]): per tracked event
    reached, the (I, R) bitsets its producer knows at its first signal, and the tracked
    events in the order their first signals are reached. `lat`: each event's largest
    signal latency, `lat_lo` its smallest (default: the same)."""
    E = plan.n_events
    lat_lo = lat if lat_lo is None else lat_lo
    bit = [0] * E
    for k, e in enumerate(tracked.tolist()):
        bit[e] = 1 << k
    lats = sorted(set(lat[tracked].tolist()))
    upto = {v: sum(1 << k for k, e in enumerate(tracked.tolist()) if lat[e] <= v) for v in lats}
    lat_mask = [0] * E       # per waited event: the tracked ones surely arrived with its signal
    for e in range(E):
        lv = int(lat_lo[e])
        lat_mask[e] = max((upto[v] for v in lats if v <= lv), default=0)
    solo = single_producer(plan).tolist()
    code, arg, cnt = plan.code.tolist(), plan.arg.tolist(), plan.count.tolist()
    sig = np.flatnonzero(plan.code == SIGNAL)
    total = np.bincount(plan.arg[sig], minlength=E).tolist()
    ptr = plan.ptr.tolist()
    W = len(ptr) - 1
    know_i, know_r = [0] * W, [0] * W
    pc = ptr[:-1]
    snap: list[list] = [[] for _ in range(E)]   # per event, (I, R) at each signal
    parked: dict[tuple[int, int], list[int]] = {}
    first: dict[int, tuple[int, int]] = {}
    seen: list[int] = []
    runnable = list(range(W - 1, -1, -1))
    at_barrier = 0
    while runnable:
        q = runnable.pop()
        i, end, ki, kr = pc[q], ptr[q + 1], know_i[q], know_r[q]
        while i < end:
            c = code[i]
            if c == SIGNAL:
                e = arg[i]
                s = snap[e]
                s.append((ki, kr))
                if bit[e] and e not in first:
                    first[e] = (ki, kr)
                    seen.append(e)
                if len(s) == total[e] and solo[e]:
                    ki |= bit[e]
                ws = parked.pop((e, len(s)), None)
                if ws:
                    runnable.extend(ws)
            elif c == WAIT:
                e, k = arg[i], cnt[i]
                s = snap[e]
                if len(s) < k:
                    parked.setdefault((e, k), []).append(q)
                    break
                if solo[e]:
                    si, sr = s[k - 1]
                    kr |= sr | (si & lat_mask[e])
                    ki |= si
                if k >= total[e]:
                    kr |= bit[e]
                ki |= kr
            elif c == BARRIER:          # hold here until every queue has come
                at_barrier += 1
                i += 1
                ki = kr = 0             # a kernel's events end at its barrier
                break
            i += 1
        pc[q], know_i[q], know_r[q] = i, ki, kr
        if at_barrier == W:
            at_barrier = 0
            runnable.extend(range(W - 1, -1, -1))
    return first, seen


def may_follow(facts, bit_a: int, lat_a: int, lat_b: int) -> bool:
    """Whether the plan proves every signal of A arrives before the first of B, given B's
    producer's (I, R) at B's first signal, A's largest latency and B's smallest."""
    ki, kr = facts
    return bool(kr & bit_a) or (bool(ki & bit_a) and lat_a <= lat_b)


def flag_key(plan, devices: int) -> np.ndarray:
    """int64 per event: one value per (kernel, device, flag), the counter it really uses
    (a kernel's counters end at its barrier; an event's kernel is the barriers before
    its first use)."""
    E = plan.n_events
    isb = (plan.code == BARRIER).astype(np.int64)
    iq = plan.instruction_queue()
    csum = np.cumsum(isb)
    before = csum - (csum[plan.ptr[iq]] - isb[plan.ptr[iq]]) if len(isb) else csum
    use = np.flatnonzero((plan.code == SIGNAL) | (plan.code == WAIT))
    kern = np.full(E, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(kern, plan.arg[use], before[use])
    kern[kern == np.iinfo(np.int64).max] = 0
    nf = int(plan.event_flag.max()) + 1 if E else 1
    return (kern * max(devices, 1) + plan.event_device) * nf + plan.event_flag


def base_wanted(plan, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(events ordered by (key, base), the base each should have in that order: the
    signals of the events before it on its counter)."""
    o = np.lexsort((plan.event_base, key))
    total = np.bincount(plan.arg[plan.code == SIGNAL], minlength=plan.n_events)
    k = key[o]
    head = np.r_[True, k[1:] != k[:-1]]
    run = np.cumsum(total[o]) - total[o]
    return o, run - np.maximum.accumulate(np.where(head, run, 0))


def check_sharing(plan, graph, machine) -> list[str]:
    """Messages for flags shared unsoundly: per (kernel, device, flag), in base order, each
    event must count from the signals of those before it, and the plan must prove that
    every signal of one arrives no later than the first of the next (module docstring)."""
    E = plan.n_events
    if E == 0:
        return []
    key = flag_key(plan, machine.devices)
    o, want = base_wanted(plan, key)
    k = key[o]
    pairs = np.flatnonzero(k[1:] == k[:-1])
    shared = np.flatnonzero(np.r_[k[1:] == k[:-1], False] | np.r_[False, k[1:] == k[:-1]])
    if len(shared) == 0:
        return []
    out = []
    for i in shared[plan.event_base[o[shared]] != want[shared]][:10]:
        e = int(o[i])
        out.append(f"event '{plan.event_names[e]}' on flag {plan.event_flag[e]} of device "
                   f"{plan.event_device[e]} counts from {plan.event_base[e]}, not from "
                   f"{want[i]} (the signals of the events before it on that flag)")
    lat_lo, lat = signal_latency(plan, graph, machine)
    tracked = np.unique(o[shared])
    if not np.all(single_producer(plan)[tracked]):
        bad = tracked[~single_producer(plan)[tracked]][0]
        return out + [f"event '{plan.event_names[bad]}' shares flag {plan.event_flag[bad]} of "
                      f"device {plan.event_device[bad]} but is signalled by several queues"]
    first, _ = order_facts(plan, tracked, lat, lat_lo)
    bit = {int(e): 1 << b for b, e in enumerate(tracked.tolist())}
    bad = 0
    for i in pairs.tolist():
        a, b = int(o[i]), int(o[i + 1])
        if b in first and not may_follow(first[b], bit[a], int(lat[a]), int(lat_lo[b])):
            bad += 1
            if bad <= 10:
                out.append(f"events '{plan.event_names[a]}' and '{plan.event_names[b]}' share flag "
                           f"{plan.event_flag[a]} of device {plan.event_device[a]}, but nothing "
                           f"in the plan makes every signal of the first arrive before the first "
                           f"signal of the second")
    if bad > 10:
        out.append(f"... and {bad - 10} more unordered events sharing a flag")
    return out
