"""Sinnen's task graphs with communication delays: the claimed optima against hpdsl's model.

    .venv/bin/python benchmarks/bench_commdelay.py [--time-limit 10] [--limit N] [--schedulers heft portfolio]

hpdsl charges one sync latency between any two workers of a device, where these graphs
give each edge its own delay (paid only across processors). So each (graph, P) pair of
`benchdata/dag_commdelay_sinnen/optima_claimed.csv` is run twice: with every delay set to
the graph's largest (a schedule of that is a schedule of the graph: its makespan is at
least the claimed optimum) and to its smallest (its optimum is at most the claimed one).
The script asserts both sides, counts the pairs z3 brackets exactly, and reports the
heuristics' gap to the claimed optimum under the largest delay.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from hpdsl.benchdata import data_path, parse_dag_dot, sinnen_optima
from hpdsl.solvers import Options, run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from solvers_graphs import explicit  # noqa: E402  (the tests' explicit-graph builder)


def graph(dag, procs: int, latency: int):
    preds = [[a for a, b, _ in dag.edges if b == i] for i in range(len(dag.nodes))]
    return explicit(dag.name, [("P", procs)],
                    [("P", w, p) for w, p in zip(dag.times, preds)], sync_latency=latency)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=10.0, help="z3's limit per run")
    ap.add_argument("--limit", type=int, default=None, help="at most N pairs (default all)")
    ap.add_argument("--schedulers", nargs="+", default=["heft", "portfolio"])
    a = ap.parse_args()
    t0 = time.perf_counter()
    pairs = list(sinnen_optima().items())[: a.limit]
    gaps = {s: [] for s in a.schedulers}
    exact = 0
    for (file, procs), claimed in pairs:
        dag = parse_dag_dot(data_path(f"dag_commdelay_sinnen/dot/{file}").read_text(), file)
        delays = [c for *_, c in dag.edges] or [0]
        hi = graph(dag, procs, max(delays))
        lo = graph(dag, procs, min(delays))
        for s in a.schedulers:
            span = run(s, *hi).makespan
            assert span >= claimed, (file, procs, s, span, claimed)
            gaps[s].append((span - claimed) / claimed)
        z_hi = run("z3", *hi, Options(time_limit=a.time_limit))
        z_lo = run("z3", *lo, Options(time_limit=a.time_limit))
        assert z_hi.makespan >= claimed and z_lo.lower_bound <= claimed, (file, procs)
        assert z_lo.status != "optimal" or z_lo.makespan <= claimed, (file, procs)
        exact += z_lo.status == "optimal" and z_hi.status == "optimal"
    print(f"{len(pairs)} (graph, P) pairs; z3 proves both sides of {exact} "
          f"(time limit {a.time_limit:g} s); no claimed optimum falls outside")
    for s, g in gaps.items():
        print(f"{s:<10} under the largest delay: {statistics.mean(g):.1%} mean, {max(g):.1%} max "
              f"above the claimed optimum, {sum(x == 0 for x in g)} equal")
    print(f"({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
