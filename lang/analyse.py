"""Every diagnostic of a spec, without raising: what `load` judges and editors show.

`load` and `loads` raise on the errors `analyse` finds; the language server publishes all
of them, warnings included, while the text is being written (an open file's unsaved text
is checked as it stands, its imports are read from disk).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace

from hpdsl.errors import Diagnostic
from hpdsl.spec import Spec

from .check import check_spec
from .check.warnings import spec_warnings
from .diagnostics import sort_diagnostics
from .load import MAX_FILE_BYTES, collect, decode
from .lower import lower


@dataclass(frozen=True, slots=True)
class Analysis:
    """A checked spec (None when there are errors) and every diagnostic, in reading order."""

    spec: Spec | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)


def analyse(text: str, filename: str = "<string>") -> Analysis:
    """Check .hpm source text as `loads` does; imports resolve relative to `filename`'s
    folder (the working directory for '<string>').

    >>> a = analyse('hardware H { core C count 1 }\\ngraph g on H { task a on D takes 1 us }')
    >>> [str(d) for d in a.diagnostics], a.spec
    (["<string>:2:16: error: task 'a' runs on unknown core type 'D' (valid: 'C')"], None)
    """
    data = text.encode("utf-8", "surrogatepass")
    if len(data) > MAX_FILE_BYTES or "\x00" in text:
        _, diags = decode(data, filename)
        return Analysis(None, tuple(diags))
    real = os.path.realpath(filename) if filename != "<string>" else None
    return analyse_source(text.lstrip("\ufeff"), filename, real)


def analyse_source(text: str, display: str, real: str | None) -> Analysis:
    """Parse, resolve imports, lower and check decoded text (`real`: its resolved path)."""
    sources, diags = collect(text, display, real)
    if diags:   # syntax or import errors: later stages would only report their echoes
        files = tuple(s.display for s in sources) or (display,)
        return Analysis(None, tuple(sort_diagnostics(diags, files)))
    spec, diags = lower(sources)
    diags = diags + check_spec(spec)
    failed = any(d.is_error for d in diags)
    if not failed:
        warned = spec_warnings(spec)
        diags += warned
        spec = replace(spec, warnings=tuple(sort_diagnostics(warned, spec.files)))
    diags = sort_diagnostics(diags, spec.files)
    return Analysis(None if failed else spec, tuple(diags))
