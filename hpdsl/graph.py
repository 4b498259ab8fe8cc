"""`TaskGraph`: tile tasks and their dependencies, stored as arrays.

One row per task in parallel numpy arrays and the edges in compressed sparse rows (CSR)
both ways, so a million-task graph costs tens of bytes per task and edge, not a Python
object each. `to_networkx()` is the analysis and interchange view for small graphs.

Work vs. time: workload tasks record work (flops, bytes) and the cost model turns it into
time on a core type; explicit `graph` tasks record a fixed time (`fixed_ns >= 0`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hpdsl.spec import Hardware


def _frozen(a: np.ndarray, dtype) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=dtype)
    a.setflags(write=False)
    return a


def csr(n: int, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ptr, idx): for node u, idx[ptr[u]:ptr[u+1]] are the dst of edges leaving u, sorted."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    key = src * max(n, 1) + dst
    if len(key) > 1 and not (key[1:] >= key[:-1]).all():
        key = np.sort(key)   # one int64 sort beats lexsort on two keys
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=ptr[1:])
    return ptr, (key % max(n, 1)).astype(np.int32)


@dataclass(frozen=True, eq=False)
class TaskGraph:
    """Tasks 0..n-1 with their attributes; edges u -> v mean v reads what u produced.

    Per-task arrays (length n): `op` (index into `ops`, the op names of the spec, or the
    graph's name for explicit graphs), `kind` (index into `kinds`: the capability needed,
    `matmul`/`vector`/`send`/..., or the core type named by an explicit task), `device`,
    `flops`, `bytes_in`, `bytes_out` (bytes read / written in device memory),
    `bytes_sent` and `dst` (a `send` task's payload and target device, else 0 / -1),
    `bytes_hbm` (the cost model's estimate of the off-chip part of bytes_in + bytes_out:
    weights once per expert, the layer's input once, amortized over the tiles that share
    them, intermediates in L2; see docs/cost-model.md; the emulator charges what the
    plan's order earns instead, from `data`),
    `fixed_ns` (-1 unless the time is given), `expert`, `row0`, `rows`, `col0`, `cols`
    (the tile's region, for labels and memory checks; -1/0 where meaningless).
    `cores[k]` lists the core types able to run kind `k` (pinned by the tiling's `on`).
    """

    name: str
    hardware: Hardware
    devices: int
    ops: tuple[str, ...]
    kinds: tuple[str, ...]
    cores: tuple[tuple[str, ...], ...]
    op: np.ndarray
    kind: np.ndarray
    device: np.ndarray
    flops: np.ndarray
    bytes_in: np.ndarray
    bytes_out: np.ndarray
    bytes_sent: np.ndarray
    dst: np.ndarray
    fixed_ns: np.ndarray
    expert: np.ndarray
    row0: np.ndarray
    rows: np.ndarray
    col0: np.ndarray
    cols: np.ndarray
    succ_ptr: np.ndarray
    succ: np.ndarray
    pred_ptr: np.ndarray
    pred: np.ndarray
    task_names: tuple[str, ...] | None = None   # explicit graphs keep their task names
    op_kinds: tuple[str, ...] = ()              # op index -> op kind (dispatch, swiglu, ...)
    bytes_hbm: np.ndarray | None = None         # always set by build()
    data: object = None                         # hpdsl.blocks.DataBlocks (workload graphs)
    op_dtypes: tuple[str, ...] = ()             # op index -> the dtype it computes in

    @classmethod
    def build(cls, *, name, hardware, devices, ops, kinds, cores, op, kind, device,
              src, dst_edges, flops=None, bytes_in=None, bytes_out=None, bytes_sent=None,
              dst=None, fixed_ns=None, expert=None, row0=None, rows=None, col0=None,
              cols=None, task_names=None, op_kinds=(), bytes_hbm=None,
              data=None, op_dtypes=()) -> "TaskGraph":
        """Freeze arrays, deduplicate edges and build CSR both ways."""
        n = len(op)
        z = lambda v, dt, fill=0: _frozen(np.full(n, fill, dtype=dt) if v is None else v, dt)
        src = np.asarray(src, dtype=np.int64)
        de = np.asarray(dst_edges, dtype=np.int64)
        if len(src):
            # sort + neighbour test: np.unique's hashing is several times slower here
            key = np.sort(src * n + de)
            keep = np.ones(len(key), dtype=bool)
            keep[1:] = key[1:] != key[:-1]
            key = key[keep]
            src, de = key // n, key % n
        succ_ptr, succ = csr(n, src, de)
        pred_ptr, pred = csr(n, de, src)
        b_in, b_out = z(bytes_in, np.float64), z(bytes_out, np.float64)
        return cls(name=name, hardware=hardware, devices=devices, ops=tuple(ops),
                   kinds=tuple(kinds), cores=tuple(tuple(c) for c in cores),
                   op=z(op, np.int32), kind=z(kind, np.int16), device=z(device, np.int32),
                   flops=z(flops, np.float64), bytes_in=b_in, bytes_out=b_out,
                   bytes_sent=z(bytes_sent, np.float64), bytes_hbm=z(bytes_hbm, np.float64),
                   dst=z(dst, np.int32, -1), fixed_ns=z(fixed_ns, np.int64, -1),
                   expert=z(expert, np.int32, -1), row0=z(row0, np.int32, -1),
                   rows=z(rows, np.int32), col0=z(col0, np.int32, -1), cols=z(cols, np.int32),
                   succ_ptr=_frozen(succ_ptr, np.int64), succ=_frozen(succ, np.int32),
                   pred_ptr=_frozen(pred_ptr, np.int64), pred=_frozen(pred, np.int32),
                   task_names=None if task_names is None else tuple(task_names),
                   op_kinds=tuple(op_kinds), data=data, op_dtypes=tuple(op_dtypes))

    @property
    def n_tasks(self) -> int:
        return len(self.op)

    @property
    def n_edges(self) -> int:
        return len(self.succ)

    def successors(self, u: int) -> np.ndarray:
        return self.succ[self.succ_ptr[u]:self.succ_ptr[u + 1]]

    def predecessors(self, v: int) -> np.ndarray:
        return self.pred[self.pred_ptr[v]:self.pred_ptr[v + 1]]

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """(src, dst) arrays of all edges, sorted by src then dst."""
        src = np.repeat(np.arange(self.n_tasks, dtype=np.int32), np.diff(self.succ_ptr))
        return src, self.succ

    def kind_name(self, t: int) -> str:
        return self.kinds[self.kind[t]]

    def op_name(self, t: int) -> str:
        return self.ops[self.op[t]]

    def label(self, t: int) -> str:
        """A readable name: the explicit task's name, or op[device, expert, rows, cols]."""
        if self.task_names is not None:
            return self.task_names[t]
        parts = [f"d{self.device[t]}"]
        if self.expert[t] >= 0:
            parts.append(f"e{self.expert[t]}")
        if self.row0[t] >= 0:
            parts.append(f"r{self.row0[t]}+{self.rows[t]}")
        if self.col0[t] >= 0:
            parts.append(f"c{self.col0[t]}+{self.cols[t]}")
        if self.dst[t] >= 0:
            parts.append(f"->d{self.dst[t]}")
        return f"{self.op_name(t)}[{' '.join(parts)}]"

    def topological_order(self) -> np.ndarray:
        """Kahn's algorithm on the CSR arrays; ValueError if there is a cycle."""
        indeg = np.diff(self.pred_ptr).astype(np.int64)
        order = np.empty(self.n_tasks, dtype=np.int32)
        stack = list(np.flatnonzero(indeg == 0)[::-1])
        k = 0
        succ, ptr = self.succ, self.succ_ptr
        while stack:
            u = stack.pop()
            order[k] = u
            k += 1
            for v in succ[ptr[u]:ptr[u + 1]]:
                indeg[v] -= 1
                if indeg[v] == 0:
                    stack.append(v)
        if k != self.n_tasks:
            raise ValueError("task graph has a cycle")
        return order

    def to_networkx(self):
        """A networkx DiGraph with every task attribute on its node (for small graphs)."""
        import networkx as nx

        g = nx.DiGraph(name=self.name)
        for t in range(self.n_tasks):
            g.add_node(int(t), label=self.label(t), op=self.op_name(t), kind=self.kind_name(t),
                       device=int(self.device[t]), cores=list(self.cores[self.kind[t]]),
                       flops=float(self.flops[t]), bytes_in=float(self.bytes_in[t]),
                       bytes_out=float(self.bytes_out[t]), bytes_sent=float(self.bytes_sent[t]),
                       dst=int(self.dst[t]), fixed_ns=int(self.fixed_ns[t]))
        src, dst = self.edges()
        g.add_edges_from(zip(src.tolist(), dst.tolist()))
        return g
