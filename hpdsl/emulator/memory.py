"""The memory models: how long a task runs and what it claims when it starts, and what
its end changes.

The interpreter calls a model at two points only: `starts(i)` when exec instruction i
begins — it returns the task's work (uncontended ns) and the `Claim` it makes on `Fluid`
(None: it shares nothing) — and `ends(i)` when it ends. Reads take effect at a task's
start and writes at its end. Traffic a cache makes on its own (write-backs) collects in
`back` (device -> bytes: what may start now, non-empty only then) until the interpreter
takes it (`background`) and runs it as a flow of its own on the device's HBM.

- `Cached` (graphs that name their data blocks, on hardware with memory): each device's
  L2 is an LRU cache of blocks (`cache.py`); a task's HBM traffic is what misses, and its
  time is its cost-model time with that traffic in place of the estimate
  (`hpdsl.cost.cached_times`). Without a cache (or with L2 turned off) nothing hits.
- `Fixed`: hand-built graphs without data blocks, or hardware without memory: every
  task takes its cost-model time and claims all its bytes (nothing is known to be reused).
- `Unshared`: no bandwidth is shared: every task takes its cost-model time.
"""
from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from hpdsl.cost import cached_times, task_overhead_ns
from hpdsl.emulator.cache import L2Cache
from hpdsl.emulator.demand import Claim, Claims, Flow, port_bytes, remote_bytes
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.ops import KINDS
from hpdsl.plan import Plan


class MemoryModel(Protocol):
    back: dict[int, float]
    timed: bool

    def starts(self, i: int) -> tuple[int, Claim | None]: ...

    def ends(self, i: int) -> None: ...

    def background(self) -> list[tuple[int, int, Claim]]: ...

    def background_done(self, device: int) -> None: ...

    def traffic(self, ops: tuple[str, ...]) -> dict[str, dict[str, int]]: ...


class Unshared:
    """No bandwidth is shared: every task takes its cost-model time."""

    __slots__ = ("dur", "back")
    timed = False      # the run needs time order (the uncontended interpreter has none)

    def __init__(self, dur: list[int]):
        self.dur, self.back = dur, {}

    def starts(self, i: int) -> tuple[int, Claim | None]:
        return self.dur[i], None

    def ends(self, i: int) -> None:
        pass

    def background(self) -> list[tuple[int, int, Claim]]:
        return []

    def background_done(self, device: int) -> None:
        pass

    def traffic(self, ops: tuple[str, ...]) -> dict[str, dict[str, int]]:
        """No data blocks are tracked: no traffic to report."""
        return {}


class Fixed(Unshared):
    """Every task claims what its `Flow` says, at its cost-model time."""

    __slots__ = ("flows",)
    timed = True

    def __init__(self, dur: list[int], flows: list[Flow | None]):
        super().__init__(dur)
        self.flows = flows

    def starts(self, i: int) -> tuple[int, Claim | None]:
        f = self.flows[i]
        return self.dur[i], None if f is None else f.claim


