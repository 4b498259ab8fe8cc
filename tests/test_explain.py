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


def _serial_layer():
    """serial on Lab 3's medium tiling: one kernel per op, so act runs alone on the AIV."""
    from hpdsl.compare import CompareOptions, compare

    spec = Path(__file__).resolve().parents[1] / "examples" / "labs" / "tile_sizes.hpm"
    g = generate(checked_target(load(str(spec)), "medium"))
    return compare(g, Machine.of(g.hardware, g.devices),
                   CompareOptions(schedulers=("serial",))).runs[0]


def test_every_op_is_named_with_the_time_it_runs():
    r = _serial_layer()
    line = next(s for s in r.why if "ops running" in s)
    shares = r.activity.busy_by_op
    assert list(shares) == ["dispatch", "up", "act", "down", "combine"]
    assert line == "serial: ops running: " + ", ".join(
        f"{op} {f:.0%}" for op, f in shares.items()) + " of the time"
    # the kernels run one after another: the shares add up to at most the whole
    assert sum(shares.values()) <= 1.0


def test_idle_sentences_name_every_op_that_ran_while_a_core_type_sat_idle():
    r = _serial_layer()
    idle = next(s for s in r.why if "AIC idle" in s)
    # serial's AIC sit idle through the dispatch, act and combine kernels
    for op in ("dispatch", "act", "combine"):
        f = r.activity.idle_while["AIC"][op]
        assert f >= 0.01 and f"{f:.0%} while {op} runs" in idle


def test_small_shares_and_explicit_graphs():
    from hpdsl.explain import ops_sentence

    act = Activity(1000, {}, {}, {}, 0, {"up": 0.5, "act": 0.004})
    assert ops_sentence(act) == "ops running: up 50%, act <1% of the time"
    assert not any("ops running" in s for s in _why(None))   # diamond: no ops to name
