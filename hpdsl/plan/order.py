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
No bitset is made per event: a tracked event is a bit number, and latency classes share
one bitset each, so memory grows with what the plan makes the proof keep, which is
bounded (`MAX_PROOF_BYTES`).
"""
from __future__ import annotations

import numpy as np

from hpdsl.errors import UserError
from hpdsl.latency import far, latency
from hpdsl.plan.program import BARRIER, SIGNAL, WAIT
from hpdsl.sync import Barrier, Parked

MAX_PROOF_BYTES = 2**30   # bitsets the order proof may keep (docs/limits.md)


def instruction_latency(plan, graph, machine) -> np.ndarray:
    """int64 per instruction: a signal's latency (0 elsewhere) by the one edge-latency
    rule: the sync latency, plus the link latency when the counter is on another device or
    the signal follows a send (the emulator's signals and the order proof both use it)."""
    sig = np.flatnonzero(plan.code == SIGNAL)
    prev = plan.previous_exec()[sig]
    send = prev >= 0
    send[send] = graph.dst[plan.arg[prev[send]]] >= 0
    pdev = machine.worker_device[plan.instruction_queue()[sig]]
    out = np.zeros(len(plan.code), np.int64)
    out[sig] = latency(machine.hardware, far(pdev, plan.event_device[plan.arg[sig]], send))
    return out


def signal_latency(plan, graph, machine) -> tuple[np.ndarray, np.ndarray]:
    """(smallest, largest) int64 per event: the latency of its signals
    (`instruction_latency`). Plans from `lower` have one latency per event."""
    sig = np.flatnonzero(plan.code == SIGNAL)
    ev = plan.arg[sig].astype(np.int64)
    lat = instruction_latency(plan, graph, machine)[sig]
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


def bitset(mask: np.ndarray) -> int:
    """The Python integer whose bit k is mask[k] (linear in the bits, via packed bytes)."""
    return int.from_bytes(np.packbits(np.asarray(mask, bool), bitorder="little").tobytes(), "little")


def latency_masks(lat_k: np.ndarray) -> dict[int, int]:
    """Per latency v among `lat_k` (one per tracked event), the bitset of tracked events
    with latency <= v. A plan has a few latency classes, so this is a few bitsets."""
    lat_k = np.asarray(lat_k, np.int64)
    return {int(v): bitset(lat_k <= v) for v in np.unique(lat_k)}


class _Budget:
    """The bits the proof holds: bitsets kept at signals (each distinct one counted once)
    and each queue's current ones. A UserError past MAX_PROOF_BYTES, so that a hostile
    plan cannot make the proof take all memory."""

    def __init__(self, n_queues: int, n_tracked: int, n_events: int):
        self.kept, self.live = 0, [0] * n_queues
        self.live_sum, self.last = 0, [(0, 0)] * n_queues
        self.n, self.e = n_tracked, n_events

    def keep(self, q: int, ki: int, kr: int) -> None:
        li, lr = self.last[q]
        self.kept += (ki is not li) * ki.bit_length() + (kr is not lr) * kr.bit_length()
        self.last[q] = (ki, kr)
        self._check()

    def hold(self, q: int, ki: int, kr: int) -> None:
        bits = ki.bit_length() + kr.bit_length()
        self.live_sum += bits - self.live[q]
        self.live[q] = bits
        self._check()

    def _check(self) -> None:
        if self.kept + self.live_sum > 8 * MAX_PROOF_BYTES:
            raise UserError(f"proving the order of the {self.n:,} events that share sync flags "
                            f"(of {self.e:,}) would take more than {MAX_PROOF_BYTES // 2**20:,} "
                            "MiB; the plan shares flags in too many ways for hpdsl to check")


def order_facts(plan, tracked: np.ndarray, lat: np.ndarray, lat_lo: np.ndarray | None = None):
    """For the tracked events (int array; bit k stands for tracked[k]): per tracked event
    reached, the (I, R) bitsets its producer knows at its first signal, and the tracked
    events in the order their first signals are reached. `lat`: each event's largest
    signal latency, `lat_lo` its smallest (default: the same).

    Memory: a bitset is kept only at a signal some wait reads (or a tracked event's first),
    and a queue's bitsets are replaced only when they change, so equal knowledge is shared;
    what is kept is bounded by MAX_PROOF_BYTES."""
    E = plan.n_events
    lat_lo = lat if lat_lo is None else lat_lo
    pos = np.full(E, -1, np.int64)
    pos[tracked] = np.arange(len(tracked))
    masks = latency_masks(lat[tracked])
    lats = sorted(masks)
    # per event: the tracked ones surely arrived with its signal (a shared int per class)
    at_most = np.searchsorted(lats, lat_lo, "right") - 1
    lat_mask = [masks[lats[i]] if i >= 0 else 0 for i in at_most.tolist()]
    pos = pos.tolist()
    solo = single_producer(plan).tolist()
    code, arg, cnt = plan.code.tolist(), plan.arg.tolist(), plan.count.tolist()
    total = plan.signals_per_event().tolist()
    read = {(e, k) for c, e, k in zip(code, arg, cnt) if c == WAIT}   # signals a wait reads
    ptr = plan.ptr.tolist()
    W = len(ptr) - 1
    know_i, know_r = [0] * W, [0] * W
    pc = ptr[:-1]
    nsig = [0] * E
    snap: dict[tuple[int, int], tuple[int, int]] = {}   # (event, signal k) -> (I, R) then
    budget = _Budget(W, len(tracked), E)
    parked, barrier = Parked(E), Barrier(W)      # as the emulator's interpreters wait
    first: dict[int, tuple[int, int]] = {}
    seen: list[int] = []
    runnable = list(range(W - 1, -1, -1))
    released = False
    while runnable:
        q = runnable.pop()
        i, end, ki, kr = pc[q], ptr[q + 1], know_i[q], know_r[q]
        while i < end:
            c = code[i]
            if c == SIGNAL:
                e = arg[i]
                nsig[e] += 1
                n = nsig[e]
                if (e, n) in read:
                    snap[e, n] = (ki, kr)
                    budget.keep(q, ki, kr)
                if pos[e] >= 0 and e not in first:
                    first[e] = (ki, kr)
                    seen.append(e)
                if n == total[e] and solo[e] and pos[e] >= 0:
                    ki |= 1 << pos[e]
                ws = parked.take(e, n)
                if ws:
                    runnable.extend(ws)
            elif c == WAIT:
                e, k = arg[i], cnt[i]
                if nsig[e] < k:
                    parked.park(e, k, q)
                    break
                if solo[e]:
                    si, sr = snap[e, k]
                    ki, kr = _join(ki, si), _join(kr, sr | (si & lat_mask[e]))
                if k >= total[e] and pos[e] >= 0:
                    kr = _join(kr, 1 << pos[e])
                ki = _join(ki, kr)
            elif c == BARRIER:          # hold here until every queue has come
                released = barrier.arrive() is not None
                i += 1
                ki = kr = 0             # a kernel's events end at its barrier
                break
            i += 1
        pc[q], know_i[q], know_r[q] = i, ki, kr
        budget.hold(q, ki, kr)
        if released:
            released = False
            runnable.extend(range(W - 1, -1, -1))
    return first, seen


def _join(known: int, more: int) -> int:
    """known | more, keeping the very object when nothing is new (so kept bitsets share)."""
    new = known | more
    return known if new == known else new


def may_follow(facts, k_a: int, lat_a: int, lat_b: int) -> bool:
    """Whether the plan proves every signal of A (tracked event number k_a) arrives before
    the first of B, given B's producer's (I, R) at B's first signal, A's largest latency
    and B's smallest."""
    ki, kr = facts
    return bool((kr >> k_a) & 1) or (bool((ki >> k_a) & 1) and lat_a <= lat_b)
