"""The event-heap interpreter: queues advance in global time order (needed for contention).

Heap entries are tuples `(time, kind, serial, a, b)`: integer ns, then the kind (arrivals
before ends at one instant), then a serial number so that ties break in insertion order
and every run is deterministic. No globals, no per-event objects.

Signals are lazy where the plan allows it (`dataflow.event_latency`: one producer queue
and one latency per event, true of every lowered plan): a signal only appends its issue
time; a wait that needs the k-th signal of an event wakes at that signal's issue time
plus the latency, with one heap entry, and only if it has to block. Otherwise every
signal is a heap entry that raises its counter on arrival.

A task runs for the work its memory model gives when it starts (`memory.py`), under
`fluid`'s bandwidth sharing with the `Claim` the model gives; the model hears of its end.
Traffic the model makes on its own (L2 write-backs) runs as flows without a queue, ids
past the last instruction: they load their resources and delay nobody directly.
"""
from __future__ import annotations

from heapq import heappop, heappush
from itertools import count

from hpdsl import progress
from hpdsl.emulator.fluid import Fluid
from hpdsl.emulator.memory import MemoryModel, Unshared
from hpdsl.emulator.streams import Outcome, Streams
from hpdsl.plan import EXEC, SIGNAL, WAIT
from hpdsl.sync import Barrier, Parked

ARRIVES, WAKES, TASK_ENDS, GROUP_ENDS, RELEASES = 0, 1, 2, 3, 4   # heap entry kinds


def run_timed(s: Streams, lat: list[int], ev_lat: list[int] | None, iq: list[int],
              fluid: Fluid | None = None, memory: MemoryModel | None = None,
              bar: progress.Counter | None = None) -> Outcome:
    """Run the streams; `lat` per instruction: a signal's latency (read without lazy
    signals only); `ev_lat` per event (the one latency of its signals) enables lazy signals; `iq` per instruction: its queue;
    `bar` advances once per task that ends."""
    return Timed(s, lat, ev_lat, iq, fluid, memory, bar).run()


