"""Completion, hover and go-to-definition on an open document.

Every answer starts from the outline's `Role` of the position (what a name there is);
the candidate names come from the document's scope (its own and its imports'
declarations), and the fixed vocabularies from the registries that define them: op
kinds and capabilities from `hpdsl.ops`, routing kinds from `hpdsl.routing`, units and
dtypes from `hpdsl.units`, statement keywords from the outline.
"""
from __future__ import annotations

import os
import sys

from lsprotocol import types
from pygls import uris

from hpdsl.lang.load import import_target
from hpdsl.lang.outline import NOTHING, STARTS, Role, expect_at
from hpdsl.lang.scope import Found
from hpdsl.ops import CAPABILITIES, KINDS as OP_KINDS
from hpdsl.routing import KINDS as ROUTING_KINDS
from hpdsl.units import DTYPE_BYTES, UNIT_DIMENSION, UNITS, to_si

from .document import Document, range_in

K = types.CompletionItemKind
_NAME_KINDS = {"hardware": K.Class, "core": K.Struct, "workload": K.Module, "op": K.Function,
               "task": K.Event, "tiling": K.Module, "graph": K.Module}
_WHAT = {"hardware": "hardware", "core": "core type", "workload": "workload", "op": "op",
         "task": "task", "tiling": "tiling", "graph": "graph"}
MAX_FILES = 200   # import completion lists at most this many .hpm files of the folder


def op_kind_doc(name: str) -> str:
    """The first line of the op kind's module docstring: what the kind computes."""
    doc = sys.modules[type(OP_KINDS[name]).__module__].__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else name


def _item(label: str, kind, detail: str, doc: str = "") -> types.CompletionItem:
    return types.CompletionItem(label=label, kind=kind, detail=detail,
                                documentation=doc or None)


def _where(doc: Document, found: Found) -> str:
    """'a3.hpm line 6': where a declaration is, for people."""
    f = found.file
    line = f.text.count("\n", 0, found.decl.token.start) + 1
    name = "this file" if f is doc.scope.files[0] else os.path.basename(f.path or "")
    return f"{name} line {line}"


def _names(doc: Document, role: Role) -> list[types.CompletionItem]:
    items = []
    for x in doc.scope.candidates(role):
        owner = f" of {x.decl.owner}" if x.decl.owner else ""
        items.append(_item(x.decl.name, _NAME_KINDS[role.kind],
                           f"{_WHAT[role.kind]}{owner} ({_where(doc, x)})"))
    return items


def _files(doc: Document) -> list[types.CompletionItem]:
    if doc.path is None:
        return []
    folder = os.path.dirname(doc.path)
    try:
        names = sorted(f for f in os.listdir(folder) if f.endswith(".hpm"))[:MAX_FILES]
    except OSError:
        return []
    mine = os.path.basename(doc.path)
    return [_item(f, K.File, "spec file") for f in names if f != mine]


def _vocabulary(role: Role) -> list[types.CompletionItem]:
    if role.kind == "op_kind":
        return [_item(k, K.Function, f"op kind, needs '{v.capability}'", op_kind_doc(k))
                for k, v in OP_KINDS.items()]
    if role.kind == "routing":
        return [_item(k, K.EnumMember, f"routing {k}" + (f" {p}" if p else "") + " [seed N]")
                for k, p in ROUTING_KINDS.items()]
    if role.kind == "dtype":
        return [_item(k, K.EnumMember, f"{b} byte(s) per element") for k, b in DTYPE_BYTES.items()]
    if role.kind == "capability":
        return [_item(c, K.EnumMember, "capability") for c in CAPABILITIES]
    if role.kind == "unit":
        return [_item(u, K.Unit, f"{dim} unit, x{f:g} {_base(dim)}")
                for dim, table in UNITS.items() for u, f in table.items()]
    if role.kind == "keyword":
        return [_item(k, K.Keyword, "statement") for k in sorted(STARTS.get(role.block, ()))]
    return []


