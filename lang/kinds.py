"""The op kinds and routing kinds the language accepts, in one place.

Each op kind names the capability a core needs to run it, whether it reads an input op,
whether it takes an output width `n`, and how a tiling splits it (`chunk` rows or
`tile` rows x columns). If the op library (`hpdsl.ops.KINDS`, name -> object with
`.capability`) is importable, its kinds and capabilities are the valid ones.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OpKind:
    capability: str
    needs_input: bool    # reads another op (False: may read the layer's input tokens)
    takes_n: bool        # has an output width `n N` of its own
    split: str           # "chunk" (rows) or "tile" (rows x columns)


OP_KINDS: dict[str, OpKind] = {
    "dispatch":       OpKind("send",   needs_input=False, takes_n=False, split="chunk"),
    "grouped_matmul": OpKind("matmul", needs_input=True,  takes_n=True,  split="tile"),
    "swiglu":         OpKind("vector", needs_input=True,  takes_n=False, split="tile"),
    "combine":        OpKind("send",   needs_input=True,  takes_n=False, split="chunk"),
    "quantize":       OpKind("vector", needs_input=False, takes_n=False, split="tile"),
    "matmul":         OpKind("matmul", needs_input=False, takes_n=True,  split="tile"),
}

ROUTING_KINDS: tuple[str, ...] = ("balanced", "zipf", "grouped")


def op_kinds() -> dict[str, OpKind]:
    """The valid op kinds: the op library's registry where it exists, else OP_KINDS."""
    try:
        from hpdsl.ops import KINDS   # the op library, when built, is the authority
    except ImportError:
        return OP_KINDS
    out = {}
    for name, obj in KINDS.items():
        base = OP_KINDS.get(name)
        cap = getattr(obj, "capability", None) or (base.capability if base else "vector")
        out[name] = OpKind(
            cap,
            getattr(obj, "needs_input", base.needs_input if base else True),
            getattr(obj, "takes_n", base.takes_n if base else False),
            getattr(obj, "split", base.split if base else "tile"))
    return out


def capabilities() -> tuple[str, ...]:
    """Every capability some op kind needs (what a queue may declare it `does`)."""
    return tuple(sorted({k.capability for k in op_kinds().values()}))
