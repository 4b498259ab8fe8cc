"""`Environment`: the simulation clock and its event heap (SimPy's design, no globals).

Heap entries are tuples `(time, priority, serial, a, b, c)`: integer ns, then a priority
(the event kind), then a serial number so that ties break in insertion order and every
run is deterministic; `a, b, c` are the kind's integer payload. No per-event objects.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field

SIGNAL_ARRIVES, TASK_ENDS, BARRIER_RELEASES = 0, 1, 2


@dataclass(slots=True)
class Environment:
    now: int = 0
    serial: int = 0
    heap: list = field(default_factory=list)
    processed: int = 0

    def schedule(self, time: int, kind: int, a: int = 0, b: int = 0, c: int = 0) -> None:
        heapq.heappush(self.heap, (time, kind, self.serial, a, b, c))
        self.serial += 1

    def pop(self):
        ev = heapq.heappop(self.heap)
        self.now = ev[0]
        self.processed += 1
        return ev
