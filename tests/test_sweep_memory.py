"""Peak memory of a piece of work, as sweep rows report it."""
from __future__ import annotations

import sys

from hpdsl.sweep.memory import PeakMemory


def test_peak_memory_covers_what_the_work_allocated():
    with PeakMemory() as small:
        pass
    with PeakMemory() as big:
        block = bytearray(64 << 20)
        block[::4096] = b"x" * len(block[::4096])   # touch every page
        del block
    assert big.bytes >= 64 << 20 and small.bytes > 0
    if sys.platform.startswith("linux") and big.exact:
        assert small.bytes < big.bytes   # the high-water mark was reset before each
