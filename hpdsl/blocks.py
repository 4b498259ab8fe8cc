"""Data blocks: the pieces of data each tile reads and writes, for the emulator's L2 model.

Two kinds of block (DESIGN §6):

- a *weight block* is the K x c slice of an expert's (or, for a dense `matmul`, a
  device's) weights that one column block of tiles multiplies: (op, expert or device,
  K range 0..K, columns c0..c0+c). Every row block of that expert reads the same block.
- an *activation block* is a rectangle of a tensor (the layer's input, or an op's
  output): (tensor, rows, columns). A tensor is cut at every row and column boundary of
  its producer's tiles and of its readers' tiles, so every tile reads and writes whole
  blocks; a tensor read or written through the routing map (the tokens a dispatch sends,
  the rows a combine sums into) is cut at every row, and rows that exactly the same tasks
  read and write are then one block (`hpdsl.block_merge`): its `rows` count them, from
  its first row, not always consecutive.

A block lives on one device: a weight block on its expert's (or its own) device, an
activation block where its rows are (expert rows on the expert's device, token rows on
the token's device). A send writes its payload into blocks of the receiving device.

Per task, `read`/`write` (CSR by `read_ptr`/`write_ptr`) list block ids in access order:
a tile reads its weight block, then its input blocks row by row; it writes its output
blocks row by row. Arrays all the way: the DeepSeek layer at 64 dies has about a million
tasks and ten million accesses.

    rows of `up`'s input (dispatch rows of one expert):   0 ... 85 | 86 ... 180 | 181 ...
    dispatch chunks (producer) cut at                     0        86           181
    up row blocks (reader) cut at                         0             128
    blocks                                                [0,86) [86,128) [128,181) [181,..)
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from hpdsl.block_merge import by_task as _csr
from hpdsl.block_merge import merge
from hpdsl.ops.base import EXPERT, TOKEN, Layer, OpTiles, Tensor

WEIGHT, ACTIVATION = 0, 1
INPUT = "(input)"      # the layer input's tensor name (no op is called that: not an identifier)


@dataclass(frozen=True, eq=False)
class OpData:
    """One op's tiles as the data blocks see them (built by the generator)."""

    name: str             # the op's name: its output tensor's and its weights' name
    first: int            # task id of tile (0, 0)
    tiles: OpTiles
    source: Tensor        # what its tiles read (`source.op`: the producer, None: layer input)
    weights: bool         # each tile also reads a K x cols weight block, K = source width
    layer: Layer | None = None    # its layer's routing (None: the one `data_blocks` is given)
    into: str | None = None       # a combine summing in place into this op's output


@dataclass(frozen=True, eq=False)
class DataBlocks:
    """Every block (arrays, one row per block) and every task's reads and writes.

    Per block: `kind` (WEIGHT or ACTIVATION), `tensor` (index into `tensors`: the op
    whose weights or output it is, or INPUT), `device` (where it lives), `bytes`,
    `expert` (a weight block's expert, -1 for a device's dense weights and for
    activations), `row0`/`rows` (activation rows in the tensor's row space; for weights
    the K range, 0 and K), `col0`/`cols`.
    """

    tensors: tuple[str, ...]
    kind: np.ndarray
    tensor: np.ndarray
    device: np.ndarray
    bytes: np.ndarray
    expert: np.ndarray
    row0: np.ndarray
    rows: np.ndarray
    col0: np.ndarray
    cols: np.ndarray
    read_ptr: np.ndarray
    read: np.ndarray
    write_ptr: np.ndarray
    write: np.ndarray

    def __post_init__(self):
        for k in ("kind", "tensor", "device", "bytes", "expert", "row0", "rows", "col0", "cols",
                  "read_ptr", "read", "write_ptr", "write"):
            getattr(self, k).setflags(write=False)

    @property
    def n_blocks(self) -> int:
        return len(self.kind)

    def reads(self, task: int) -> np.ndarray:
        return self.read[self.read_ptr[task]:self.read_ptr[task + 1]]

    def writes(self, task: int) -> np.ndarray:
        return self.write[self.write_ptr[task]:self.write_ptr[task + 1]]


@dataclass(frozen=True, eq=False)
class _Grid:
    """A tensor cut into blocks: row cuts (or every row), column cuts, first block id."""

    space: str
    rcut: np.ndarray
    ccut: np.ndarray
    base: int
    per_row: bool = False       # cut at every row: its rows may merge (`block_merge`)
    layer: Layer | None = None  # the routing of its producer's layer (expert rows, devices)

    @property
    def n(self) -> int:
        return (len(self.rcut) - 1) * (len(self.ccut) - 1)

    def row_index(self, rows: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.rcut, rows, side="right") - 1

    def col_blocks(self, ranges) -> np.ndarray:
        """Column block indices covering the (c0, c1) ranges, in column order."""
        out = [np.arange(np.searchsorted(self.ccut, c0, side="right") - 1,
                         np.searchsorted(self.ccut, c1, side="left")) for c0, c1 in ranges]
        return np.unique(np.concatenate(out)) if out else np.zeros(0, np.int64)


