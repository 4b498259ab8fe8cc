"""Every shipped example loads and checks; an example nobody runs fails this count."""
import hashlib
from pathlib import Path

import pytest

from hpdsl.benchdata import data_path
from hpdsl.lang import load

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").rglob("*.hpm"))
# The acceptance examples are fixed: results about them are checked from outside against
# these very files. Change one only with the issue that changes the acceptance checks.
ACCEPTANCE = {
    "a3.hpm": "2c46c7212b9975d554e555ff988f259f6c6a04fcbd70507c854b435bad41bc52",
    "deepseek_moe.hpm": "230b82dc96d242b6a50fd46e92541ff533f0a52c1164f42ee1290922d893952e",
    "diamond.hpm": "5cfbb79c4908e23d52e86ed4b5c50a16a39392f4e8dc21a40f376c1065a5cc61",
    "toy.hpm": "aa54d937c93cf3aad04fef6176ad42b4cac15ef4eb2df39df8baf5a324229742",
}


def test_example_count():
    # Adding an example? Add it here and make sure it loads (the test below does).
    assert [p.relative_to(ROOT / "examples").as_posix() for p in EXAMPLES] == [
        "a3.hpm", "a3_superpod.hpm", "deepseek_moe.hpm", "deepseek_superpod.hpm",
        "diamond.hpm", "ft06.hpm",
        "labs/expert_waves.hpm", "labs/idle_wait.hpm", "labs/l2_reuse.hpm",
        "labs/list_gap.hpm", "labs/sync_race.hpm", "labs/tile_sizes.hpm", "mixtral_h100.hpm",
        "qwen_moe_a3.hpm", "toy.hpm"]


# Real models, through compare at a few tokens per device (the shapes stay the models').
MODELS = (("mixtral_h100.hpm", ["tokens=32"], "fine (", ("SM busy",)),
          ("qwen_moe_a3.hpm", ["tokens=16", "devices=4"], "fine (",
           ("l2.combine", "l1.sdown")))


@pytest.mark.parametrize("name,sets,head,words", MODELS, ids=[m[0] for m in MODELS])
def test_model_examples_run_through_compare(name, sets, head, words, capsys):
    from hpdsl.cli import main

    args = ["compare", str(ROOT / "examples" / name), "--schedulers", "serial,heft"]
    for s in sets:
        args += ["--set", s]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith(head) and all(w in out for w in words)
    assert out.count(" ok\n") == 2            # both plans emulate without violations


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_loads(path):
    spec = load(str(path))
    assert spec.hardware
    assert spec.files[-1] == str(path)


def test_acceptance_examples_unchanged():
    found = {name: hashlib.sha256((ROOT / "examples" / name).read_bytes()).hexdigest()
             for name in ACCEPTANCE}
    assert found == ACCEPTANCE


def test_ft06_matches_the_benchmark_instance():
    inst = data_path("jsplib/instances/ft06")
    rows = [line.split() for line in inst.read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    jobs, machines = map(int, rows[0])
    g = load(str(ROOT / "examples" / "ft06.hpm")).graphs[0]
    tasks = {t.name: t for t in g.tasks}
    assert len(tasks) == jobs * machines
    for j, row in enumerate(rows[1:1 + jobs]):
        for k in range(machines):
            t = tasks[f"J{j}_{k}"]
            assert (t.core, t.time) == (f"M{row[2 * k]}", int(row[2 * k + 1]) * 1000)
            assert t.after == ((f"J{j}_{k - 1}",) if k else ())
    assert all(c.count == 1 for c in g.hardware.cores)
