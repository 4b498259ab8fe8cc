"""What every check shares: the limits on counts and the number and name rules."""
from __future__ import annotations

from hpdsl.errors import Diagnostic, Loc

# Upper bounds on counts from untrusted specs: far above any real machine or model, low
# enough that a typo cannot make later stages allocate without end.
LIMITS = {
    "core count": 100_000,
    "sync flags": 1_000_000,
    "devices": 4096,
    "tokens": 1 << 20,
    "hidden": 1 << 18,
    "experts": 1 << 16,
    "topk": 1 << 16,
    "expert_ffn": 1 << 18,
    "n": 1 << 20,
    "layers": 1024,
}


def positive(diags, loc, what: str, value, limit: str | None = None) -> None:
    """`value` (None: not given) must be > 0 and, with a `limit`, at most LIMITS[limit]."""
    if value is None:
        return
    if value <= 0:
        diags.append(Diagnostic(loc, f"{what} must be positive, found {fmt(value)}"))
    elif limit is not None and value > LIMITS[limit]:
        diags.append(Diagnostic(loc, f"{what} {fmt(value)} is above the limit of "
                                     f"{LIMITS[limit]}"))


def not_negative(diags, loc, what: str, value, unit: str = "") -> None:
    if value is not None and value < 0:
        diags.append(Diagnostic(loc, f"{what} must not be negative, found {fmt(value)}{unit}"))


def fmt(v) -> str:
    """A number as the user wrote it: floats without trailing zeros."""
    return f"{v:g}" if isinstance(v, float) else str(v)


def duplicates(diags, items, what: str, where: str) -> None:
    """One diagnostic per item whose name an earlier item already has."""
    seen: dict[str, Loc | None] = {}
    for it in items:
        if it.name in seen:
            first = seen[it.name]
            at = f" (first at line {first.line})" if first is not None and first.line else ""
            diags.append(Diagnostic(it.loc, f"{what} '{it.name}' is declared twice in {where}{at}"))
        else:
            seen[it.name] = it.loc
