"""`hpdsl compare`: run schedulers side by side on the emulator, print a table and why."""
from __future__ import annotations

import json
import sys
import textwrap
import time

from hpdsl.blocks import compulsory as compulsory_bytes
from hpdsl.commands.common import (add_solver_args, add_target_args, bundled_example,
                                   check_output_path, check_solver_args, load_graph, progress)
from hpdsl.commands.gantt_args import add_gantt_args, check_gantt_args, gantt_rows
from hpdsl.fmt import fixed, percent, time_unit
from hpdsl.traffic import table as traffic_table

DEFAULT_SPEC = "deepseek_moe.hpm"
DEFAULT_TARGET = "fine"


def add_parser(sub) -> None:
    p = sub.add_parser(
        "compare", help="run schedulers side by side on the emulator and explain the difference",
        description="Generate a spec's task graph, schedule it with several schedulers, lower "
                    "and emulate every plan, and print a table (emulated and predicted "
                    "makespan, lower bound, speedup over serial, utilization, exposed "
                    "communication, solve time) with a few lines on why. Without SPEC: the "
                    "bundled DeepSeek-V3 MoE layer (examples/deepseek_moe.hpm, tiling 'fine'). "
                    "Exits 1 when a scheduler fails (no schedule, or no plan) or a plan is "
                    "found invalid; the table and the JSON show the others all the same.")
    add_target_args(p, spec_optional=True)
    p.add_argument("--schedulers", "-s", metavar="A,B,...",
                   help="comma-separated scheduler names (default: serial,heft-l2,heft, plus fifo,"
                        "dispatch,cp up to 20000 tasks and z3 up to --z3-default-tasks tasks)")
    add_solver_args(p)
    p.add_argument("--z3-default-tasks", type=int, default=200, metavar="N",
                   help="largest graph z3 runs on without being asked for (default: 200)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object {\"results\": [...], ...} instead of the table")
    p.add_argument("--report", metavar="DIR",
                   help="also write a self-contained HTML report with Gantt charts (PNG and "
                        "interactive HTML) and Chrome traces into DIR (replaced as a whole, but "
                        "only a folder that is empty or that hpdsl wrote: it holds a "
                        ".hpdsl-report file)")
    add_gantt_args(p)
    p.set_defaults(run=run)


def _unit(c) -> tuple[str, float]:
    """ms for long runs, us for short ones: the table should not read 0.010."""
    return time_unit(max((r.makespan or 0 for r in c.runs), default=0), smallest="us")


def table(c) -> str:
    """The comparison as a fixed-width table, one row per scheduler."""
    unit, scale = _unit(c)
    cores = c.machine.core_types
    head = (["scheduler", "status", f"emulated {unit}", f"predicted {unit}", f"bound {unit}",
             "gap", "speedup"]
            + [f"{k} busy" for k in cores] + ["exposed comm", "solve s", "check"])
    rows = []
    for r in c.runs:
        s, res = r.schedule, r.result
        if s is None:
            rows.append([r.scheduler, "error"] + ["-"] * (len(head) - 3) + ["no schedule"])
            continue
        lb = int(s.lower_bound)
        gap = f"{(s.makespan - lb) / lb:.1%}" if lb else "-"
        sp = c.speedup(r)
        util = [percent(res.utilization.get(k)) if res is not None else "-" for k in cores]
        if res is not None and r.activity is not None and r.activity.comm_ns:
            exposed = f"{res.exposed_comm / r.activity.comm_ns:.0%}"
        else:
            exposed = "-"
        if r.error:
            check = "no plan"
        elif res is None:
            check = "not run"
        else:
            check = "ok" if res.ok else f"{len(res.errors)} VIOLATIONS"
        rows.append([r.scheduler, s.status, fixed(r.makespan if res is not None else None, scale),
                     fixed(s.makespan, scale), fixed(lb, scale), gap, "-" if sp is None else f"{sp:.2f}x"]
                    + util + [exposed, f"{s.solve_seconds:.2f}", check])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    fmt = lambda row: "  ".join(str(x).rjust(w) if i > 1 else str(x).ljust(w)
                                for i, (x, w) in enumerate(zip(row, widths))).rstrip()
    lines = [fmt(head), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows]
    return "\n".join(lines)


