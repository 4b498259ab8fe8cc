"""What every op kind shares: the routed layer, tensors, tile grids and their work.

Data layout (DESIGN §4). Two row spaces, each a single global row numbering:

- token space: device d's tokens are rows d*tokens .. (d+1)*tokens-1 (the layer input,
  and what `combine`, `matmul` and token-side `quantize` produce);
- expert space: expert e's received rows are one contiguous range, experts in id order;
  inside it the rows are ordered by source device, then by token. Expert e lives on device
  e // (experts / devices).

An op's tiles form a grid: row blocks (a contiguous range of global rows that never
crosses an expert or a device) times column blocks of a fixed width (the last one may be
narrower). Tile (i, j) is task `first + i * n_col + j`. `dispatch` reads token rows
through the routing map (expert row -> token row) and `combine` writes through it;
every other op reads and writes rows of its own space.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from hpdsl.spec import Op, TileRule

EXPERT, TOKEN = "expert", "token"


@dataclass(frozen=True, eq=False)
class Layer:
    """A workload's shape after routing; the arrays every op kind reads."""

    devices: int
    tokens: int                    # per device
    hidden: int
    experts: int
    topk: int
    dtype_bytes: int
    counts: np.ndarray             # int64 (devices, experts): rows d sends to e
    choices: np.ndarray | None = None   # int32 (devices, tokens, topk), for the row map
    placement: str = "block"       # expert -> device (hpdsl.spec.PLACEMENTS)

    @cached_property
    def expert_rows(self) -> np.ndarray:
        return self.counts.sum(axis=0)

    @cached_property
    def expert_off(self) -> np.ndarray:
        """(experts + 1,): expert e's rows are expert_off[e] .. expert_off[e+1]-1."""
        off = np.zeros(self.experts + 1, dtype=np.int64)
        np.cumsum(self.expert_rows, out=off[1:])
        return off

    @cached_property
    def seg_off(self) -> np.ndarray:
        """(experts, devices): first global row that device d's tokens fill in expert e."""
        c = self.counts.T
        return self.expert_off[:-1, None] + np.cumsum(c, axis=1) - c

    @cached_property
    def expert_device(self) -> np.ndarray:
        """The device of every expert: the one rule of expert placement."""
        e = np.arange(self.experts, dtype=np.int64)
        if self.placement == "roundrobin":
            return e % self.devices
        return e // (self.experts // self.devices)

    @cached_property
    def token_of_row(self) -> np.ndarray:
        """Expert-space row -> token-space row (d * tokens + t) it came from."""
        e = self.choices.reshape(-1).astype(np.int64)
        tok = np.repeat(np.arange(self.devices * self.tokens, dtype=np.int64), self.topk)
        return tok[np.argsort(e, kind="stable")]   # stable: source device, then token

    @property
    def total_rows(self) -> int:
        return int(self.devices) * self.tokens * self.topk


@dataclass(frozen=True, eq=False)
class Tensor:
    """An op's output as its consumers see it: where its tiles' rows and columns are."""

    space: str                     # EXPERT or TOKEN
    width: int
    lo: np.ndarray                 # int64 per row block: first global row (sorted)
    hi: np.ndarray                 # one past the last row
    col_w: int
    n_col: int
    first: int = 0                 # task id of tile (0, 0)
    write_mapped: bool = False     # rows are written through the routing map (combine)
    op: str | None = None          # None: the layer's input tokens, written by no task
    layer: Layer | None = None     # the layer whose routing wrote it (None: the reader's)

    def element_bytes(self, reader: Layer) -> int:
        """Bytes per element of this tensor: its producer's dtype (the reader's if unknown)."""
        return (self.layer or reader).dtype_bytes

    @classmethod
    def layer_input(cls, layer: Layer) -> "Tensor":
        z = np.zeros(0, dtype=np.int64)
        return cls(TOKEN, layer.hidden, z, z, layer.hidden, 0, layer=layer)


