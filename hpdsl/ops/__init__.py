"""The op library: one module per op kind, registered by name in `KINDS`.

An op kind knows the capability it needs (`send`, `matmul`, `vector`), how a tiling rule
splits it into tiles, which input tiles each tile reads, and each tile's work (flops,
bytes read and written in device memory, bytes sent and to which device). Adding a kind
is one module with a `KIND` object (a subclass of `hpdsl.ops.base.OpKind`) plus a line
in `_MODULES`.
"""
from __future__ import annotations

import importlib

from hpdsl.ops.base import OpKind

_MODULES = ("dispatch", "grouped_matmul", "swiglu", "combine", "quantize", "matmul")

KINDS: dict[str, OpKind] = {}
for _m in _MODULES:
    _k = importlib.import_module(f"hpdsl.ops.{_m}").KIND
    KINDS[_k.name] = _k

# every capability some op kind needs: what a queue may declare it `does`
CAPABILITIES: tuple[str, ...] = tuple(sorted({k.capability for k in KINDS.values()}))

__all__ = ["CAPABILITIES", "KINDS", "OpKind"]
