"""Progress bars on long work, by one rule: drawn on stderr when it is a terminal, never in
a `--json` run, never when stderr is a file or a pipe.

A stage asks for a counter and advances it; when bars are off the counter does nothing,
cheaply enough to call once per task in a hot loop. Bars appear only when the work
lasts (`DELAY_S`) and vanish when it ends, so short runs and the text lines that
commands print stay as they were. Bars are tqdm's (its `TQDM_DISABLE=1` turns them off
everywhere). Use:

    with progress.counter(graph.n_tasks, "schedule heft") as bar:
        for task in order:
            ...
            bar.advance()

>>> with counter(3, "work") as bar:   # the doctest's stderr is no terminal: nothing drawn
...     bar.advance(3)
>>> bar.done
3
"""
from __future__ import annotations

import sys
from contextlib import contextmanager

DELAY_S = 0.5   # a bar appears once its work has run this long

_quiet = 0      # nesting depth of `quiet()`: a --json run draws nothing


def enabled() -> bool:
    """Whether a counter made now draws a bar."""
    if _quiet:
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


@contextmanager
def quiet(on: bool = True):
    """No bars inside (for `--json` runs: their output is for programs)."""
    global _quiet
    _quiet += bool(on)
    try:
        yield
    finally:
        _quiet -= bool(on)


class Counter:
    """Counts work done; draws nothing. `advance(n)` is the whole interface."""

    def __init__(self):
        self.done = 0

    def advance(self, n: int = 1) -> None:
        self.done += n

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Bar(Counter):
    """A counter drawn as a tqdm bar on stderr, redrawn about a thousand times at most."""

    def __init__(self, total: int, label: str):
        from tqdm import tqdm

        super().__init__()
        self._bar = tqdm(total=total, desc=f"hpdsl: {label}",
                         leave=False, delay=DELAY_S, file=sys.stderr, dynamic_ncols=True)
        self._step = max(1, total // 1000)
        self._shown = 0

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.done - self._shown >= self._step:
            self._bar.update(self.done - self._shown)
            self._shown = self.done

    def close(self) -> None:
        self._bar.update(self.done - self._shown)
        self._shown = self.done
        self._bar.close()


def counter(total: int, label: str) -> Counter:
    """A counter of `total` units of work named `label`: a bar when bars are on."""
    return Bar(total, label) if enabled() and total > 0 else Counter()
