"""The shipped benchmark data set, and its readers: job shop and STG through the real
language and generator, Sinnen's graphs as explicit graphs with a sync latency."""
import pytest

from hpdsl.benchdata import (DATA, data_path, jobshop_hpm, jssp_optima, parse_dag_dot,
                             parse_jobshop, parse_stg, sinnen_optima, stg_hpm, stg_optima)
from hpdsl.errors import UserError
from hpdsl.generate import generate
from hpdsl.lang import checked_target, loads
from hpdsl.machine import Machine
from hpdsl.solvers import Options, run
from solvers_graphs import explicit


TINY = "# two jobs\n2 2\n0 3 1 4\n1 2 0 5\n"
STG = "3\n0 0 0\n1 4 1 0\n2 2 1 0\n3 5 2 1 2\n4 0 1 3\n# meta\n"


def test_jobshop_round_trips_through_the_language():
    js = parse_jobshop(TINY, "tiny")
    assert js.jobs == (((0, 3), (1, 4)), ((1, 2), (0, 5)))
    g = generate(checked_target(loads(jobshop_hpm(js), "tiny.hpm"), None))
    assert g.n_tasks == 4 and g.n_edges == 2
    assert sorted(g.fixed_ns.tolist()) == [2000, 3000, 4000, 5000]
    s = run("z3", g, Machine.of(g.hardware, g.devices))
    assert s.makespan == 8000 and s.status == "optimal"


def test_stg_keeps_the_dummies_and_the_edges():
    st = parse_stg(STG, "s")
    assert st.times == (0, 4, 2, 5, 0) and st.preds[3] == (1, 2)
    g = generate(checked_target(loads(stg_hpm(st, 2), "s.hpm"), None))
    assert g.n_tasks == 5 and g.n_edges == 5
    s = run("heft", g, Machine.of(g.hardware, g.devices))
    assert s.makespan == 9000


@pytest.mark.parametrize("text, message", [
    ("2\n", "a job shop instance starts with a line 'jobs machines'"),
    ("2 2\n0 3 1 4\n", "expected 2 job lines, found 1"),
    ("1 2\n0 3 1\n", "a job line holds 2 pairs 'machine duration', found 3 numbers"),
    ("1 2\n0 3 2 4\n", r"machine 2 with duration 4 is out of range \(machines 0..1, durations >= 0\)"),
    ("1 x\n", "expected integers, found '1 x'"),
])
def test_jobshop_format_errors(text, message):
    with pytest.raises(UserError, match=message):
        parse_jobshop(text, "bad", "bad.txt")


@pytest.mark.parametrize("text, message", [
    ("1 2\n", "an STG file starts with a line holding the task count"),
    ("2\n0 0 0\n1 1 1 0\n", r"expected 4 task lines \(with the two dummies\), found 2"),
    ("1\n0 0 0\n1 1 2 0\n2 0 1 1\n", "expected 'id time n_preds preds...' for task 1"),
    ("1\n0 0 0\n1 1 1 2\n2 0 1 1\n", "task 1 names a predecessor that is not an earlier task"),
])
def test_stg_format_errors(text, message):
    with pytest.raises(UserError, match=message):
        parse_stg(text, "bad", "bad.stg")


def test_errors_are_located():
    with pytest.raises(UserError) as e:
        parse_jobshop("1 2\n0 3 1\n", "bad", "bad.txt")
    assert str(e.value).startswith("bad.txt:2:1: error:")


def test_optima_tables_read():
    js = jssp_optima()
    assert js["ft06"]["optimum"] == 55 and js["la16"]["optimum"] == 945
    assert js["abz8"]["optimum"] is None and js["abz8"]["lb"] == 648
    opt = stg_optima(data_path("stg/optimal/Case50_2_OPT.csv"))
    assert opt["50/rand0000.stg"] == (131, 131)
    assert len(opt) == 180


def test_ft06_through_the_language_is_solved_to_optimum():
    js = parse_jobshop(data_path("jsplib/instances/ft06").read_text(), "ft06")
    g = generate(checked_target(loads(jobshop_hpm(js), "ft06.hpm"), None))
    s = run("z3", g, Machine.of(g.hardware, g.devices), Options(time_limit=60))
    assert s.makespan == 55_000 and s.status == "optimal"


