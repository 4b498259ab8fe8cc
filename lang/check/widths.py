"""Checks of what flows between ops: widths from workload fields, combine's inputs, the
layer chain, op dtypes and the rates the ops' dtypes need."""
from __future__ import annotations

from hpdsl.errors import Diagnostic, did_you_mean
from hpdsl.ops import KINDS
from hpdsl.spec import WIDTH_FIELDS, Workload
from hpdsl.units import DTYPE_BYTES


def op_widths(w: Workload) -> dict[str, int | None]:
    """Columns of each op's output where the spec fixes them (None where it does not)."""
    width: dict[str, int | None] = {}
    for op in w.ops:
        src = w.hidden if op.input is None else width.get(op.input)
        kind = KINDS.get(op.kind)
        if kind is None:
            width[op.name] = None
        elif kind.takes_n:
            width[op.name] = op.n
        elif op.kind == "swiglu":
            width[op.name] = None if src is None else src // 2
        else:
            width[op.name] = src
    return width


def check_widths(w: Workload, widths: dict[str, int | None]) -> list[Diagnostic]:
    """Width fields, combine's inputs, the end of a repeated chain, op dtypes."""
    d: list[Diagnostic] = []
    readers = {}
    for op in w.ops:
        for src in (op.input, op.input2):
            readers.setdefault(src, []).append(op)
    for op in w.ops:
        if op.n_field is not None and op.n_field not in WIDTH_FIELDS:
            d.append(Diagnostic(op.loc, f"op '{op.name}' n names '{op.n_field}', which is no "
                                        "workload width" + did_you_mean(op.n_field, WIDTH_FIELDS)))
        if op.dtype is not None and op.dtype not in DTYPE_BYTES:
            d.append(Diagnostic(op.loc, f"unknown dtype '{op.dtype}' of op '{op.name}'"
                                        + did_you_mean(op.dtype, DTYPE_BYTES)))
        if op.input2 is not None and op.kind != "combine":
            d.append(Diagnostic(op.loc, f"op '{op.name}' ({op.kind}) takes one input; only a "
                                        "combine sums a second one, e.g. 'combine(down, sdown)'"))
        if op.kind != "combine":
            continue
        for src in (op.input, op.input2):
            if widths.get(src) is not None and widths[src] != w.hidden:
                d.append(Diagnostic(op.loc, f"op '{op.name}' (combine) sums rows of the model "
                                            f"width, hidden {w.hidden}{w.set_by('hidden')}, but "
                                            f"'{src}' has {widths[src]} columns"))
        others = [r.name for r in readers.get(op.input2, ()) if r is not op]
        if op.input2 is not None and others:
            d.append(Diagnostic(op.loc, f"op '{op.name}' sums '{op.input2}' in place, so no other "
                                        f"op may read it, but '{others[0]}' does"))
    if w.layers > 1 and w.ops and w.ops[-1].kind != "combine":
        last = w.ops[-1]
        d.append(Diagnostic(w.loc_of("layers"), f"workload '{w.name}' has layers {w.layers}, so "
                                                "its chain must end with a combine (each layer "
                                                "reads the tokens the one before returns), but "
                                                f"it ends with '{last.name}' ({last.kind})"))
    return d


def check_rates(w: Workload) -> list[Diagnostic]:
    """Every op's dtype has a rate on the queues that may run it, where they give rates
    per dtype (a queue with no rate at all is a warning: `hpdsl.lang.check.warnings`)."""
    d: list[Diagnostic] = []
    hw = w.hardware
    for c in hw.cores:
        for q in c.queues:
            for dtype, _ in q.rates:
                if dtype not in DTYPE_BYTES:
                    d.append(Diagnostic(q.loc, f"unknown dtype '{dtype}' in the rates of queue "
                                               f"'{q.name}'" + did_you_mean(dtype, DTYPE_BYTES)))
    for op in w.ops:
        kind = KINDS.get(op.kind)
        if kind is None or not kind.computes:
            continue
        dtype = w.op_dtype(op)
        for c in hw.cores_for(kind.capability):
            q = c.queue_for(kind.capability)
            if q.rates and q.rate_for(dtype) is None:
                given = ", ".join(t for t, _ in q.rates)
                d.append(Diagnostic(op.loc, f"op '{op.name}' computes in {dtype}, but queue "
                                            f"'{q.name}' of core type '{c.name}', which may run "
                                            f"it, has no {dtype} rate (it has {given}); add "
                                            f"'{dtype}' to its rates or a rate for every dtype"))
    return d
