"""Lowering of a hardware's topology statements: `link` (with its scope), `package dies`
and `fabric` (docs/language.md#topology).

A hardware has at most one link per scope: the `fabric` link (the default scope, what a
single `link` always meant) and the `package` link between the dies of one package.
Range and consistency checks are `hpdsl.lang.check.hardware`'s.
"""
from __future__ import annotations

from hpdsl.errors import did_you_mean
from hpdsl.spec import FABRIC, PACKAGE, SCOPES, Fabric, Link

KINDS = ("Link", "Package", "Fabric")
LINK_KEY = {FABRIC: "link", PACKAGE: "package_link"}     # scope -> Hardware field


def lower(lw, hw: str, item, singles: dict) -> None:
    """Record one topology statement of hardware `hw` in `singles` (key -> (value, loc)),
    or report it through the lowering `lw` (its `err`, `loc`, `quantity`, ...)."""
    kind = type(item).__name__
    if kind == "Link":
        scope = FABRIC if item.scope is None else item.scope.name
        if scope not in SCOPES:
            lw.err(lw.loc(item.scope), f"unknown scope '{scope}' of link '{item.name}'"
                   + did_you_mean(scope, SCOPES))
            return
        key = LINK_KEY[scope]
    else:
        key = kind.lower()
    if key in singles:
        value, at = singles[key]
        if kind == "Link":
            name = f"'{value.name}' " if value is not None else ""
            lw.err(lw.loc(item), f"hardware '{hw}' already has a link of scope '{scope}' "
                                 f"({name}at line {at.line}); declare one link per scope")
        else:
            lw.err(lw.loc(item), f"hardware '{hw}' already has a '{key}' statement "
                                 f"(at line {at.line})")
        return
    singles[key] = (_value(lw, kind, item, scope if kind == "Link" else ""), lw.loc(item))


def _value(lw, kind: str, item, scope: str):
    if kind == "Package":
        return lw.number(item.dies, "package dies")
    what = f"{kind.lower()} '{item.name}'"
    bw = lw.quantity(item.bandwidth, "bandwidth", f"{what} bandwidth")
    if kind == "Link":
        lat = lw.time_ns(item.latency, f"{what} latency")
        return None if bw is None or lat is None else Link(item.name, bw, lat, lw.loc(item), scope)
    per = lw.time_ns(item.per_peer, f"{what} per_peer")
    return None if bw is None or per is None else Fabric(item.name, bw, per, lw.loc(item))


def fields(singles: dict) -> dict:
    """The Hardware fields the topology statements of `singles` give (absent: defaults)."""
    out = {f: singles[k][0] for k, f in (("link", "link"), ("package_link", "package_link"),
                                         ("fabric", "fabric")) if k in singles}
    if singles.get("package", (None,))[0] is not None:
        out["package_dies"] = singles["package"][0]
    return out
