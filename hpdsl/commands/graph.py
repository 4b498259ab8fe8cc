"""`hpdsl graph SPEC`: generate a target's tile task graph; print statistics, JSON, DOT or SVG."""
from __future__ import annotations

import sys

from hpdsl.commands.common import add_target_args, check_output_path, emit, load_graph
from hpdsl.export import to_dot, to_json, to_svg
from hpdsl.generate import DEFAULT_MAX_TASKS
from hpdsl.graph_stats import stats


def add_parser(sub) -> None:
    p = sub.add_parser(
        "graph", help="generate a target's tile task graph",
        description="Generate the tile task graph of a tiling or graph. With --format, write "
                    "the graph (json, dot or svg) to -o FILE or stdout; with --stats, or with "
                    "no --format, print statistics (sent to stderr when the graph goes to stdout).")
    add_target_args(p)
    p.add_argument("--stats", action="store_true",
                   help="print tasks and edges per op, total work, critical path and work per "
                        "core type")
    p.add_argument("--format", choices=("json", "dot", "svg"), default=None,
                   help="write the graph in this format (default: none, statistics only)")
    p.add_argument("-o", "--output", metavar="FILE", default=None,
                   help="file for the graph (default: stdout); written atomically, through a "
                        "symbolic link, never onto an input")
    p.add_argument("--max-tasks", type=int, default=DEFAULT_MAX_TASKS, metavar="N",
                   help=f"refuse targets with more tasks than this (default: {DEFAULT_MAX_TASKS:,})")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.format is not None and args.output not in (None, "-"):
        check_output_path(args.output, inputs=[args.spec])
    spec, graph = load_graph(args, max_tasks=args.max_tasks)
    if args.format is not None:
        text = {"json": to_json, "dot": to_dot, "svg": to_svg}[args.format](graph)
        emit(text, args.output, spec.files)
    if args.stats or args.format is None:
        out = sys.stderr if args.format is not None and args.output in (None, "-") else sys.stdout
        print(stats(graph), file=out)
    return 0