def completion(doc: Document, pos: types.Position) -> types.CompletionList:
    """What may be written at `pos`."""
    if doc.too_big:
        return types.CompletionList(is_incomplete=False, items=[])
    role = expect_at(doc.text, doc.offset(pos), doc.tokens, doc.outline)
    if role.kind in _NAME_KINDS:
        items = _names(doc, role)
    elif role.kind == "file":
        items = _files(doc)
    else:
        items = _vocabulary(role)
    return types.CompletionList(is_incomplete=False, items=items)


def _base(dimension: str) -> str:
    """The base unit of a dimension: the one whose factor is 1."""
    return next(u for u, f in UNITS[dimension].items() if f == 1.0)


def quantity_text(number: str, unit: str) -> str:
    """'1.6 TB/s = 1,600,000,000,000 B/s (bandwidth)': a quantity in its SI base unit.

    >>> quantity_text("2", "us"), quantity_text("192", "MiB")
    ('2 us = 2,000 ns (time)', '192 MiB = 201,326,592 B (size)')
    """
    dim = UNIT_DIMENSION.get(unit)
    if dim is None:
        return f"'{unit}' is not a unit"
    value = to_si(float(number), unit, dim)
    if dim == "time":
        value = round(value)   # times are whole nanoseconds once loaded
    shown = f"{int(value):,}" if float(value).is_integer() and abs(value) < 1e18 else f"{value:.6g}"
    return f"{number} {unit} = {shown} {_base(dim)} ({dim})"


def hover(doc: Document, pos: types.Position) -> types.Hover | None:
    """A quantity's SI value; what a name is and where it is declared."""
    at = doc.token_at(pos)
    if at is None:
        return None
    i, tok = at
    toks = doc.tokens
    text, span = None, (tok.start, tok.end)
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    prev = toks[i - 1] if i > 0 else None
    is_unit = lambda t: t is not None and doc.roles.get(t, NOTHING).kind == "unit"
    if tok.kind == "number" and is_unit(nxt):
        text, span = quantity_text(tok.text, nxt.text), (tok.start, nxt.end)
    elif is_unit(tok) and prev is not None and prev.kind == "number":
        text, span = quantity_text(prev.text, tok.text), (prev.start, tok.end)
    else:
        text = _name_hover(doc, tok)
    if text is None:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
                       range=doc.range(*span))


def _name_hover(doc: Document, tok) -> str | None:
    role = doc.roles.get(tok)
    if role is not None and role.kind == "op_kind" and tok.text in OP_KINDS:
        return f"op kind `{tok.text}`: {op_kind_doc(tok.text)}"
    if role is not None and role.kind == "routing" and tok.text in ROUTING_KINDS:
        p = ROUTING_KINDS[tok.text]
        return f"routing `{tok.text}`" + (f", parameter {p}" if p else ", no parameter")
    found = _declaration(doc, tok)
    if found is None:
        return None
    d = found.decl
    owner = f" of {d.owner}" if d.owner else ""
    on = f" on {d.on}" if d.on else ""
    return f"{_WHAT[d.kind]} `{d.name}`{owner}{on} ({_where(doc, found)})"


def _declaration(doc: Document, tok) -> Found | None:
    """The declaration a name token declares or refers to."""
    if tok in doc.declared:
        return Found(doc.scope.files[0], doc.declared[tok])
    role = doc.roles.get(tok)
    if role is not None and role.kind in _NAME_KINDS:
        return doc.scope.definition(role, tok.text)
    return None


def definition(doc: Document, pos: types.Position) -> types.Location | None:
    """Where the name (or the imported file) at `pos` is declared."""
    at = doc.token_at(pos)
    if at is None:
        return None
    tok = at[1]
    imp = next((i for i in doc.outline.imports if i.token == tok), None)
    if imp is not None:
        target = import_target(os.path.realpath(doc.path) if doc.path else None, imp.path)
        if not os.path.isfile(target):
            return None
        start = types.Position(0, 0)
        return types.Location(uri=uris.from_fs_path(target), range=types.Range(start, start))
    found = _declaration(doc, tok)
    if found is None:
        return None
    f, d = found
    if f is doc.scope.files[0]:
        return types.Location(uri=doc.uri, range=doc.range(d.token.start, d.token.end))
    return types.Location(uri=uris.from_fs_path(f.path),
                          range=range_in(f.text, d.token.start, d.token.end, doc.encoding))
