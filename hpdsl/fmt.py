"""How hpdsl writes numbers for people: durations, fixed-unit times, SI quantities, shares.

Every table, summary, why line and report formats through these functions, so a figure
reads the same wherever it appears.

    >>> duration(850), duration(12_345), duration(4_560_000), duration(1.2e9)
    ('850 ns', '12.3 us', '4.56 ms', '1.2 s')
    >>> microseconds(1_234_567), si(3.2e12, "FLOP"), percent(0.123), percent(None)
    ('1,234.567 us', '3.2 TFLOP', '12%', '-')
"""
from __future__ import annotations

_TIME = (("s", 1e9), ("ms", 1e6), ("us", 1e3))
_SI = ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def duration(ns, digits: int = 3) -> str:
    """A duration read at a glance, in the largest unit it reaches, `digits` significant
    digits (whole units from 10**(digits-1) up, so no exponent appears); '-' for None."""
    if ns is None:
        return "-"
    ns = float(ns)
    for unit, scale in _TIME:
        if abs(ns) >= scale:
            v = ns / scale
            return f"{v:.{digits}g} {unit}" if abs(v) < 10 ** (digits - 1) else f"{v:.0f} {unit}"
    return f"{ns:.0f} ns"


def microseconds(ns) -> str:
    """A time in us with ns resolution, for summaries that line up: '1,234.567 us'."""
    return f"{ns / 1000:,.3f} us"


def time_unit(ns, smallest: str = "ns") -> tuple[str, float]:
    """(unit, ns per unit) for a column or axis of times up to `ns`: ms from 10 ms, us
    from 10 us, else ns (or `smallest` when that is larger)."""
    for unit, scale in (("ms", 1e6), ("us", 1e3)):
        if ns >= 10 * scale or unit == smallest:
            return unit, scale
    return "ns", 1.0


def fixed(ns, scale: float) -> str:
    """A time in a table column's unit (`time_unit`), thousands separated; '-' for None."""
    return "-" if ns is None else f"{ns / scale:,.3f}"


def si(x: float, unit: str) -> str:
    """A quantity with a decimal prefix and 3 significant digits: '3.2 TFLOP'."""
    for f, p in _SI:
        if abs(x) >= f:
            return f"{x / f:.3g} {p}{unit}"
    return f"{x:.3g} {unit}"


def percent(x, digits: int = 0) -> str:
    """A share as a percentage; '-' for None."""
    return "-" if x is None else f"{x:.{digits}%}"


def change(a: float, b: float) -> str:
    """A share before and after: '63% -> 98%'."""
    return f"{percent(a)} -> {percent(b)}"
