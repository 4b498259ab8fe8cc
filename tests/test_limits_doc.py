"""docs/limits.md names every cap with its value, and docs/index.md links to it."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import hpdsl.errors as errors
import hpdsl.generate as generate
import hpdsl.machine as machine
import hpdsl.plan.check as check
import hpdsl.plan.order as order
import hpdsl.plan.validate as validate
import hpdsl.units as units
from hpdsl.lang.check.common import LIMITS

load = importlib.import_module("hpdsl.lang.load")   # the package's `load` is the function

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "limits.md").read_text()
CAPS = {load: ("MAX_FILE_BYTES", "MAX_IMPORTS", "MAX_IMPORT_DEPTH"), units: ("MAX_TIME_NS",),
        generate: ("DEFAULT_MAX_TASKS", "MAX_ROUTED_ROWS", "MAX_ROUTED_CELLS"),
        machine: ("MAX_WORKERS",),
        validate: ("PLAN_BASE_BYTES", "PLAN_BYTES_PER_TASK", "MAX_COUNT"), order: ("MAX_PROOF_BYTES",),
        check: ("MAX_CANDIDATES", "MAX_LISTED"),
        errors: ("MAX_MESSAGE_CHARS", "MAX_SHOWN_DIAGNOSTICS", "MAX_LISTED_NAMES",
                 "MAX_SUGGESTED")}


def _row(name: str) -> str:
    rows = [line for line in DOC.splitlines() if f"`{name}`" in line or f'["{name}"]' in line]
    assert rows, f"docs/limits.md does not name {name}"
    return rows[0]


def _forms(v) -> set[str]:
    """How a value may be written in the table: 1048576, 1,048,576, 2^20, 1 MiB, 1 GiB, ..."""
    out = {f"{v:g}"}
    v = int(v)
    out |= {str(v), f"{v:,}"}
    for base, unit in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if v % base == 0:
            out.add(f"{v // base} {unit}")
    for n in range(1, 64):
        if v == 2**n:
            out.add(f"2^{n}")
        if v == 2**n - 1:
            out.add(f"2^{n} - 1")
    return out


def test_every_cap_is_documented_with_its_value():
    for mod, names in CAPS.items():
        for name in names:
            row = _row(name)
            assert any(f in row for f in _forms(getattr(mod, name))), (name, row)
    for key, v in LIMITS.items():
        row = _row(key)
        assert any(f in row for f in _forms(v)), (key, row)


def test_no_cap_of_these_modules_is_left_out():
    # a new MAX_... constant in one of these modules needs a row
    for mod, names in CAPS.items():
        cap = r"(DEFAULT_)?MAX_[A-Z_]+|PLAN_[A-Z_]+_BYTES|PLAN_BYTES_[A-Z_]+"
        found = {n for n in vars(mod) if re.fullmatch(cap, n)}
        assert found <= set(names), (mod.__name__, found - set(names))


def test_index_links_the_page():
    assert "(limits.md)" in (ROOT / "docs" / "index.md").read_text()
