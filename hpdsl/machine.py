"""Workers: the instances a schedule places tasks on.

A worker is one queue of one core instance on one device: `core AIC count 24` with one
queue gives 24 workers per device; a core type with two queues gives two workers per
instance, which run in parallel (as a core's pipes do). Worker ids are dense ints, in the
order device, core type (declaration order), instance, queue.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hpdsl.spec import Hardware


@dataclass(frozen=True, slots=True)
class Worker:
    id: int
    device: int
    core: str          # core type name
    core_index: int    # index of the core type in hardware.cores
    instance: int      # 0..count-1 within the device
    queue: str

    @property
    def name(self) -> str:
        """Queue name used in plans and traces, e.g. `d0.AIC3.cube`."""
        return f"d{self.device}.{self.core}{self.instance}.{self.queue}"


@dataclass(frozen=True, eq=False)
class Machine:
    hardware: Hardware
    devices: int
    workers: tuple[Worker, ...]
    worker_device: np.ndarray   # int32 per worker
    worker_core: np.ndarray     # int16 per worker: core type index

    @classmethod
    def of(cls, hardware: Hardware, devices: int = 1) -> "Machine":
        workers = []
        for d in range(devices):
            for ci, c in enumerate(hardware.cores):
                for i in range(c.count):
                    for q in c.queues:
                        workers.append(Worker(len(workers), d, c.name, ci, i, q.name))
        dev = np.array([w.device for w in workers], dtype=np.int32)
        core = np.array([w.core_index for w in workers], dtype=np.int16)
        dev.setflags(write=False)
        core.setflags(write=False)
        return cls(hardware, devices, tuple(workers), dev, core)

    @property
    def core_types(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.hardware.cores)

    def worker_by_name(self) -> dict[str, int]:
        return {w.name: w.id for w in self.workers}

    def can_run(self, worker: int, kind: str, cores: tuple[str, ...]) -> bool:
        """True if `worker`'s queue does capability `kind` and its core type is allowed."""
        w = self.workers[worker]
        c = self.hardware.cores[w.core_index]
        if c.name not in cores:
            return False
        q = next(q for q in c.queues if q.name == w.queue)
        return kind == c.name or q.can(kind)

    def eligible(self, kind: str, cores: tuple[str, ...], device: int) -> np.ndarray:
        """Worker ids on `device` that can run a task of capability `kind`."""
        return np.array([w.id for w in self.workers if w.device == device
                         and self.can_run(w.id, kind, cores)], dtype=np.int32)
