"""User errors (located, gcc style) kept apart from internal bugs.

A `UserError` carries one or more `Diagnostic`s, each `file:line:col: error: sentence`.
Anything else that escapes a stage is a bug in hpdsl and is allowed to show a traceback.

A diagnostic is an error (the input is refused) or a warning (accepted, but probably not
what was meant). Checks append both to one list; loading refuses a file only for its
errors, and editors (`hpdsl lsp`) show each with its own severity.

Reports are capped so that they stay short and linear in the input however many mistakes
a hostile file makes (docs/limits.md).
"""
from __future__ import annotations

import bisect
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

# Caps on what one error report holds (docs/limits.md).
MAX_MESSAGE_CHARS = 1000       # one diagnostic's sentence; longer ones are cut in the middle
MAX_SHOWN_DIAGNOSTICS = 1000   # diagnostics printed by one error; the rest are counted
MAX_LISTED_NAMES = 20          # names listed after "valid:"; past that, the nearest and a count
MAX_SUGGESTED = 100            # names one `Names` searches for a near one; past that, a count
_NEAR_CHARS = 64               # names longer than this are nobody's typo: no search
_WINDOW = 4                    # neighbours searched on each side, in two sorted orders
_FULL_SCAN = 50                # sets up to this size are searched whole


def clip(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text`, cut in the middle when longer than `limit` (an echoed 4 MB name stays short).

    >>> clip("a" * 30 + "b" * 30, 40)
    'aaaaaaa[... 47 characters cut ...]bbbbbb'
    """
    if len(text) <= limit:
        return text
    cut = len(text)
    for _ in range(2):   # the mark's own length depends on the number it shows
        mark = f"[... {cut} characters cut ...]"
        keep = max(limit - len(mark), 0)
        cut = len(text) - keep
    head, tail = keep - keep // 2, keep // 2
    return f"{text[:head]}[... {cut} characters cut ...]{text[len(text) - tail:]}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One located message, gcc style: `file:line:col: error: sentence` (the sentence at
    most MAX_MESSAGE_CHARS long: an echoed 4 MB name is cut in the middle).

    >>> str(Diagnostic(Loc("a.hpm", 3, 5), "hardware 'H' has no memory", WARNING))
    "a.hpm:3:5: warning: hardware 'H' has no memory"
    """

    loc: Loc | None
    message: str
    severity: str = ERROR

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")
        object.__setattr__(self, "message", clip(self.message))

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        where = f"{self.loc}: " if self.loc is not None else ""
        return f"{where}{self.severity}: {self.message}"


class UserError(Exception):
    """A mistake in the user's input; printed without a traceback, exit status 1.

    Its text shows at most MAX_SHOWN_DIAGNOSTICS diagnostics and counts the rest; all of
    them stay in `diagnostics`.
    """

    def __init__(self, diagnostics: Iterable[Diagnostic] | str, loc: Loc | None = None):
        if isinstance(diagnostics, str):
            diagnostics = [Diagnostic(loc, diagnostics)]
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        shown = [str(d) for d in self.diagnostics[:MAX_SHOWN_DIAGNOSTICS]]
        more = len(self.diagnostics) - len(shown)
        if more:
            shown.append(f"error: ... and {more} more errors (the first "
                         f"{MAX_SHOWN_DIAGNOSTICS} are shown)")
        super().__init__("\n".join(shown))


class Names:
    """A set of valid names prepared once for many `did_you_mean` questions.

    A caller that may ask about many unknown names against one large set (the tasks of a
    graph, the queues of a machine) makes one `Names` (free until the first question):
    each question then costs a bisection and a few comparisons, not a pass over the set,
    and after MAX_SUGGESTED questions it stops searching, so a file of a million
    mistakes is still read in linear time.
    """

    def __init__(self, valid: Iterable[str]):
        self._valid = valid
        self._sorted: tuple[str, ...] | None = None
        self.asked = 0

    def _prepare(self) -> None:
        self.set = frozenset(self._valid)
        self._sorted = tuple(sorted(self.set))
        self.backwards = tuple(sorted(v[::-1] for v in self._sorted))   # typos up front

    @property
    def sorted(self) -> tuple[str, ...]:
        if self._sorted is None:
            self._prepare()
        return self._sorted

    def __len__(self) -> int:
        return len(self.sorted)

    def nearest(self, name: str) -> str | None:
        """The closest valid name (difflib's ratio >= 0.6), searched among the names next
        to `name` in sorted order, in reversed-name order, and its prefixes, when the set
        is large; None if none is close."""
        self.asked += 1
        if self.asked > MAX_SUGGESTED or len(name) > _NEAR_CHARS:
            return None
        if len(self.sorted) <= _FULL_SCAN:
            pool = self.sorted
        else:
            pool = {name[:k] for k in range(1, len(name)) if name[:k] in self.set}
            pool.update(_around(self.sorted, name))
            pool.update(v[::-1] for v in _around(self.backwards, name[::-1]))
            pool = sorted(v for v in pool if len(v) <= _NEAR_CHARS)
        near = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
        return near[0] if near else None


def _around(ordered: tuple[str, ...], name: str) -> tuple[str, ...]:
    i = bisect.bisect_left(ordered, name)
    return ordered[max(i - _WINDOW, 0):i + _WINDOW]


def did_you_mean(name: str, valid: Iterable[str] | Names) -> str:
    """A sentence tail naming the valid choices and the nearest one, if any; past
    MAX_LISTED_NAMES valid names, the nearest one and how many there are.

    >>> did_you_mean("AIW", ["AIC", "AIV"])
    " (did you mean 'AIV'? valid: 'AIC', 'AIV')"
    >>> did_you_mean("h77x", [f"h{i}" for i in range(1500)])
    " (did you mean 'h77'? 1500 valid names, e.g. 'h0', 'h1', 'h10')"
    """
    names = valid if isinstance(valid, Names) else Names(valid)
    near = names.nearest(name)
    ask = f"did you mean '{clip(near, 200)}'? " if near else ""
    if len(names) <= MAX_LISTED_NAMES:
        listed = ", ".join(f"'{v}'" for v in names.sorted) if len(names) else "none"
        return clip(f" ({ask}valid: {listed})", MAX_MESSAGE_CHARS // 2)
    first = ", ".join(f"'{clip(v, 60)}'" for v in names.sorted[:3])
    return f" ({ask}{len(names)} valid names, e.g. {first})"
