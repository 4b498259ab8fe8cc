"""The kernel-by-kernel baseline: kernels per op, launches and barriers between them."""
import numpy as np
from hypothesis import given, settings, strategies as st

from hpdsl.solvers import Options, run
from solvers_graphs import explicit

EXAMPLES = __import__("pathlib").Path(__file__).resolve().parents[1] / "examples"


def _kernel_gaps(s, launch):
    for k in range(1, int(s.kernel.max()) + 1):
        assert s.start[s.kernel == k].min() >= s.end[s.kernel < k].max() + launch


def test_explicit_graph_runs_in_waves():
    # wave 0: t0, t3; wave 1: t1, t2; wave 2: t4
    g, m = explicit("d", [("CPU", 1), ("ACC", 1)], [
        ("CPU", 2000, []), ("ACC", 5000, [0]), ("CPU", 3000, [0]), ("ACC", 4000, []),
        ("CPU", 1000, [1, 2, 3])], launch=100)
    s = run("serial", g, m)
    assert s.status == "baseline"
    assert s.kernel.tolist() == [0, 1, 1, 0, 2]
    _kernel_gaps(s, 100)
    assert s.makespan == 100 + 4000 + 100 + 5000 + 100 + 1000


def test_tiles_of_a_kernel_spread_over_its_workers():
    g, m = explicit("w", [("A", 3)], [("A", 10, [])] * 6)
    s = run("serial", g, m)
    assert s.makespan == 20
    assert sorted(np.bincount(s.worker).tolist()) == [2, 2, 2]


def test_serial_is_never_better_than_the_optimum():
    g, m = explicit("o", [("A", 2)], [("A", 5, []), ("A", 7, [0]), ("A", 3, []), ("A", 4, [2])],
                    launch=10)
    assert run("serial", g, m).makespan >= run("z3", g, m).makespan


def test_workload_graph_has_one_kernel_per_op_in_dependency_order():
    from hpdsl.generate import generate
    from hpdsl.lang import checked_target, load
    from hpdsl.machine import Machine

    g = generate(checked_target(load(str(EXAMPLES / "toy.hpm")), None))
    m = Machine.of(g.hardware, g.devices)
    s = run("serial", g, m, Options())
    # ops are dispatch, up, act, down, combine: kernel index = op index here
    assert np.array_equal(s.kernel, g.op)
    _kernel_gaps(s, g.hardware.launch)
    assert s.start.min() >= g.hardware.launch
    assert s.makespan >= run("portfolio", g, m).makespan


def test_a_dependency_across_kernels_pays_the_launch_not_the_sync_latency():
    # t2 (B) needs t0 (A) from the previous wave: it starts a launch after t0 ends, with
    # no sync latency on top (the barrier is a host synchronization)
    g, m = explicit("b", [("A", 2), ("B", 1)], [("A", 10, []), ("A", 10, []), ("B", 10, [0])],
                    sync_latency=1000, launch=5)
    s = run("serial", g, m)
    assert s.start.tolist() == [5, 5, 20]


@st.composite
def waves(draw):
    n = draw(st.integers(1, 12))
    devices = draw(st.integers(1, 2))
    tasks = [(draw(st.sampled_from(["A", "B", "A|B"])), draw(st.integers(0, 30)),
              [u for u in range(v) if draw(st.integers(0, 2)) == 0],
              draw(st.integers(0, devices - 1))) for v in range(n)]
    sync, launch, link = draw(st.integers(0, 50)), draw(st.integers(0, 50)), draw(st.integers(0, 50))
    return tasks, devices, sync, launch, link


@settings(max_examples=60, deadline=None)
@given(waves())
def test_serial_plans_emulate_as_predicted_whatever_launch_and_sync_latency(case):
    from hpdsl.emulator import EmulatorOptions, emulate
    from hpdsl.plan import check_plan, lower

    tasks, devices, sync, launch, link = case
    g, m = explicit("p", [("A", 2), ("B", 1)], tasks, sync_latency=sync, launch=launch,
                    devices=devices, link_latency=link)
    s = run("serial", g, m)
    p = lower(g, m, s)
    assert check_plan(p, g, m) == []
    r = emulate(g, m, p, EmulatorOptions(contention=False))
    assert r.findings == ()
    assert np.array_equal(r.start, s.start) and np.array_equal(r.end, s.end)
