"""Golden outputs: every example's graph statistics, schedule JSON and emulate JSON.

A behaviour change shows up here as a diff of tests/golden/, to be reviewed and committed
with the change: `pytest tests/test_golden.py --update-golden` rewrites the files.
Wall-clock fields (solve, emulate and generate seconds) are left out; everything else of
the output counts. The DeepSeek layer runs at 2 dies and 512 tokens (its 16-die shape is
covered by benchmarks/golden_hashes.py, minutes long).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from hpdsl.cli import main
from hpdsl.records import without_wall_clock

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
LISTS = ("serial", "heft", "fifo")
ALL = LISTS + ("dispatch", "cp", "random", "portfolio", "z3")

# name: (spec, target, settings, schedulers)
CASES = {
    "toy": ("examples/toy.hpm", "tiny", (), LISTS + ("dispatch", "cp", "random", "portfolio")),
    "diamond": ("examples/diamond.hpm", "diamond", (), ALL),
    "ft06": ("examples/ft06.hpm", "ft06", (), LISTS + ("dispatch", "cp", "random", "portfolio")),
    "idle_wait": ("examples/labs/idle_wait.hpm", "idle_wait", (), ALL),
    "list_gap": ("examples/labs/list_gap.hpm", "list_gap", (), ALL),
    "sync_race": ("examples/labs/sync_race.hpm", "pipeline", (), ALL),
    "tile_sizes_small": ("examples/labs/tile_sizes.hpm", "small", (), LISTS),
    "tile_sizes_large": ("examples/labs/tile_sizes.hpm", "large", (), LISTS),
    "deepseek_coarse": ("examples/deepseek_moe.hpm", "coarse", ("devices=4",), LISTS),
    "deepseek_fine": ("examples/deepseek_moe.hpm", "fine", ("devices=2", "tokens=512"), LISTS),
    "deepseek_fine_zipf": ("examples/deepseek_moe.hpm", "fine",
                           ("devices=2", "tokens=512", "routing=zipf 1.2"), LISTS),
}



def _cli(capsys, args) -> str:
    code = main(args)
    out = capsys.readouterr().out
    assert code in (0, 1), args
    return out


def _json(text: str) -> str:
    return json.dumps(without_wall_clock(json.loads(text)), indent=1, sort_keys=True) + "\n"


def _outputs(name, capsys, tmp_path):
    spec, target, settings, scheds = CASES[name]
    base = [str(ROOT / spec), "-t", target] + [x for s in settings for x in ("--set", s)]
    yield "stats.txt", _cli(capsys, ["graph"] + base + ["--stats"]).replace(str(ROOT) + "/", "")
    for s in scheds:
        plan = str(tmp_path / f"{s}.json")
        yield f"{s}.schedule.json", _json(_cli(capsys, ["schedule"] + base + ["-s", s, "-o", plan,
                                                                          "--json"]))
        yield f"{s}.emulate.json", _json(_cli(capsys, ["emulate"] + base + [plan, "--json"]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name, capsys, tmp_path, request):
    update = request.config.getoption("--update-golden")
    diffs = []
    for suffix, text in _outputs(name, capsys, tmp_path):
        path = GOLDEN / f"{name}.{suffix}"
        if update:
            path.write_text(text)
        elif not path.is_file():
            diffs.append(f"{path.name} is missing (run pytest --update-golden)")
        elif path.read_text() != text:
            diffs.append(f"{path.name} differs")
    assert not diffs, "; ".join(diffs) + " -- review, then pytest tests/test_golden.py --update-golden"


def test_no_stale_golden_files():
    expected = {f"{name}.stats.txt" for name in CASES}
    expected |= {f"{name}.{s}.{what}.json" for name, (_, _, _, scheds) in CASES.items()
                 for s in scheds for what in ("schedule", "emulate")}
    assert {p.name for p in GOLDEN.iterdir()} == expected
