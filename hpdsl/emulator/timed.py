"""The event-heap interpreter: queues advance in global time order (needed for contention).

Heap entries are tuples `(time, kind, serial, a, b)`: integer ns, then the kind (arrivals
before ends at one instant), then a serial number so that ties break in insertion order
and every run is deterministic. No globals, no per-event objects.

Signals are lazy where the plan allows it (`dataflow.event_latency`: one producer queue
and one latency per event, true of every lowered plan): a signal only appends its issue
time; a wait that needs the k-th signal of an event wakes at that signal's issue time
plus the latency, with one heap entry, and only if it has to block. Otherwise every
signal is a heap entry that raises its counter on arrival.
"""
from __future__ import annotations

import heapq

from hpdsl.plan import EXEC, SIGNAL, WAIT

ARRIVES, WAKES, TASK_ENDS, GROUP_ENDS, RELEASES = 0, 1, 2, 3, 4


class Live:
    """A device's live intermediate data: outputs of finished tasks with unfinished consumers."""

    __slots__ = ("bytes", "size", "out_dev", "out_bytes", "consumers", "pred_ptr", "pred")

    def __init__(self, devices, size, out_dev, out_bytes, consumers, pred_ptr, pred):
        self.bytes = [0.0] * devices
        self.size = size
        self.out_dev, self.out_bytes = out_dev, out_bytes
        self.consumers, self.pred_ptr, self.pred = consumers, pred_ptr, pred

    def task_ends(self, task: int) -> None:
        live, cons, out_dev, out_bytes = self.bytes, self.consumers, self.out_dev, self.out_bytes
        for p in self.pred[self.pred_ptr[task]:self.pred_ptr[task + 1]]:
            cons[p] -= 1
            if cons[p] == 0:
                live[out_dev[p]] -= out_bytes[p]
        if cons[task] > 0:
            live[out_dev[task]] += out_bytes[task]


def run_timed(code, arg, cnt, dur, lat, ev_lat, ptr, iq, n_events, launch,
              flows=None, fluid=None, live: Live | None = None, l2_on: bool = True):
    """Run the streams; return (done per instruction, pc per queue, counter per event,
    heap events processed). `ev_lat` (list per event) enables lazy signals; `flows[i]`
    (device, group and demands while the live data fits in L2, group and demands when it
    has spilled; a group is None where that state moves no data) or None per exec
    instruction puts it under `fluid`'s bandwidth sharing."""
    W = len(ptr) - 1
    heap: list = []
    push, pop = heapq.heappush, heapq.heappop
    pc = ptr[:-1]
    stop = ptr[1:]
    done = [-1] * len(code)
    lazy = ev_lat is not None
    counter = [0] * n_events
    waiters: list[list[int]] = [[] for _ in range(n_events)]
    issued: list[list[int]] = [[] for _ in range(n_events)]
    parked: list = [None] * n_events
    at_barrier = 0
    serial = 0
    if flows is None:
        flows = [None] * len(code)

    def advance(q: int, t: int) -> None:
        nonlocal serial, at_barrier
        i, e = pc[q], stop[q]
        while i < e:
            c = code[i]
            if c == EXEC:
                pc[q] = i
                f = flows[i]
                if f is not None:
                    # off chip at the compulsory rate while the live data fits in L2, else
                    # at the spill rate (the reuse traffic stays on L2 either way)
                    if l2_on and (live is None or live.bytes[f[0]] <= live.size):
                        g, dm = f[1], f[2]
                    else:
                        g, dm = f[3], f[4]
                if f is None or g is None:
                    push(heap, (t + dur[i], TASK_ENDS, serial, q, i))
                    serial += 1
                    return
                entries = fluid.add(i, t, dur[i], g, dm)
                for when, g in entries:
                    push(heap, (when, GROUP_ENDS, serial, g, 0))
                    serial += 1
                return
            if c == SIGNAL:
                done[i] = t
                ev = arg[i]
                if lazy:
                    sent = issued[ev]
                    sent.append(t)
                    pk = parked[ev]
                    if pk:
                        ws = pk.pop(len(sent), None)
                        if ws is not None:
                            for r in ws:
                                push(heap, (t + ev_lat[ev], WAKES, serial, r, pc[r]))
                                serial += 1
                else:
                    push(heap, (t + lat[i], ARRIVES, serial, ev, i))
                    serial += 1
                i += 1
                continue
            if c == WAIT:
                ev, k = arg[i], cnt[i]
                if lazy:
                    sent = issued[ev]
                    if len(sent) >= k:
                        a = sent[k - 1] + ev_lat[ev]
                        if a <= t:
                            done[i] = t
                            i += 1
                            continue
                        push(heap, (a, WAKES, serial, q, i))
                        serial += 1
                    else:
                        pk = parked[ev]
                        if pk is None:
                            pk = parked[ev] = {}
                        pk.setdefault(k, []).append(q)
                elif counter[ev] >= k:
                    done[i] = t
                    i += 1
                    continue
                else:
                    waiters[ev].append(q)
                pc[q] = i
                return
            pc[q] = i             # BARRIER
            at_barrier += 1
            if at_barrier == W:
                push(heap, (t + launch, RELEASES, serial, 0, 0))
                serial += 1
            return
        pc[q] = e

    for q in range(W):
        advance(q, launch)
    processed = 0
    while heap:
        # every event of one instant first, then the queues they free: a task starting at t
        # sees the live data and bandwidth after every task that ended at t, whatever the
        # heap order among them
        t = heap[0][0]
        resume = []
        while heap and heap[0][0] == t:
            _, kind, _, a, b = pop(heap)
            processed += 1
            if kind == GROUP_ENDS:
                i, entries = fluid.check(a, t)
                for when, g in entries:
                    push(heap, (when, GROUP_ENDS, serial, g, 0))
                    serial += 1
                if i < 0:
                    continue           # stale, or the rate fell: re-checked later
                kind, a, b = TASK_ENDS, iq[i], i
            if kind == TASK_ENDS or kind == WAKES:
                done[b] = t
                if live is not None and kind == TASK_ENDS:
                    live.task_ends(arg[b])
                pc[a] = b + 1
                resume.append(a)
            elif kind == ARRIVES:
                counter[a] += 1
                ws = waiters[a]
                if ws:
                    k = counter[a]
                    ready = [q for q in ws if cnt[pc[q]] <= k]
                    if ready:
                        waiters[a] = [q for q in ws if cnt[pc[q]] > k]
                        for q in ready:
                            i = pc[q]
                            done[i] = t
                            pc[q] = i + 1
                        resume += ready
            else:
                at_barrier = 0
                for q in range(W):
                    i = pc[q]
                    done[i] = t
                    pc[q] = i + 1
                resume += range(W)
        for q in resume:
            advance(q, t)
    if lazy:
        counter = [len(s) for s in issued]
    return done, pc, counter, processed
