"""The .hpm language: parse, resolve imports, lower to `Spec`, check.

>>> from hpdsl.lang import loads
>>> spec = loads('hardware H { core C count 1 }\\n'
...              'graph g on H { task a on C takes 1 us\\n task b on C takes 2 us after a }')
>>> [(t.name, t.time, t.after) for t in spec.graphs[0].tasks]
[('a', 1000, ()), ('b', 2000, ('a',))]
"""
from __future__ import annotations

import os

from hpdsl.errors import Diagnostic, Loc, UserError
from hpdsl.spec import Spec

from .check import check_spec, check_tiling, check_workload, sort_diagnostics
from .load import collect, decode, _read_bytes
from .lower import lower

__all__ = ["load", "loads", "check_workload", "check_tiling"]


def load(path: str) -> Spec:
    """Load the .hpm file at `path` and everything it imports; UserError on any mistake."""
    display = str(path)
    if not os.path.exists(display):
        raise UserError(f"file '{display}' does not exist", Loc(display))
    if not os.path.isfile(display):
        raise UserError(f"'{display}' is not a file", Loc(display))
    try:
        data = _read_bytes(display)
    except OSError as e:
        raise UserError(f"cannot read '{display}': {e.strerror}", Loc(display)) from None
    text, diags = decode(data, display)
    if text is None:
        raise UserError(diags)
    return _finish(text, display, os.path.realpath(display))


def loads(text: str, filename: str = "<string>") -> Spec:
    """Load .hpm source text; imports resolve relative to `filename`'s folder if it exists,
    else the working directory."""
    if len(text.encode("utf-8", "surrogatepass")) > 4 * 2**20 or "\x00" in text:
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
