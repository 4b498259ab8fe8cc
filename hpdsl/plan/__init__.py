"""Plans: per-queue instruction streams synchronized by event counters (docs/plans.md).

    >>> plan = lower(graph, machine, schedule)        # doctest: +SKIP
    >>> check_plan(plan, graph, machine)              # doctest: +SKIP
    []
    >>> load_plan(plan_to_json(plan), graph, machine)  # doctest: +SKIP

Modules, each importing only those above it: `program` (the `Plan` value, its opcodes and
per-instruction queries), `ties` (stream order of zero-time tasks tied at one instant),
`order` (what a plan alone proves about signal order), `turns` (turn events),
`flags` (sync flags: own, shared by chains, the too-few-flags error), `lower`
(`Schedule` -> `Plan`), `check` (the static checker), `shape` (the shape lowering gives
every plan), `validate` (what every plan file must satisfy), `json_io` (plan JSON), `npz_io` (the binary plan format), `files` (plan
files on disk, either format).
"""
from __future__ import annotations

from hpdsl.plan.check import check_plan, check_sharing
from hpdsl.plan.files import read_plan, wants_npz
from hpdsl.plan.json_io import load_plan, plan_to_json
from hpdsl.plan.lower import lower
from hpdsl.plan.npz_io import load_plan_npz, plan_to_npz
from hpdsl.plan.program import BARRIER, EXEC, OPS, PLAN_VERSION, SIGNAL, WAIT, Plan, PlanHeader

__all__ = ["BARRIER", "EXEC", "OPS", "PLAN_VERSION", "SIGNAL", "WAIT", "Plan", "PlanHeader",
           "check_plan", "check_sharing", "load_plan", "load_plan_npz", "lower", "plan_to_json",
           "plan_to_npz", "read_plan", "wants_npz"]