class Timed:
    """One run: the heap, every queue's position and every event's state."""

    __slots__ = ("code", "arg", "cnt", "dur", "lat", "ev_lat", "iq", "pc", "stop", "done",
                 "launch", "heap", "serial", "issued", "counter", "parked", "barrier",
                 "fluid", "memory", "flows", "owner", "bar")

    def __init__(self, s: Streams, lat: list[int], ev_lat: list[int] | None, iq: list[int],
                 fluid: Fluid | None = None, memory: MemoryModel | None = None,
                 bar: progress.Counter | None = None):
        self.code, self.arg, self.cnt, self.dur = s.code, s.arg, s.cnt, s.dur
        self.lat, self.ev_lat, self.iq, self.launch = lat, ev_lat, iq, s.launch
        self.pc, self.stop = s.ptr[:-1], s.ptr[1:]
        self.done = [-1] * len(s.code)
        self.heap: list[tuple] = []
        self.serial = count()                       # heap ties break in insertion order
        self.issued = [[] for _ in range(s.n_events)]   # lazy: issue times per event
        self.counter = [0] * s.n_events                 # otherwise: arrivals per event
        self.parked = Parked(s.n_events)
        self.barrier = Barrier(len(self.pc))
        self.fluid = fluid
        self.memory = Unshared(s.dur) if memory is None else memory
        self.flows = count(len(s.code))             # ids of flows without a queue
        self.owner: dict[int, int] = {}             # such a flow's id -> its device
        self.bar = bar or progress.Counter()

    def run(self) -> Outcome:
        """Handle every heap entry of an instant first, then resume the queues they freed:
        a task starting at t sees the live data and bandwidth after every task that ended
        at t, whatever the heap order among them."""
        for q in range(len(self.pc)):
            self.advance(q, self.launch)
        heap, processed = self.heap, 0
        while heap:
            t = heap[0][0]
            resume: list[int] = []
            while heap and heap[0][0] == t:
                _, kind, _, a, b = heappop(heap)
                processed += 1
                if kind == GROUP_ENDS:
                    self.group_ends(a, t, resume)
                elif kind == TASK_ENDS:
                    self.task_ends(a, b, t, resume)
                elif kind == WAKES:
                    self.wakes(a, b, t, resume)
                elif kind == ARRIVES:
                    self.arrives(a, t, resume)
                else:
                    self.releases(t, resume)
            for q in resume:
                self.advance(q, t)
        counter = self.counter if self.ev_lat is None else [len(x) for x in self.issued]
        return Outcome(self.done, self.pc, counter, processed)

    def advance(self, q: int, t: int) -> None:
        """Run queue q from its position at t until it must stop: at an exec (its end is
        on the heap), a wait not yet satisfied, a barrier, or its stream's end."""
        code, arg, done, pc, issued = self.code, self.arg, self.done, self.pc, self.issued
        ev_lat, waiting = self.ev_lat, self.parked.by_event
        i, e = pc[q], self.stop[q]
        while i < e:
            c = code[i]
            if c == EXEC:
                pc[q] = i
                self.start(q, i, t)
                return
            if c == SIGNAL:
                done[i] = t
                ev = arg[i]
                if ev_lat is None:
                    heappush(self.heap, (t + self.lat[i], ARRIVES, next(self.serial), ev, i))
                else:
                    sent = issued[ev]
                    sent.append(t)
                    if waiting[ev]:
                        ws = self.parked.take(ev, len(sent))
                        if ws is not None:
                            self.wake(ws, t + ev_lat[ev])
                i += 1
                continue
            if c == WAIT:
                ev, k = arg[i], self.cnt[i]
                if ev_lat is None:
                    if self.counter[ev] >= k:
                        done[i] = t
                        i += 1
                        continue
                    self.parked.park(ev, k, q)
                else:
                    sent = issued[ev]
                    if len(sent) < k:
                        self.parked.park(ev, k, q)
                    else:
                        a = sent[k - 1] + ev_lat[ev]
                        if a <= t:
                            done[i] = t
                            i += 1
                            continue
                        heappush(self.heap, (a, WAKES, next(self.serial), q, i))
                pc[q] = i
                return
            pc[q] = i             # BARRIER
            if self.barrier.arrive(t) is not None:
                heappush(self.heap, (t + self.launch, RELEASES, next(self.serial), 0, 0))
            return
        pc[q] = e

    def start(self, q: int, i: int, t: int) -> None:
        """Exec instruction i of queue q begins at t: alone, or sharing bandwidth."""
        work, claim = self.memory.starts(i)
        if self.memory.back:
            self.background(t)
        if claim is None:
            heappush(self.heap, (t + work, TASK_ENDS, next(self.serial), q, i))
            return
        entries = self.fluid.add(i, t, work, claim.group, claim.demands)
        if entries:
            heap, serial = self.heap, self.serial
            for when, g in entries:
                heappush(heap, (when, GROUP_ENDS, next(serial), g, 0))

    def background(self, t: int) -> None:
        """The memory model's own traffic from t on, as flows no queue waits for."""
        heap, serial = self.heap, self.serial
        for device, work, claim in self.memory.background():
            i = next(self.flows)
            self.owner[i] = device
            for when, g in self.fluid.add(i, t, work, claim.group, claim.demands):
                heappush(heap, (when, GROUP_ENDS, next(serial), g, 0))

    def wake(self, queues: list[int], t: int) -> None:
        """Lazy signals: the parked `queues` go on at t."""
        heap, serial, pc = self.heap, self.serial, self.pc
        for r in queues:
            heappush(heap, (t, WAKES, next(serial), r, pc[r]))

    def group_ends(self, g: int, t: int, resume: list[int]) -> None:
        """A check of group g: its earliest member may be done."""
        i, entries = self.fluid.check(g, t)
        if entries:
            heap, serial = self.heap, self.serial
            for when, h in entries:
                heappush(heap, (when, GROUP_ENDS, next(serial), h, 0))
        if i < 0:                     # stale, or the rate fell
            return
        if i < len(self.code):        # else a queueless flow
            self.task_ends(self.iq[i], i, t, resume)
        else:
            self.memory.background_done(self.owner.pop(i))
            if self.memory.back:
                self.background(t)

    def task_ends(self, q: int, i: int, t: int, resume: list[int]) -> None:
        """Queue q's exec instruction i ends at t."""
        self.done[i] = t
        self.bar.advance()
        self.memory.ends(i)
        if self.memory.back:
            self.background(t)
        self.pc[q] = i + 1
        resume.append(q)

    def wakes(self, q: int, i: int, t: int, resume: list[int]) -> None:
        """Lazy signals: queue q's wait i is satisfied at t."""
        self.done[i] = t
        self.pc[q] = i + 1
        resume.append(q)

    def arrives(self, ev: int, t: int, resume: list[int]) -> None:
        """Eager signals: one arrives on ev; the queues waiting for its new count go on."""
        self.counter[ev] += 1
        ws = self.parked.take(ev, self.counter[ev])
        if ws is not None:
            done, pc = self.done, self.pc
            for q in ws:
                i = pc[q]
                done[i] = t
                pc[q] = i + 1
            resume += ws

    def releases(self, t: int, resume: list[int]) -> None:
        """The barrier releases: every queue goes past it at t."""
        done, pc = self.done, self.pc
        for q in range(len(pc)):
            i = pc[q]
            done[i] = t
            pc[q] = i + 1
        resume += range(len(pc))
