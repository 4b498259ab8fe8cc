"""Every bound, links included, is at most the optimum (z3 and cpsat prove it) on small
random DAGs with sends between two devices; run() checks every heuristic against them."""
from hypothesis import HealthCheck, given, note, settings, strategies as st

from hpdsl.solvers import REGISTRY, Options, run
from hpdsl.solvers.bounds import bounds
from hpdsl.solvers.context import Context
from solvers_graphs import explicit


@st.composite
def dags_with_sends(draw):
    n = draw(st.integers(1, 6))
    tasks = []
    for i in range(n):
        core = draw(st.sampled_from(["A", "B", "A|B"]))
        ns = draw(st.integers(0, 6)) * 100
        preds = sorted(draw(st.sets(st.integers(0, i - 1), max_size=2))) if i else []
        dev = draw(st.integers(0, 1))
        send = draw(st.booleans())
        tasks.append((core, ns, preds, dev) + ((1 - dev, draw(st.integers(1, 6)) * 100)
                                               if send else ()))
    cores = [("A", draw(st.integers(1, 2))), ("B", draw(st.integers(1, 2)))]
    note(f"{cores} {tasks}")
    return explicit("snd", cores, tasks, sync_latency=draw(st.sampled_from([0, 50])),
                    launch=draw(st.sampled_from([0, 300])), devices=2,
                    link_latency=draw(st.sampled_from([0, 200])))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags_with_sends())
def test_every_bound_is_at_most_the_optimum_with_sends(gm):
    graph, machine = gm
    opts = Options(time_limit=20, solver_workers=1, tabu_iterations=100)
    best = run("z3", graph, machine, opts)
    assert best.status == "optimal"
    assert run("cpsat", graph, machine, opts).makespan == best.makespan
    parts = bounds(Context.of(graph, machine)).parts()
    assert max(parts.values()) <= best.makespan, parts
    for name in REGISTRY:
        if name not in ("z3", "cpsat", "serial"):   # serial: barriers, not one kernel
            run(name, graph, machine, opts)          # raises below the bound
