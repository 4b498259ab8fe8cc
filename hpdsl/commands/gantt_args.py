"""--gantt-device and --gantt-rows: the Gantt rows of a `--report`, for compare and emulate."""
from __future__ import annotations

from hpdsl.errors import UserError
from hpdsl.gantt_rows import MAX_ROWS, ROWS_LIMIT, Rows, parse_view, rows_for


def add_gantt_args(p) -> None:
    p.add_argument("--gantt-device", metavar="D",
                   help="the device whose workers the report's Gantt charts draw, or 'all' "
                        "(default: whole devices from device 0 while they fit in the row "
                        "limit)")
    p.add_argument("--gantt-rows", metavar="ROWS",
                   help=f"the Gantt charts' rows: a number (the most rows, default {MAX_ROWS}, "
                        f"at most {ROWS_LIMIT}; past it every core type keeps its first "
                        f"instances) or core types and instances, e.g. 'AIC:0-3,AIV' "
                        f"(CORE, CORE:I, CORE:I-J)")


def check_gantt_args(args) -> None:
    """Syntax first, before any long work; the names once the machine is known."""
    if (args.gantt_device is not None or args.gantt_rows is not None) and not args.report:
        raise UserError("--gantt-device and --gantt-rows choose what a report draws; "
                        "add --report DIR")
    parse_view(args.gantt_device, args.gantt_rows)


def gantt_rows(args, machine) -> Rows:
    """The rows the report's charts draw on `machine` (UserError for one it lacks)."""
    return rows_for(machine, parse_view(args.gantt_device, args.gantt_rows))
