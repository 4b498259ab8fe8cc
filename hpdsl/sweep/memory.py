"""Peak resident memory of one piece of work in this process.

On Linux the kernel's high-water mark is reset before the work (`/proc/self/clear_refs`,
"5") and read after it (`VmHWM`), which is exact for a process that runs one point at a
time (the sweep's local workers do). Where that is not possible the figure is the
process's peak since it started (`getrusage`), an upper bound.

    >>> with PeakMemory() as peak:
    ...     block = bytearray(8 << 20)
    >>> peak.bytes >= 8 << 20
    True
"""
from __future__ import annotations

import sys


def _reset() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _high_water() -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:   # not on this platform
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024   # bytes on macOS, KiB elsewhere


class PeakMemory:
    """Context manager; `bytes` is the peak resident memory while it was open (None: unknown)."""

    def __init__(self):
        self.bytes: int | None = None
        self.exact = False

    def __enter__(self) -> PeakMemory:
        self.exact = _reset()
        return self

    def __exit__(self, *exc) -> None:
        self.bytes = _high_water()