def _segments(layer: Layer, space: str) -> np.ndarray:
    """Row boundaries no block crosses: devices in token space, experts in expert space."""
    if space == TOKEN:
        return np.arange(layer.devices + 1, dtype=np.int64) * layer.tokens
    return layer.expert_off


def _rows_total(layer: Layer, space: str) -> int:
    return layer.devices * layer.tokens if space == TOKEN else layer.total_rows


def _col_ranges(tiles: OpTiles) -> list[tuple[int, int]]:
    """The column ranges of a producer's tile columns."""
    return [(c, min(c + tiles.col_w, tiles.width)) for c in range(0, tiles.width, tiles.col_w)]


def tensor_of(ops: list[OpData]):
    """The tensor an op name's output is: its own, or the one a combine sums into."""
    alias = {o.name: o.into for o in ops if o.into is not None}
    return lambda name: alias.get(name, name)


def _grids(ops: list[OpData]) -> dict[str | None, _Grid]:
    """The block grid of every tensor (key: producer op name, None for the layer input)."""
    spec: dict[str | None, dict] = {}
    key = tensor_of(ops)

    def entry(name, space, width, layer):
        return spec.setdefault(key(name), {"space": space, "width": width, "rows": [],
                                           "cols": [], "per_row": False, "layer": layer})

    for o in ops:
        src = entry(o.source.op, o.source.space, o.source.width, o.source.layer or o.layer)
        if o.tiles.read_mapped:
            src["per_row"] = True
        else:
            src["rows"] += [o.tiles.lo, o.tiles.hi]
        src["cols"] += [c for rng in o.tiles.read_cols for r in rng for c in r]
        out_space = TOKEN if o.tiles.write_mapped else o.tiles.space
        out = entry(o.name, out_space, o.tiles.width, o.layer)
        if o.tiles.write_mapped:
            out["per_row"] = True
        else:
            out["rows"] += [o.tiles.lo, o.tiles.hi]
        out["cols"] += [c for r in _col_ranges(o.tiles) for c in r]
    grids, base = {}, 0
    for name, s in spec.items():
        layer = s["layer"]
        total = _rows_total(layer, s["space"])
        if s["per_row"]:
            rcut = np.arange(total + 1, dtype=np.int64)
        else:
            rcut = np.unique(np.concatenate([_segments(layer, s["space"]), [0, total]] + s["rows"]))
        ccut = np.unique(np.r_[0, s["width"], np.array(s["cols"], np.int64)])
        grids[name] = _Grid(s["space"], rcut.astype(np.int64), ccut.astype(np.int64), base,
                            s["per_row"], layer)
        base += grids[name].n
    return grids


def _expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, value): for every i the values lo[i] .. hi[i]-1."""
    n = np.maximum(hi - lo, 0)
    owner = np.repeat(np.arange(len(n), dtype=np.int64), n)
    k = np.arange(int(n.sum()), dtype=np.int64) - np.repeat(np.cumsum(n) - n, n)
    return owner, np.repeat(lo, n) + k


def _row_blocks(grid: _Grid, tiles: OpTiles, mapped: bool, layer: Layer):
    """(row block b, grid row index) of every block row each row block touches, in order."""
    if mapped:
        b, row = _expand(tiles.lo, tiles.hi)
        return b, layer.token_of_row[row]     # per-row grid: the row index is the row
    return _expand(grid.row_index(tiles.lo), grid.row_index(tiles.hi - 1) + 1)


def _accesses(grid: _Grid, tiles: OpTiles, mapped: bool, layer: Layer, col_sets, first: int):
    """(task, block) pairs: tile (b, j) touches its rows' blocks in the columns col_sets[j]."""
    b, r = _row_blocks(grid, tiles, mapped, layer)
    nc = len(grid.ccut) - 1
    task, block = [], []
    for j, cs in enumerate(col_sets):
        task.append(np.repeat(first + b * tiles.n_col + j, len(cs)))
        block.append((grid.base + r[:, None] * nc + cs[None, :]).ravel())
    return task, block


