"""The L2 model: LRU replacement, write-allocate, write-back and streaming, by hand."""
from __future__ import annotations

import numpy as np

from hpdsl.blocks import ACTIVATION, WEIGHT, DataBlocks
from hpdsl.emulator.cache import L2Cache


def _blocks(sizes, kinds, reads, writes, device=None):
    n = len(sizes)
    z = np.zeros(n, np.int64)
    ptr = lambda lists: np.r_[0, np.cumsum([len(x) for x in lists])].astype(np.int64)  # noqa
    flat = lambda lists: np.array([b for x in lists for b in x], np.int32)            # noqa
    return DataBlocks(("t",), np.array(kinds, np.int8), np.zeros(n, np.int16),
                      np.array(device or [0] * n, np.int32), np.array(sizes, np.int64),
                      z - 1, z, z, z, z, ptr(reads), flat(reads), ptr(writes), flat(writes))


def _cache(blocks, n_tasks, capacity, acc=None, devices=1):
    return L2Cache(blocks, np.zeros(n_tasks, np.int64),
                   np.array(acc or [False] * n_tasks), devices, capacity)


def test_lru_evicts_the_least_recent_block():
    # blocks of 10 B, L2 of 20 B: reading 0, 1, 0, 2, 1 misses 0, 1, 2 and then 1 again
    # (2 evicted 1, the least recent after 0 was touched again)
    b = _blocks([10, 10, 10], [WEIGHT] * 3, [[0], [1], [0], [2], [1]], [[]] * 5)
    c = _cache(b, 5, 20)
    back = {}
    assert [c.start(t, 0, back) for t in range(5)] == [10, 10, 0, 10, 10]
    assert c.by_op(("op",))["op"] == {"weights_hbm_bytes": 40, "activations_hbm_bytes": 0,
                                      "writeback_hbm_bytes": 0, "l2_hit_bytes": 10}
    assert back == {}


def test_dirty_blocks_are_written_back_on_eviction():
    # task 0 writes block 0 (dirty, no read), task 1 reads 1 and 2: 0 is evicted and
    # written back; a clean block leaves without traffic
    b = _blocks([10, 10, 10], [ACTIVATION] * 3, [[], [1, 2]], [[0], []])
    c = _cache(b, 2, 20)
    back = {}
    assert c.start(0, 0, back) == 0
    c.end(0, back)
    assert back == {}
    assert c.start(1, 0, back) == 20
    assert back == {0: 10}
    t = c.by_op(("op",))["op"]
    assert (t["activations_hbm_bytes"], t["writeback_hbm_bytes"]) == (20, 10)


def test_a_block_larger_than_l2_streams():
    b = _blocks([30, 30], [ACTIVATION] * 2, [[0], [0]], [[1], []])
    c = _cache(b, 2, 20)
    back = {}
    assert c.start(0, 0, back) == 30
    c.end(0, back)                  # written straight back
    assert back == {0: 30}
    assert c.start(1, 0, back) == 30
    assert c.by_op(("op",))["op"]["l2_hit_bytes"] == 0


def test_accumulating_writes_read_an_evicted_partial_sum():
    # two accumulating writes of block 0 with block 1 read in between, L2 of 10 B: the
    # second write must read back the partial sum the read evicted (and wrote back)
    b = _blocks([10, 10], [ACTIVATION] * 2, [[], [1], []], [[0], [], [0]])
    c = _cache(b, 3, 10, acc=[True, False, True])
    back = {}
    c.end(0, back)
    assert back == {}               # the first write of a sum reads nothing
    c.start(1, 0, back)
    assert back == {0: 10}             # block 0 written back
    c.end(2, back)
    assert back == {0: 20}             # ... and read back to add to it
    t = c.by_op(("op",))["op"]
    assert t["activations_hbm_bytes"] == 20 and t["writeback_hbm_bytes"] == 10


def test_devices_have_caches_of_their_own():
    b = _blocks([10, 10], [WEIGHT] * 2, [[0], [1], [0]], [[]] * 3, device=[0, 1])
    c = _cache(b, 3, 10, devices=2)
    back = {}
    assert c.start(0, 0, back) == 10
    assert c.start(1, 1, back) == 10
    assert c.start(2, 0, back) == 0   # device 1's block did not evict device 0's
