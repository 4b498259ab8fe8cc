"""The uncontended interpreter: runs a plan as a dataflow computation, without a clock.

Without bandwidth sharing every time is a max-plus function of earlier ones: an `exec`
ends at its start plus its cost-model time, a `wait` is done at the later of its reach and
the arrival of its count-th signal, a barrier releases `launch` after its last arrival.
So queues need not advance in global time order: each runs ahead as far as it can, and a
wait whose signal has not been issued yet parks its queue until it is. Same times as the
event-heap interpreter (`timed.py`), several times faster (no heap, no per-signal event).

Requires (`eligible`) that each event's signals come from one queue with one latency:
then its arrivals come in issue order, and "count >= k" happens at the k-th signal's issue
time plus the latency. Plans from `hpdsl.plan.lower` always qualify (one counter per
producer queue, consumer device and latency class); other plans use the heap interpreter.
"""
from __future__ import annotations

import numpy as np

from hpdsl.emulator.streams import Outcome, Streams
from hpdsl.plan import EXEC, SIGNAL, WAIT
from hpdsl.sync import Barrier, Parked


def event_latency(code: np.ndarray, arg: np.ndarray, iq: np.ndarray, lat: np.ndarray,
                  n_events: int) -> np.ndarray | None:
    """int64 per event: its signals' common latency, or None when some event has signals
    from several queues or with several latencies (0 for events never signalled)."""
    sig = np.flatnonzero(code == SIGNAL)
    if len(sig) == 0:
        return np.zeros(n_events, np.int64)
    ev = arg[sig].astype(np.int64)
    big = np.iinfo(np.int64).max
    lo_q, hi_q = np.full(n_events, big), np.full(n_events, -1)
    lo_l, hi_l = np.full(n_events, big), np.full(n_events, -1)
    np.minimum.at(lo_q, ev, iq[sig])
    np.maximum.at(hi_q, ev, iq[sig])
    np.minimum.at(lo_l, ev, lat[sig])
    np.maximum.at(hi_l, ev, lat[sig])
    used = hi_q >= 0
    if np.any(used & ((lo_q != hi_q) | (lo_l != hi_l))):
        return None
    return np.where(used, hi_l, 0).astype(np.int64)


def run_dataflow(s: Streams, ev_lat: list[int]) -> Outcome:
    """Run the streams, each event's signals arriving `ev_lat[event]` ns after their issue.
    `Outcome.counter` holds the signals issued per event; `processed` the resumptions."""
    W = len(s.ptr) - 1
    code, arg, cnt, dur = s.code, s.arg, s.cnt, s.dur
    done = [-1] * len(code)
    pc = s.ptr[:-1]
    stop = s.ptr[1:]
    clock = [s.launch] * W
    issued: list[list[int]] = [[] for _ in range(s.n_events)]
    parked = Parked(s.n_events)
    waiting = parked.by_event
    barrier = Barrier(W)
    runnable = list(range(W - 1, -1, -1))
    steps = 0
    while runnable:
        q = runnable.pop()
        steps += 1
        i, e, t = pc[q], stop[q], clock[q]
        last = None                   # the barrier's last arrival, when q completes it
        while i < e:
            c = code[i]
            if c == EXEC:
                t += dur[i]
            elif c == SIGNAL:
                ev = arg[i]
                sent = issued[ev]
                sent.append(t)
                if waiting[ev]:
                    ws = parked.take(ev, len(sent))
                    if ws is not None:
                        a = t + ev_lat[ev]
                        for r in ws:
                            j = pc[r]
                            tr = clock[r]
                            if a > tr:
                                tr = a
                            done[j] = clock[r] = tr
                            pc[r] = j + 1
                            runnable.append(r)
            elif c == WAIT:
                ev = arg[i]
                k = cnt[i]
                sent = issued[ev]
                if len(sent) >= k:
                    a = sent[k - 1] + ev_lat[ev]
                    if a > t:
                        t = a
                else:
                    parked.park(ev, k, q)
                    break
            else:                     # BARRIER: hold until every queue is here
                last = barrier.arrive(t)
                break
            done[i] = t
            i += 1
        pc[q], clock[q] = i, t
        if last is not None:
            rel = last + s.launch
            for r in range(W - 1, -1, -1):
                j = pc[r]
                done[j] = clock[r] = rel
                pc[r] = j + 1
                runnable.append(r)
    return Outcome(done, pc, [len(x) for x in issued], steps)
