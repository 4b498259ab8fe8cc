"""The .hpm language: parse, resolve imports, lower to `Spec`, check; checked targets.

>>> from hpdsl.lang import loads
>>> spec = loads('hardware H { core C count 1 }\\n'
...              'graph g on H { task a on C takes 1 us\\n task b on C takes 2 us after a }')
>>> [(t.name, t.time, t.after) for t in spec.graphs[0].tasks]
[('a', 1000, ()), ('b', 2000, ('a',))]
"""
from __future__ import annotations

import os

from hpdsl.errors import Diagnostic, Loc, UserError
from hpdsl.inputs import Unreadable
from hpdsl.machine import check_workers
from hpdsl.settings import Settings
from hpdsl.spec import Graph, Spec, Tiling
from hpdsl.targets import resolve_target, with_settings

from .analyse import Analysis, analyse, analyse_source
from .check import check_hardware, check_tiling, check_workload
from .check.warnings import workload_warnings
from .load import decode, read_file

__all__ = ["load", "loads", "analyse", "Analysis", "checked_target", "target_warnings",
           "check_workload",
           "check_tiling"]


def load(path: str) -> Spec:
    """Load the .hpm file at `path` and everything it imports; UserError on any mistake."""
    display = str(path)
    try:
        got = read_file(display)
    except Unreadable as e:
        raise UserError(f"'{display}' {e}", Loc(display)) from None
    text, diags = decode(got.data, display, size=got.size)
    if text is None:
        raise UserError(diags)
    return _spec(analyse_source(text, display, os.path.realpath(display)))


def loads(text: str, filename: str = "<string>") -> Spec:
    """Load .hpm source text; imports resolve relative to `filename`'s folder if it exists,
    else the working directory."""
    return _spec(analyse(text, filename))


def _spec(a: Analysis) -> Spec:
    """The checked spec; UserError with every diagnostic (warnings too) if there are errors."""
    if a.spec is None:
        raise UserError(a.diagnostics)
    return a.spec


def target_warnings(item: Tiling | Graph) -> list:
    """The warnings of a checked target (its workload and hardware as overridden)."""
    return workload_warnings(item.workload) if isinstance(item, Tiling) else []


def checked_target(spec: Spec, name: str | None, settings: Settings = Settings()) -> Tiling | Graph:
    """The tiling or graph `name` of `spec` with `settings` applied to its workload and
    hardware, which are checked again: an override gets the messages the same value in
    the file would.

    >>> from hpdsl.settings import parse_settings
    >>> spec = load("examples/toy.hpm")
    >>> checked_target(spec, None, parse_settings(["devices=4"])).workload.devices
    4
    >>> checked_target(spec, None, parse_settings(["devices=3"]))   # doctest: +ELLIPSIS
    Traceback (most recent call last):
    hpdsl.errors.UserError: ...: error: experts 4 is not divisible by devices 3; every device must own the same number of experts (from --set devices=3)
    """
    item = with_settings(resolve_target(spec, name), settings)
    diags = []
    if settings.hardware:
        given = ", ".join("hw." + ".".join(h.path) for h in settings.hardware)
        diags += [Diagnostic(d.loc, f"{d.message} (after --set {given})", d.severity)
                  for d in check_hardware(item.workload.hardware if isinstance(item, Tiling)
                                          else item.hardware)]
    if isinstance(item, Tiling):
        diags += check_workload(item.workload)
    if diags:
        raise UserError(diags)
    hw, devices = ((item.workload.hardware, item.workload.devices) if isinstance(item, Tiling)
                   else (item.hardware, 1))
    check_workers(hw, devices)   # before generating, not when the machine is built
    return item