def _weights(layer: Layer, o: OpData, base: int):
    """Weight blocks of `o` (bytes, device, expert, k, c0, cols) and each tile's block id."""
    t = o.tiles
    own = t.expert if t.space == EXPERT else t.device
    n_own = layer.experts if t.space == EXPERT else layer.devices
    c0 = np.arange(t.n_col, dtype=np.int64) * t.col_w
    cw = np.minimum(t.col_w, t.width - c0)
    owner = np.repeat(np.arange(n_own, dtype=np.int64), t.n_col)
    info = dict(bytes=np.tile(cw, n_own) * o.source.width * layer.dtype_bytes,
                device=(layer.expert_device[owner] if t.space == EXPERT else owner),
                expert=(owner if t.space == EXPERT else np.full(len(owner), -1, np.int64)),
                row0=np.zeros(len(owner), np.int64), rows=np.full(len(owner), o.source.width),
                col0=np.tile(c0, n_own), cols=np.tile(cw, n_own))
    tile_block = base + (np.repeat(own, t.n_col) * t.n_col + np.tile(np.arange(t.n_col), len(own)))
    return info, tile_block


def _activation_info(grid: _Grid) -> dict:
    layer = grid.layer
    nr, nc = len(grid.rcut) - 1, len(grid.ccut) - 1
    row0 = np.repeat(grid.rcut[:-1], nc)
    rows = np.repeat(np.diff(grid.rcut), nc)
    if grid.space == TOKEN:
        dev = row0 // layer.tokens
    else:
        dev = layer.expert_device[np.searchsorted(layer.expert_off, row0, side="right") - 1]
    cols = np.tile(np.diff(grid.ccut), nr)
    return dict(bytes=rows * cols * layer.dtype_bytes, device=dev,
                expert=np.full(nr * nc, -1, np.int64), row0=row0, rows=rows,
                col0=np.tile(grid.ccut[:-1], nr), cols=cols)


def data_blocks(layer: Layer, ops: list[OpData], n_tasks: int) -> DataBlocks:
    """The blocks of a generated chain and what each of its `n_tasks` tasks touches (an op
    without its own `layer` has `layer`'s routing)."""
    ops = [o if o.layer is not None else replace(o, layer=layer) for o in ops]
    grids, key = _grids(ops), tensor_of(ops)
    names = [INPUT if k is None else k for k in grids]
    parts = [dict(kind=np.full(g.n, ACTIVATION), tensor=np.full(g.n, i),
                  **_activation_info(g)) for i, g in enumerate(grids.values())]
    base = sum(g.n for g in grids.values())
    rt, rb, wt, wb = [], [], [], []
    for o in ops:
        t = o.tiles
        if o.weights:
            info, tile_block = _weights(o.layer, o, base)
            names.append(o.name)
            parts.append(dict(kind=np.full(len(info["bytes"]), WEIGHT),
                              tensor=np.full(len(info["bytes"]), len(names) - 1), **info))
            base += len(info["bytes"])
            rt.append(o.first + np.arange(t.n_tiles, dtype=np.int64))
            rb.append(tile_block)
        g = grids[key(o.source.op)]
        cols = [g.col_blocks(rng) for rng in t.read_cols]
        a, b = _accesses(g, t, t.read_mapped, o.layer, cols, o.first)
        rt += a
        rb += b
        g = grids[key(o.name)]
        cols = [g.col_blocks([r]) for r in _col_ranges(t)]
        a, b = _accesses(g, t, t.write_mapped, o.layer, cols, o.first)
        wt += a
        wb += b
    cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    mask = np.zeros(len(cat["kind"]), bool)
    for g in grids.values():
        mask[g.base:g.base + g.n] = g.per_row
    cat, read_ptr, read, write_ptr, write = merge(cat, mask, *_csr(n_tasks, rt, rb),
                                                  *_csr(n_tasks, wt, wb))
    return DataBlocks(tuple(names), cat["kind"].astype(np.int8), cat["tensor"].astype(np.int16),
                      cat["device"].astype(np.int32), cat["bytes"].astype(np.int64),
                      cat["expert"].astype(np.int32), cat["row0"].astype(np.int64),
                      cat["rows"].astype(np.int64), cat["col0"].astype(np.int64),
                      cat["cols"].astype(np.int64), read_ptr, read, write_ptr, write)


def compulsory(graph) -> dict[str, int]:
    """Per op name, the off-chip bytes no order avoids: every weight block and every block
    of the layer's input it reads, once ({} for a graph without data blocks)."""
    d = graph.data
    if d is None:
        return {}
    rt = np.repeat(np.arange(graph.n_tasks), np.diff(d.read_ptr))
    first = (d.kind == WEIGHT) | (d.tensor == d.tensors.index(INPUT) if INPUT in d.tensors
                                  else d.kind == WEIGHT)
    out = {}
    for k, name in enumerate(graph.ops):
        mine = np.unique(d.read[graph.op[rt] == k])
        out[name] = int(d.bytes[mine[first[mine]]].sum())
    return out
