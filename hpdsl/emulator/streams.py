"""The interpreters' input and output: a plan's streams as Python lists, and what ran.

The interpreters index these lists millions of times; Python lists of ints are several
times faster to index than numpy arrays, so `run` converts the plan once.
"""
from __future__ import annotations

from typing import NamedTuple


class Streams(NamedTuple):
    """Per instruction `code`, `arg` (task or event), `cnt` (a wait's count) and `dur` (an
    exec's uncontended ns, 0 elsewhere); queue q's instructions are ptr[q]:ptr[q + 1]."""

    code: list[int]
    arg: list[int]
    cnt: list[int]
    dur: list[int]
    ptr: list[int]
    n_events: int
    launch: int                # ns: every queue starts at it, and a barrier costs it


class Outcome(NamedTuple):
    """`done` per instruction (-1: never completed), `pc` per queue (where it stopped; its
    stream's end when it finished), `counter` per event (the signals it got: all arrive
    before the run ends) and `processed` (heap entries handled, or queue resumptions for
    the interpreter without a heap)."""

    done: list[int]
    pc: list[int]
    counter: list[int]
    processed: int
