"""Plan files on disk: read one in either format, bounded; which format a path asks for.

The format of a file being read is told by its content (an npz plan is a zip archive; a
JSON plan is text), so a renamed file still loads; a `.npz` name on a file that is not an
archive is reported as such rather than as bad JSON. The format written is told by the
output path: `.npz` gives the binary format, anything else JSON.
"""
from __future__ import annotations

from pathlib import Path

from hpdsl.errors import Loc, UserError
from hpdsl.graph import TaskGraph
from hpdsl.inputs import Unreadable, read_input
from hpdsl.machine import Machine
from hpdsl.plan.json_io import load_plan
from hpdsl.plan.npz_io import is_npz, load_plan_npz
from hpdsl.plan.program import Plan
from hpdsl.plan.validate import max_plan_bytes

NPZ_SUFFIX = ".npz"


def wants_npz(path: str | Path) -> bool:
    """Whether an output path asks for the binary format (its name ends in .npz)."""
    return str(path).lower().endswith(NPZ_SUFFIX)


def read_plan(path: str, graph: TaskGraph, machine: Machine) -> Plan:
    """The plan file at `path` (npz or JSON), validated against `graph` and `machine`."""
    data = read_plan_bytes(path, graph.n_tasks)
    if is_npz(data) or wants_npz(path):
        return load_plan_npz(data, graph, machine, path)
    return load_plan(plan_text(data, path), graph, machine, path)


def check_plan_file(path: str) -> None:
    """UserError unless `path` is a readable regular file (before any long work)."""
    read_plan_bytes(path, None)


def read_plan_bytes(path: str, n_tasks: int | None) -> bytes:
    """The plan file's bytes, at most `max_plan_bytes(n_tasks)` of them (None: one byte).
    Only a regular file is read: a FIFO nobody writes to is refused, not waited for."""
    limit = 0 if n_tasks is None else max_plan_bytes(n_tasks)
    try:
        data = read_input(path, limit).data
    except Unreadable as e:
        raise UserError(f"cannot read plan '{path}': it {e}") from None
    if n_tasks is None:
        return data
    if len(data) > limit:
        raise UserError(f"plan '{path}' is larger than {limit} bytes, more than any plan for "
                        f"this graph of {n_tasks} tasks takes", loc=Loc(path))
    return data


def plan_text(data: bytes, path: str) -> str:
    """A JSON plan's bytes as text (UTF-8; a bad byte is located)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise UserError(f"plan '{path}' is not UTF-8 text (byte 0x{data[e.start]:02x} cannot be "
                        f"decoded)", loc=Loc(path, line, col)) from None
