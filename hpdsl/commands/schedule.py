"""`hpdsl schedule`: generate a spec's task graph, run one scheduler, print or save the plan."""
from __future__ import annotations

import sys

from hpdsl.errors import UserError
from hpdsl.fmt import microseconds, percent
from hpdsl.commands.common import (add_solver_args, add_target_args, check_output_path,
                                   check_solver_args, emit, load_graph, print_result, progress,
                                   write_atomic)


def add_parser(sub) -> None:
    p = sub.add_parser("schedule", help="schedule a spec's task graph with one scheduler",
                       description="Generate the task graph of a tiling or graph, schedule it "
                                   "with one scheduler (see 'hpdsl schedulers'), check the "
                                   "schedule, and print a summary or write the lowered plan.")
    add_target_args(p)
    p.add_argument("--scheduler", "-s", default="portfolio", metavar="NAME",
                   help="scheduler name (default: portfolio)")
    add_solver_args(p, time_limit=60.0)
    p.add_argument("-o", "--output", metavar="PLAN",
                   help="write the lowered plan here: the binary npz format when PLAN ends in "
                        ".npz (several times smaller, fast to load), JSON otherwise ('-': "
                        "stdout, the summary then on stderr, and no --json); written "
                        "atomically, through a symbolic link, never onto an input")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object {\"results\": [...]} instead of a summary")
    p.set_defaults(run=run)


def summary(graph, r: dict) -> str:
    span, lb = r["makespan_ns"], r["lower_bound_ns"]
    gap = percent((span - lb) / lb, 1) if lb else "n/a"
    lines = [f"graph        {graph.name}: {graph.n_tasks} tasks, {graph.n_edges} edges, "
             f"{graph.devices} device(s)",
             f"scheduler    {r['scheduler']} ({r['status']})",
             f"makespan     {microseconds(span)}",
             f"lower bound  {microseconds(lb)} (gap {gap})",
             f"solve time   {r['solve_seconds']:.3f} s",
             "utilization  " + ", ".join(f"{c} {percent(u, 1)}" for c, u in r["utilization"].items())]
    lines += [f"note         {n}" for n in r["notes"]]
    return "\n".join(lines)


def run(args) -> int:
    from hpdsl.machine import Machine
    from hpdsl.records import schedule_record
    from hpdsl.solvers import Options, lookup
    from hpdsl.solvers import run as solve

    check_solver_args(args)
    if args.output == "-" and args.json:
        raise UserError("-o - and --json would both print a JSON document on stdout; write the "
                        "plan to a file, or leave out --json")
    if args.output not in (None, "-"):
        check_output_path(args.output, inputs=[args.spec])   # before a long solve, not after
    lookup(args.scheduler)   # an unknown name fails before the graph is generated
    spec, graph = load_graph(args)
    machine = Machine.of(graph.hardware, graph.devices)
    options = Options(time_limit=args.time_limit, seed=args.seed, seeds=args.seeds,
                      max_z3_tasks=args.max_z3_tasks, max_cpsat_tasks=args.max_cpsat_tasks,
                      solver_workers=args.solver_workers, deterministic=args.deterministic,
                      lns_window=args.lns_window, progress=progress)
    s = solve(args.scheduler, graph, machine, options)
    if args.output:
        from hpdsl.plan import lower, plan_to_json, plan_to_npz, wants_npz

        plan = lower(graph, machine, s)
        if wants_npz(args.output):
            write_atomic(args.output, plan_to_npz(plan), spec.files)
        else:
            emit(plan_to_json(plan), args.output, spec.files)
    r = schedule_record(graph, machine, s)
    if args.output == "-":   # stdout holds the plan alone; the summary goes beside it
        print(summary(graph, r), file=sys.stderr)
    else:
        print_result(r, args.json, summary(graph, r), ("plan", args.output))
    return 0
