"""Turn events: where the plan alone does not order two events, a signal and a wait that do.

On a device that still needs more flags than it has, most events come from queues that
never wait on one another (the dispatch sends of every other die to a hot one). There B
may still follow a tail A on a flag (`hpdsl.plan.flags`) when the schedule expects A's
last signal to arrive before B's first is issued: the plan is given a *turn* event, which
A's producer P signals right after A's last signal and B's producer Q waits for right
before B's first. That wait makes the order provable (`hpdsl.plan.order`: Q learns what P
had issued, and the turn's latency covers A's when P and Q are on different devices, or
B's latency is at least A's); the expected times only choose where the wait costs
nothing (the turn arrives before Q reaches it) and cannot deadlock: every wait of the
plan, turns included, is for a signal the schedule issues strictly earlier. A turn lives
on Q's device, which must not be short of flags itself. Turns are used only once a
device has opened as many chains as it has flags, so a plan that fits without them gets
none.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, replace

import numpy as np

from hpdsl.latency import far, latency
from hpdsl.plan.program import SIGNAL, WAIT


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


def turn_tail(x: Expect, tails: list, b: int, lat) -> int:
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


def turn_flags(group, flag, turns, x: Expect) -> list[int]:
    """The flag of each turn: the next free one of its group (`group`: per event, its
    kernel * devices + device; `flag`: per event, its flag)."""
    nxt: dict[int, int] = {}
    for gv, fl in zip(group.tolist(), flag.tolist()):
        nxt[gv] = max(nxt.get(gv, 0), fl + 1)
    out = []
    for _, b in turns:
        gv = x.turn_group(b)
        out.append(nxt.get(gv, 0))
        nxt[gv] = out[-1] + 1
    return out


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
