"""Dependency-preserving generation: a tiling (or an explicit graph) becomes a `TaskGraph`.

Each op's tiles come from its kind in `hpdsl.ops`; an edge u -> v exists exactly when
tile v reads data tile u writes (a dispatch chunk "writes" the rows it delivers). No
operator-wide barriers. Edges are found per op pair by sorted sweeps, without all-pairs
loops (`hpdsl.ops.overlap`).

Before any per-task array is built the task count is computed in closed form from the
routed row counts, so an oversized spec is refused early.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hpdsl.errors import Diagnostic, UserError, did_you_mean
from hpdsl.graph import TaskGraph
from hpdsl.ops import KINDS
from hpdsl.ops.base import EXPERT, TOKEN, Layer, OpKind, Tensor, check_rule
from hpdsl.ops.overlap import dependencies
from hpdsl.routing import check_routing, route
from hpdsl.spec import Graph, Op, Routing, Spec, TileRule, Tiling, Workload
from hpdsl.units import DTYPE_BYTES

DEFAULT_MAX_TASKS = 4_000_000
MAX_ROUTED_ROWS = 1 << 27      # devices x tokens x topk; the routing alone is 4 bytes a row
INT_SETTINGS = ("devices", "tokens", "hidden", "experts", "topk", "expert_ffn", "seed")
SETTINGS = INT_SETTINGS + ("dtype", "routing")


# ---------------------------------------------------------------- targets and settings

def resolve_target(spec: Spec, target: str | None) -> Tiling | Graph:
    """The tiling or graph named `target`; with one target in the spec it may be None."""
    items = {t.name: t for t in spec.tilings}
    items.update({g.name: g for g in spec.graphs})
    if target is None:
        if len(items) == 1:
            return next(iter(items.values()))
        if not items:
            raise UserError("the spec has no tiling and no graph to run")
        raise UserError(f"the spec has {len(items)} targets; choose one with --target"
                        f"{did_you_mean('', items)}")
    if target not in items:
        raise UserError(f"no tiling or graph named '{target}'{did_you_mean(target, items)}")
    return items[target]


def parse_routing(text: str, old: Routing) -> Routing:
    """`balanced`, `zipf S` or `grouped G`, optionally followed by `seed N`."""
    words = text.split()
    bad = UserError(f"--set routing='{text}': expected 'balanced', 'zipf S' or 'grouped G', "
                    f"optionally followed by 'seed N'")
    seed = old.seed
    if len(words) >= 2 and words[-2] == "seed":
        try:
            seed = int(words[-1])
        except ValueError:
            raise bad from None
        words = words[:-2]
    if not words or words[0] not in ("balanced", "zipf", "grouped"):
        raise bad
    if words[0] == "balanced":
        if len(words) != 1:
            raise bad
        return Routing("balanced", 0.0, seed, old.loc)
    if len(words) != 2:
        raise bad
    try:
        param = float(words[1])
    except ValueError:
        raise bad from None
    return Routing(words[0], param, seed, old.loc)


def apply_settings(w: Workload, settings: dict[str, str]) -> Workload:
    """`w` with `--set KEY=VALUE` overrides applied (values still unchecked as a whole)."""
    changes: dict = {}
    routing = w.routing
    for key, value in settings.items():
        if key not in SETTINGS:
            raise UserError(f"unknown setting '{key}' in --set {key}={value}"
                            f"{did_you_mean(key, SETTINGS)}")
        if key in INT_SETTINGS:
            try:
                v = int(value)
            except ValueError:
                v = None
            if v is None or (v < 1 and key != "seed") or v < 0:
                what = "a whole number" if key == "seed" else "a positive whole number"
                raise UserError(f"--set {key}={value}: expected {what}, got '{value}'")
            if key == "seed":
                routing = Routing(routing.kind, routing.param, v, routing.loc)
            else:
                changes[key] = v
        elif key == "dtype":
            if value not in DTYPE_BYTES:
                raise UserError(f"--set dtype={value}: unknown dtype '{value}'"
                                f"{did_you_mean(value, DTYPE_BYTES)}")
            changes.update(dtype=value, dtype_bytes=DTYPE_BYTES[value])
        else:
            routing = parse_routing(value, Routing(routing.kind, routing.param,
                                                   routing.seed, routing.loc))
            if "seed" in settings:   # an explicit seed= wins over routing's own
                routing = Routing(routing.kind, routing.param, int(settings["seed"]), routing.loc)
    if routing != w.routing:
        changes["routing"] = routing
    return w.with_settings(**changes) if changes else w


def check_layer(w: Workload) -> None:
    """UserErrors for a workload the generator cannot route (after --set)."""
    try:
        from hpdsl.lang.check import check_workload
    except ImportError:
        check_workload = None
    if check_workload is not None:
        diags = check_workload(w)
        if diags:
            raise UserError(diags)
    for key in ("devices", "tokens", "hidden", "experts", "topk"):
        if getattr(w, key) < 1:
            raise UserError(f"{key} of workload '{w.name}' must be positive, got "
                            f"{getattr(w, key)}", w.loc)
    if w.experts % w.devices:
        raise UserError(f"experts ({w.experts}) of workload '{w.name}' must be a multiple of "
                        f"devices ({w.devices}), so that every device holds as many experts",
                        w.loc)
    check_routing(w.routing, w.experts, w.topk)


# ---------------------------------------------------------------- the op chain

@dataclass(frozen=True, slots=True)
class _Step:
    """One op, checked: its kind, its tiling rule, the op it reads, the core types allowed."""

    op: Op
    kind: OpKind
    rule: TileRule
    inp_name: str | None
    cores: tuple[str, ...]


def _plan(t: Tiling, w: Workload) -> list[_Step]:
    hw = w.hardware
    names = [o.name for o in w.ops]
    steps, seen = [], set()
    for op in w.ops:
        kind = KINDS.get(op.kind)
        if kind is None:
            raise UserError(f"unknown op kind '{op.kind}'{did_you_mean(op.kind, KINDS)}", op.loc)
        if op.input is not None and op.input not in seen:
            if op.input in names:
                raise UserError(f"op '{op.name}' reads '{op.input}', which is declared after "
                                f"it; ops run in the order they are written", op.loc)
            raise UserError(f"op '{op.name}' reads '{op.input}', which is not an op of workload "
                            f"'{w.name}'{did_you_mean(op.input, names)}", op.loc)
        if op.input is None and kind.needs_input:
            raise UserError(f"op '{op.name}' ({kind.name}) needs an input: write "
                            f"'{kind.name}(OP)'", op.loc)
        if kind.takes_n and (op.n is None or op.n < 1):
            raise UserError(f"op '{op.name}' ({kind.name}) needs a positive output width: "
                            f"add 'n N'", op.loc)
        try:
            rule = t.rule(op.name)
        except KeyError:
            raise UserError(f"tiling '{t.name}' gives no rule for op '{op.name}'", t.loc) from None
        if rule.core is not None:
            try:
                core = hw.core(rule.core)
            except KeyError:
                raise UserError(f"unknown core type '{rule.core}' in hardware '{hw.name}'"
                                f"{did_you_mean(rule.core, [c.name for c in hw.cores])}",
                                rule.loc) from None
            if not core.can(kind.capability):
                raise UserError(f"core type '{core.name}' cannot do '{kind.capability}', "
                                f"which op '{op.name}' needs", rule.loc)
            cores = (core.name,)
        else:
            cores = tuple(c.name for c in hw.cores_for(kind.capability))
            if not cores:
                raise UserError(f"no core type of hardware '{hw.name}' can do "
                                f"'{kind.capability}', which op '{op.name}' ({kind.name}) needs",
                                op.loc)
        steps.append(_Step(op, kind, rule, op.input, cores))
        seen.add(op.name)
    return steps


def _input(step: _Step, tensors: dict[str, Tensor], layer: Layer) -> Tensor:
    """The tensor `step` reads, checked against the spaces its kind accepts."""
    if step.inp_name is None:
        inp = Tensor.layer_input(layer)
    else:
        inp = tensors[step.inp_name]
        if inp.space == EXPERT and step.kind.spaces == (TOKEN,) and f"<in>{step.inp_name}" in tensors:
            inp = tensors[f"<in>{step.inp_name}"]   # e.g. the tokens a dispatch sends
    if inp.space not in step.kind.spaces:
        op, src = step.op, step.inp_name
        if inp.space == TOKEN:
            msg = (f"op '{op.name}' ({step.kind.name}) works on expert rows, but '{src}' holds "
                   f"each device's own tokens; put a dispatch before it")
        else:
            msg = (f"op '{op.name}' ({step.kind.name}) works on each device's own tokens, but "
                   f"'{src}' holds expert rows; combine them first")
        raise UserError(msg, op.loc)
    return inp


def _shapes(steps: list[_Step], layer: Layer) -> dict[str, Tensor]:
    """Stub tensors (space and width only) for every op, checking rules along the way."""
    tensors: dict[str, Tensor] = {}
    z = np.zeros(0, dtype=np.int64)
    for s in steps:
        inp = _input(s, tensors, layer)
        width = s.kind.out_width(s.op, inp)
        check_rule(s.kind, s.op, s.rule, width)
        space = s.kind.out_space or inp.space
        tensors[s.op.name] = Tensor(space, width, z, z, width, 0, op=s.op.name)
        if s.kind.forwards_tokens:
            tensors[f"<in>{s.op.name}"] = inp
    return tensors


def count_tasks(steps: list[_Step], layer: Layer) -> dict[str, int]:
    """Tasks per op, in closed form from the routed row counts."""
    tensors = _shapes(steps, layer)
    return {s.op.name: s.kind.count(layer, s.rule, s.op, _input(s, tensors, layer)) for s in steps}


# ---------------------------------------------------------------- generation

def generate(spec: Spec, target: str | None, settings: dict[str, str],
             max_tasks: int = DEFAULT_MAX_TASKS) -> TaskGraph:
    """The task graph of `target` (a tiling or a graph) with `--set` overrides applied.

    >>> from hpdsl.lang import load                                   # doctest: +SKIP
    >>> g = generate(load("examples/toy.hpm"), None, {})               # doctest: +SKIP
    """
    item = resolve_target(spec, target)
    if isinstance(item, Graph):
        if settings:
            raise UserError(f"--set changes workload settings, but '{item.name}' is an "
                            f"explicit graph", item.loc)
        return from_graph(item)
    w = apply_settings(item.workload, settings)
    check_layer(w)
    return from_tiling(item, w, max_tasks)


def _refuse(n: int, at_least: bool, max_tasks: int, name: str) -> UserError:
    what = "at least " if at_least else ""
    return UserError(f"target '{name}' would generate {what}{n:,} tasks, more than the limit of "
                     f"{max_tasks:,}; use coarser tiles, fewer devices or tokens, or raise "
                     f"--max-tasks")


def from_tiling(t: Tiling, w: Workload, max_tasks: int = DEFAULT_MAX_TASKS) -> TaskGraph:
    """Tiles and dependencies of workload `w` (already overridden and checked) split by `t`."""
    steps = _plan(t, w)
    base = dict(devices=w.devices, tokens=w.tokens, hidden=w.hidden, experts=w.experts,
                topk=w.topk, dtype_bytes=w.dtype_bytes)
    rows = w.devices * w.tokens * w.topk
    # lower bound before routing: all rows in one (device, expert) pair packs tiles tightest
    lump = np.zeros((w.devices, w.experts), dtype=np.int64)
    lump[0, 0] = rows
    low = sum(count_tasks(steps, Layer(counts=lump, **base)).values())
    if low > max_tasks:
        raise _refuse(low, True, max_tasks, t.name)
    if rows > MAX_ROUTED_ROWS:
        raise UserError(f"workload '{w.name}' routes {rows:,} rows (devices x tokens x topk), "
                        f"more than the {MAX_ROUTED_ROWS:,} hpdsl generates", w.loc)
    routed = route(w.routing, w.devices, w.tokens, w.experts, w.topk)
    layer = Layer(counts=routed.counts, choices=routed.choices, **base)
    per_op = count_tasks(steps, layer)
    total = sum(per_op.values())
    if total > max_tasks:
        raise _refuse(total, False, max_tasks, t.name)
    return _build(t, w, steps, layer, total)


def _build(t: Tiling, w: Workload, steps: list[_Step], layer: Layer, total: int) -> TaskGraph:
    kinds: list[tuple[str, tuple[str, ...]]] = []
    tensors: dict[str, Tensor] = {}
    cols: dict[str, list[np.ndarray]] = {k: [] for k in (
        "op", "kind", "device", "flops", "bytes_in", "bytes_out", "bytes_sent", "dst",
        "expert", "row0", "rows", "col0", "cols", "bytes_hbm", "bytes_spill")}
    src_e, dst_e = [], []
    first = 0
    for i, s in enumerate(steps):
        inp = _input(s, tensors, layer)
        tiles = s.kind.tiles(layer, s.rule, s.op, inp)
        n, nc = tiles.n_tiles, tiles.n_col
        key = (s.kind.capability, s.cores)
        if key not in kinds:
            kinds.append(key)
        rep = lambda a: np.repeat(a, nc)
        c0 = np.arange(nc, dtype=np.int64) * tiles.col_w
        cols["op"].append(np.full(n, i, dtype=np.int32))
        cols["kind"].append(np.full(n, kinds.index(key), dtype=np.int16))
        cols["device"].append(rep(tiles.device))
        cols["expert"].append(rep(tiles.expert))
        cols["row0"].append(rep(tiles.row0))
        cols["rows"].append(rep(tiles.hi - tiles.lo))
        cols["col0"].append(np.tile(c0, len(tiles.lo)))
        cols["cols"].append(np.tile(np.minimum(tiles.col_w, tiles.width - c0), len(tiles.lo)))
        cols["dst"].append(rep(tiles.dst))
        for k in ("flops", "bytes_in", "bytes_out", "bytes_sent"):
            cols[k].append(getattr(tiles, k))
        # an op kind that does not say: nothing compulsory, everything off chip on a spill
        cols["bytes_hbm"].append(np.zeros(n) if tiles.bytes_hbm is None else tiles.bytes_hbm)
        cols["bytes_spill"].append(tiles.bytes_in + tiles.bytes_out if tiles.bytes_spill is None
                                   else tiles.bytes_spill)
        s_, d_ = dependencies(tiles, first, inp, layer)
        src_e.append(s_)
        dst_e.append(d_)
        tensors[s.op.name] = tiles.tensor(first, s.op.name)
        if s.kind.forwards_tokens:
            tensors[f"<in>{s.op.name}"] = inp
        first += n
    assert first == total, (first, total)   # the closed-form count is the real count
    arrays = {k: np.concatenate(v) for k, v in cols.items()}
    return TaskGraph.build(
        name=t.name, hardware=w.hardware, devices=w.devices,
        ops=tuple(s.op.name for s in steps), kinds=tuple(k for k, _ in kinds),
        cores=tuple(c for _, c in kinds), src=np.concatenate(src_e), dst_edges=np.concatenate(dst_e),
        fixed_ns=None, op_kinds=tuple(s.kind.name for s in steps), **arrays)


def from_graph(g: Graph) -> TaskGraph:
    """An explicit graph: one task per `task`, fixed times, kind = the core type it names."""
    names = [task.name for task in g.tasks]
    index = {nm: i for i, nm in enumerate(names)}
    kinds = list(dict.fromkeys(task.core for task in g.tasks))
    core_names = [c.name for c in g.hardware.cores]
    diags = []
    src, dst = [], []
    for i, task in enumerate(g.tasks):
        if task.core not in core_names:
            diags.append(Diagnostic(task.loc, f"unknown core type '{task.core}' in hardware "
                                    f"'{g.hardware.name}'{did_you_mean(task.core, core_names)}"))
        for a in task.after:
            if a not in index:
                diags.append(Diagnostic(task.loc, f"task '{task.name}' comes after '{a}', which "
                                        f"is not a task of graph '{g.name}'{did_you_mean(a, names)}"))
                continue
            src.append(index[a])
            dst.append(i)
    if diags:
        raise UserError(diags)
    n = len(g.tasks)
    graph = TaskGraph.build(
        name=g.name, hardware=g.hardware, devices=1, ops=(g.name,), kinds=tuple(kinds),
        cores=tuple((k,) for k in kinds), op=np.zeros(n, dtype=np.int32),
        kind=np.array([kinds.index(task.core) for task in g.tasks], dtype=np.int16),
        device=np.zeros(n, dtype=np.int32), src=np.array(src, dtype=np.int64),
        dst_edges=np.array(dst, dtype=np.int64),
        fixed_ns=np.array([task.time for task in g.tasks], dtype=np.int64),
        task_names=tuple(names), op_kinds=("graph",))
    try:
        graph.topological_order()
    except ValueError:
        raise UserError(f"graph '{g.name}' has a cycle: its tasks cannot all run", g.loc) from None
    return graph
