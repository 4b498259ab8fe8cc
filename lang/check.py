"""Semantic checks on `Spec` values: names, ranges, op chains, tilings, graph cycles.

Each check returns a list of located diagnostics instead of raising, so that all the
mistakes of a file are reported together. `check_workload` is public so a workload
changed by `--set` overrides can be re-validated with the same messages.
"""
from __future__ import annotations


from hpdsl.errors import Diagnostic, Loc, did_you_mean
from hpdsl.spec import ANY, Graph, Hardware, Spec, Tiling, Workload
from hpdsl.units import DTYPE_BYTES

from .kinds import ROUTING_KINDS, capabilities, op_kinds

# Upper bounds on counts from untrusted specs: far above any real machine or model, low
# enough that a typo cannot make later stages allocate without end.
LIMITS = {
    "core count": 100_000,
    "sync flags": 1_000_000,
    "devices": 4096,
    "tokens": 1 << 20,
    "hidden": 1 << 18,
    "experts": 1 << 16,
    "topk": 1 << 16,
    "expert_ffn": 1 << 18,
    "n": 1 << 20,
}


def _positive(diags, loc, what: str, value, limit: str | None = None) -> None:
    if value is None:
        return
    if value <= 0:
        diags.append(Diagnostic(loc, f"{what} must be positive, found {_fmt(value)}"))
    elif limit is not None and value > LIMITS[limit]:
        diags.append(Diagnostic(loc, f"{what} {_fmt(value)} is above the limit of "
                                     f"{LIMITS[limit]}"))


def _not_negative(diags, loc, what: str, value, unit: str = "") -> None:
    if value is not None and value < 0:
        diags.append(Diagnostic(loc, f"{what} must not be negative, found {_fmt(value)}{unit}"))


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _duplicates(diags, items, what: str, where: str) -> None:
    seen: dict[str, Loc | None] = {}
    for it in items:
        if it.name in seen:
            first = seen[it.name]
            at = f" (first at line {first.line})" if first is not None and first.line else ""
            diags.append(Diagnostic(it.loc, f"{what} '{it.name}' is declared twice in {where}{at}"))
        else:
            seen[it.name] = it.loc


def check_hardware(hw: Hardware) -> list[Diagnostic]:
    d: list[Diagnostic] = []
    if not hw.cores:
        d.append(Diagnostic(hw.loc, f"hardware '{hw.name}' declares no core types"))
    _duplicates(d, hw.cores, "core type", f"hardware '{hw.name}'")
    caps = capabilities()
    for c in hw.cores:
        _positive(d, c.loc, f"core type '{c.name}' count", c.count, "core count")
        if not c.queues:
            d.append(Diagnostic(c.loc, f"core type '{c.name}' has no queues; declare "
                                       "'queue NAME does CAPABILITY' or leave out the body"))
        _duplicates(d, c.queues, "queue", f"core type '{c.name}'")
        _duplicates(d, c.buffers, "buffer", f"core type '{c.name}'")
        for q in c.queues:
            for cap in q.does:
                if cap != ANY and cap not in caps:
                    d.append(Diagnostic(q.loc, f"unknown capability '{cap}' of queue '{q.name}'"
                                        + did_you_mean(cap, caps)))
            _positive(d, q.loc, f"queue '{q.name}' rate", q.rate)
        for b in c.buffers:
            _positive(d, b.loc, f"buffer '{b.name}' size", b.size)
        _positive(d, c.loc_of("k_slice"), f"core type '{c.name}' k_slice", c.k_slice)
    _positive(d, hw.loc_of("clock"), "clock", hw.clock)
    for kind, m in (("memory", hw.memory), ("cache", hw.cache)):
        if m is not None:
            _positive(d, m.loc, f"{kind} '{m.name}' size", m.size)
            _positive(d, m.loc, f"{kind} '{m.name}' bandwidth", m.bandwidth)
    if hw.link is not None:
        _positive(d, hw.link.loc, f"link '{hw.link.name}' bandwidth", hw.link.bandwidth)
        _not_negative(d, hw.link.loc, f"link '{hw.link.name}' latency", hw.link.latency, " ns")
    _positive(d, hw.loc_of("sync"), "sync flags", hw.sync_flags, "sync flags")
    _not_negative(d, hw.loc_of("sync"), "sync latency", hw.sync_latency, " ns")
    _not_negative(d, hw.loc_of("launch"), "launch", hw.launch, " ns")
    return d