class Cached:
    """The L2 cache model decides each task's HBM traffic, hence its time and claim."""

    __slots__ = ("cache", "claims", "task", "dev", "dst", "base", "share", "over", "l2",
                 "link", "port", "back", "hbm_rate", "busy", "hits", "fresh", "held")
    timed = True       # what hits depends on what ran before

    def __init__(self, graph: TaskGraph, machine: Machine, plan: Plan, ex: np.ndarray,
                 claims: Claims | None, l2: bool):
        hw = machine.hardware
        n = len(plan.code)
        t = plan.arg[ex]
        core = machine.worker_core[plan.instruction_queue()[ex]]
        base, share = cached_times(graph, machine)
        kinds = graph.op_kinds + ("",) * (len(graph.ops) - len(graph.op_kinds))
        acc = np.array([getattr(KINDS.get(k), "accumulates", False) for k in kinds], bool)
        size = hw.cache.size if (hw.cache is not None and l2) else 0
        self.cache = L2Cache(graph.data, graph.op, acc[graph.op], machine.devices, size)
        self.claims = claims
        self.task = self._spread(n, ex, t, 0)       # per instruction; the rest per task
        nt = graph.n_tasks
        self.dev, self.dst = graph.device.tolist(), graph.dst.tolist()
        self.base = self._spread(nt, t, base[t, core], 0.0)
        self.share = self._spread(nt, t, share[core] / 1e9, 1.0)      # bytes per ns
        self.over = task_overhead_ns(hw)
        nbytes = graph.bytes_in[t] + graph.bytes_out[t]
        self.l2 = self._spread(nt, t, nbytes if hw.cache is not None else 0 * nbytes, 0.0)
        self.link = self._spread(nt, t, remote_bytes(graph, machine, t), 0.0)
        self.port = self._spread(nt, t, port_bytes(graph, machine, t), 0.0)
        # device -> L2 traffic not yet running: `fresh` what the cache just made, `back`
        # what may start now, `held` what waits for the device's running flow (so `back`
        # is empty whenever nothing can start: the interpreter asks after every change)
        self.fresh: dict[int, int] = {}
        self.back: dict[int, int] = {}
        self.held: dict[int, int] = {}
        self.busy: set[int] = set()          # devices whose L2 traffic runs now
        self.hbm_rate = hw.memory.bandwidth / 1e9
        self.hits: dict[tuple, Claim | None] = {}   # the claims of tasks that miss nothing

    @staticmethod
    def _spread(n: int, at: np.ndarray, values, fill) -> list:
        """A list of n: `values` at the indices `at`, `fill` elsewhere."""
        out = np.full(n, fill, dtype=np.asarray(values).dtype if len(at) else type(fill))
        out[at] = values
        return out.tolist()

    def starts(self, i: int) -> tuple[int, Claim | None]:
        k = self.task[i]
        d = self.dev[k]
        miss = self.cache.start(k, d, self.fresh)
        if self.fresh:
            self._sort()
        work = self.base[k]
        if miss:
            hbm = miss / self.share[k] + self.over
            if hbm > work:
                work = hbm
        work = math.ceil(work)
        if self.claims is None:
            return work, None
        if not miss:            # most tasks: the same claim as every alike task that hits
            key = (d, self.dst[k], work, self.l2[k], self.link[k], self.port[k])
            c = self.hits.get(key, 0)
            if c == 0:
                w = max(work, 1)
                c = self.hits[key] = self.claims.claim(d, key[1], key[3] / w, 0.0, key[4] / w,
                                                       key[5] / w)
            return work, c
        w = max(work, 1)
        return work, self.claims.claim(d, self.dst[k], self.l2[k] / w, miss / w,
                                       self.link[k] / w, self.port[k] / w)

    def ends(self, i: int) -> None:
        self.cache.end(self.task[i], self.fresh)
        if self.fresh:
            self._sort()

    def _sort(self) -> None:
        """Fresh L2 traffic joins what may start now, or what waits for a running flow (in
        the order the cache made it: the order flows start in)."""
        back, held, busy = self.back, self.held, self.busy
        for d, b in self.fresh.items():
            to = held if d in busy else back
            to[d] = to.get(d, 0) + b
        self.fresh.clear()

    def background(self) -> list[tuple[int, int, Claim]]:
        """(device, work ns, claim) of the L2's own traffic to start now: per device one
        flow at a time on its HBM, at up to the full bandwidth, taking all the traffic
        that has queued up (write-backs leave in order, as from a write buffer)."""
        if self.claims is None:
            self.back.clear()
            return []
        out = [(d, math.ceil(b / self.hbm_rate), self.claims.claim(d, -1, 0.0, self.hbm_rate, 0.0))
               for d, b in self.back.items()]
        self.busy.update(self.back)
        self.back.clear()
        return out

    def background_done(self, device: int) -> None:
        """The device's L2 traffic flow ended: what queued up meanwhile may start."""
        self.busy.discard(device)
        b = self.held.pop(device, 0)
        if b:
            self.back[device] = b

    def traffic(self, ops: tuple[str, ...]) -> dict[str, dict[str, int]]:
        return self.cache.by_op(ops)


def memory_model(graph: TaskGraph, machine: Machine, plan: Plan, ex: np.ndarray,
                 dur: list[int], claims: Claims | None, l2: bool, flows,
                 cache: bool = True) -> MemoryModel:
    """`Cached` where the graph names its data blocks, the hardware has memory and `cache`
    is on, else `Fixed` with `flows`, else `Unshared`."""
    if cache and graph.data is not None and machine.hardware.memory is not None:
        return Cached(graph, machine, plan, ex, claims, l2)
    if flows is not None:
        return Fixed(dur, flows)
    return Unshared(dur)

