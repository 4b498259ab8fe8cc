"""The per-task arrays of a tiling's `TaskGraph`: every op's tiles laid end to end, and
the dependency edges between them (`hpdsl.ops.overlap`)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from hpdsl import progress
from hpdsl.blocks import OpData, data_blocks
from hpdsl.graph import TaskGraph
from hpdsl.ops.base import Layer, Tensor
from hpdsl.ops.overlap import dependencies
from hpdsl.spec import Tiling
from hpdsl.units import DTYPE_BYTES

from .chain import Step, input_of, second_input

COLUMNS = ("op", "kind", "device", "flops", "bytes_in", "bytes_out", "bytes_sent", "dst",
           "expert", "row0", "rows", "col0", "cols", "bytes_hbm")


def build(t: Tiling, steps: list[Step], layers: list[Layer] | Layer, total: int,
          bar: progress.Counter | None = None) -> TaskGraph:
    """The graph of `steps` on the routed `layers` (one per repetition of the chain);
    `total` is the closed-form task count. `bar` advances once per op and once when the
    graph is assembled."""
    bar = bar or progress.Counter()
    layers = [layers] if isinstance(layers, Layer) else layers
    w = t.workload
    kinds: list[tuple[str, tuple[str, ...]]] = []
    tensors: dict[str, Tensor] = {}
    into: dict[str, Tensor] = {}     # combine -> the shared expert's output it sums in place
    cols: dict[str, list[np.ndarray]] = {k: [] for k in COLUMNS}
    src_e, dst_e = [], []
    data: list[OpData] = []
    first = 0
    sized: dict[tuple[int, int], Layer] = {}   # (layer, element bytes) -> its Layer
    for i, s in enumerate(steps):
        layer = layers[s.layer]
        inp = input_of(s, tensors, layer)
        # the op's own dtype sizes what it writes, sends and multiplies by (its weights)
        size = DTYPE_BYTES[w.op_dtype(s.op)]
        if (s.layer, size) not in sized:
            sized[s.layer, size] = (layer if size == layer.dtype_bytes else
                                    replace(layer, dtype_bytes=size))
        tiles = s.kind.tiles(sized[s.layer, size], s.rule, s.op, inp)
        key = (s.kind.capability, s.cores)
        if key not in kinds:
            kinds.append(key)
        _append(cols, tiles, i, kinds.index(key))
        # what each tile waits for: the tiles its data comes from; a combine summing a
        # shared expert in place also waits for the shared rows of its tokens, and readers
        # of that sum for both
        reads = [(tiles, inp)]
        if inp.op in into:
            reads.append((tiles, into[inp.op]))
        second = None if s.inp2_name is None else second_input(s, tensors)
        if second is not None:
            into[s.op.name] = second
            reads.append((replace(tiles, read_mapped=True), second))
        for cons, src in reads:
            s_, d_ = dependencies(cons, first, src, layer)
            src_e.append(s_)
            dst_e.append(d_)
        data.append(OpData(s.op.name, first, tiles, inp, s.kind.has_weights,
                           sized[s.layer, size], None if second is None else second.op))
        tensors[s.op.name] = tiles.tensor(first, s.op.name, sized[s.layer, size])
        if s.kind.forwards_tokens:
            tensors[f"<in>{s.op.name}"] = inp
        first += tiles.n_tiles
        bar.advance()
    assert first == total, (first, total)   # the closed-form count is the real count
    arrays = {k: np.concatenate(v) for k, v in cols.items()}
    graph = TaskGraph.build(
        name=t.name, hardware=w.hardware, devices=w.devices,
        ops=tuple(s.op.name for s in steps), kinds=tuple(k for k, _ in kinds),
        cores=tuple(c for _, c in kinds), src=np.concatenate(src_e), dst_edges=np.concatenate(dst_e),
        fixed_ns=None, op_kinds=tuple(s.kind.name for s in steps),
        op_dtypes=tuple(w.op_dtype(s.op) for s in steps),
        data=data_blocks(layers[0], data, total), **arrays)
    bar.advance()
    return graph


def _append(cols: dict[str, list[np.ndarray]], tiles, op: int, kind: int) -> None:
    """One op's tiles as rows of the task columns (row-major over its tile grid)."""
    n, nc = tiles.n_tiles, tiles.n_col
    rep = lambda a: np.repeat(a, nc)
    c0 = np.arange(nc, dtype=np.int64) * tiles.col_w
    cols["op"].append(np.full(n, op, dtype=np.int32))
    cols["kind"].append(np.full(n, kind, dtype=np.int16))
    cols["device"].append(rep(tiles.device))
    cols["expert"].append(rep(tiles.expert))
    cols["row0"].append(rep(tiles.row0))
    cols["rows"].append(rep(tiles.hi - tiles.lo))
    cols["col0"].append(np.tile(c0, len(tiles.lo)))
    cols["cols"].append(np.tile(np.minimum(tiles.col_w, tiles.width - c0), len(tiles.lo)))
    cols["dst"].append(rep(tiles.dst))
    for k in ("flops", "bytes_in", "bytes_out", "bytes_sent"):
        cols[k].append(getattr(tiles, k))
    # an op kind that does not say: nothing compulsory
    cols["bytes_hbm"].append(np.zeros(n) if tiles.bytes_hbm is None else tiles.bytes_hbm)
