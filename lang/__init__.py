"""The .hpm language: parse, resolve imports, lower to `Spec`, check; checked targets.

>>> from hpdsl.lang import loads
>>> spec = loads('hardware H { core C count 1 }\\n'
...              'graph g on H { task a on C takes 1 us\\n task b on C takes 2 us after a }')
>>> [(t.name, t.time, t.after) for t in spec.graphs[0].tasks]
[('a', 1000, ()), ('b', 2000, ('a',))]
"""
from __future__ import annotations

import os

from hpdsl.errors import Loc, UserError
from hpdsl.inputs import Unreadable
from hpdsl.machine import check_workers
from hpdsl.settings import Settings
from hpdsl.spec import Graph, Spec, Tiling
from hpdsl.targets import resolve_target, with_settings

from .check import check_spec, check_tiling, check_workload
from .diagnostics import sort_diagnostics
from .load import MAX_SPEC_BYTES, collect, decode, read_file
from .lower import lower

__all__ = ["load", "loads", "checked_target", "check_workload", "check_tiling"]


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
    return _finish(text, display, os.path.realpath(display))


def loads(text: str, filename: str = "<string>") -> Spec:
    """Load .hpm source text; imports resolve relative to `filename`'s folder if it exists,
    else the working directory."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SPEC_BYTES or "\x00" in text:
        _, diags = decode(text.encode("utf-8", "surrogatepass"), filename)
        raise UserError(diags)
    real = os.path.realpath(filename) if filename != "<string>" else None
    return _finish(text.lstrip("\ufeff"), filename, real)


def _finish(text: str, display: str, real: str | None) -> Spec:
    sources, diags = collect(text, display, real)
    if diags:   # syntax or import errors: later stages would only report their echoes
        raise UserError(sort_diagnostics(diags, tuple(s.display for s in sources) or (display,)))
    spec, diags = lower(sources)
    diags = diags + check_spec(spec)
    if diags:
        raise UserError(sort_diagnostics(diags, spec.files))
    return spec


def checked_target(spec: Spec, name: str | None, settings: Settings = Settings()) -> Tiling | Graph:
    """The tiling or graph `name` of `spec` with `settings` applied to its workload, which is
    checked again: an override gets the messages the same value in the file would.

    >>> from hpdsl.settings import parse_settings
    >>> spec = load("examples/toy.hpm")
    >>> checked_target(spec, None, parse_settings(["devices=4"])).workload.devices
    4
    >>> checked_target(spec, None, parse_settings(["devices=3"]))   # doctest: +ELLIPSIS
    Traceback (most recent call last):
    hpdsl.errors.UserError: ...: error: experts 4 is not divisible by devices 3; every device must own the same number of experts
    """
    item = with_settings(resolve_target(spec, name), settings)
    if isinstance(item, Tiling):
        diags = check_workload(item.workload)
        if diags:
            raise UserError(diags)
        check_workers(item.workload.hardware, item.workload.devices)   # before generating
    else:
        check_workers(item.hardware, 1)
    return item
