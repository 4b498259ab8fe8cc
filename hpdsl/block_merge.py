"""Row blocks that the same tasks read and write become one block.

A tensor read or written through the routing map is cut at every row (`hpdsl.blocks`),
but rows that exactly the same tasks read and write are always touched together, at the
same moments, and the L2 model would insert, refresh and evict them side by side. Under
balanced routing the 4096 tokens of a DeepSeek die fall into 32 such classes of 128 rows
(token t and token t + 32 choose the same experts), so a dispatch chunk reads one block
instead of 128. Merging changes what the emulator charges only where LRU would have
split such a class at the capacity boundary (by at most one class's bytes at a time).
Blocks merge only within one tensor, device and column range.

    rows read by:   r0 {c1, c2}   r1 {c3}   r2 {c1, c2}   r3 {c3}
    blocks:         {r0, r2} read by c1, c2; {r1, r3} read by c3

Blocks are compared by one 64-bit key mixing the tensor, device, columns and the lists
of tasks that read and write them; two different blocks sharing a key (for a million
mergeable blocks, about one chance in 10^7) would be merged wrongly.
"""
from __future__ import annotations

import numpy as np

_M = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))


def _hashes(n: int, ptr: np.ndarray, blocks: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
    """Per block of `mask` (in its order): how many tasks touch it and two hashes of which
    ones, in order."""
    task = np.repeat(np.arange(len(ptr) - 1, dtype=np.int64), np.diff(ptr))
    sel = mask[blocks]
    local = np.cumsum(mask) - 1                    # block id -> its index among mask's
    b, t = local[blocks[sel]], task[sel]
    o = np.lexsort((t, b))
    b, t = b[o], t[o].astype(np.uint64) + np.uint64(1)
    m = int(mask.sum())
    count = np.bincount(b, minlength=m)
    k = (np.arange(len(b)) - (np.cumsum(count) - count)[b]).astype(np.uint64) + np.uint64(1)
    out = [count.astype(np.uint64)]
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]]) if len(b) else np.zeros(0, np.int64)
    with np.errstate(over="ignore"):
        for mult in _M:
            h = np.zeros(m, np.uint64)
            if len(b):
                h[b[starts]] = np.add.reduceat(t * mult ** k, starts)
            out.append(h)
    return out


def _remap(ptr: np.ndarray, blocks: np.ndarray, new: np.ndarray, mask: np.ndarray):
    """The CSR with every block renamed by `new`; a task's repeats of a merged block
    (only blocks in `mask` merge) are dropped, its first kept."""
    nb = new[blocks].astype(np.int32)
    sel = np.flatnonzero(mask[blocks])
    if len(sel) == 0:
        return ptr, nb
    task = np.searchsorted(ptr, sel, side="right") - 1
    _, first = np.unique(task * (int(new.max(initial=0)) + 1) + nb[sel], return_index=True)
    keep = np.ones(len(blocks), bool)
    keep[sel] = False
    keep[sel[first]] = True
    out_ptr = np.zeros(len(ptr), np.int64)
    owner = np.repeat(np.arange(len(ptr) - 1, dtype=np.int64), np.diff(ptr))
    np.cumsum(np.bincount(owner[keep], minlength=len(ptr) - 1), out=out_ptr[1:])
    return out_ptr, nb[keep]


def merge(fields: dict, mask: np.ndarray, read_ptr, read, write_ptr, write):
    """(fields, read_ptr, read, write_ptr, write) with the blocks in `mask` merged where
    the same tasks read and write them. `fields` holds one array per block attribute
    (kind, tensor, device, bytes, expert, row0, rows, col0, cols); a merged block adds up
    bytes and rows and starts at its first row."""
    n = len(fields["kind"])
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return fields, read_ptr, read, write_ptr, write
    cols = [fields[k][idx].astype(np.int64).view(np.uint64)
            for k in ("tensor", "device", "col0", "cols")]
    cols += _hashes(n, read_ptr, read, mask) + _hashes(n, write_ptr, write, mask)
    key = np.zeros((len(idx), 2), np.uint64)
    with np.errstate(over="ignore"):
        for c in cols:
            key = key * np.array(_M) + c[:, None]
    _, first, inv = np.unique(key[:, 0] ^ (key[:, 1] >> np.uint64(1)), return_index=True,
                              return_inverse=True)
    if len(first) == len(idx):
        return fields, read_ptr, read, write_ptr, write
    group = np.arange(n, dtype=np.int64)           # each block its own, ...
    group[idx] = idx[first][inv.reshape(-1)]       # ... a merged one its first member's
    keep = np.flatnonzero(group == np.arange(n))   # the blocks that stay, in order
    new = np.searchsorted(keep, group)
    out = {k: v[keep] for k, v in fields.items()}
    for k in ("bytes", "rows"):
        out[k] = np.bincount(new, weights=fields[k], minlength=len(keep)).astype(np.int64)
    o = np.lexsort((fields["row0"], new))           # a merged block starts at its first row
    out["row0"] = fields["row0"][o][np.r_[True, new[o][1:] != new[o][:-1]]]
    return (out, *_remap(read_ptr, read, new, mask), *_remap(write_ptr, write, new, mask))


def by_task(n: int, task: list, block: list) -> tuple[np.ndarray, np.ndarray]:
    """(ptr, blocks): the (task, block) pairs of the lists as CSR by task, in order."""
    task = np.concatenate(task) if task else np.zeros(0, np.int64)
    block = np.concatenate(block) if block else np.zeros(0, np.int64)
    order = np.argsort(task, kind="stable")
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(task, minlength=n), out=ptr[1:])
    return ptr, block[order].astype(np.int32)
