"""`Record`: what the emulator saw, instruction by instruction (the validator's input)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Record:
    """Times in ns; -1 where something never happened.

    `start`/`end` per task; per instruction `reach` (when its queue got to it: a wait's
    blocking begins) and `done` (a wait satisfied, a signal sent, an exec ended, a barrier
    released); `latency` per signal; `blocked[q]` the instruction queue q was stuck at
    when nothing was left to happen (-1: the queue finished); `counter` per event at the end;
    `events_processed`: heap entries handled (the dataflow interpreter, which has no heap,
    counts queue resumptions).
    """

    start: np.ndarray
    end: np.ndarray
    reach: np.ndarray
    done: np.ndarray
    latency: np.ndarray
    blocked: np.ndarray
    counter: np.ndarray
    events_processed: int = 0

    def __post_init__(self):
        for a in (self.start, self.end, self.reach, self.done, self.latency, self.blocked, self.counter):
            a.setflags(write=False)

    @property
    def makespan(self) -> int:
        return int(self.end.max(initial=0))
