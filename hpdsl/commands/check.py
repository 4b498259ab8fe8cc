"""`hpdsl check SPEC...`: parse and check specs, print a one-line summary per file."""
from __future__ import annotations

import sys

from hpdsl.errors import UserError


def add_parser(sub) -> None:
    p = sub.add_parser("check", help="parse and check .hpm files",
                       description="Parse and check .hpm files. Prints one summary line per "
                                   "file; on errors prints every located error and exits 1.")
    p.add_argument("specs", nargs="+", metavar="SPEC", help=".hpm files to check")
    p.set_defaults(run=run)


def summary(path: str, spec) -> str:
    tasks = sum(len(g.tasks) for g in spec.graphs)
    return (f"{path}: ok: {len(spec.hardware)} hardware, {len(spec.workloads)} workloads, "
            f"{len(spec.tilings)} tilings, {len(spec.graphs)} graphs, {tasks} tasks")


def run(args) -> int:
    from hpdsl.lang import load

    failed = False
    for path in args.specs:
        try:
            spec = load(path)
            for w in spec.warnings:
                print(w, file=sys.stderr)
            print(summary(path, spec))
        except UserError as e:
            print(str(e), file=sys.stderr)
            failed = True
    return 1 if failed else 0
