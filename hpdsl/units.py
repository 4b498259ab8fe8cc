"""Units of the language and their SI factors.

Every quantity is normalized on load: time to integer nanoseconds, sizes to bytes,
compute rates to FLOP/s, bandwidths to bytes/s, clocks to Hz. Decimal prefixes for
rates and bandwidths (as vendors quote them), binary prefixes for sizes (GiB, MiB, KiB).
"""
from __future__ import annotations

import math

from hpdsl.errors import did_you_mean

# dimension -> {unit: factor to SI base (ns for time)}
UNITS: dict[str, dict[str, float]] = {
    "time": {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9},
    "size": {"B": 1.0, "KiB": 2.0**10, "MiB": 2.0**20, "GiB": 2.0**30, "TiB": 2.0**40,
             "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12},
    # integer work is quoted in OPS (TOPS for int8): the same operations per second
    "rate": {"FLOPS": 1.0, "GFLOPS": 1e9, "TFLOPS": 1e12, "PFLOPS": 1e15,
             "OPS": 1.0, "GOPS": 1e9, "TOPS": 1e12, "POPS": 1e15},
    "bandwidth": {"B/s": 1.0, "KB/s": 1e3, "MB/s": 1e6, "GB/s": 1e9, "TB/s": 1e12,
                  "GiB/s": 2.0**30, "TiB/s": 2.0**40, "Gbps": 1e9 / 8},
    "frequency": {"Hz": 1.0, "kHz": 1e3, "MHz": 1e6, "GHz": 1e9},
}

UNIT_DIMENSION: dict[str, str] = {u: dim for dim, table in UNITS.items() for u in table}

DIMENSION_WORDS = {"time": "time", "size": "size", "rate": "compute rate",
                   "bandwidth": "bandwidth", "frequency": "frequency"}
UNIT_EXAMPLE = {"time": "us", "size": "MiB", "rate": "TFLOPS", "bandwidth": "GB/s",
                "frequency": "GHz"}
MAX_TIME_NS = 3.6e12   # one hour: a task, latency or launch time longer than that is a typo

DTYPE_BYTES: dict[str, int] = {"bf16": 2, "fp16": 2, "fp32": 4, "fp8": 1, "int8": 1}


def to_si(value: float, unit: str, dimension: str) -> float:
    """Convert `value unit` to the base unit of `dimension`; KeyError if it does not fit.

    >>> to_si(2, "us", "time")
    2000.0
    >>> to_si(1.6, "TB/s", "bandwidth")
    1600000000000.0
    """
    return value * UNITS[dimension][unit]


def unit_problem(unit: str | None, dimension: str, what: str, number: str) -> str | None:
    """The language's message when `unit` does not fit `dimension`; None when it fits.

    >>> unit_problem("usec", "time", "launch", "20")
    "unknown unit 'usec' for launch (did you mean 'us'? valid: 'ms', 'ns', 's', 'us')"
    """
    valid = UNITS[dimension]
    word = DIMENSION_WORDS[dimension]
    if not unit:
        return (f"{what} needs a {word} unit, e.g. '{number} {UNIT_EXAMPLE[dimension]}'"
                + did_you_mean("", valid))
    if unit in valid:
        return None
    per_second = _bytes_per_second(unit)
    if dimension == "bandwidth" and per_second in valid:
        # 'GBps' is bytes: the near spelling 'Gbps' is bits, 8x smaller
        return (f"unknown unit '{unit}' for {what} (did you mean '{per_second}'? 'Gbps' is "
                f"gigabits per second, 8x less; valid: "
                + ", ".join(f"'{v}'" for v in sorted(valid)) + ")")
    other = UNIT_DIMENSION.get(unit)
    if other is not None:
        return (f"'{unit}' is a {DIMENSION_WORDS[other]} unit, but {what} takes a {word} unit"
                + did_you_mean(unit, valid))
    return f"unknown unit '{unit}' for {what}" + did_you_mean(unit, valid)


def _bytes_per_second(unit: str) -> str | None:
    """'GBps' -> 'GB/s': a bytes-per-second unit written without the slash."""
    return unit[:-2] + "/s" if unit.endswith("Bps") else None


def value_problem(si: float, dimension: str, what: str, shown: str) -> str | None:
    """The language's message when a converted value cannot be used; None when it can."""
    if not math.isfinite(si):
        return f"{what} must be a finite number, found '{shown}'"
    if dimension == "time" and si > MAX_TIME_NS:
        # times are int64 ns, summed over up to millions of tasks: keep the sums exact
        return f"{what} must be at most 1 hour (3.6e+12 ns), found {si:g} ns"
    return None
