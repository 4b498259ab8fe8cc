"""`hpdsl.explain.why`: the prediction-gap sentences name candidate causes, not one cause."""
from pathlib import Path

from hpdsl.explain import Activity, why
from hpdsl.generate import generate
from hpdsl.lang import checked_target, load
from hpdsl.machine import Machine

DIAMOND = str(Path(__file__).resolve().parents[1] / "examples" / "diamond.hpm")


def _why(error):
    g = generate(checked_target(load(DIAMOND), None))
    m = Machine.of(g.hardware, g.devices)
    act = Activity(1000, {}, {}, {}, 0, {})
    return why("heft", g, m, act, kernels=1, exposed_comm=0, starved={},
               prediction_error=error, errors=0)


def test_slower_than_predicted_names_links_memory_levels_and_misses():
    line = next(s for s in _why(0.12) if "vs. predicted" in s)
    assert line.startswith("heft: emulated +12% vs. predicted (candidate causes: link, L2 "
                           "and HBM bandwidth shared among the tasks running at once, and "
                           "the L2 misses and write-backs the plan's order causes")


def test_faster_than_predicted_names_early_starts():
    line = next(s for s in _why(-0.08) if "vs. predicted" in s)
    assert line.startswith("heft: emulated -8% vs. predicted (the plan runs each task as "
                           "soon as its waits allow")
    assert "L2 hits" not in line   # the emulator never runs a task faster than its cost


def test_small_prediction_errors_say_nothing():
    assert not any("vs. predicted" in s for s in _why(0.04) + _why(-0.04) + _why(None))
