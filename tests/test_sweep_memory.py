"""Peak memory of a piece of work, as sweep rows report it."""
from __future__ import annotations

import sys

from hpdsl.sweep.memory import PeakMemory


def _touch(n: int) -> bytearray:
    block = bytearray(n)
    block[::4096] = b"x" * len(block[::4096])   # touch every page
    return block


def test_peak_memory_covers_what_the_work_allocated():
    with PeakMemory() as big:
        block = _touch(128 << 20)
        del block                               # a large block goes back to the system
    with PeakMemory() as small:
        pass
    assert big.bytes >= 128 << 20 and small.bytes > 0
    if sys.platform.startswith("linux") and small.exact:
        # the high-water mark was reset before the second: the first one's block is gone
        assert small.bytes < big.bytes
