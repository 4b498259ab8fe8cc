"""User errors (located, gcc style) kept apart from internal bugs.

A `UserError` carries one or more `Diagnostic`s, each `file:line:col: error: sentence`.
Anything else that escapes a stage is a bug in hpdsl and is allowed to show a traceback.

A diagnostic is an error (the input is refused) or a warning (accepted, but probably not
what was meant). Checks append both to one list; loading refuses a file only for its
errors, and editors (`hpdsl lsp`) show each with its own severity.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True, slots=True)
class Loc:
    """Where something came from in user text (1-based line and column)."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.col}"


ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One located message, gcc style: `file:line:col: error: sentence`.

    >>> str(Diagnostic(Loc("a.hpm", 3, 5), "hardware 'H' has no memory", WARNING))
    "a.hpm:3:5: warning: hardware 'H' has no memory"
    """

    loc: Loc | None
    message: str
    severity: str = ERROR

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        where = f"{self.loc}: " if self.loc is not None else ""
        return f"{where}{self.severity}: {self.message}"


class UserError(Exception):
    """A mistake in the user's input; printed without a traceback, exit status 1."""

    def __init__(self, diagnostics: Iterable[Diagnostic] | str, loc: Loc | None = None):
        if isinstance(diagnostics, str):
            diagnostics = [Diagnostic(loc, diagnostics)]
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def did_you_mean(name: str, valid: Iterable[str]) -> str:
    """A sentence tail naming the valid choices and the nearest one, if any.

    >>> did_you_mean("AIW", ["AIC", "AIV"])
    " (did you mean 'AIV'? valid: 'AIC', 'AIV')"
    """
    valid = sorted(set(valid))
    near = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    listed = ", ".join(f"'{v}'" for v in valid) if valid else "none"
    if near:
        return f" (did you mean '{near[0]}'? valid: {listed})"
    return f" (valid: {listed})"
