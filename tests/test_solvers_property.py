"""Properties on random small DAGs with two core types and latencies: z3 and cpsat agree on
the optimum, which is <= every heuristic; everything is >= the bound; tabu never worsens
the portfolio's schedule it starts from."""
from hypothesis import HealthCheck, given, settings, strategies as st

from hpdsl.solvers import REGISTRY, Options, run
from solvers_graphs import explicit

EXACT = ("z3", "cpsat")
HEURISTICS = [n for n in REGISTRY if n not in EXACT]


@st.composite
def dags(draw):
    n = draw(st.integers(1, 7))
    tasks = []
    for i in range(n):
        core = draw(st.sampled_from(["A", "B", "A|B"]))
        ns = draw(st.integers(0, 9)) * 100
        preds = sorted(draw(st.sets(st.integers(0, i - 1), max_size=3))) if i else []
        dev = draw(st.integers(0, 1))
        tasks.append((core, ns, preds, dev))
    cores = [("A", draw(st.integers(1, 2))), ("B", draw(st.integers(1, 2)))]
    sync = draw(st.sampled_from([0, 50, 300]))
    launch = draw(st.sampled_from([0, 1000]))
    return explicit("rand", cores, tasks, sync_latency=sync, launch=launch, devices=2,
                    link_latency=draw(st.sampled_from([0, 200])))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags())
def test_exact_schedulers_agree_and_bound_every_heuristic(gm):
    graph, machine = gm
    opts = Options(time_limit=20, solver_workers=1, tabu_iterations=200)
    exact = run("z3", graph, machine, opts)     # run() checks every schedule it returns
    assert exact.status == "optimal"
    assert exact.makespan >= exact.lower_bound
    other = run("cpsat", graph, machine, opts)
    assert other.status == "optimal" and other.makespan == exact.makespan
    hw = machine.hardware
    # a barrier stands for the syncs it replaces (docs/solvers.md), so a kernel-by-kernel
    # schedule can beat the single-kernel optimum only when a launch costs less than a sync
    cheap_barriers = hw.launch < hw.sync_latency + (hw.link.latency if hw.link else 0)
    for name in HEURISTICS:
        s = run(name, graph, machine, opts)
        if not (name == "serial" and cheap_barriers):
            assert s.makespan >= exact.makespan, name
        assert s.makespan >= s.lower_bound
        # the bound reported with a heuristic never exceeds the proven optimum
        assert s.lower_bound <= exact.makespan
    assert run("serial", graph, machine, opts).status == "baseline"
    start = run("portfolio", graph, machine, opts)
    assert run("tabu", graph, machine, opts).makespan <= start.makespan
