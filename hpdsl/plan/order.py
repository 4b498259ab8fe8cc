"""What a plan alone proves about the order in which signals arrive (never predicted times).

Flag sharing (`hpdsl.plan.flags`) needs it: events A then B may count on one flag in turn
when every signal of A arrives no later than the first signal of B.

Proof, from the plan only. Every event has one producer queue and one latency (as
`lower` builds them). Per queue we track two sets of events: I, those whose last signal
was issued before this point, and R, those whose last signal has arrived. A queue adds an
event to I when it issues the event's last signal. A wait for count c on event e
(signalled by queue P) completes after P's c-th signal arrived, that is `lat(e)` after P
issued it, so the waiter learns P's R and I at that signal, and counts as arrived every
event of that I whose latency is at most lat(e); when c is e's total it learns that e is
complete too. Instructions of a queue run in order, so what a queue knows stays known. B
may follow A on a flag when, at B's first signal, B's producer knows A arrived, or knows
A issued and lat(A) <= lat(B) (both then arrive in issue order).

Cost: one untimed pass over the plan's streams (the dataflow order of the emulator, with
Python integers as bitsets over the tracked events), run only where flags are shared.
"""
from __future__ import annotations

import numpy as np

from hpdsl.latency import far, latency
from hpdsl.plan.program import BARRIER, SIGNAL, WAIT


def signal_latency(plan, graph, machine) -> tuple[np.ndarray, np.ndarray]:
    """(smallest, largest) int64 per event: the latency of its signals, by the emulator's
    rule (sync latency, plus the link latency when the counter is on another device or the
    signal follows a send). Plans from `lower` have one latency per event."""
    hw = machine.hardware
    iq = plan.instruction_queue()
    sig = np.flatnonzero(plan.code == SIGNAL)
    ev = plan.arg[sig].astype(np.int64)
    prev = plan.previous_exec()[sig]
    send = prev >= 0
    send[send] = graph.dst[plan.arg[prev[send]]] >= 0
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
    total = plan.signals_per_event().tolist()
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
