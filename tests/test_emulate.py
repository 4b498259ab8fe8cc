"""`hpdsl emulate`: what it reads (a regular plan file, bounded) and how it reports an invalid plan."""
from __future__ import annotations

import json
import os
import re

import pytest

from hpdsl.cli import main
from hpdsl.plan.validate import max_plan_bytes as plan_limit

RACE = "examples/labs/sync_race.hpm"


@pytest.fixture
def plan(tmp_path, capsys):
    p = tmp_path / "plan.json"
    assert main(["schedule", RACE, "-s", "heft", "-o", str(p)]) == 0
    capsys.readouterr()
    return p


def test_a_fifo_is_refused_at_once(tmp_path, capsys, monkeypatch):
    # it blocked forever when nothing wrote to the FIFO; now refused before any work
    import hpdsl.commands.common as common

    monkeypatch.setattr(common, "generate", lambda *a, **k: pytest.fail("generated first"))
    os.mkfifo(tmp_path / "fifo")
    assert main(["emulate", RACE, str(tmp_path / "fifo")]) == 1
    assert capsys.readouterr().err == (f"error: cannot read plan '{tmp_path}/fifo': it is a FIFO "
                                       "(named pipe), not a regular file\n")
    for path, why in ((str(tmp_path), "is a folder, not a file"), ("/dev/zero",
                      "is a character device, not a regular file"),
                      (str(tmp_path / "none"), "does not exist")):
        assert main(["emulate", RACE, path]) == 1
        assert capsys.readouterr().err == f"error: cannot read plan '{path}': it {why}\n"


def test_a_plan_larger_than_any_plan_of_the_graph_is_refused(tmp_path, capsys):
    big = tmp_path / "big.json"
    big.write_text(" " * (plan_limit(5) + 1))
    assert main(["emulate", RACE, str(big)]) == 1
    assert capsys.readouterr().err == (f"{big}: error: plan '{big}' is larger than "
                                       f"{plan_limit(5)} bytes, more than any plan for this graph "
                                       "of 5 tasks takes\n")


def test_an_invalid_plan_shows_no_makespan_and_no_prediction_error(plan, tmp_path, capsys):
    doc = json.loads(plan.read_text())
    q = doc["queues"]["d0.DMA0.DMA"]
    q.insert(2, q.pop(4))      # lab 4's deadlock
    bad = tmp_path / "cycle.json"
    bad.write_text(json.dumps(doc))
    assert main(["emulate", RACE, str(bad)]) == 1
    out = capsys.readouterr().out
    assert "emulated     none: the plan is invalid (the run ended at " in out
    assert "predicted    " in out and "emulated is" not in out and "%)" not in out.split(
        "predicted")[1].splitlines()[0]
    # the deadlock reads once, each wait naming its own two queues
    line = next(l for l in out.splitlines() if l.startswith("  deadlock: "))
    assert line.startswith("  deadlock: queues wait for each other in a cycle: 'd0.")
    assert "deadlock: deadlock" not in line and ", which" not in line
    assert main(["emulate", RACE, str(bad), "--json"]) == 1
    r = json.loads(capsys.readouterr().out)["results"][0]
    assert r["violations"] and r["prediction_error"] is None


def test_a_valid_plan_says_how_far_emulation_is_from_the_prediction(plan, tmp_path, capsys):
    # in words: "emulated is -46.7%" read like a speedup
    assert main(["emulate", RACE, str(plan)]) == 0
    assert "predicted    15.000 us (the emulation matches it)\n" in capsys.readouterr().out
    toy = tmp_path / "toy.json"
    assert main(["schedule", "examples/toy.hpm", "-s", "heft", "-o", str(toy)]) == 0
    capsys.readouterr()
    assert main(["emulate", "examples/toy.hpm", str(toy)]) == 0
    pred = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("predicted"))
    assert re.fullmatch(r"predicted    [\d.]+ us \(emulated \d+\.\d% (above|below) it\)", pred)
