"""Classic scheduling benchmarks: job shop (J||Cmax) and Kasahara's STG as `.hpm` text, and
Sinnen's task graphs with communication delays.

The instances ship with the repository, in `benchdata/` (`DATA`; its README gives the
sources, citations and licences). Job shops and STG graphs go through the real language
and generator, so the numbers measured on them are numbers about hpdsl, not about a side
path. Formats:

- job shop: `#` comment lines, then `n m`, then n lines of m pairs `machine duration`
  (machines 0-based, durations in time units, here microseconds). Each machine becomes a
  core type `M<i>` with one instance; each operation a task `j<job>_<k>` after the
  previous operation of its job.
- STG: the first line is n; then n+2 lines `id time n_preds preds...`, task 0 and n+1
  being zero-time dummies; trailing `#` lines. Tasks become `t<id>` on one core type `P`
  with `procs` instances; the dummies are kept (zero-time tasks are legal) so the graph
  is the published one.
- Sinnen's graphs (Graphviz dot): node lines `id [Weight=w]`, edge lines
  `a -> b [Weight=c]`, c a communication delay paid only between different processors
  (`parse_dag_dot`; the language has no per-edge delay, so no `.hpm` text).

    >>> print(jobshop_hpm(parse_jobshop("1 2\\n0 3 1 4\\n", "tiny")))  # doctest: +NORMALIZE_WHITESPACE
    // job shop instance tiny: 1 jobs x 2 machines
    hardware JS_tiny {
        core M0 count 1
        core M1 count 1
    }
    graph tiny on JS_tiny {
        task j0_0 on M0 takes 3 us
        task j0_1 on M1 takes 4 us after j0_0
    }
    <BLANKLINE>
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from hpdsl.errors import Loc, UserError

DATA = Path(__file__).resolve().parents[1] / "benchdata"


def data_path(relative: str | Path) -> Path:
    """A file of the benchmark data set, e.g. `data_path("jsplib/instances/ft06")`."""
    path = DATA / relative
    if not path.exists():
        raise UserError(f"benchmark file '{relative}' not found in {DATA}: the data set ships "
                        f"with the hpdsl source repository (folder benchdata/)")
    return path


@dataclass(frozen=True, slots=True)
class JobShop:
    name: str
    machines: int
    jobs: tuple[tuple[tuple[int, int], ...], ...]   # per job: (machine, duration) in order


@dataclass(frozen=True, slots=True)
class Stg:
    name: str
    times: tuple[int, ...]                # per task id 0..n+1 (dummies included)
    preds: tuple[tuple[int, ...], ...]


@dataclass(frozen=True, slots=True)
class CommDag:
    name: str
    nodes: tuple[str, ...]                # in file order
    times: tuple[int, ...]                # per node
    edges: tuple[tuple[int, int, int], ...]   # (from, to, communication delay)


def _numbers(text: str, filename: str) -> list[tuple[int, list[int]]]:
    """(line number, integers) for each non-blank, non-comment line."""
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            out.append((i, [int(v) for v in line.split()]))
        except ValueError:
            raise UserError(f"expected integers, found '{line}'", Loc(filename, i, 1)) from None
    return out


def parse_jobshop(text: str, name: str, filename: str = "<jobshop>") -> JobShop:
    rows = _numbers(text, filename)
    if not rows or len(rows[0][1]) != 2:
        raise UserError("a job shop instance starts with a line 'jobs machines'",
                        Loc(filename, rows[0][0] if rows else 1, 1))
    (_, (n, m)), rest = rows[0], rows[1:]
    if len(rest) < n:
        raise UserError(f"expected {n} job lines, found {len(rest)}", Loc(filename))
    jobs = []
    for line, vals in rest[:n]:
        if len(vals) != 2 * m:
            raise UserError(f"a job line holds {m} pairs 'machine duration', found "
                            f"{len(vals)} numbers", Loc(filename, line, 1))
        ops = tuple((vals[2 * k], vals[2 * k + 1]) for k in range(m))
        for mach, dur in ops:
            if not 0 <= mach < m or dur < 0:
                raise UserError(f"machine {mach} with duration {dur} is out of range "
                                f"(machines 0..{m - 1}, durations >= 0)", Loc(filename, line, 1))
        jobs.append(ops)
    return JobShop(name, m, tuple(jobs))


def _ident(name: str) -> str:
    return re.sub(r"\W", "_", name if not name[:1].isdigit() else "g" + name)


def jobshop_hpm(js: JobShop, unit: str = "us") -> str:
    name = _ident(js.name)
    lines = [f"// job shop instance {js.name}: {len(js.jobs)} jobs x {js.machines} machines",
             f"hardware JS_{name} {{"]
    lines += [f"    core M{i} count 1" for i in range(js.machines)]
    lines += ["}", f"graph {name} on JS_{name} {{"]
    for j, ops in enumerate(js.jobs):
        for k, (mach, dur) in enumerate(ops):
            after = f" after j{j}_{k - 1}" if k else ""
            lines.append(f"    task j{j}_{k} on M{mach} takes {dur} {unit}{after}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def parse_stg(text: str, name: str, filename: str = "<stg>") -> Stg:
    rows = _numbers(text, filename)
    if not rows or len(rows[0][1]) != 1:
        raise UserError("an STG file starts with a line holding the task count",
                        Loc(filename, rows[0][0] if rows else 1, 1))
    n = rows[0][1][0]
    body = rows[1:n + 3]
    if len(body) != n + 2:
        raise UserError(f"expected {n + 2} task lines (with the two dummies), found "
                        f"{len(body)}", Loc(filename))
    times, preds = [], []
    for i, (line, vals) in enumerate(body):
        if len(vals) < 3 or vals[0] != i or len(vals) != 3 + vals[2]:
            raise UserError(f"expected 'id time n_preds preds...' for task {i}",
                            Loc(filename, line, 1))
        if any(not 0 <= p < i for p in vals[3:]):
            raise UserError(f"task {i} names a predecessor that is not an earlier task",
                            Loc(filename, line, 1))
        times.append(vals[1])
        preds.append(tuple(vals[3:]))
    return Stg(name, tuple(times), tuple(preds))


def stg_hpm(stg: Stg, procs: int, unit: str = "us") -> str:
    name = _ident(stg.name)
    lines = [f"// STG instance {stg.name} ({len(stg.times) - 2} tasks) on {procs} processors",
             f"hardware P{procs} {{", f"    core P count {procs}", "}",
             f"graph {name} on P{procs} {{"]
    for i, (t, ps) in enumerate(zip(stg.times, stg.preds)):
        after = (" after " + ", ".join(f"t{p}" for p in ps)) if ps else ""
        lines.append(f"    task t{i} on P takes {t} {unit}{after}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def jssp_optima(path: str | Path = DATA / "jssp_optima.csv") -> dict[str, dict]:
    """name -> {jobs, machines, optimum (int or None), lb, ub, path} from jssp_optima.csv."""
    out = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            out[row["name"]] = {
                "jobs": int(row["jobs"]), "machines": int(row["machines"]),
                "optimum": int(row["optimum"]) if row["optimum"] else None,
                "lb": int(row["lb"]), "ub": int(row["ub"]), "path": row["path"]}
    return out


def stg_optima(path: str | Path) -> dict[str, tuple[int, int]]:
    """instance path (e.g. '50/rand0000.stg') -> (lb, ub); lb == ub where proven optimal."""
    out = {}
    with open(path, newline="") as f:
        for row in csv.reader(f):
            if not row or row[0].startswith("#"):
                continue
            vals = [int(v) for v in row[2:]]
            out[row[0]] = (vals[0], vals[0]) if len(vals) == 1 else (vals[0], vals[1])
    return out


_EDGE = re.compile(r'("?[\w.-]+"?)\s*->\s*("?[\w.-]+"?)\s*\[\s*Weight\s*=\s*(-?\d+)\s*\]')
_NODE = re.compile(r'("?[\w.-]+"?)\s*\[\s*Weight\s*=\s*(-?\d+)\s*\]')


def parse_dag_dot(text: str, name: str, filename: str = "<dot>") -> CommDag:
    """A Sinnen task graph: node and edge weights from its dot text (other attributes ignored).

    >>> parse_dag_dot('digraph g { a [Weight=2]; b [Weight=3]; a -> b [Weight=1]; }', "g").edges
    ((0, 1, 1),)
    """
    edges_text = _EDGE.findall(text)
    nodes = {}
    for node, w in _NODE.findall(_EDGE.sub("", text)):
        if node in nodes:
            raise UserError(f"node {node} is declared twice", Loc(filename))
        nodes[node] = int(w)
    index = {n: i for i, n in enumerate(nodes)}
    edges = []
    for a, b, c in edges_text:
        if a not in index or b not in index:
            raise UserError(f"edge {a} -> {b} names a node that has no [Weight=...] line",
                            Loc(filename))
        edges.append((index[a], index[b], int(c)))
    if not nodes:
        raise UserError("no node lines 'id [Weight=w]' found", Loc(filename))
    if any(w < 0 for w in nodes.values()) or any(c < 0 for *_, c in edges):
        raise UserError("weights must be >= 0", Loc(filename))
    return CommDag(name, tuple(n.strip('"') for n in nodes), tuple(nodes.values()), tuple(edges))


def sinnen_optima(path: str | Path = DATA / "dag_commdelay_sinnen/optima_claimed.csv"
                  ) -> dict[tuple[str, int], int]:
    """(dot file name, processors) -> the claimed optimal makespan."""
    with open(path, newline="") as f:
        return {(row["file"], int(row["processors"])): int(row["expected_optimal_makespan"])
                for row in csv.DictReader(f)}
