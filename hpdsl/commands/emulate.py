"""`hpdsl emulate SPEC PLAN`: run a plan on the emulated machine; print a summary or JSON."""
from __future__ import annotations

from hpdsl.fmt import microseconds, percent
from hpdsl.traffic import op_lines


def add_parser(sub) -> None:
    from hpdsl.commands.common import add_target_args
    from hpdsl.commands.gantt_args import add_gantt_args

    p = sub.add_parser("emulate", help="run a plan on the emulator and check it",
                       description="Load a plan written by 'hpdsl schedule -o', check it against "
                                   "the spec's task graph, run it on the emulated machine (cost "
                                   "model times, bandwidth contention, sync latencies) and print "
                                   "the emulated makespan, utilization and findings. Exits 1 when "
                                   "the plan is invalid (a missing sync, a deadlock, too many "
                                   "flags, ...).")
    add_target_args(p)
    p.add_argument("plan", metavar="PLAN",
                   help="the plan file, JSON or npz (told by its content), as 'hpdsl schedule "
                        "-o' writes it: a regular file, at most 16 MiB + 512 bytes per task")
    p.add_argument("--trace", metavar="FILE",
                   help="write a Chrome trace-event JSON file (open it in Perfetto); written "
                        "atomically, through a symbolic link, never onto an input")
    p.add_argument("--no-contention", action="store_true",
                   help="share no bandwidth: every task runs alone, still paying the HBM "
                        "traffic its L2 misses cause (default: share link, L2 and HBM "
                        "bandwidth between the tasks running at once)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object {\"results\": [...]} instead of a summary")
    p.add_argument("--report", metavar="DIR",
                   help="also write the HTML report of 'hpdsl compare --report' for this one "
                        "plan into DIR (Gantt charts, utilization, why lines, trace; replaced "
                        "as a whole), also when the plan is invalid")
    add_gantt_args(p)
    p.set_defaults(run=run)


def summary(graph, d: dict) -> str:
    err, bad = d["prediction_error"], d["violations"]
    end = microseconds(d["makespan_ns"])
    vs = ("" if err is None else " (the emulation matches it)" if err == 0 else
          f" (emulated {abs(err):.1%} {'above' if err > 0 else 'below'} it)")
    lines = [f"graph        {graph.name}: {graph.n_tasks} tasks, {graph.n_edges} edges, "
             f"{graph.devices} device(s)",
             f"plan         {d['scheduler']} ({d['status']})",
             # an invalid plan's run measures nothing: its end is no makespan to compare
             f"emulated     none: the plan is invalid (the run ended at {end})" if bad
             else f"emulated     {end}",
             f"predicted    {microseconds(d['predicted_makespan_ns'])}" + vs,
             f"lower bound  {microseconds(d['emulated_lower_bound_ns'])} for any emulation, "
             f"{microseconds(d['lower_bound_ns'])} for the cost model's times",
             "utilization  " + ", ".join(f"{c} {percent(u, 1)}" for c, u in d["utilization"].items()),
             "starved      " + ", ".join(f"{c} {microseconds(t)}" for c, t in d["starved_ns"].items())
             + " (idle worker while a task for it is ready, per device)",
             f"exposed comm {microseconds(d['exposed_comm_ns'])} (sends with no compute beside them, all devices)"]
    for o in d["ops"]:
        lines.append(f"op {o['op']:<9} {microseconds(o['first_start_ns'])} .. {microseconds(o['last_end_ns'])}, "
                     f"{o['tasks']} tasks, busy {microseconds(o['busy_ns'])}")
    lines += [f"traffic {line}" for line in op_lines(d["traffic"], d.get("compulsory_hbm_bytes", {}))]
    for w in d["warnings"]:
        lines.append(f"warning: {w['message']}")
    if bad:
        lines.append(f"INVALID: {len(bad)} finding(s)")
        lines += [f"  {v['kind']}: {v['message']}" for v in bad]
    else:
        lines.append("valid        no findings")
    return "\n".join(lines)


def run(args) -> int:
    from hpdsl.commands.common import (check_output_path, load_graph, print_result, progress,
                                       write_atomic)
    from hpdsl.commands.gantt_args import check_gantt_args, gantt_rows
    from hpdsl.emulator import EmulatorOptions, emulate
    from hpdsl.errors import Diagnostic, Loc, UserError
    from hpdsl.machine import Machine
    from hpdsl.plan import check_plan, read_plan
    from hpdsl.plan.files import check_plan_file
    from hpdsl.records import emulate_record

    if args.trace:
        check_output_path(args.trace, inputs=[args.spec, args.plan])
    check_gantt_args(args)
    if args.report:
        from hpdsl.report import check_report_dir

        check_output_path(args.report, folder=True, inputs=[args.spec, args.plan])
        check_report_dir(args.report)
    check_plan_file(args.plan)   # a FIFO, a folder or a missing plan fails before the work
    spec, graph = load_graph(args)
    machine = Machine.of(graph.hardware, graph.devices)
    rows = gantt_rows(args, machine) if args.report else None
    plan = read_plan(args.plan, graph, machine)
    try:
        static = check_plan(plan, graph, machine)
    except UserError as e:   # a plan too costly to check: say which file
        raise UserError([Diagnostic(Loc(args.plan), d.message) for d in e.diagnostics]) from None
    if graph.n_tasks > 100_000:
        progress(f"emulating {graph.n_tasks} tasks, {plan.n_instructions} instructions")
    r = emulate(graph, machine, plan, EmulatorOptions(contention=not args.no_contention))
    if args.trace:
        from hpdsl.emulator.trace import chrome_trace

        write_atomic(args.trace, chrome_trace(graph, machine, plan, r), spec.files + (args.plan,))
    if args.report:
        write_plan_report(args, graph, machine, plan, r, rows)
    d = emulate_record(plan.header, r, static, graph, machine)
    print_result(d, args.json, summary(graph, d), ("trace", args.trace))
    if args.report and not args.json:
        print(f"report       {args.report}/report.html")
    return 1 if d["violations"] else 0


def write_plan_report(args, graph, machine, plan, r, rows) -> None:
    """The compare report of one plan (`hpdsl.compare.plan_run`) into args.report."""
    from hpdsl.commands.common import progress
    from hpdsl.compare import Comparison, contrast, plan_run
    from hpdsl.report import write_report

    c = Comparison(graph, machine, (plan_run(graph, machine, plan, r),))
    c = Comparison(graph, machine, c.runs, summary=tuple(contrast(c)))
    write_report(c, args.report, spec_path=args.spec, progress=progress, rows=rows,
                 command="emulate")
