"""Hashes of hpdsl's outputs on every example and on the DeepSeek layer at 4 and 16 dies.

A refactoring must not change behaviour: run this before and after and compare the lines.
Each line is `sha256  what`, where `what` names the command. Wall-clock fields
(`solve_seconds`, `emulate_seconds`, `generate_seconds`) are removed before hashing; every
other byte of the graph JSON, the plan JSON and the emulate JSON counts.

    .venv/bin/python benchmarks/golden_hashes.py > before.txt      # on the old commit
    .venv/bin/python benchmarks/golden_hashes.py > after.txt       # on the new one
    diff before.txt after.txt

`--quick` leaves out the 16-die layer (about 4 of the 5 minutes).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from hpdsl.records import without_wall_clock

ROOT = Path(__file__).resolve().parents[1]
HPDSL = [sys.executable, "-m", "hpdsl.cli"]
SMALL = ("serial", "heft", "fifo", "dispatch", "cp", "random", "portfolio")
BIG = ("serial", "heft", "fifo")

# (spec, target, settings, schedulers)
CASES = [
    ("examples/toy.hpm", "tiny", (), SMALL),
    ("examples/diamond.hpm", "diamond", (), SMALL),
    ("examples/ft06.hpm", "ft06", (), SMALL),
    ("examples/labs/idle_wait.hpm", "idle_wait", (), SMALL),
    ("examples/labs/list_gap.hpm", "list_gap", (), SMALL),
    ("examples/labs/sync_race.hpm", "pipeline", (), SMALL),
    ("examples/labs/tile_sizes.hpm", "small", (), BIG),
    ("examples/labs/tile_sizes.hpm", "medium", (), BIG),
    ("examples/labs/tile_sizes.hpm", "large", (), BIG),
    ("examples/deepseek_moe.hpm", "coarse", (), BIG),
    ("examples/deepseek_moe.hpm", "fine", ("devices=4",), BIG),
    ("examples/deepseek_moe.hpm", "fine", ("devices=4", "routing=zipf 1.2"), BIG),
    ("examples/deepseek_moe.hpm", "fine", ("devices=16",), BIG),
]



def _digest(text: str, strip: bool) -> str:
    if strip:
        text = json.dumps(without_wall_clock(json.loads(text)), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _run(args: list[str]) -> str:
    p = subprocess.run(HPDSL + args, cwd=ROOT, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        raise SystemExit(f"hpdsl {' '.join(args)} failed:\n{p.stderr}")
    return p.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="leave out the 16-die layer")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for spec, target, settings, scheds in CASES:
            if a.quick and "devices=16" in settings:
                continue
            sets = [x for s in settings for x in ("--set", s)]
            base = [spec, "-t", target] + sets
            name = " ".join([spec, target] + list(settings))
            print(_digest(_run(["graph"] + base + ["--format", "json"]), False), "graph", name,
                  flush=True)
            print(_digest(_run(["graph"] + base + ["--stats"]), False), "stats", name, flush=True)
            for s in scheds:
                plan = str(Path(tmp) / "plan.json")
                _run(["schedule"] + base + ["-s", s, "-o", plan])
                print(_digest(Path(plan).read_text(), True), "plan", s, name, flush=True)
                print(_digest(_run(["emulate"] + base + [plan, "--json"]), True), "emulate", s,
                      name, flush=True)


if __name__ == "__main__":
    main()
