"""Diagnostics in the order a reader meets them: by file (as loaded), line, column."""
from __future__ import annotations

from hpdsl.errors import Diagnostic


def sort_diagnostics(diags: list[Diagnostic], files: tuple[str, ...]) -> list[Diagnostic]:
    """Diagnostics in reading order: by file (as loaded), line, column; duplicates dropped."""
    order = {f: i for i, f in enumerate(files)}
    seen, out = set(), []
    for diag in diags:
        key = str(diag)
        if key not in seen:
            seen.add(key)
            out.append(diag)

    def key(diag):
        loc = diag.loc
        if loc is None:
            return (len(order) + 1, 0, 0)
        return (order.get(loc.file, -1), loc.line, loc.col)
    return sorted(out, key=key)