def test_every_table_row_has_its_instance_and_every_instance_its_rows():
    js = jssp_optima()
    assert len(js) == 58 and sum(r["optimum"] is not None for r in js.values()) == 57
    for name, row in js.items():
        inst = parse_jobshop(data_path(row["path"]).read_text(), name)
        assert (len(inst.jobs), inst.machines) == (row["jobs"], row["machines"]), name
        assert row["lb"] <= row["ub"] and row["optimum"] in (None, row["lb"])
    for size in (50, 100):
        files = {f"{size}/{f.name}" for f in (DATA / f"stg/{size}").glob("*.stg")}
        assert len(files) == 180
        for procs in (2, 4, 8, 16):
            assert set(stg_optima(data_path(f"stg/optimal/Case{size}_{procs}_OPT.csv"))) == files
    sinnen = sinnen_optima()
    assert len(sinnen) == 291
    assert {f for f, _ in sinnen} == {f.name for f in (DATA / "dag_commdelay_sinnen/dot").iterdir()}


def test_a_missing_benchmark_file_says_where_the_data_set_lives():
    with pytest.raises(UserError, match=r"benchmark file 'jsplib/instances/nope' not found in "
                                        r".*benchdata: the data set ships with the hpdsl "
                                        r"source repository \(folder benchdata/\)"):
        data_path("jsplib/instances/nope")


DOT = """digraph "g" {
	graph [CCR=1.0, "No of nodes"=3];
	a	 [Weight=2];
	b [Weight=3];
	a -> b	 [Weight=4];
	c[Weight=1];a -> c [Weight=0];
}"""


def test_dag_dot_keeps_the_weights_and_ignores_the_rest():
    d = parse_dag_dot(DOT, "g")
    assert d.nodes == ("a", "b", "c") and d.times == (2, 3, 1)
    assert d.edges == ((0, 1, 4), (0, 2, 0))


@pytest.mark.parametrize("text, message", [
    ("digraph g { }", "no node lines 'id \\[Weight=w\\]' found"),
    ("a [Weight=1]; a [Weight=2];", "node a is declared twice"),
    ("a [Weight=1]; a -> b [Weight=2];", "edge a -> b names a node that has no \\[Weight=...\\] line"),
    ("a [Weight=-1];", "weights must be >= 0"),
])
def test_dag_dot_errors(text, message):
    with pytest.raises(UserError, match="g.dot: error: " + message):
        parse_dag_dot(text, "g", "g.dot")


def _sinnen(file: str, procs: int, latency: int):
    d = parse_dag_dot(data_path(f"dag_commdelay_sinnen/dot/{file}").read_text(), file)
    preds = [[a for a, b, _ in d.edges if b == i] for i in range(len(d.nodes))]
    return explicit("s", [("P", procs)], [("P", w, p) for w, p in zip(d.times, preds)],
                    sync_latency=latency)


@pytest.mark.parametrize("file, procs", [
    ("smol_boi.dot", 2), ("Nodes_7_OutTree.dot", 2), ("16_466.dot", 5),
    ("2p_Pipeline_Nodes_10_CCR_1.00_WeightType_Random.dot", 2),
    ("4p_Stencil_Nodes_10_CCR_0.10_WeightType_Random.dot", 4),
    ("8p_Random_Nodes_10_Density_0.40_CCR_10.02_WeightType_Random.dot", 8),
])
def test_claimed_optima_lie_between_the_uniform_delay_bounds(file, procs):
    """Every delay at the largest one only delays; every delay at the smallest only helps:
    a schedule of the first is a schedule of the graph, the optimum of the second a bound."""
    claimed = sinnen_optima()[(file, procs)]
    d = parse_dag_dot(data_path(f"dag_commdelay_sinnen/dot/{file}").read_text(), file)
    delays = [c for *_, c in d.edges] or [0]
    g, m = _sinnen(file, procs, max(delays))
    assert run("heft", g, m).makespan >= claimed
    g, m = _sinnen(file, procs, min(delays))
    low = run("z3", g, m, Options(time_limit=20))
    assert low.lower_bound <= claimed
    assert low.status != "optimal" or low.makespan <= claimed
