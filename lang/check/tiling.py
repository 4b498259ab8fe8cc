"""Checks of a `tiling`: one rule of the right form per op, tiles that fit, pinned cores."""
from __future__ import annotations

from hpdsl.errors import Diagnostic, Loc, Names, did_you_mean
from hpdsl.ops import KINDS
from hpdsl.spec import Tiling, TileRule

from .workload import op_widths


def check_tiling(t: Tiling) -> list[Diagnostic]:
    d: list[Diagnostic] = []
    w = t.workload
    ops = {op.name: op for op in w.ops}
    cores = {c.name: c for c in w.hardware.cores}
    near_op, near_core = Names(ops), Names(cores)   # one each for all the tiling's mistakes
    widths = op_widths(w)
    seen: dict[str, Loc | None] = {}
    for r in t.rules:
        if r.op in seen:
            d.append(Diagnostic(r.loc, f"op '{r.op}' has more than one rule in tiling '{t.name}' "
                                       f"(first at line {seen[r.op].line})"))
            continue
        seen[r.op] = r.loc
        op = ops.get(r.op)
        if op is None:
            d.append(Diagnostic(r.loc, f"tiling '{t.name}' has a rule for '{r.op}', which is not "
                                       f"an op of workload '{w.name}'" + did_you_mean(r.op, near_op)))
            continue
        kind = KINDS.get(op.kind)
        if kind is None:
            continue   # reported with the workload
        if r.chunk is None and r.tile is None:
            continue   # its number was not usable, and lowering said so
        _check_rule(d, r, op.kind, kind, widths.get(r.op))
        if r.core is None:
            continue
        if r.core not in cores:
            d.append(Diagnostic(r.loc, f"unknown core type '{r.core}' in hardware "
                                       f"'{w.hardware.name}'" + did_you_mean(r.core, near_core)))
        elif not cores[r.core].can(kind.capability):
            d.append(Diagnostic(r.loc, f"core type '{r.core}' cannot run op '{r.op}': "
                                       f"{op.kind} needs capability '{kind.capability}'"))
    for op in w.ops:
        if op.name not in seen:
            d.append(Diagnostic(t.loc, f"op '{op.name}' of workload '{w.name}' has no rule in "
                                       f"tiling '{t.name}'"))
    return d


def _check_rule(d: list[Diagnostic], r: TileRule, op_kind: str, kind, width: int | None) -> None:
    """The form and sizes of rule `r` for an op of kind `kind` whose output is `width` wide."""
    if kind.split == "chunk" and r.chunk is None:
        d.append(Diagnostic(r.loc, f"op '{r.op}' ({op_kind}) is split in chunks of rows: "
                                   f"write '{r.op} chunk ROWS'"))
    elif kind.split == "tile" and r.tile is None:
        d.append(Diagnostic(r.loc, f"op '{r.op}' ({op_kind}) is split in tiles: write "
                                   f"'{r.op} tile ROWS x COLUMNS'"))
    if r.chunk is not None and r.chunk <= 0:
        d.append(Diagnostic(r.loc, f"the chunk of op '{r.op}' must be positive, found {r.chunk}"))
    if r.tile is not None:
        rows, cols = r.tile
        if rows <= 0 or cols <= 0:
            d.append(Diagnostic(r.loc, f"the tile of op '{r.op}' must be positive in both "
                                       f"dimensions, found {rows} x {cols}"))
        elif width is not None and cols > width:
            d.append(Diagnostic(r.loc, f"tile {rows} x {cols} of op '{r.op}' is wider than "
                                       f"the op's output ({width} columns)"))
