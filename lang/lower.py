"""Lowering: textX models to the frozen `Spec` values, units normalized, names resolved.

Lowering records what the text says and converts units; it only rejects what cannot be
represented (a wrong unit, a number that is not a number, an unknown name to resolve).
Range and consistency checks run afterwards on the `Spec` values (`hpdsl.lang.check`),
so they serve `--set` overrides as well.
"""
from __future__ import annotations

import math

from hpdsl.errors import Diagnostic, Loc, Names, did_you_mean
from hpdsl.routing import KINDS as ROUTING_KINDS
from hpdsl.spec import (ANY, DEFAULT_K_SLICE, Buffer, CoreType, Graph, Hardware, Memory,
                        Op, Queue, Routing, Spec, Task, TileRule, Tiling, Workload)
from hpdsl.units import DTYPE_BYTES, to_si, unit_problem, value_problem

from . import topology
from .load import Source, loc_of
from .lower_ops import lower_op, lower_rates

REQUIRED_SETTINGS = ("devices", "tokens", "hidden", "experts", "expert_ffn")
DEFAULT_DTYPE = "bf16"


class _Lowering:
    def __init__(self):
        self.diags: list[Diagnostic] = []
        self.display = ""
        self.names: dict[str, Names] = {}   # declared names per kind, for did_you_mean

    def err(self, loc: Loc | None, msg: str) -> None:
        self.diags.append(Diagnostic(loc, msg))

    def loc(self, obj) -> Loc:
        return loc_of(self.display, obj)

    # ------------------------------------------------------------------ numbers
    def number(self, count, what: str, whole: bool = True):
        """A plain number from the text; None (and an error) if it is not usable."""
        text = count.value
        try:
            value = int(text) if text.lstrip("+-").isdigit() else float(text)
        except ValueError:      # the grammar's regex makes this unreachable; be safe
            self.err(self.loc(count), f"{what} must be a number, found '{text}'")
            return None
        if isinstance(value, float):
            if not math.isfinite(value):
                self.err(self.loc(count), f"{what} must be a finite number, found '{text}'")
                return None
            if whole:
                if not value.is_integer():
                    self.err(self.loc(count), f"{what} must be a whole number, found '{text}'")
                    return None
                value = int(value)
        return value

    def quantity(self, q, dimension: str, what: str) -> float | None:
        """A number with a unit, in the base unit of `dimension`; None on a unit error."""
        where = self.loc(q)
        problem = unit_problem(q.unit, dimension, what, q.value)
        if problem is not None:
            self.err(where, problem)
            return None
        value = self.number(q, what, whole=False)
        if value is None:
            return None
        si = to_si(value, q.unit, dimension)
        problem = value_problem(si, dimension, what, f"{q.value} {q.unit}")
        if problem is not None:
            self.err(where, problem)
            return None
        return si

    def time_ns(self, q, what: str) -> int | None:
        v = self.quantity(q, "time", what)
        return None if v is None else int(round(v))

    # ------------------------------------------------------------------ hardware
    def hardware(self, hw) -> Hardware | None:
        cores, singles = [], {}
        for item in hw.items:
            kind = type(item).__name__
            key = item.which if kind == "MemoryDecl" else kind.lower()
            if kind in topology.KINDS:      # link, package, fabric
                topology.lower(self, hw.name, item, singles)
                continue
            if kind != "Core":
                if key in singles:
                    self.err(self.loc(item), f"hardware '{hw.name}' already has a '{key}' "
                                             f"statement (at line {singles[key][1].line})")
                    continue
            if kind == "Core":
                cores.append(self.core(item))
            elif kind == "Clock":
                singles[key] = (self.quantity(item.value, "frequency", "clock"), self.loc(item))
            elif kind == "MemoryDecl":
                what = f"{item.which} '{item.name}'"
                size = self.quantity(item.size, "size", f"{what} size")
                bw = self.quantity(item.bandwidth, "bandwidth", f"{what} bandwidth")
                mem = None
                if size is not None and bw is not None:
                    mem = Memory(item.name, int(size), bw, self.loc(item))
                singles[key] = (mem, self.loc(item))
            elif kind == "Sync":
                flags = self.number(item.flags, "sync flags")
                lat = self.time_ns(item.latency, "sync latency")
                singles[key] = ((flags, lat), self.loc(item))
            elif kind == "Launch":
                singles[key] = (self.time_ns(item.value, "launch"), self.loc(item))
        flags, lat = singles.get("sync", ((None, None), None))[0]
        # statements left out keep Hardware's defaults (documented in docs/language.md)
        given = {"sync_flags": flags, "sync_latency": lat,
                 "launch": singles.get("launch", (None, None))[0]}
        return Hardware(
            hw.name, tuple(cores),
            clock=singles.get("clock", (None, None))[0],
            memory=singles.get("memory", (None, None))[0],
            cache=singles.get("cache", (None, None))[0],
            loc=self.loc(hw),
            locs=tuple((k, v[1]) for k, v in singles.items()
                       if k in ("clock", "sync", "launch", "package")),
            **topology.fields(singles),
            **{k: v for k, v in given.items() if v is not None})

    def core(self, c) -> CoreType:
        count = self.number(c.count, f"core type '{c.name}' count")
        if count is None:
            count = 1   # reported; keep the core so its name still resolves
        queues, buffers, k_slice, locs = [], [], None, ()
        if not c.body:
            # no body: one queue, named after the core, that does anything
            queues.append(Queue(c.name, (ANY,), None, self.loc(c)))
        for item in c.items:
            if type(item).__name__ == "Queue":
                rate, rates = self.rates(item)
                does = tuple(cap.name for cap in item.does)
                queues.append(Queue(item.name, does, rate, self.loc(item), rates))
            elif type(item).__name__ == "Buffer":
                size = self.quantity(item.size, "size", f"buffer '{item.name}' size")
                if size is not None:
                    buffers.append(Buffer(item.name, int(size), self.loc(item)))
            elif locs:
                self.err(self.loc(item), f"core type '{c.name}' already has a 'k_slice' "
                                         f"statement (at line {locs[0][1].line})")
            else:       # k_slice; a bad number (reported) leaves the default
                k_slice = self.number(item.value, f"core type '{c.name}' k_slice")
                locs = (("k_slice", self.loc(item)),)
        return CoreType(c.name, count, tuple(queues), tuple(buffers), self.loc(c),
                        DEFAULT_K_SLICE if k_slice is None else k_slice, locs)

    def rates(self, q):
        return lower_rates(self, q)

    def op(self, item) -> Op:
        return lower_op(self, item)

    # ------------------------------------------------------------------ workload
    def workload(self, w, hardware: dict[str, Hardware]) -> Workload | None:
        hw = self.resolve(w.hardware, hardware, "hardware")
        values: dict[str, object] = {}
        locs: dict[str, Loc] = {}
        routing, ops = None, []

        def setting(key, value, obj):
            if key in locs:
                self.err(self.loc(obj), f"workload '{w.name}' sets '{key}' twice "
                                        f"(first at line {locs[key].line})")
                return
            locs[key] = self.loc(obj)
            values[key] = value

        for item in w.items:
            kind = type(item).__name__
            if kind == "Setting":
                setting(item.key, self.number(item.value, item.key), item)
            elif kind == "Experts":
                setting("experts", self.number(item.experts, "experts"), item)
                locs.setdefault("topk", self.loc(item.topk))
                values["topk"] = self.number(item.topk, "topk")
            elif kind == "Dtype":
                if ops:
                    self.err(self.loc(item), f"'dtype {item.dtype.name}' after the op lines "
                             "is ambiguous: write the workload's dtype above the ops, or an "
                             f"op's own on its line ('op NAME : KIND dtype {item.dtype.name}')")
                    continue
                setting("dtype", item.dtype.name, item)
            elif kind == "Routing":
                if routing is not None:
                    self.err(self.loc(item), f"workload '{w.name}' sets 'routing' twice "
                                             f"(first at line {routing.loc.line})")
                    continue
                param = 0.0 if item.param is None else self.number(item.param, "routing parameter",
                                                                   whole=False)
                if ROUTING_KINDS.get(item.kind.name, "") is None and item.param is not None:
                    self.err(self.loc(item.param), f"routing {item.kind.name} takes no parameter, "
                                                   f"found '{item.param.value}'")
                seed = 0 if item.seed is None else self.number(item.seed, "routing seed")
                if param is None or seed is None:
                    continue   # reported; checking a stand-in value would only add an echo
                routing = Routing(item.kind.name, float(param), seed, self.loc(item))
            elif kind == "Placement":
                setting("placement", item.kind.name, item)
            else:
                ops.append(self.op(item))
        for key in REQUIRED_SETTINGS:
            if key not in values:
                self.err(self.loc(w), f"workload '{w.name}' does not set '{key}'")
        if hw is None or any(values.get(k) is None for k in REQUIRED_SETTINGS + ("topk",)):
            return None
        dtype = values.get("dtype") or DEFAULT_DTYPE
        return Workload(
            w.name, hw, values["devices"], values["tokens"], values["hidden"],
            values["experts"], values["topk"], values["expert_ffn"], dtype,
            DTYPE_BYTES.get(dtype, 0), routing or Routing("balanced", 0.0, 0, self.loc(w)),
            tuple(ops), self.loc(w), tuple(locs.items()), layers=values.get("layers") or 1,
            placement=values.get("placement") or "block").with_widths()

    # ------------------------------------------------------------------ tiling, graph
    def tiling(self, t, workloads: dict[str, Workload | None]) -> Tiling | None:
        wl = self.resolve(t.workload, workloads, "workload")
        rules = []
        for r in t.rules:
            core = None if r.core is None else r.core.name
            if r.chunk is not None:
                chunk = self.number(r.chunk, f"chunk of '{r.op.name}'")
                rules.append(TileRule(r.op.name, chunk=chunk, core=core, loc=self.loc(r)))
            else:
                rows = self.number(r.rows, f"tile rows of '{r.op.name}'")
                cols = self.number(r.cols, f"tile columns of '{r.op.name}'")
                # a bad number (reported) still leaves a rule: no 'has no rule' error after it
                tile = (rows, cols) if rows is not None and cols is not None else None
                rules.append(TileRule(r.op.name, tile=tile, core=core, loc=self.loc(r)))
        return None if wl is None else Tiling(t.name, wl, tuple(rules), self.loc(t))

    def graph(self, g, hardware: dict[str, Hardware]) -> Graph | None:
        hw = self.resolve(g.hardware, hardware, "hardware")
        tasks = []
        for task in g.tasks:
            time = self.time_ns(task.time, f"the time of task '{task.name}'")
            tasks.append(Task(task.name, task.core.name, 0 if time is None else time,
                              tuple(a.name for a in task.after), self.loc(task)))
        return None if hw is None else Graph(g.name, hw, tuple(tasks), self.loc(g))

    def resolve(self, ref, table: dict, what: str):
        """The object `ref` names; None if unknown (reported) or if it failed to lower."""
        if ref.name not in table:
            names = self.names.setdefault(what, Names(table))   # one per table: linear
            self.err(self.loc(ref), f"unknown {what} '{ref.name}'" + did_you_mean(ref.name, names))
            return None
        return table[ref.name]