@dataclass(frozen=True, eq=False)
class OpTiles:
    """One op's tiles: the grid geometry, what each tile reads, and its work.

    Per row block: lo/hi (global rows in `space`), device, expert (-1 in token space),
    row0 (first row inside its expert's or device's range), dst (-1 unless it sends).
    Per column block j: `read_cols[j]` is a tuple of (c0, c1) column ranges of the input.
    Per tile (row-major over the grid): flops, bytes_in, bytes_out, bytes_sent, and
    bytes_hbm, the cost model's estimate of its off-chip part (see `offchip`).
    """

    space: str
    lo: np.ndarray
    hi: np.ndarray
    device: np.ndarray
    expert: np.ndarray
    row0: np.ndarray
    dst: np.ndarray
    width: int                     # output width
    col_w: int
    read_cols: tuple[tuple[tuple[int, int], ...], ...]
    flops: np.ndarray
    bytes_in: np.ndarray
    bytes_out: np.ndarray
    bytes_sent: np.ndarray
    read_mapped: bool = False      # rows are read through the routing map (dispatch)
    write_mapped: bool = False
    bytes_hbm: np.ndarray | None = None     # None: 0 (all traffic reused in L2)

    @property
    def n_col(self) -> int:
        return len(self.read_cols)

    @property
    def n_tiles(self) -> int:
        return len(self.lo) * self.n_col

    def tensor(self, first: int, op: str, layer: Layer | None = None) -> Tensor:
        space = TOKEN if self.write_mapped else self.space
        return Tensor(space, self.width, self.lo, self.hi, self.col_w, self.n_col,
                      first, self.write_mapped, op, layer)


class OpKind:
    """Base of the op kinds. Subclasses set the class attributes and `tiles`."""

    name: str = ""
    capability: str = ""
    split: str = "tile"            # "chunk" (rows) or "tile" (rows x columns)
    needs_input: bool = True       # False: may read the layer's input tokens
    takes_n: bool = False          # has an output width `n N`
    spaces: tuple[str, ...] = (EXPERT, TOKEN)   # input spaces it accepts
    out_space: str | None = None   # space of its output; None: the same as its input's
    forwards_tokens: bool = False  # token-space readers of this op read its input instead
    has_weights: bool = False      # each tile multiplies a K x cols block of weights
    accumulates: bool = False      # its writes add into what is there (read-modify-write)
    computes: bool = True          # its tiles have flops (False: a plain copy, no rate needed)

    def out_width(self, op: Op, inp: Tensor) -> int:
        return inp.width

    def count(self, layer: Layer, rule: TileRule, op: Op, inp: Tensor) -> int:
        """Number of tiles, in closed form from the routed row counts (no arrays built)."""
        raise NotImplementedError

    def tiles(self, layer: Layer, rule: TileRule, op: Op, inp: Tensor) -> OpTiles:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"OpKind({self.name!r}, capability={self.capability!r})"


def offchip(inp: Tensor, once_in, weights=0.0) -> np.ndarray:
    """bytes_hbm per tile: the cost model's *estimate* of a tile's off-chip traffic, the
    compulsory traffic when everything else is reused in L2 (what schedulers predict
    with; the emulator charges what the plan's order earns, `hpdsl.emulator.cache`).

    `once_in`: the tile's share of its input when every input byte is read from off chip
    once (amortized over the tiles that read it again); `weights`: its share of the
    weights, read once per expert (or device). Only the layer's input (`inp.op is None`)
    and weights count: intermediates are assumed to stay in L2.

    >>> t = Tensor.layer_input(Layer(1, 4, 8, 1, 1, 2, np.ones((1, 1), np.int64)))
    >>> offchip(t, np.array([100.0]), np.array([5.0]))
    array([105.])
    """
    once_in = np.asarray(once_in, dtype=np.float64)
    return weights + (once_in if inp.op is None else 0.0 * once_in)


