"""`hpdsl sweep`: a grid of settings x schedulers, each point compared on a Dask cluster."""
from __future__ import annotations

from hpdsl.commands.common import (
    add_solver_args,
    add_target_args,
    check_output_path,
    check_solver_args,
    progress,
)
from hpdsl.errors import UserError
from hpdsl.fmt import duration

DEFAULT_SCHEDULERS = "serial,heft"
MAX_LISTED = 40   # rows printed on stdout; the file has them all


def add_parser(sub) -> None:
    p = sub.add_parser(
        "sweep", help="run a grid of settings x schedulers on a Dask cluster, one row per point",
        description="For every combination of the --grid values and every scheduler, do what "
                    "'hpdsl compare' does (generate, schedule, lower, emulate) as one task on a "
                    "Dask cluster, and write one row per point to -o as points finish. Run the "
                    "same command again to resume: points with a row are skipped (crashed ones "
                    "run again). Exit status 1 if any point failed. docs/sweep.md.")
    add_target_args(p)
    p.add_argument("--grid", "-g", action="append", default=[], metavar="KEY=V1,V2,...",
                   help="an axis of the grid: any --set key (devices, routing, "
                        "hw.link.bandwidth, ...) or 'target', with comma-separated values, "
                        "e.g. --grid devices=16,32 --grid routing='balanced,zipf 1.2' "
                        "(repeatable; default: no axes, one point per scheduler)")
    p.add_argument("--schedulers", "-s", metavar="A,B,...", default=DEFAULT_SCHEDULERS,
                   help=f"comma-separated schedulers, one row each per grid point "
                        f"(default: {DEFAULT_SCHEDULERS})")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--cluster", metavar="ADDRESS",
                       help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
                            "(default: start a local cluster)")
    where.add_argument("--workers", "-w", type=int, metavar="N",
                       help="worker processes of the local cluster (default: one per core)")
    p.add_argument("--output", "-o", required=True, metavar="FILE",
                   help="results file, rewritten atomically as points finish: CSV, or "
                        "Parquet when FILE ends in .parquet")
    p.add_argument("--force", action="store_true",
                   help="run every point again, also those with a row in FILE")
    p.add_argument("--report", metavar="DIR",
                   help="also write DIR/report.html: makespan and speedup against each grid "
                        "key, one line per scheduler, and the table (replaced as a whole)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="S",
                   help="seconds to wait for the cluster: to connect, for a first worker, "
                        "and while it has no workers (default: 30)")
    add_solver_args(p, per=" per point")
    p.set_defaults(run=run)


def _check(args) -> None:
    import math

    check_solver_args(args)
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers must be at least 1, got {args.workers}")
    if not (math.isfinite(args.timeout) and args.timeout > 0):
        raise UserError(f"--timeout must be a positive number of seconds, got {args.timeout:g}")
    check_output_path(args.output, inputs=[args.spec])
    if args.report:
        from hpdsl.report import check_report_dir

        check_output_path(args.report, folder=True, inputs=[args.spec])
        check_report_dir(args.report)   # a folder hpdsl did not write is refused before the work


def _sweep(args):
    from hpdsl.compare import scheduler_names
    from hpdsl.lang import load
    from hpdsl.settings import parse_settings
    from hpdsl.sweep.grid import TARGET, parse_grid
    from hpdsl.sweep.run import Sweep
    from hpdsl.sweep.task import Job
    from hpdsl.targets import resolve_target

    schedulers = scheduler_names(args.schedulers.split(","))
    axes = parse_grid(args.grid, args.settings, args.target)
    parse_settings(args.settings)   # a bad fixed --set fails every point: refuse it now
    spec = load(args.spec)
    if all(a.key != TARGET for a in axes):
        resolve_target(spec, args.target)
    job = Job(spec, args.target, tuple(args.settings), args.time_limit, args.seed,
              max_z3_tasks=args.max_z3_tasks)
    return Sweep(job, axes, schedulers, args.output, args.force)


def summary(outcome, keys, out: str) -> str:
    """What stdout shows: a short table of the grid's rows, then the failed points."""
    from hpdsl.sweep.grid import Point
    from hpdsl.sweep.row import why_failed

    rows = outcome.rows
    head = list(keys) + ["scheduler", "status", "makespan", "speedup"]
    table = [[str(r.get(k)) for k in keys] + [
        r.get("scheduler"), r.get("status"), duration(r.get("makespan_ns")),
        "-" if r.get("speedup_vs_serial") is None else f"{r['speedup_vs_serial']:.2f}x"]
        for r in rows[:MAX_LISTED]]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *table)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip()
             for line in [head, ["-" * w for w in widths]] + table]
    if len(rows) > MAX_LISTED:
        lines.append(f"... {len(rows) - MAX_LISTED} more rows in {out}")
    lines.append(f"\n{len(rows)} rows in {out} ({outcome.ran} run now, {outcome.skipped} "
                 f"from an earlier run)")
    if outcome.failed:
        lines.append(f"{len(outcome.failed)} point(s) failed:")
        for r in outcome.failed[:MAX_LISTED]:
            point = Point(tuple((k, str(r.get(k))) for k in keys), str(r.get("scheduler")))
            lines.append(f"  {point.label}: {why_failed(r)}")
        if len(outcome.failed) > MAX_LISTED:
            lines.append(f"  ... {len(outcome.failed) - MAX_LISTED} more in {out}")
    return "\n".join(lines)


def run(args) -> int:
    from hpdsl.sweep.engine import Cluster
    from hpdsl.sweep.run import run_sweep

    _check(args)
    sweep = _sweep(args)
    try:
        outcome = run_sweep(sweep, Cluster(args.cluster, args.workers, args.timeout))
    except KeyboardInterrupt:
        progress(f"interrupted; the points that finished are in {args.output}: run the same "
                 f"command again to resume")
        raise
    if args.report:
        from hpdsl.sweep.report import write_sweep_report

        write_sweep_report(args.report, sweep.axes, sweep.schedulers, outcome.rows,
                           f"hpdsl sweep: {args.spec}", progress)
    print(summary(outcome, sweep.keys, args.output))
    if args.report:
        print(f"report: {args.report}/report.html")
    return 1 if outcome.failed else 0
