"""Semantic checks on `Spec` values: names, ranges, op chains, tilings, graph cycles.

Each check returns a list of located diagnostics instead of raising, so that all the
mistakes of a file are reported together. One module per declaration: `hardware`,
`workload` (settings, routing, op chain), `tiling`, `graph`; `common` holds the limits
and the number and name rules they share.
"""
from __future__ import annotations

from hpdsl.errors import Diagnostic
from hpdsl.spec import Spec

from .common import duplicates
from .graph import check_graph, find_cycle
from .hardware import check_hardware
from .tiling import check_tiling
from .workload import check_workload, op_widths

__all__ = ["check_spec", "check_hardware", "check_workload", "check_tiling", "check_graph",
           "find_cycle", "op_widths"]


def check_spec(spec: Spec) -> list[Diagnostic]:
    """Every check of every declaration, plus unique names across the spec."""
    d: list[Diagnostic] = []
    duplicates(d, spec.hardware, "hardware", "the spec")
    duplicates(d, spec.workloads, "workload", "the spec")
    # tilings and graphs are both targets of the command line: one namespace
    duplicates(d, sorted(spec.tilings + spec.graphs, key=_order(spec)), "target", "the spec")
    for hw in spec.hardware:
        d.extend(check_hardware(hw))
    for w in spec.workloads:
        d.extend(check_workload(w))
    for t in spec.tilings:
        d.extend(check_tiling(t))
    for g in spec.graphs:
        d.extend(check_graph(g))
    return d


def _order(spec: Spec):
    files = {f: i for i, f in enumerate(spec.files)}

    def key(x):
        loc = x.loc
        return (files.get(loc.file, len(files)), loc.line, loc.col) if loc else (len(files), 0, 0)
    return key
