"""Targets of the command line: the tiling or graph a name picks in a `Spec`, overridden.

>>> from hpdsl.spec import Spec
>>> resolve_target(Spec(), None)
Traceback (most recent call last):
hpdsl.errors.UserError: error: the spec has no tiling and no graph to run
"""
from __future__ import annotations

from dataclasses import replace

from hpdsl.errors import UserError, did_you_mean
from hpdsl.settings import Settings
from hpdsl.settings_apply import apply_hardware, apply_settings
from hpdsl.spec import Graph, Spec, Tiling


def resolve_target(spec: Spec, name: str | None) -> Tiling | Graph:
    """The tiling or graph called `name`; with one target in the spec it may be None."""
    items = {t.name: t for t in spec.tilings}
    items.update({g.name: g for g in spec.graphs})
    if name is None:
        if len(items) == 1:
            return next(iter(items.values()))
        if not items:
            raise UserError("the spec has no tiling and no graph to run")
        raise UserError(f"the spec has {len(items)} targets; choose one with --target"
                        f"{did_you_mean('', items)}")
    if name not in items:
        raise UserError(f"no tiling or graph named '{name}'{did_you_mean(name, items)}")
    return items[name]


def with_settings(item: Tiling | Graph, settings: Settings) -> Tiling | Graph:
    """`item` with its workload and hardware overridden by `settings` (a graph has no
    workload to override, only hardware)."""
    if not settings:
        return item
    if isinstance(item, Graph):
        if settings.workload:
            raise UserError(f"--set changes workload settings, but '{item.name}' is an "
                            f"explicit graph", item.loc)
        return replace(item, hardware=apply_hardware(item.hardware, settings))
    return replace(item, workload=apply_settings(item.workload, settings))