def _who_does(hw: Hardware) -> str:
    parts = []
    for c in hw.cores:
        does = sorted({cap for q in c.queues for cap in q.does})
        parts.append(f"'{c.name}' does " + ("anything" if ANY in does else ", ".join(does) or "nothing"))
    return "; ".join(parts) or "none"


def op_widths(w: Workload) -> dict[str, int | None]:
    """Columns of each op's output where the spec fixes them (None where it does not)."""
    kinds = op_kinds()
    width: dict[str, int | None] = {}
    for op in w.ops:
        src = w.hidden if op.input is None else width.get(op.input)
        kind = kinds.get(op.kind)
        if kind is None:
            width[op.name] = None
        elif kind.takes_n:
            width[op.name] = op.n
        elif op.kind == "swiglu":
            width[op.name] = None if src is None else src // 2
        else:
            width[op.name] = src
    return width


def check_workload(w: Workload) -> list[Diagnostic]:
    """All problems of one workload (settings, routing, op chain, capabilities).

    >>> from hpdsl.lang import loads
    >>> spec = loads(open("examples/toy.hpm").read(), "toy.hpm")
    >>> check_workload(spec.workloads[0].with_settings(topk=8))[0].message
    'topk 8 is greater than experts 4; a token cannot pick more experts than exist'
    """
    d: list[Diagnostic] = []
    for key in ("devices", "tokens", "hidden", "experts", "topk", "expert_ffn"):
        _positive(d, w.loc_of(key), key, getattr(w, key), key)
    if w.topk > 0 and w.experts > 0 and w.topk > w.experts:
        d.append(Diagnostic(w.loc_of("topk"), f"topk {w.topk} is greater than experts "
                                              f"{w.experts}; a token cannot pick more experts "
                                              "than exist"))
    if w.devices > 0 and w.experts > 0 and w.experts % w.devices:
        d.append(Diagnostic(w.loc_of("experts"), f"experts {w.experts} is not divisible by "
                                                 f"devices {w.devices}; every device must own "
                                                 "the same number of experts"))
    if w.dtype not in DTYPE_BYTES:
        d.append(Diagnostic(w.loc_of("dtype"), f"unknown dtype '{w.dtype}'"
                                               + did_you_mean(w.dtype, DTYPE_BYTES)))
    d.extend(_check_routing(w))
    d.extend(_check_ops(w))
    return d


def _check_routing(w: Workload) -> list[Diagnostic]:
    r, d = w.routing, []
    if r.kind not in ROUTING_KINDS:
        d.append(Diagnostic(r.loc, f"unknown routing kind '{r.kind}'"
                                   + did_you_mean(r.kind, ROUTING_KINDS)))
    elif r.kind == "zipf" and not r.param > 0:
        d.append(Diagnostic(r.loc, f"routing zipf needs an exponent S > 0, e.g. 'routing zipf 1.2', "
                                   f"found {_fmt(r.param)}"))
    elif r.kind == "grouped":
        g = r.param
        if not (g > 0 and float(g).is_integer()):
            d.append(Diagnostic(r.loc, "routing grouped needs a whole group count G > 0, e.g. "
                                       f"'routing grouped 8', found {_fmt(g)}"))
        else:
            g = int(g)
            if w.experts > 0 and w.experts % g:
                d.append(Diagnostic(r.loc, f"routing grouped {g}: the group count must divide "
                                           f"experts {w.experts}"))
            if w.topk > 0 and w.topk % g:
                d.append(Diagnostic(r.loc, f"routing grouped {g}: the group count must divide "
                                           f"topk {w.topk}, so every token picks as many "
                                           "experts in each group"))
    _not_negative(d, r.loc, "routing seed", r.seed)
    return d


