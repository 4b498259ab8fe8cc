"""The result's vocabulary: every finding kind the validator reports is listed and documented."""
from __future__ import annotations

import re
from pathlib import Path

from hpdsl.emulator.result import KINDS

ROOT = Path(__file__).resolve().parents[1]


def test_kinds_are_the_validators_and_the_documented_ones():
    source = "".join(f.read_text() for f in (ROOT / "hpdsl" / "emulator").glob("*.py"))
    made = set(re.findall(r'Finding\(\s*"([a-z-]+)"', source))
    table = re.findall(r"^\| `([a-z-]+)` \| (?:error|warning) \|",
                       (ROOT / "docs" / "emulator.md").read_text(), re.M)
    assert made == set(KINDS)
    assert table == list(KINDS)