def lower(sources: list[Source]) -> tuple[Spec, list[Diagnostic]]:
    """Lower parsed files (imports first) into one `Spec`, with the lowering diagnostics."""
    lw = _Lowering()
    by_kind: dict[str, list[tuple[str, object]]] = {"Hardware": [], "Workload": [],
                                                    "Tiling": [], "Graph": []}
    for src in sources:
        for d in src.model.decls:
            by_kind[type(d).__name__].append((src.display, d))

    hardware: dict[str, Hardware] = {}
    hw_values = []
    for display, d in by_kind["Hardware"]:
        lw.display = display
        h = lw.hardware(d)
        hw_values.append(h)
        hardware.setdefault(d.name, h)
    workloads: dict[str, Workload | None] = {}
    wl_values = []
    for display, d in by_kind["Workload"]:
        lw.display = display
        w = lw.workload(d, hardware)
        if w is not None:
            wl_values.append(w)
        workloads.setdefault(d.name, w)
    tilings, graphs = [], []
    for display, d in by_kind["Tiling"]:
        lw.display = display
        if d.workload.name in workloads and workloads[d.workload.name] is None:
            continue   # its workload already has an error; more would only repeat it
        t = lw.tiling(d, workloads)
        if t is not None:
            tilings.append(t)
    for display, d in by_kind["Graph"]:
        lw.display = display
        g = lw.graph(d, hardware)
        if g is not None:
            graphs.append(g)
    spec = Spec(tuple(hw_values), tuple(wl_values), tuple(tilings), tuple(graphs),
                tuple(s.display for s in sources))
    return spec, lw.diags