def _check_ops(w: Workload) -> list[Diagnostic]:
    d: list[Diagnostic] = []
    kinds = op_kinds()
    if not w.ops:
        d.append(Diagnostic(w.loc, f"workload '{w.name}' has no ops; declare a chain such as "
                                   "'op dispatch : dispatch'"))
    _duplicates(d, w.ops, "op", f"workload '{w.name}'")
    index = {}
    for i, op in enumerate(w.ops):
        index.setdefault(op.name, i)
    for i, op in enumerate(w.ops):
        kind = kinds.get(op.kind)
        if kind is None:
            d.append(Diagnostic(op.loc, f"unknown op kind '{op.kind}'" + did_you_mean(op.kind, kinds)))
        if op.input is not None:
            if op.input == op.name:
                d.append(Diagnostic(op.loc, f"op '{op.name}' reads itself"))
            elif op.input not in index:
                d.append(Diagnostic(op.loc, f"op '{op.name}' reads '{op.input}', which is not an "
                                            f"op of workload '{w.name}'"
                                            + did_you_mean(op.input, index)))
            elif index[op.input] > i:
                d.append(Diagnostic(op.loc, f"op '{op.name}' reads '{op.input}', which is "
                                            "declared after it; an op may only read an op above it"))
        if kind is None:
            continue
        if kind.needs_input and op.input is None:
            d.append(Diagnostic(op.loc, f"op '{op.name}' of kind {op.kind} needs an input, "
                                        f"e.g. '{op.kind}(x)'"))
        if kind.takes_n and op.n is None:
            d.append(Diagnostic(op.loc, f"op '{op.name}' of kind {op.kind} needs an output width "
                                        "'n N'"))
        elif not kind.takes_n and op.n is not None:
            d.append(Diagnostic(op.loc, f"op '{op.name}' of kind {op.kind} takes no output width "
                                        "'n'; its width follows from its input"))
        else:
            _positive(d, op.loc, f"op '{op.name}' n", op.n, "n")
        if not w.hardware.cores_for(kind.capability):
            d.append(Diagnostic(op.loc, f"no core type of hardware '{w.hardware.name}' can run op "
                                        f"'{op.name}': {op.kind} needs capability "
                                        f"'{kind.capability}' ({_who_does(w.hardware)})"))
    widths = op_widths(w)
    for op in w.ops:
        if op.kind == "swiglu" and op.input in widths:
            src = widths[op.input]
            if src is not None and src % 2:
                d.append(Diagnostic(op.loc, f"op '{op.name}' (swiglu) needs an even input width "
                                            f"(gate and up halves), but '{op.input}' has {src} "
                                            "columns"))
    return d


def check_tiling(t: Tiling) -> list[Diagnostic]:
    d: list[Diagnostic] = []
    w, kinds = t.workload, op_kinds()
    ops = {op.name: op for op in w.ops}
    widths = op_widths(w)
    seen: dict[str, Loc | None] = {}
    for r in t.rules:
        if r.op in seen:
            d.append(Diagnostic(r.loc, f"op '{r.op}' has more than one rule in tiling '{t.name}' "
                                       f"(first at line {seen[r.op].line})"))
            continue
        seen[r.op] = r.loc
        op = ops.get(r.op)
        if op is None:
            d.append(Diagnostic(r.loc, f"tiling '{t.name}' has a rule for '{r.op}', which is not "
                                       f"an op of workload '{w.name}'" + did_you_mean(r.op, ops)))
            continue
        kind = kinds.get(op.kind)
        if kind is None:
            continue   # reported with the workload
        if r.chunk is None and r.tile is None:
            continue   # its number was not usable, and lowering said so
        if kind.split == "chunk" and r.chunk is None:
            d.append(Diagnostic(r.loc, f"op '{r.op}' ({op.kind}) is split in chunks of rows: "
                                       f"write '{r.op} chunk ROWS'"))
        elif kind.split == "tile" and r.tile is None:
            d.append(Diagnostic(r.loc, f"op '{r.op}' ({op.kind}) is split in tiles: write "
                                       f"'{r.op} tile ROWS x COLUMNS'"))
        if r.chunk is not None and r.chunk <= 0:
            d.append(Diagnostic(r.loc, f"the chunk of op '{r.op}' must be positive, found {r.chunk}"))
        if r.tile is not None:
            rows, cols = r.tile
            if rows <= 0 or cols <= 0:
                d.append(Diagnostic(r.loc, f"the tile of op '{r.op}' must be positive in both "
                                           f"dimensions, found {rows} x {cols}"))
            elif widths.get(r.op) is not None and cols > widths[r.op]:
                d.append(Diagnostic(r.loc, f"tile {rows} x {cols} of op '{r.op}' is wider than "
                                           f"the op's output ({widths[r.op]} columns)"))
        if r.core is not None:
            names = [c.name for c in w.hardware.cores]
            if r.core not in names:
                d.append(Diagnostic(r.loc, f"unknown core type '{r.core}' in hardware "
                                           f"'{w.hardware.name}'" + did_you_mean(r.core, names)))
            elif not w.hardware.core(r.core).can(kind.capability):
                d.append(Diagnostic(r.loc, f"core type '{r.core}' cannot run op '{r.op}': "
                                           f"{op.kind} needs capability '{kind.capability}'"))
    for op in w.ops:
        if op.name not in seen:
            d.append(Diagnostic(t.loc, f"op '{op.name}' of workload '{w.name}' has no rule in "
                                       f"tiling '{t.name}'"))
    return d


