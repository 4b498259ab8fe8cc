"""`hpdsl schedulers`: list the schedulers by name with a one-line description."""
from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("schedulers", help="list the available schedulers",
                       description="List the schedulers 'hpdsl schedule --scheduler' accepts.")
    p.set_defaults(run=run)


def run(args) -> int:
    from hpdsl.solvers import REGISTRY

    width = max(len(n) for n in REGISTRY)
    for name, info in REGISTRY.items():
        print(f"{name:<{width}}  {info.description}")
    return 0
