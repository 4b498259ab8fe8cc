"""Checks of a `workload`: its settings, its routing and its op chain.

`check_workload` is also what a workload changed by `--set` passes through
(`hpdsl.lang.checked_target`), so an override gets the messages a file would.
"""
from __future__ import annotations

import math

from hpdsl.errors import Diagnostic, Names, did_you_mean
from hpdsl.ops import KINDS
from hpdsl.routing import KINDS as ROUTING_KINDS
from hpdsl.spec import PLACEMENTS, Workload
from hpdsl.units import DTYPE_BYTES

from .common import duplicates, fmt, not_negative, positive
from .capacity import check_capacity
from .hardware import who_does
from .widths import check_rates, check_widths, op_widths


def check_workload(w: Workload) -> list[Diagnostic]:
    """All problems of one workload (settings, routing, op chain, capabilities).

    >>> from hpdsl.lang import loads
    >>> spec = loads(open("examples/toy.hpm").read(), "toy.hpm")
    >>> check_workload(spec.workloads[0].with_settings(topk=8))[0].message
    'topk 8 is greater than experts 4; a token cannot pick more experts than exist'
    """
    d: list[Diagnostic] = []
    for key in ("devices", "tokens", "hidden", "experts", "topk", "expert_ffn", "layers"):
        n = len(d)
        positive(d, w.loc_of(key), key, getattr(w, key), key)
        d[n:] = [Diagnostic(x.loc, x.message + w.set_by(key)) for x in d[n:]]
    if w.topk > 0 and w.experts > 0 and w.topk > w.experts:
        d.append(Diagnostic(w.loc_of("topk"), f"topk {w.topk} is greater than experts "
                                              f"{w.experts}; a token cannot pick more experts "
                                              "than exist" + _set_by(w, "topk", "experts")))
    if w.placement not in PLACEMENTS:
        d.append(Diagnostic(w.loc_of("placement"), f"unknown placement '{w.placement}'"
                                                   + did_you_mean(w.placement, PLACEMENTS)
                                                   + w.set_by("placement")))
    elif (w.placement == "block" and w.devices > 0 and w.experts > 0
          and w.experts % w.devices):
        d.append(Diagnostic(w.loc_of("experts"), f"experts {w.experts} is not divisible by "
                                                 f"devices {w.devices}; every device must own "
                                                 "the same number of experts"
                                                 + _set_by(w, "experts", "devices")))
    if w.dtype not in DTYPE_BYTES:
        d.append(Diagnostic(w.loc_of("dtype"), f"unknown dtype '{w.dtype}'"
                                               + did_you_mean(w.dtype, DTYPE_BYTES)))
    d.extend(Diagnostic(x.loc, x.message + _set_by(w, "routing", "seed"))
             for x in _check_routing(w))
    d.extend(_check_ops(w))
    d.extend(check_widths(w, op_widths(w)))
    d.extend(check_rates(w))
    if not any(x.is_error for x in d):
        d.extend(check_capacity(w, op_widths(w)))
    return d


def _set_by(w: Workload, *keys: str) -> str:
    """Where the values of `keys` came from, for those that `--set` gave."""
    return "".join(w.set_by(k) for k in keys)


def _check_routing(w: Workload) -> list[Diagnostic]:
    r, d = w.routing, []
    if r.kind not in ROUTING_KINDS:
        d.append(Diagnostic(r.loc, f"unknown routing kind '{r.kind}'"
                                   + did_you_mean(r.kind, ROUTING_KINDS)))
    elif r.kind == "zipf" and not 0 < r.param < math.inf:
        d.append(Diagnostic(r.loc, f"routing zipf needs an exponent S > 0, e.g. 'routing zipf 1.2', "
                                   f"found {fmt(r.param)}"))
    elif r.kind == "grouped":
        g = r.param
        if not (g > 0 and float(g).is_integer()):
            d.append(Diagnostic(r.loc, "routing grouped needs a whole group count G > 0, e.g. "
                                       f"'routing grouped 8', found {fmt(g)}"))
        else:
            g = int(g)
            if w.experts > 0 and w.experts % g:
                d.append(Diagnostic(r.loc, f"routing grouped {g}: the group count must divide "
                                           f"experts {w.experts}"))
            if w.topk > 0 and w.topk % g:
                d.append(Diagnostic(r.loc, f"routing grouped {g}: the group count must divide "
                                           f"topk {w.topk}, so every token picks as many "
                                           "experts in each group"))
    not_negative(d, r.loc, "routing seed", r.seed)
    return d


def _check_input(d: list[Diagnostic], w: Workload, op, src: str | None, i: int,
                 index: dict[str, int], near: Names) -> None:
    if src is None:
        return
    if src == op.name:
        d.append(Diagnostic(op.loc, f"op '{op.name}' reads itself"))
    elif src not in index:
        d.append(Diagnostic(op.loc, f"op '{op.name}' reads '{src}', which is not an "
                                    f"op of workload '{w.name}'"
                                    + did_you_mean(src, near)))
    elif index[src] > i:
        d.append(Diagnostic(op.loc, f"op '{op.name}' reads '{src}', which is "
                                    "declared after it; an op may only read an op above it"))


def _check_kind(d: list[Diagnostic], w: Workload, op, kind) -> None:
    if kind.needs_input and op.input is None:
        d.append(Diagnostic(op.loc, f"op '{op.name}' of kind {op.kind} needs an input, "
                                    f"e.g. '{op.kind}(x)'"))
    if kind.takes_n and op.n is None and op.n_field is None:
        d.append(Diagnostic(op.loc, f"op '{op.name}' of kind {op.kind} needs an output width "
                                    "'n N'"))
    elif not kind.takes_n and (op.n is not None or op.n_field is not None):
        d.append(Diagnostic(op.loc, f"op '{op.name}' of kind {op.kind} takes no output width "
                                    "'n'; its width follows from its input"))
    else:
        positive(d, op.loc, f"op '{op.name}' n", op.n, "n")
    if not w.hardware.cores_for(kind.capability):
        d.append(Diagnostic(op.loc, f"no core type of hardware '{w.hardware.name}' can run op "
                                    f"'{op.name}': {op.kind} needs capability "
                                    f"'{kind.capability}' ({who_does(w.hardware)})"))


def _check_ops(w: Workload) -> list[Diagnostic]:
    d: list[Diagnostic] = []
    if not w.ops:
        d.append(Diagnostic(w.loc, f"workload '{w.name}' has no ops; declare a chain such as "
                                   "'op dispatch : dispatch'"))
    duplicates(d, w.ops, "op", f"workload '{w.name}'")
    index: dict[str, int] = {}
    for i, op in enumerate(w.ops):
        index.setdefault(op.name, i)
    near = Names(index)   # one for all the workload's mistakes
    for i, op in enumerate(w.ops):
        kind = KINDS.get(op.kind)
        if kind is None:
            d.append(Diagnostic(op.loc, f"unknown op kind '{op.kind}'" + did_you_mean(op.kind, KINDS)))
        _check_input(d, w, op, op.input, i, index, near)
        _check_input(d, w, op, op.input2, i, index, near)
        if kind is not None:
            _check_kind(d, w, op, kind)
    widths = op_widths(w)
    for op in w.ops:
        if op.kind == "swiglu" and op.input in widths:
            src = widths[op.input]
            if src is not None and src % 2:
                d.append(Diagnostic(op.loc, f"op '{op.name}' (swiglu) needs an even input width "
                                            f"(gate and up halves), but '{op.input}' has {src} "
                                            "columns"))
    return d
