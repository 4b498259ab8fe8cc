"""Peak memory of a piece of work, as sweep rows report it."""
from __future__ import annotations

import subprocess
import sys

from hpdsl.sweep.memory import PeakMemory

# Run in a fresh process, as a sweep's worker runs its points: inside a test session that
# has already held hundreds of MB, a freed block may come back from memory the process
# still holds, and the second reading need not be smaller.
_TWO_READINGS = """
from hpdsl.sweep.memory import PeakMemory
def touch(n):
    block = bytearray(n)
    block[::4096] = b"x" * len(block[::4096])   # touch every page
    return block
with PeakMemory() as big:
    block = touch(128 << 20)
    del block                                   # a large block goes back to the system
with PeakMemory() as small:
    pass
print(big.bytes, small.bytes, int(small.exact))
"""


def test_peak_memory_covers_what_the_work_allocated():
    out = subprocess.run([sys.executable, "-c", _TWO_READINGS], capture_output=True,
                         text=True, check=True).stdout.split()
    big, small, exact = map(int, out)
    assert big >= 128 << 20 and small > 0
    if sys.platform.startswith("linux") and exact:
        # the high-water mark was reset before the second: the first one's block is gone
        assert small < big


def test_peak_memory_in_this_process_is_at_least_the_block():
    with PeakMemory() as peak:
        block = bytearray(8 << 20)
        block[::4096] = b"x" * len(block[::4096])
    assert peak.bytes >= 8 << 20
