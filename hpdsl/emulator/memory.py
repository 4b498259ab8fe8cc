"""The memory model: which claim a task makes on the shared resources when it starts, and
what its end changes.

The interpreter calls a model at two points only: `starts(i)` when exec instruction i
begins (the `Claim` it makes on `Fluid`, or None when it moves no data) and `ends(i)`
when it ends. Reads take effect at a task's start and writes at its end, so a model that
tracks what is on chip decides a task's off-chip demand at `starts` from the state the
earlier ends left.

`Live` is the present model (docs/emulator.md, "L2 spills"): per device, the bytes of live
intermediate data (outputs of finished tasks with unfinished consumers); a task starts
in the `fit` state of its `Flow` while its device's live data fits in L2, else in the
`spill` state. `Fixed` puts every task in one state, `Unshared` claims nothing.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from hpdsl.emulator.demand import Claim, Flow
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine


class MemoryModel(Protocol):
    def starts(self, i: int) -> Claim | None: ...

    def ends(self, i: int) -> None: ...


class Unshared:
    """No bandwidth is shared: every task takes its cost-model time."""

    __slots__ = ()

    def starts(self, i: int) -> Claim | None:
        return None

    def ends(self, i: int) -> None:
        pass


class Fixed:
    """Every task in the one L2 state the options or the hardware leave (no cache, no
    memory level, or L2 reuse turned off)."""

    __slots__ = ("flows", "spilled")

    def __init__(self, flows: list[Flow | None], spilled: bool):
        self.flows, self.spilled = flows, spilled

    def starts(self, i: int) -> Claim | None:
        f = self.flows[i]
        if f is None:
            return None
        return f.spill if self.spilled else f.fit

    def ends(self, i: int) -> None:
        pass


class Live:
    """A device's live intermediate data decides its tasks' L2 state (module docstring).
    A send's payload lives on the device it is sent to."""

    __slots__ = ("flows", "task", "bytes", "size", "out_dev", "out_bytes", "consumers",
                 "pred_ptr", "pred")

    def __init__(self, graph: TaskGraph, machine: Machine, flows: list[Flow | None],
                 task: list[int]):
        self.flows, self.task = flows, task          # task: per instruction, its argument
        self.bytes = [0.0] * machine.devices
        self.size = machine.hardware.cache.size
        send = graph.dst >= 0
        self.out_dev = np.where(send, graph.dst, graph.device).tolist()
        self.out_bytes = np.where(send, graph.bytes_sent, graph.bytes_out).tolist()
        self.consumers = np.diff(graph.succ_ptr).tolist()     # unfinished, per task
        self.pred_ptr, self.pred = graph.pred_ptr.tolist(), graph.pred.tolist()

    def starts(self, i: int) -> Claim | None:
        f = self.flows[i]
        if f is None:
            return None
        return f.fit if self.bytes[f.device] <= self.size else f.spill

    def ends(self, i: int) -> None:
        """Task i's inputs whose last consumer it was die; its output lives while it has one."""
        task = self.task[i]
        live, cons, out_dev, out_bytes = self.bytes, self.consumers, self.out_dev, self.out_bytes
        for p in self.pred[self.pred_ptr[task]:self.pred_ptr[task + 1]]:
            cons[p] -= 1
            if cons[p] == 0:
                live[out_dev[p]] -= out_bytes[p]
        if cons[task] > 0:
            live[out_dev[task]] += out_bytes[task]


def memory_model(graph: TaskGraph, machine: Machine, flows: list[Flow | None] | None,
                 task: list[int], l2: bool) -> MemoryModel:
    """The model for a run: `Unshared` without flows, `Live` where the hardware has both
    memory levels and `l2` reuse is on, else `Fixed` (spilled only when there is a memory
    level and reuse is off)."""
    hw = machine.hardware
    if flows is None:
        return Unshared()
    if l2 and hw.memory is not None and hw.cache is not None:
        return Live(graph, machine, flows, task)
    return Fixed(flows, spilled=not l2 and hw.memory is not None)
