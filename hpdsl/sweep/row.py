"""The rows of a sweep: a compare run record flattened, speedups over serial, column order.

A row holds the point's grid values (as typed), `scheduler`, the run record's scalar
fields, `utilization.CORE` per core type, `weights_hbm_bytes` (the record's per-op
`traffic` summed; empty where the emulator reports none), the point's measurements
(`tasks`, `seconds`, `peak_rss_bytes`) and `error`. `status` is the schedule's status,
`error` for a point that failed with a user error (kept on resume: it would fail again)
or `crashed` for one whose worker died or that hit a bug (run again on resume).

    >>> flatten({"scheduler": "heft", "status": "heuristic", "makespan_ns": 10,
    ...          "utilization": {"AIC": 0.5}, "violations": [], "error": None})["utilization.AIC"]
    0.5
"""
from __future__ import annotations

from hpdsl.compare import speedup

ERROR = "error"
CRASHED = "crashed"
FAILED = (ERROR, CRASHED)
SERIAL = "serial"

HEAD = ("scheduler", "status", "makespan_ns", "predicted_makespan_ns", "lower_bound_ns",
        "gap", "speedup_vs_serial")
UTILIZATION = "utilization."
MIDDLE = ("exposed_comm_ns", "comm_ns", "weights_hbm_bytes", "kernels", "violations",
          "tasks", "generate_seconds", "solve_seconds", "emulate_seconds", "seconds",
          "peak_rss_bytes")
TAIL = ("error",)
_RECORD = ("scheduler", "status", "makespan_ns", "predicted_makespan_ns", "lower_bound_ns",
           "gap", "exposed_comm_ns", "comm_ns", "kernels", "solve_seconds", "emulate_seconds",
           "error")


def flatten(record: dict) -> dict:
    """One result of `compare --json` (`hpdsl.records.run_record`) as a row's columns."""
    row = {k: record.get(k) for k in _RECORD}
    row.update({UTILIZATION + k: v for k, v in record.get("utilization", {}).items()})
    row["violations"] = len(record.get("violations", []))
    traffic = record.get("traffic")
    row["weights_hbm_bytes"] = None if traffic is None else int(
        sum(t.get("weights_hbm_bytes", 0) for t in traffic.values()))
    if row["error"]:
        row["status"] = ERROR
    return row


def crashed(values: dict, scheduler: str, error: str) -> dict:
    """The row of a point that did not come back from its worker."""
    return {**values, "scheduler": scheduler, "status": CRASHED, "error": error}


def failed(row: dict) -> bool:
    return row.get("status") in FAILED


def why_failed(row: dict) -> str:
    """A failed row's error for people (a user error's text already says 'error:')."""
    first = str(row.get("error") or "")
    return first if row.get("status") == ERROR else f"{row.get('status')}: {first}"


def with_speedups(rows: list[dict], keys: tuple[str, ...]) -> list[dict]:
    """`rows` with `speedup_vs_serial` set from the serial row of the same grid values
    (`hpdsl.compare.speedup`; empty without a serial row that ran)."""
    base = {tuple(r.get(k) for k in keys): r.get("makespan_ns") for r in rows
            if r.get("scheduler") == SERIAL and not failed(r)}
    out = []
    for r in rows:
        b = base.get(tuple(r.get(k) for k in keys))
        out.append({**r, "speedup_vs_serial": None if failed(r) else
                    speedup(b, r.get("makespan_ns"))})
    return out


def columns(keys: tuple[str, ...], rows: list[dict]) -> list[str]:
    """The file's columns: grid keys, HEAD, utilization per core type, MIDDLE, a study's
    extra columns, TAIL; core types and extras in the order rows first show them."""
    seen = list(dict.fromkeys(k for r in rows for k in r))
    fixed = set(keys) | set(HEAD) | set(MIDDLE) | set(TAIL)
    util = [c for c in seen if c.startswith(UTILIZATION)]
    extra = [c for c in seen if c not in fixed and not c.startswith(UTILIZATION)]
    return list(keys) + list(HEAD) + util + list(MIDDLE) + extra + list(TAIL)
