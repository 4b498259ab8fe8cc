"""The incremental disjunctive graph: after any move, heads, tails, the order and the
makespan equal a full evaluation; undo restores the solution exactly; cycles rejected."""
import random

from hypothesis import given, settings, strategies as st

from hpdsl.benchdata import parse_jobshop
from hpdsl.solvers import run
from hpdsl.solvers.context import Context
from hpdsl.solvers.tabu_graph import Solution
from hpdsl.solvers.tabu_moves import apply, blocks, critical_path, moves, path_steps
from solvers_graphs import BENCHDATA, explicit, jobshop


def fields(sol):
    return (sol.head[:], sol.reach[:], sol.makespan, sol.worker[:],
            {w: ts[:] for w, ts in sol.seq.items() if ts}, sol.pos[:],
            {k: ch[:] for k, ch in sol.lseq.items()}, [dict(p) for p in sol.lpos])


def assert_matches_full_evaluation(sol):
    fresh = Solution.__new__(Solution)
    fresh.__dict__.update(sol.__dict__)
    fresh.restore(sol.state())
    assert (sol.head, sol.reach, sol.makespan) == (fresh.head, fresh.reach, fresh.makespan)
    assert all(sol.lseq[k][i] == t for t in range(sol.n) for k, i in sol.lpos[t].items())
    for t in range(sol.n):   # the maintained order is topological
        assert all(sol.idx[t] < sol.idx[v] for v, _ in sol.outs(t))
    assert sorted(sol.order) == list(range(sol.n))
    assert all(sol.order[sol.idx[t]] == t for t in range(sol.n))


def random_move(sol, rng):
    t = rng.randrange(sol.n)
    w = sol.worker[t]
    if sol.lpos[t] and rng.random() < 0.3:
        k = rng.choice(sorted(sol.lpos[t]))
        return ("link", t, (k, rng.randrange(len(sol.lseq[k]))))
    if rng.random() < 0.4 and len(sol.elig[t]) > 1:
        return ("move", t, rng.choice([x for x in sol.elig[t] if x != w]))
    if rng.random() < 0.5 and sol.pos[t] + 1 < len(sol.seq[w]):
        return ("swap", t, sol.seq[w][sol.pos[t] + 1])
    return ("shift", t, rng.randrange(len(sol.seq[w])))


@st.composite
def graphs(draw):
    n = draw(st.integers(2, 9))
    tasks = []
    for i in range(n):
        core = draw(st.sampled_from(["A", "B", "A|B"]))
        preds = sorted(draw(st.sets(st.integers(0, i - 1), max_size=2))) if i else []
        dev = draw(st.integers(0, 1))
        send = draw(st.booleans())
        tasks.append((core, draw(st.integers(0, 5)) * 100, preds, dev)
                     + ((1 - dev, draw(st.integers(1, 4)) * 100) if send else ()))
    cores = [("A", draw(st.integers(1, 3))), ("B", draw(st.integers(1, 2)))]
    return explicit("tg", cores, tasks, sync_latency=draw(st.sampled_from([0, 50])),
                    launch=draw(st.sampled_from([0, 300])), devices=2,
                    link_latency=draw(st.sampled_from([0, 200])))


@settings(max_examples=60, deadline=None)
@given(graphs(), st.integers(0, 10**6))
def test_incremental_equals_full_evaluation_and_undo_restores(gm, seed):
    g, m = gm
    sol = Solution(Context.of(g, m), run("heft", g, m))
    rng = random.Random(seed)
    for _ in range(25):
        before = fields(sol)
        if apply(sol, random_move(sol, rng), tails=False):   # a trial: heads only, undone
            sol.undo()
            assert fields(sol) == before
        ok = apply(sol, random_move(sol, rng))
        if not ok:
            assert fields(sol) == before      # a rejected move changes nothing
            continue
        assert_matches_full_evaluation(sol)
        if rng.random() < 0.5:
            sol.undo()
            assert fields(sol) == before
            assert_matches_full_evaluation(sol)


def test_a_move_that_closes_a_cycle_is_rejected():
    # a -> b a dependency on one worker: putting b first closes a cycle
    g, m = explicit("cyc", [("A", 1)], [("A", 100, []), ("A", 100, [0])])
    sol = Solution(Context.of(g, m), run("heft", g, m))
    before = fields(sol)
    assert not apply(sol, ("swap", 0, 1))
    assert fields(sol) == before


def test_the_critical_path_is_a_longest_path_and_its_blocks_are_on_one_worker():
    js = parse_jobshop((BENCHDATA / "jsplib/instances/ft06").read_text(), "ft06")
    g, m = jobshop(js)
    sol = Solution(Context.of(g, m), run("portfolio", g, m))
    path = critical_path(sol)
    assert sol.head[path[0]] == sol.release
    assert sol.head[path[-1]] + sol.dur(path[-1]) == sol.makespan
    assert all(sol.head[t] + sol.reach[t] == sol.makespan for t in path)
    for b in blocks(sol, path):
        assert len({sol.worker[t] for t in b}) == 1 and len(b) > 1
    found = moves(sol, random.Random(1))
    assert {mv[0] for _, _, mv in found} >= {"swap", "shift"}
    for est, _, mv in found:   # pool moves' evaluations are what applying them gives
        if mv[0] == "move":
            assert apply(sol, mv) and sol.makespan == est
            sol.undo()


def test_the_notes_say_what_the_critical_path_is_made_of():
    # two sends from device 0 to 1 on two workers: the second waits for the link
    g, m = explicit("lk", [("A", 2)], [("A", 100, [], 0, 1, 500), ("A", 100, [], 0, 1, 500)],
                    devices=2, link_latency=0)
    sol = Solution(Context.of(g, m), run("heft", g, m))
    assert sol.makespan == 600
    assert path_steps(sol) == ("a critical path of 2 tasks: 1 steps in link order, 0 in "
                               "worker order, 0 along dependencies")


def test_a_link_move_reorders_the_sends_on_a_link():
    # three sends from device 0 to 1 on three workers, 500 ns of link each, in id order
    g, m = explicit("lk3", [("A", 3)], [("A", 100, [], 0, 1, 500)] * 3, devices=2,
                    link_latency=0)
    sol = Solution(Context.of(g, m), run("heft", g, m))
    k = sorted(sol.lpos[0])[0]   # the out-chain of device 0
    order = sol.lseq[k][:]
    last = order[-1]
    assert apply(sol, ("link", last, (k, 0)))
    assert sol.lseq[k] == [last] + order[:-1] and sol.lpos[last][k] == 0
    assert sol.head[last] == 0 and sol.head[order[0]] == 500
    assert_matches_full_evaluation(sol)
    sol.undo()
    assert sol.lseq[k] == order and sol.head[last] == 1000
