"""Every shipped example loads and checks; an example nobody runs fails this count."""
from pathlib import Path

import pytest

from hpdsl.lang import load

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").rglob("*.hpm"))
SHARED = Path(__file__).resolve().parents[2] / "shared"


def test_example_count():
    # Adding an example? Add it here and make sure it loads (the test below does).
    assert [p.relative_to(ROOT / "examples").as_posix() for p in EXAMPLES] == [
        "a3.hpm", "deepseek_moe.hpm", "diamond.hpm", "ft06.hpm",
        "labs/expert_waves.hpm", "labs/idle_wait.hpm", "labs/l2_reuse.hpm",
        "labs/list_gap.hpm", "labs/sync_race.hpm", "labs/tile_sizes.hpm", "toy.hpm"]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_loads(path):
    spec = load(str(path))
    assert spec.hardware
    assert spec.files[-1] == str(path)


def test_acceptance_examples_unchanged():
    shared = SHARED / "examples"
    if not shared.is_dir():
        pytest.skip("acceptance examples not available")
    for src in sorted(shared.glob("*.hpm")):
        assert (ROOT / "examples" / src.name).read_bytes() == src.read_bytes(), src.name


def test_ft06_matches_the_benchmark_instance():
    inst = SHARED / "benchdata" / "jsplib" / "instances" / "ft06"
    if not inst.is_file():
        pytest.skip("benchmark data set not available")
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
