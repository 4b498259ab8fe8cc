"""The checked, unit-normalized description of hardware, workloads, tilings and graphs.

`Spec` is what `hpdsl.lang` produces and every later stage reads. All values are frozen;
sequences are tuples; everything from user text carries a `loc`.
Units: time in integer ns, sizes in bytes, rates in FLOP/s, bandwidths in bytes/s.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from hpdsl.errors import Loc

ANY = "*"  # the capability of a queue declared by a body-less `core`: it does anything
# Elements of contraction depth in the K-slice a matmul tile holds beside its output block:
# HyperParallel-MoE's GMM tiling string on the A3 (baseM 128, baseN 256, baseK 64).
DEFAULT_K_SLICE = 64


class _Located:
    """Items with `locs`, where each of their one-line statements was written."""

    __slots__ = ()

    def loc_of(self, statement: str) -> Loc | None:
        """Where `statement` was written, or the item's own location."""
        return dict(self.locs).get(statement, self.loc)


@dataclass(frozen=True, slots=True)
class Queue:
    name: str
    does: tuple[str, ...]          # capabilities (matmul, vector, send, ...) or (ANY,)
    rate: float | None = None      # FLOP/s; None: the queue's tasks have fixed times only
    loc: Loc | None = None

    def can(self, capability: str) -> bool:
        return ANY in self.does or capability in self.does


@dataclass(frozen=True, slots=True)
class Buffer:
    name: str
    size: int                      # bytes
    loc: Loc | None = None


@dataclass(frozen=True, slots=True)
class CoreType(_Located):
    name: str
    count: int
    queues: tuple[Queue, ...]
    buffers: tuple[Buffer, ...] = ()
    loc: Loc | None = None
    # contraction depth, in elements, of the operands' K-slice a matmul tile on this core
    # type holds in its buffer beside the output block (`k_slice N` in the core's body)
    k_slice: int = DEFAULT_K_SLICE
    locs: tuple[tuple[str, Loc], ...] = ()     # where its one-line statements were written

    def can(self, capability: str) -> bool:
        """True if some queue of this core type does `capability` (or the task names this type)."""
        return capability == self.name or any(q.can(capability) for q in self.queues)

    def queue_for(self, capability: str) -> Queue:
        for q in self.queues:
            if q.can(capability) or capability == self.name:
                return q
        raise KeyError(capability)


@dataclass(frozen=True, slots=True)
class Memory:
    """`memory` (HBM) or `cache` (L2): capacity and bandwidth shared by the whole device."""

    name: str
    size: int                      # bytes
    bandwidth: float               # bytes/s
    loc: Loc | None = None


# Where a link runs (`link ... scope S`): between the dies of one package, or from a die
# to the fabric beyond its package (every other device). A link without a scope is the
# latter, which is what one `link` always meant: every send to another device uses it.
PACKAGE, FABRIC = "package", "fabric"
SCOPES = (PACKAGE, FABRIC)


@dataclass(frozen=True, slots=True)
class Link:
    name: str
    bandwidth: float               # bytes/s per direction per device
    latency: int                   # ns
    loc: Loc | None = None
    scope: str = FABRIC


@dataclass(frozen=True, slots=True)
class Fabric:
    """The switched network beyond the dies' fabric links (`fabric NAME bandwidth B
    per_peer T`): each die's share of it per direction, and the time a collective spends
    per peer it reaches through it (docs/language.md#topology)."""

    name: str
    bandwidth: float               # bytes/s per direction per device
    per_peer: int                  # ns per (op, peer) pair, on the port of each end
    loc: Loc | None = None


@dataclass(frozen=True, slots=True)
class Hardware(_Located):
    name: str
    cores: tuple[CoreType, ...]
    clock: float | None = None     # Hz
    memory: Memory | None = None
    cache: Memory | None = None
    link: Link | None = None       # the link to the fabric (scope fabric, or the only link)
    sync_flags: int = 1024        # event counters per device; HyperParallel-MoE's software
                                   # MAX_EVENT_NUM (its runtime config), not a hardware limit
    sync_latency: int = 0          # ns, signal-to-wakeup
    launch: int = 0                # ns per kernel launch incl. host synchronization
    loc: Loc | None = None
    # where the one-line statements were written (clock, sync, launch, package)
    locs: tuple[tuple[str, Loc], ...] = ()
    package_link: Link | None = None   # between the dies of one package (scope package)
    package_dies: int = 1          # dies per package: devices d and e share one when
                                   # d // package_dies == e // package_dies
    fabric: Fabric | None = None

    def core(self, name: str) -> CoreType:
        for c in self.cores:
            if c.name == name:
                return c
        raise KeyError(name)

    def cores_for(self, capability: str) -> tuple[CoreType, ...]:
        return tuple(c for c in self.cores if c.can(capability))


@dataclass(frozen=True, slots=True)
class Routing:
    kind: str                      # balanced | zipf | grouped
    param: float = 0.0             # zipf exponent S, or group count G
    seed: int = 0
    loc: Loc | None = None


@dataclass(frozen=True, slots=True)
class Op:
    name: str
    kind: str                      # dispatch | grouped_matmul | swiglu | combine | ...
    input: str | None = None       # the op it reads; None for the first op (dispatch)
    n: int | None = None           # output width, where the kind takes one
    loc: Loc | None = None


@dataclass(frozen=True, slots=True)
class Workload(_Located):
    name: str
    hardware: Hardware
    devices: int
    tokens: int                    # per device
    hidden: int
    experts: int
    topk: int
    expert_ffn: int
    dtype: str
    dtype_bytes: int
    routing: Routing
    ops: tuple[Op, ...]
    loc: Loc | None = None
    # where each setting was written (devices, tokens, hidden, experts, topk, expert_ffn,
    # dtype), so a check can point at the line rather than the whole workload
    locs: tuple[tuple[str, Loc], ...] = ()

    def op(self, name: str) -> Op:
        for o in self.ops:
            if o.name == name:
                return o
        raise KeyError(name)

    def with_settings(self, **changes) -> "Workload":
        """A copy with some settings replaced (`--set devices=64`)."""
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class TileRule:
    op: str
    chunk: int | None = None       # rows per chunk (dispatch, combine)
    tile: tuple[int, int] | None = None   # rows x columns (matmul, vector ops)
    core: str | None = None        # optional core type the tiles are pinned to
    loc: Loc | None = None


@dataclass(frozen=True, slots=True)
class Tiling:
    name: str
    workload: Workload
    rules: tuple[TileRule, ...]
    loc: Loc | None = None

    def rule(self, op: str) -> TileRule:
        for r in self.rules:
            if r.op == op:
                return r
        raise KeyError(op)


@dataclass(frozen=True, slots=True)
class Task:
    name: str
    core: str
    time: int                      # ns
    after: tuple[str, ...] = ()
    loc: Loc | None = None


@dataclass(frozen=True, slots=True)
class Graph:
    name: str
    hardware: Hardware
    tasks: tuple[Task, ...]
    loc: Loc | None = None


@dataclass(frozen=True, slots=True)
class Spec:
    hardware: tuple[Hardware, ...] = ()
    workloads: tuple[Workload, ...] = ()
    tilings: tuple[Tiling, ...] = ()
    graphs: tuple[Graph, ...] = ()
    files: tuple[str, ...] = field(default=())

    def targets(self) -> tuple[str, ...]:
        """Names a command can run: every tiling and every graph."""
        return tuple(t.name for t in self.tilings) + tuple(g.name for g in self.graphs)
