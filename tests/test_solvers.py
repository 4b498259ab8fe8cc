"""Registry, `run` and the user errors of hpdsl.solvers."""
import numpy as np
import pytest

from hpdsl.errors import UserError
from hpdsl.graph import TaskGraph
from hpdsl.solvers import REGISTRY, Options, lookup, run
from hpdsl.solvers.context import levels
from solvers_graphs import explicit


def diamond():
    return explicit("diamond", [("CPU", 1), ("ACC", 1)], [
        ("CPU", 2000, []), ("ACC", 5000, [0]), ("CPU", 3000, [0]), ("ACC", 4000, []),
        ("CPU", 1000, [1, 2, 3])])


def test_registry_lists_every_scheduler_with_a_description():
    assert {"serial", "heft", "dispatch", "cp", "fifo", "random", "portfolio", "z3",
            "cpsat"} <= set(REGISTRY)
    for name, info in REGISTRY.items():
        assert info.name == name and info.description and callable(info.function)


def test_unknown_scheduler_names_the_valid_ones():
    with pytest.raises(UserError, match=r"unknown scheduler 'hef' \(did you mean 'heft'\? "
                                        r"valid: 'cp', 'cpsat', 'dispatch', 'fifo', 'heft',"):
        lookup("hef")


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_scheduler_solves_the_diamond(name):
    g, m = diamond()
    s = run(name, g, m, Options(time_limit=10))
    assert s.scheduler == name
    assert s.lower_bound == 10000          # critical path load-left-merge
    assert s.makespan >= 10000
    assert s.solve_seconds >= 0
    assert s.start.min() >= 0


def test_public_signature_takes_graph_machine_options():
    g, m = diamond()
    s = REGISTRY["heft"].function(g, m, Options())
    assert len(s.worker) == g.n_tasks


def test_launch_is_a_release_time_for_every_scheduler():
    g, m = explicit("l", [("A", 2)], [("A", 10, []), ("A", 10, [0])], launch=500)
    for name in REGISTRY:
        s = run(name, g, m)
        assert s.start.min() >= 500, name


def test_unknown_portfolio_member_is_a_user_error():
    g, m = diamond()
    with pytest.raises(UserError, match="unknown portfolio member 'hfet' \\(did you mean 'heft'"):
        run("portfolio", g, m, Options(portfolio=("hfet",)))


def test_portfolio_keeps_the_best_member_and_says_which():
    g, m = diamond()
    s = run("portfolio", g, m)
    each = [run(n, g, m).makespan for n in ("heft", "dispatch", "cp", "fifo", "random")]
    assert s.makespan <= min(each)
    assert "kept" in s.notes[0]


def test_task_no_core_can_run_is_a_user_error():
    g, m = explicit("x", [("A", 1)], [("A", 1, [])])
    bad = TaskGraph.build(name="x", hardware=g.hardware, devices=1, ops=("x",),
                          kinds=("B",), cores=(("B",),), op=[0], kind=[0], device=[0],
                          src=[], dst_edges=[], fixed_ns=np.array([5]), task_names=["t0"])
    with pytest.raises(UserError, match="task t0 needs 'B', which no core type of hardware "
                                        "'HW_x' can run"):
        run("heft", bad, m)


def test_cycle_is_a_user_error():
    g, m = explicit("cyc", [("A", 1)], [("A", 1, [1]), ("A", 1, [0])])
    with pytest.raises(UserError, match="task graph 'cyc' has a cycle"):
        run("heft", g, m)
    with pytest.raises(ValueError):
        levels(g)


def test_progress_callback_receives_z3_messages():
    g, m = diamond()
    g2, m2 = explicit("p", [("A", 2)], [("A", 3, []), ("A", 4, []), ("A", 5, []), ("A", 2, [0])])
    msgs = []
    run("z3", g2, m2, Options(progress=msgs.append))
    assert any(msg.startswith("z3:") for msg in msgs)


def test_a_custom_scheduler_is_a_plain_function_registered_by_name(monkeypatch):
    """(TaskGraph, Machine, Options) -> Schedule, registered with a description, runs through
    `run` and `compare`; every scheduler on one graph and machine shares one Context."""
    import hpdsl.solvers
    from hpdsl.compare import CompareOptions, compare
    from hpdsl.solvers import register
    from hpdsl.solvers.context import Context
    from hpdsl.solvers.listsched import list_schedule

    monkeypatch.setattr(hpdsl.solvers, "REGISTRY", dict(REGISTRY))
    seen = []

    def backwards(graph, machine, options):
        ctx = Context.of(graph, machine)
        seen.append(ctx)
        return list_schedule(ctx, -np.arange(ctx.n, dtype=np.float64), "backwards")

    info = register("backwards", "ready tasks with the highest id first", backwards)
    assert hpdsl.solvers.REGISTRY["backwards"] is info and info.function is backwards
    with pytest.raises(ValueError, match="'heft' is already registered"):
        register("heft", "again", backwards)
    g, m = diamond()
    s = run("backwards", g, m)
    assert s.scheduler == "backwards" and s.lower_bound == 10000 and s.makespan >= 10000
    c = compare(g, m, CompareOptions(schedulers=("heft", "backwards")))
    r = c.run("backwards")
    assert r.ok and r.result.ok and r.schedule.scheduler == "backwards"
    assert len(seen) == 2 and seen[0] is seen[1] is Context.of(g, m)
    g2, m2 = diamond()
    assert Context.of(g2, m2) is not seen[0]    # another graph object: its own context
