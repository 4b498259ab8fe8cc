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


# Workload fields an op's output width may name (`n hidden`, `n 2 * expert_ffn`).
WIDTH_FIELDS = ("hidden", "expert_ffn")
# Expert placements: `block` (contiguous: expert e on device e // (experts / devices)) and
# `roundrobin` (expert e on device e % devices, for experts not divisible by devices).
PLACEMENTS = ("block", "roundrobin")


@dataclass(frozen=True, slots=True)
class Queue:
    name: str
    does: tuple[str, ...]          # capabilities (matmul, vector, send, ...) or (ANY,)
    rate: float | None = None      # FLOP/s (per core instance) for any dtype; None: see rates
    loc: Loc | None = None
    # per-dtype rates (`rate 15.16 TFLOPS bf16, 30.3 TOPS int8`), op/s per core instance
    rates: tuple[tuple[str, float], ...] = ()

    def can(self, capability: str) -> bool:
        return ANY in self.does or capability in self.does

    def rate_for(self, dtype: str) -> float | None:
        """The queue's rate for work in `dtype`: its own for that dtype, else the plain
        `rate` (None: no rate, its tasks' compute costs no time)."""
        return dict(self.rates).get(dtype, self.rate)

    @property
    def has_rate(self) -> bool:
        return self.rate is not None or bool(self.rates)


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
    n: int | None = None           # output width, where the kind takes one (resolved)
    loc: Loc | None = None
    # `n FACTOR * FIELD` / `n FIELD`: the width follows a workload field (WIDTH_FIELDS), so
    # `--set` of the field moves it (`Workload.with_settings`); None: `n` as written
    n_field: str | None = None
    n_factor: int = 1
    input2: str | None = None      # combine's second input (a shared expert), summed per token
    dtype: str | None = None       # the op's own dtype; None: the workload's

    def width_text(self) -> str:
        """The width as written: '1024', 'hidden', '2 * expert_ffn'."""
        if self.n_field is None:
            return str(self.n)
        return self.n_field if self.n_factor == 1 else f"{self.n_factor} * {self.n_field}"


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
    layers: int = 1                # the op chain repeats this many times (`layers N`)
    placement: str = "block"       # how experts map to devices (PLACEMENTS)
    # settings given by `--set` (key, value as typed), so messages can name where they came from
    from_set: tuple[tuple[str, str], ...] = ()

    def op(self, name: str) -> Op:
        for o in self.ops:
            if o.name == name:
                return o
        raise KeyError(name)

    def op_dtype(self, op: Op) -> str:
        return op.dtype or self.dtype

    def with_settings(self, **changes) -> "Workload":
        """A copy with some settings replaced (`--set devices=64`); widths that follow a
        field (`n 2 * expert_ffn`) follow it."""
        return replace(self, **changes).with_widths()

    def with_widths(self) -> "Workload":
        """A copy whose ops' widths are derived again from the fields they name (an
        unknown field leaves `n` None, which the language reports)."""
        ops = tuple(op if op.n_field is None else
                    replace(op, n=(op.n_factor * getattr(self, op.n_field)
                                   if op.n_field in WIDTH_FIELDS else None))
                    for op in self.ops)
        return self if ops == self.ops else replace(self, ops=ops)

    def set_by(self, key: str) -> str:
        """' (from --set KEY=VALUE)' when `key` came from the command line, else ''."""
        given = dict(self.from_set)
        return f" (from --set {key}={given[key]})" if key in given else ""


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
    # located warnings of a spec without errors (`hpdsl.lang.check.warnings`)
    warnings: tuple = ()

    def targets(self) -> tuple[str, ...]:
        """Names a command can run: every tiling and every graph."""
        return tuple(t.name for t in self.tilings) + tuple(g.name for g in self.graphs)
