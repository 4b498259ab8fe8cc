"""`--set` settings applied: `apply_settings` onto a workload, `apply_hardware` onto a
hardware (the settings parsed and typed by `hpdsl.settings.parse_settings`)."""
from __future__ import annotations

from dataclasses import replace

from hpdsl.errors import UserError, did_you_mean
from hpdsl.routing import KINDS as ROUTING_KINDS
from hpdsl.settings import HW, Settings
from hpdsl.spec import CoreType, Hardware, Routing, Workload
from hpdsl.units import DTYPE_BYTES


def apply_settings(w: Workload, settings: Settings) -> Workload:
    """`w` with `settings` applied (not checked as a whole: that is the language's check, `hpdsl.lang.checked_target`)."""
    changes: dict = {}
    for key, value in settings.fields:
        changes[key] = value
        if key == "dtype":
            changes["dtype_bytes"] = DTYPE_BYTES[value]
    old, r = w.routing, settings.routing
    kind, param = (old.kind, old.param) if r is None else (r.kind, r.param)
    seed = next(s for s in (settings.seed, r and r.seed, old.seed) if s is not None)
    routing = Routing(kind, param, seed, old.loc)
    if routing != old:
        changes["routing"] = routing
    if settings.hardware:
        changes["hardware"] = apply_hardware(w.hardware, settings)
    given = tuple((k, str(v)) for k, v in settings.fields)
    if r is not None:   # as it was given
        shown = r.kind if ROUTING_KINDS[r.kind] is None else f"{r.kind} {r.param:g}"
        given += (("routing", shown + ("" if r.seed is None else f" seed {r.seed}")),)
    if settings.seed is not None:
        given += (("seed", str(settings.seed)),)
    if given:   # so that a message about one of them can name the --set
        changes["from_set"] = w.from_set + given
    return w.with_settings(**changes) if changes else w


def apply_hardware(hw: Hardware, settings: Settings) -> Hardware:
    """`hw` with the hardware figures of `settings`; UserError for a part it does not have.

    >>> from hpdsl.settings import parse_settings
    >>> from hpdsl.spec import CoreType, Queue
    >>> hw = Hardware("H", (CoreType("C", 2, (Queue("q", ("*",), 1e12),)),))
    >>> apply_hardware(hw, parse_settings(["hw.C.rate=2TFLOPS"])).cores[0].queues[0].rate
    2000000000000.0
    """
    for path, value in settings.hardware:
        where = f"--set {HW}{'.'.join(path)}"
        if path[0] in ("clock", "launch"):
            hw = replace(hw, **{path[0]: value})
        elif path[0] == "sync":
            hw = replace(hw, **{f"sync_{path[1]}": value})
        elif path[0] in ("memory", "cache", "link", "package_link", "fabric"):
            part = getattr(hw, path[0])
            if part is None:
                raise UserError(f"{where}: hardware '{hw.name}' has no {path[0]}", hw.loc)
            hw = replace(hw, **{path[0]: replace(part, **{path[1]: value})})
        else:
            names = [c.name for c in hw.cores]
            if path[0] not in names:
                raise UserError(f"{where}: hardware '{hw.name}' has no core type '{path[0]}'"
                                + did_you_mean(path[0], names), hw.loc)
            hw = replace(hw, cores=tuple(_set_core(c, path, value, where) if c.name == path[0]
                                         else c for c in hw.cores))
    return hw


def _set_core(c: CoreType, path: tuple[str, ...], value, where: str) -> CoreType:
    if path[1] in ("count", "k_slice"):
        return replace(c, **{path[1]: value})
    if len(path) == 2:   # CORE.rate: the core type's one queue
        if len(c.queues) != 1:
            raise UserError(f"{where}: core type '{c.name}' has {len(c.queues)} queues; "
                            f"set one with hw.{c.name}.QUEUE.rate"
                            + did_you_mean("", [q.name for q in c.queues]), c.loc)
        return replace(c, queues=(replace(c.queues[0], rate=value, rates=()),))
    field, items = ("queues", c.queues) if path[2] == "rate" else ("buffers", c.buffers)
    names = [x.name for x in items]
    if path[1] not in names:
        what = "queue" if field == "queues" else "buffer"
        raise UserError(f"{where}: core type '{c.name}' has no {what} '{path[1]}'"
                        + did_you_mean(path[1], names), c.loc)
    # a queue's rate set from the command line is its rate for every dtype
    more = {"rates": ()} if field == "queues" else {}
    return replace(c, **{field: tuple(replace(x, **{path[2]: value}, **more) if x.name == path[1]
                                      else x for x in items)})
