"""`Record`: what the emulator saw, instruction by instruction (the validator's input)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, eq=False)
class Record:
    """Times in ns; -1 where something never happened.

    `start`/`end` per task; per instruction `reach` (when its queue got to it: a wait's
    blocking begins) and `done` (a wait satisfied, a signal sent, an exec ended, a barrier
    released); `latency` per signal; `blocked[q]` the instruction queue q was stuck at
    when nothing was left to happen (-1: the queue finished); `counter` per event at the end;
    `events_processed`: heap entries handled (the dataflow interpreter, which has no heap,
    counts queue resumptions); `traffic`: per op name, the bytes the L2 cache model
    counted (`cache.TRAFFIC_KEYS`; empty where the graph names no data blocks).
    """

    start: np.ndarray
    end: np.ndarray
    reach: np.ndarray
    done: np.ndarray
    latency: np.ndarray
    blocked: np.ndarray
    counter: np.ndarray
    events_processed: int = 0
    traffic: dict = field(default_factory=dict)

    def __post_init__(self):
        for a in (self.start, self.end, self.reach, self.done, self.latency, self.blocked, self.counter):
            a.setflags(write=False)

    @property
    def makespan(self) -> int:
        return int(self.end.max(initial=0))
