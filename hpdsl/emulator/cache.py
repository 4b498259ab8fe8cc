"""Each device's L2 as a cache of data blocks: what the plan's order earns, and nothing more.

A capacity-limited, least-recently-used cache of whole blocks (`hpdsl.blocks`) per
device, empty at the start: weights and the layer input start in HBM.

- A task's reads take effect when it starts: a resident block is an L2 hit and becomes
  the most recent; a missing one is read from HBM (the task's own HBM traffic) and
  inserted.
- Its writes take effect when it ends: the block is inserted (write-allocate, no read
  from HBM: a tile writes whole blocks) or refreshed, and marked dirty. A write that
  accumulates (a combine chunk summing into its tokens' rows) must read the block first:
  from L2 when resident, else from HBM when the block was written before (an evicted
  partial sum), else not at all (the first write of the sum).
- Inserting evicts least-recently-used blocks until the device's blocks fit; a dirty
  block evicted is written back to HBM. A block larger than the whole L2 is evicted as
  soon as it is inserted (streaming).

What L2 does on its own — write-backs and the read half of an accumulation into an
evicted row — is *background* traffic: it loads the device's HBM (the interpreter runs
it as a flow of its own) but delays no queue directly.

Traffic is counted per op of the task that causes it, except a write-back, which counts
for the op whose output block it writes back.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from hpdsl.blocks import WEIGHT, DataBlocks

W_HBM, A_HBM, WRITEBACK, HIT = 0, 1, 2, 3
TRAFFIC_KEYS = ("weights_hbm_bytes", "activations_hbm_bytes", "writeback_hbm_bytes",
                "l2_hit_bytes")


class L2Cache:
    """Every device's L2 (capacity in bytes each); `start(task)` and `end(task)` apply a
    task's reads and writes and return the HBM bytes they cost."""

    __slots__ = ("cap", "used", "lru", "size", "dirty", "written", "weight", "home", "owner",
                 "rptr", "read", "wptr", "write", "op", "acc", "traffic")

    def __init__(self, blocks: DataBlocks, task_op: np.ndarray, accumulates: np.ndarray,
                 devices: int, capacity: float):
        self.cap = float(capacity)
        self.used = [0] * devices
        self.lru: list[OrderedDict] = [OrderedDict() for _ in range(devices)]
        self.size = blocks.bytes.tolist()
        self.dirty = bytearray(blocks.n_blocks)
        self.written = bytearray(blocks.n_blocks)
        self.weight = (blocks.kind == WEIGHT).tolist()
        self.home = blocks.device.tolist()
        # the op a block's write-back counts for: its tensor's producer (activations only)
        self.owner = _owner_ops(blocks, task_op).tolist()
        self.rptr, self.read = blocks.read_ptr.tolist(), blocks.read.tolist()
        self.wptr, self.write = blocks.write_ptr.tolist(), blocks.write.tolist()
        self.op = task_op.tolist()
        self.acc = accumulates.tolist()      # per task: its writes accumulate
        n_ops = int(task_op.max()) + 1 if len(task_op) else 0
        self.traffic = [[0, 0, 0, 0] for _ in range(n_ops)]

    def _evict(self, d: int, used: float, back: dict) -> float:
        """Evict device d's least recently used blocks until `used` fits; return it."""
        lru, cap, size, dirty = self.lru[d], self.cap, self.size, self.dirty
        while used > cap:
            v, _ = lru.popitem(last=False)
            used -= size[v]
            if dirty[v]:
                dirty[v] = 0
                self.traffic[self.owner[v]][WRITEBACK] += size[v]
                back[d] = back.get(d, 0) + size[v]
        return used

    def start(self, task: int, device: int, back: dict) -> int:
        """Apply `task`'s reads on `device`; return its HBM read bytes. Write-backs it
        causes are added to `back[device]` (device -> bytes)."""
        lru = self.lru[device]
        size, weight, cap, rptr = self.size, self.weight, self.cap, self.rptr
        hit = w_miss = a_miss = 0
        used = self.used[device]
        refresh = lru.move_to_end
        for b in self.read[rptr[task]:rptr[task + 1]]:
            if b in lru:
                refresh(b)
                hit += size[b]
                continue
            if weight[b]:
                w_miss += size[b]
            else:
                a_miss += size[b]
            lru[b] = None
            used += size[b]
            if used > cap:
                used = self._evict(device, used, back)
        self.used[device] = used
        tr = self.traffic[self.op[task]]
        tr[HIT] += hit
        tr[W_HBM] += w_miss
        tr[A_HBM] += a_miss
        return w_miss + a_miss

    def end(self, task: int, back: dict) -> None:
        """Apply `task`'s writes (on each block's own device); background HBM bytes (write-
        backs, accumulation reads) are added to `back` per device."""
        tr = self.traffic[self.op[task]]
        acc = self.acc[task]
        size, home, dirty, written, cap = self.size, self.home, self.dirty, self.written, self.cap
        wptr = self.wptr
        for b in self.write[wptr[task]:wptr[task + 1]]:
            d = home[b]
            lru = self.lru[d]
            if b in lru:
                lru.move_to_end(b)
                if acc:
                    tr[HIT] += size[b]
            else:
                if acc and written[b]:
                    tr[A_HBM] += size[b]
                    back[d] = back.get(d, 0) + size[b]
                lru[b] = None
                used = self.used[d] + size[b]
                if used > cap:
                    used = self._evict(d, used, back)
                self.used[d] = used
            written[b] = 1
            if size[b] <= cap:      # b, the most recent, survives unless larger than L2
                dirty[b] = 1
            else:                   # it streams straight to HBM
                tr[WRITEBACK] += size[b]
                back[d] = back.get(d, 0) + size[b]

    def by_op(self, ops: tuple[str, ...]) -> dict[str, dict[str, int]]:
        """Traffic per op name (the `traffic` of DESIGN §7), integers summed over devices."""
        return {name: dict(zip(TRAFFIC_KEYS, (int(x) for x in self.traffic[k])))
                for k, name in enumerate(ops) if k < len(self.traffic)}


def _owner_ops(blocks: DataBlocks, task_op: np.ndarray) -> np.ndarray:
    """Per block, the op of the tasks that write it (0 for blocks nobody writes)."""
    owner = np.zeros(blocks.n_blocks, np.int64)
    if len(blocks.write):
        wt = np.repeat(np.arange(len(task_op)), np.diff(blocks.write_ptr))
        owner[blocks.write] = task_op[wt]
    return owner