def text(c, spec_path: str) -> str:
    g = c.graph
    out = [f"{g.name} ({spec_path}): {g.n_tasks:,} tasks, {g.n_edges:,} edges, "
           f"{g.devices} device(s), {len(c.machine.workers):,} workers",
           "emulated = the plan run on the emulator; predicted = the scheduler's own "
           "estimate; gap = predicted vs. lower bound", "",
           table(c)]
    compulsory = compulsory_bytes(g)
    traffic = traffic_table([(r.scheduler, r.result.traffic) for r in c.runs
                             if r.result is not None], compulsory)
    if traffic:
        out += [""] + traffic
    for r in c.runs:
        if r.error:
            out.append(f"{r.scheduler}: {r.error}")
    for s, reason in c.skipped:
        out.append(f"skipped {s}: {reason}")
    why = [f"{r.scheduler}: " + "; ".join(line.split(": ", 1)[1] for line in r.why)
           for r in c.runs if r.why] + list(c.summary)
    if why:
        out += ["", "why:"] + [textwrap.fill(line, 100, initial_indent="  ",
                                             subsequent_indent="      ") for line in why]
    return "\n".join(out)


def run(args) -> int:
    from hpdsl.compare import CompareOptions, compare
    from hpdsl.machine import Machine

    if args.spec is None:
        args.spec = bundled_example(DEFAULT_SPEC)
        args.target = args.target or DEFAULT_TARGET
    check_solver_args(args)
    check_gantt_args(args)
    if args.report:
        from hpdsl.report import check_report_dir

        check_output_path(args.report, folder=True, inputs=[args.spec])   # before solving
        check_report_dir(args.report)
    names = None if args.schedulers is None else tuple(args.schedulers.split(","))
    options = CompareOptions(schedulers=names, time_limit=args.time_limit, seed=args.seed,
                             seeds=args.seeds,
                             max_z3_tasks=args.max_z3_tasks,
                             max_cpsat_tasks=args.max_cpsat_tasks,
                             solver_workers=args.solver_workers,
                             lns_window=args.lns_window,
                             deterministic=args.deterministic,
                             z3_default_tasks=args.z3_default_tasks, progress=progress)
    if names is not None:
        from hpdsl.compare import scheduler_names
        scheduler_names(names)   # an unknown name fails before the graph is generated
    t0 = time.perf_counter()
    warned: list = []
    _, graph = load_graph(args, warnings=warned)
    for w in warned:   # before the long part, and again under the table
        progress(str(w))
    t1 = time.perf_counter()
    progress(f"generated {graph.name}: {graph.n_tasks:,} tasks, {graph.n_edges:,} edges "
             f"in {t1 - t0:.2f} s")
    machine = Machine.of(graph.hardware, graph.devices)
    rows = gantt_rows(args, machine) if args.report else None   # before solving, too
    c = compare(graph, machine, options, generate_seconds=t1 - t0)
    if args.report:
        from hpdsl.report import write_report

        t2 = time.perf_counter()
        write_report(c, args.report, spec_path=args.spec, progress=progress, rows=rows)
        progress(f"report written to {args.report} in {time.perf_counter() - t2:.2f} s")
    if args.json:
        json.dump(c.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(text(c, args.spec))
        if warned:
            print("\nwarnings:\n" + "\n".join(f"  {w}" for w in warned))
        if args.report:
            print(f"\nreport: {args.report}/report.html")
    failed = [r.scheduler for r in c.runs if not r.ok or (r.result is not None and not r.result.ok)]
    if failed:
        progress(f"failed: {', '.join(failed)} (no schedule, no plan or an invalid plan)")
    return 1 if failed else 0