def ceil_div(a, b):
    return -(-a // b)


def chunk_segments(seg_lo: np.ndarray, seg_len: np.ndarray, size: int):
    """Split segments into pieces of at most `size` rows: (segment index, lo, hi) arrays.

    >>> s, lo, hi = chunk_segments(np.array([0, 5]), np.array([5, 2]), 2)
    >>> s.tolist(), lo.tolist(), hi.tolist()
    ([0, 0, 0, 1], [0, 2, 4, 5], [2, 4, 5, 7])
    """
    seg_lo = np.asarray(seg_lo, dtype=np.int64).ravel()
    seg_len = np.asarray(seg_len, dtype=np.int64).ravel()
    nb = ceil_div(seg_len, size)
    seg = np.repeat(np.arange(len(seg_len), dtype=np.int64), nb)
    k = np.arange(int(nb.sum()), dtype=np.int64) - np.repeat(np.cumsum(nb) - nb, nb)
    lo = seg_lo[seg] + k * size
    hi = np.minimum(lo + size, seg_lo[seg] + seg_len[seg])
    return seg, lo, hi


def row_segments(layer: Layer, space: str):
    """(seg_lo, seg_len, device, expert) of the row ranges tiles must not cross."""
    if space == EXPERT:
        e = np.arange(layer.experts, dtype=np.int64)
        return layer.expert_off[:-1], layer.expert_rows, layer.expert_device, e
    d = np.arange(layer.devices, dtype=np.int64)
    return d * layer.tokens, np.full(layer.devices, layer.tokens, dtype=np.int64), d, -np.ones_like(d)


def col_blocks(width: int, w: int) -> int:
    return ceil_div(width, w)


def tile_grid(layer: Layer, space: str, rows: int, width: int, w: int):
    """Row blocks of `rows` rows inside every expert (or device) range, and the column count.

    Returns (lo, hi, device, expert, row0, n_col).
    """
    seg_lo, seg_len, dev, exp = row_segments(layer, space)
    seg, lo, hi = chunk_segments(seg_lo, seg_len, rows)
    return lo, hi, dev[seg], exp[seg], lo - seg_lo[seg], col_blocks(width, w)


def grid_count(layer: Layer, space: str, rows: int, width: int, w: int) -> int:
    _, seg_len, _, _ = row_segments(layer, space)
    return int(ceil_div(seg_len, rows).sum()) * col_blocks(width, w)


def send_segments(layer: Layer):
    """(expert, source device, seg_lo, seg_len) of every (expert, source) pair, expert-major."""
    e, d = np.divmod(np.arange(layer.experts * layer.devices, dtype=np.int64), layer.devices)
    return e, d, layer.seg_off.ravel(), layer.counts.T.ravel()


def tile_shape(lo: np.ndarray, hi: np.ndarray, width: int, w: int):
    """Per tile of the grid (row-major): (rows, cols) as float arrays, for work formulas."""
    c0 = np.arange(col_blocks(width, w), dtype=np.int64) * w
    rows = np.repeat(hi - lo, len(c0)).astype(np.float64)
    cols = np.tile(np.minimum(w, width - c0), len(lo)).astype(np.float64)
    return rows, cols


class ChunkKind(OpKind):
    """A `send` op moving rows between tokens' and experts' devices in chunks of at most
    `chunk` rows of one (source device, expert) pair: dispatch and combine, mirrored."""

    capability = "send"
    split = "chunk"
    to_experts = True          # dispatch: token device -> expert device; combine: back
    flops_per_element = 0.0    # combine sums the landing rows into the tokens

    def count(self, layer: Layer, rule, op, inp: Tensor) -> int:
        return int(ceil_div(layer.counts, rule.chunk).sum())

    def read_share_of(self, layer: Layer) -> float:
        """Fraction of a chunk's payload it is the compulsory (off-chip) reader of."""
        return 1.0

    def chunks(self, layer: Layer, rule, inp: Tensor, **extra) -> OpTiles:
        e, d, seg_lo, seg_len = send_segments(layer)
        seg, lo, hi = chunk_segments(seg_lo, seg_len, rule.chunk)
        expert = e[seg]
        elems = ((hi - lo) * inp.width).astype(np.float64)
        read = elems * inp.element_bytes(layer)          # at its input's dtype
        payload = elems * layer.dtype_bytes              # sent at the op's own dtype
        src, dst = d[seg], layer.expert_device[expert]
        if not self.to_experts:
            src, dst = dst, src
        out = np.where(src == dst, payload, 0.0)    # a local put writes its own memory
        hbm = offchip(inp, read * self.read_share_of(layer))
        return OpTiles(
            space=EXPERT, lo=lo, hi=hi, device=src, expert=expert,
            row0=lo - layer.expert_off[expert], dst=dst,
            width=inp.width, col_w=inp.width, read_cols=(((0, inp.width),),),
            flops=elems * self.flops_per_element, bytes_in=read, bytes_out=out,
            bytes_sent=payload, bytes_hbm=hbm, **extra)
