"""The plan value: opcodes, `PlanHeader`, `Plan`, and the per-instruction facts its readers need.

A plan is a few flat numpy arrays (one row per instruction, CSR by queue), so a
0.8M-task plan costs tens of bytes per instruction; JSON is built only on demand
(`hpdsl.plan.json_io`). Lowering, the flag assignment, the order proof, the checker and
the emulator all read plans through the queries here (the queue of an instruction, its
kernel, the exec before it, the instruction and queue executing each task), so each of
those facts is computed by one rule. This module imports nothing else of `hpdsl.plan`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EXEC, WAIT, SIGNAL, BARRIER = 0, 1, 2, 3
OPS = ("exec", "wait", "signal", "barrier")
PLAN_VERSION = 1


def _ro(a, dtype) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=dtype)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, slots=True)
class PlanHeader:
    """What the scheduler said about the plan; the emulator reads only the makespan, to compare."""

    scheduler: str = "manual"
    status: str = "feasible"
    makespan_ns: int = 0
    lower_bound_ns: int = 0
    solve_seconds: float = 0.0


@dataclass(frozen=True, eq=False)
class Plan:
    """Instruction streams, one per worker queue (machine worker order).

    Instruction i: `code[i]` (EXEC/WAIT/SIGNAL/BARRIER), `arg[i]` (task, event or kernel),
    `count[i]` (a wait's count; for a signal, its position among its event's signals).
    Queue q holds instructions `ptr[q]:ptr[q+1]`. Event e is a counter living on device
    `event_device[e]` in sync flag `event_flag[e]`; events sharing a flag count on it in
    turn, e from `event_base[e]` (a wait for count c on e waits for the flag to reach
    base + c; see `hpdsl.plan.flags`). Counts in `count` are the event's own.

    >>> p = Plan(queues=("q0", "q1"), ptr=[0, 2, 5], code=[EXEC, SIGNAL, WAIT, BARRIER, EXEC],
    ...          arg=[0, 0, 0, 1, 1], count=[0, 1, 1, 0, 0], event_names=("E",),
    ...          event_device=[0], event_flag=[0])
    >>> p.instruction_queue().tolist(), p.barriers_before().tolist()
    ([0, 0, 1, 1, 1], [0, 0, 0, 0, 1])
    >>> p.previous_exec().tolist(), p.exec_queue(2).tolist(), p.exec_kernel(2).tolist()
    ([0, 0, -1, -1, 4], [0, 1], [0, 1])
    """

    queues: tuple[str, ...]
    ptr: np.ndarray
    code: np.ndarray
    arg: np.ndarray
    count: np.ndarray
    event_names: tuple[str, ...]
    event_device: np.ndarray
    event_flag: np.ndarray
    header: PlanHeader = PlanHeader()
    event_base: np.ndarray | None = None      # None: every event counts from 0

    def __post_init__(self):
        if self.event_base is None:
            object.__setattr__(self, "event_base", np.zeros(len(self.event_names), np.int64))
        for name, dt in (("ptr", np.int64), ("code", np.int8), ("arg", np.int32),
                         ("count", np.int32), ("event_device", np.int32), ("event_flag", np.int32),
                         ("event_base", np.int64)):
            object.__setattr__(self, name, _ro(getattr(self, name), dt))

    @property
    def n_instructions(self) -> int:
        return len(self.code)

    @property
    def n_events(self) -> int:
        return len(self.event_names)

    def instruction_queue(self) -> np.ndarray:
        """int32 per instruction: the queue it belongs to."""
        return np.repeat(np.arange(len(self.queues), dtype=np.int32), np.diff(self.ptr))

    def barriers_before(self) -> np.ndarray:
        """int64 per instruction: the barriers before it on its queue; for any instruction
        but a barrier, the ordinal of the kernel it belongs to."""
        isb = (self.code == BARRIER).astype(np.int64)
        if len(isb) == 0:
            return isb
        csum = np.cumsum(isb)
        start = self.ptr[self.instruction_queue()]
        return csum - isb - (csum[start] - isb[start])

    def previous_exec(self) -> np.ndarray:
        """int64 per instruction: the last exec at or before it on its queue (-1: none)."""
        idx = np.arange(len(self.code), dtype=np.int64)
        if len(idx) == 0:
            return idx
        last = np.maximum.accumulate(np.where(self.code == EXEC, idx, -1))
        return np.where(last >= self.ptr[self.instruction_queue()], last, -1)

    def exec_index(self, n: int) -> np.ndarray:
        """int64 per task of an n-task graph: the instruction executing it (-1: none)."""
        return self._by_task(n, np.arange(len(self.code), dtype=np.int64), -1)

    def exec_queue(self, n: int) -> np.ndarray:
        """int64 per task of an n-task graph: the queue executing it (-1: none)."""
        return self._by_task(n, self.instruction_queue(), -1)

    def exec_kernel(self, n: int) -> np.ndarray:
        """int64 per task of an n-task graph: the ordinal of the kernel executing it (the
        barriers before its exec on its queue; 0 if never executed)."""
        return self._by_task(n, self.barriers_before(), 0)

    def _by_task(self, n: int, per_instruction: np.ndarray, fill: int) -> np.ndarray:
        """Per task, the value of the instruction executing it (of the last, if several)."""
        ex = np.flatnonzero(self.code == EXEC)
        out = np.full(n, fill, np.int64)
        out[self.arg[ex]] = per_instruction[ex]
        return out

    def signals_per_event(self) -> np.ndarray:
        """int64 per event: how many signals the plan gives it."""
        return np.bincount(self.arg[self.code == SIGNAL], minlength=self.n_events)

    def stream(self, q: int) -> list[tuple[str, int, int]]:
        """Queue q's instructions as (op, arg, count) tuples (for tests and small plans)."""
        s, e = self.ptr[q], self.ptr[q + 1]
        return [(OPS[c], int(a), int(k)) for c, a, k in
                zip(self.code[s:e], self.arg[s:e], self.count[s:e])]

    def flags_needed(self) -> int:
        """Most flags any device uses (events sharing a flag count once)."""
        if self.n_events == 0:
            return 0
        key = self.event_device.astype(np.int64) * (int(self.event_flag.max()) + 1) + self.event_flag
        dev = self.event_device[np.unique(key, return_index=True)[1]]
        return int(np.bincount(dev).max())