def check_graph(g: Graph) -> list[Diagnostic]:
    d: list[Diagnostic] = []
    if not g.tasks:
        d.append(Diagnostic(g.loc, f"graph '{g.name}' has no tasks"))
    _duplicates(d, g.tasks, "task", f"graph '{g.name}'")
    cores = [c.name for c in g.hardware.cores]
    names = {t.name for t in g.tasks}
    for t in g.tasks:
        if t.core not in cores:
            d.append(Diagnostic(t.loc, f"task '{t.name}' runs on unknown core type '{t.core}'"
                                       + did_you_mean(t.core, cores)))
        _not_negative(d, t.loc, f"the time of task '{t.name}'", t.time, " ns")
        for a in t.after:
            if a not in names:
                d.append(Diagnostic(t.loc, f"task '{t.name}' comes after unknown task '{a}'"
                                           + did_you_mean(a, names)))
    cycle = find_cycle(g)
    if cycle:
        first = next(t for t in g.tasks if t.name == cycle[0])
        d.append(Diagnostic(first.loc, f"graph '{g.name}' has a dependency cycle: "
                                       + " -> ".join(cycle + [cycle[0]])))
    return d


def find_cycle(g: Graph) -> list[str]:
    """Task names of one dependency cycle (in order: each after the previous), or []."""
    tasks = {}
    for t in g.tasks:
        tasks.setdefault(t.name, t)
    preds = {n: [a for a in t.after if a in tasks] for n, t in tasks.items()}
    indeg = {n: len(p) for n, p in preds.items()}
    succs: dict[str, list[str]] = {n: [] for n in tasks}
    for n, ps in preds.items():
        for p in ps:
            succs[p].append(n)
    ready = [n for n, k in indeg.items() if k == 0]
    while ready:   # Kahn: what stays unreached lies on or behind a cycle
        n = ready.pop()
        for s in succs[n]:
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    left = {n for n, k in indeg.items() if k > 0}
    if not left:
        return []
    # Walk predecessors inside the unreached set until a task repeats.
    order = [t.name for t in g.tasks if t.name in left]
    path, pos, n = [], {}, order[0]
    while n not in pos:
        pos[n] = len(path)
        path.append(n)
        n = next(p for p in preds[n] if p in left)
    cycle = path[pos[n]:]
    cycle.reverse()   # predecessors were walked: reverse to read in execution order
    rank = {n: i for i, n in enumerate(order)}
    first = min(range(len(cycle)), key=lambda i: rank[cycle[i]])
    return cycle[first:] + cycle[:first]   # start at the task declared first


def check_spec(spec: Spec) -> list[Diagnostic]:
    """Every check of every declaration, plus unique names across the spec."""
    d: list[Diagnostic] = []
    _duplicates(d, spec.hardware, "hardware", "the spec")
    _duplicates(d, spec.workloads, "workload", "the spec")
    # tilings and graphs are both targets of the command line: one namespace
    _duplicates(d, sorted(spec.tilings + spec.graphs, key=_order(spec)), "target", "the spec")
    for hw in spec.hardware:
        d.extend(check_hardware(hw))
    for w in spec.workloads:
        d.extend(check_workload(w))
    for t in spec.tilings:
        d.extend(check_tiling(t))
    for g in spec.graphs:
        d.extend(check_graph(g))
    return d


def _order(spec: Spec):
    files = {f: i for i, f in enumerate(spec.files)}

    def key(x):
        loc = x.loc
        return (files.get(loc.file, len(files)), loc.line, loc.col) if loc else (len(files), 0, 0)
    return key


def sort_diagnostics(diags: list[Diagnostic], files: tuple[str, ...]) -> list[Diagnostic]:
    """Diagnostics in reading order: by file (as loaded), line, column; duplicates dropped."""
    order = {f: i for i, f in enumerate(files)}
    seen, out = set(), []
    for diag in diags:
        key = str(diag)
        if key not in seen:
            seen.add(key)
            out.append(diag)

    def key(diag):
        loc = diag.loc
        if loc is None:
            return (len(order) + 1, 0, 0)
        return (order.get(loc.file, -1), loc.line, loc.col)
    return sorted(out, key=key)
