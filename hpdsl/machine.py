"""Workers: the instances a schedule places tasks on.

A worker is one queue of one core instance on one device: `core AIC count 24` with one
queue gives 24 workers per device; a core type with two queues gives two workers per
instance, which run in parallel (as a core's pipes do). Worker ids are dense ints, in the
order device, core type (declaration order), instance, queue.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hpdsl.errors import UserError
from hpdsl.spec import Hardware

# Workers are Python objects (~300 bytes each) and schedulers loop over them: 4096
# A3-like dies (72 workers each) fit; `core X count 100000` on 64 devices does not.
MAX_WORKERS = 1 << 19


def worker_count(hardware: Hardware, devices: int) -> int:
    """How many workers `devices` copies of `hardware` have (one per queue of each core)."""
    return devices * sum(c.count * len(c.queues) for c in hardware.cores)


def check_workers(hardware: Hardware, devices: int) -> None:
    """UserError when the machine would have more than MAX_WORKERS workers (before any
    worker is built)."""
    n = worker_count(hardware, devices)
    if n > MAX_WORKERS:
        per = ", ".join(f"{c.count:,} {c.name} x {len(c.queues)} queue(s)" for c in hardware.cores)
        raise UserError(f"hardware '{hardware.name}' on {devices:,} device(s) has {n:,} workers "
                        f"({per} per device), more than the {MAX_WORKERS:,} hpdsl builds",
                        hardware.loc)


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
        check_workers(hardware, devices)
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
