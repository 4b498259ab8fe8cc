"""Lowering of the op and queue-rate statements (a part of `hpdsl.lang.lower`): widths
that name a workload field, a combine's second input, per-op and per-rate dtypes."""
from __future__ import annotations

from hpdsl.spec import Op


def lower_rates(lw, q) -> tuple[float | None, tuple[tuple[str, float], ...]]:
    """A queue's plain rate and its per-dtype rates (one of each at most)."""
    rate, rates, seen = None, [], {}
    for r in q.rates:
        dtype = None if r.dtype is None else r.dtype.name
        what = f"queue '{q.name}' rate" + ("" if dtype is None else f" for {dtype}")
        if dtype in seen:
            lw.err(lw.loc(r), f"queue '{q.name}' has two rates for "
                                  f"{dtype or 'every dtype'} (first at column {seen[dtype]})")
            continue
        seen[dtype] = lw.loc(r).col
        v = lw.quantity(r.value, "rate", what)
        if v is None:
            continue
        if dtype is None:
            rate = v
        else:
            rates.append((dtype, v))
    return rate, tuple(rates)


def lower_op(lw, item) -> Op:
    n, field, factor = None, None, 1
    if item.n is not None:
        if item.n.field is None:
            n = lw.number(item.n.value, f"op '{item.name}' n")
        else:
            field = item.n.field.name
            if item.n.factor is not None:
                factor = lw.number(item.n.factor, f"op '{item.name}' n factor")
                factor = 1 if factor is None else factor
    dtype = None if item.dtype is None else item.dtype.name
    if dtype is not None and lw.loc(item.dtype).line != lw.loc(item).line:
        lw.err(lw.loc(item.dtype), f"'dtype {dtype}' on a line of its own after op "
                 f"'{item.name}' is ambiguous: write it on the op's line for that op "
                 f"('op {item.name} : ... dtype {dtype}'), or above the ops for the workload")
    return Op(item.name, item.kind.name, None if item.input is None else item.input.name,
              n, lw.loc(item), field, factor,
              None if item.input2 is None else item.input2.name, dtype)
