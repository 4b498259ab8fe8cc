"""A tiling's op chain, checked: each op's kind, rule, input and core types, and the
number of tasks every op makes, in closed form from the routed row counts."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from hpdsl.errors import UserError, did_you_mean
from hpdsl.ops import KINDS
from hpdsl.ops.base import EXPERT, TOKEN, Layer, OpKind, Tensor
from hpdsl.spec import Hardware, Op, TileRule, Tiling


@dataclass(frozen=True, slots=True)
class Step:
    """One op, checked: its kind, its tiling rule, the op it reads, the core types allowed."""

    op: Op
    kind: OpKind
    rule: TileRule
    inp_name: str | None
    cores: tuple[str, ...]
    layer: int = 0                 # which repetition of the chain (`layers N`), from 0
    inp2_name: str | None = None   # combine's second input (a shared expert's output)


def plan_chain(t: Tiling) -> list[Step]:
    """The steps of tiling `t`'s workload, in op order; UserError on a broken chain."""
    w = t.workload
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
        steps.append(Step(op, kind, rule, op.input, _cores(w.hardware, op, kind, rule),
                          inp2_name=op.input2))
        seen.add(op.name)
    return repeat_layers(steps, w.layers)


def layer_name(layer: int, op: str, layers: int) -> str:
    """The graph's name of `op` in layer `layer` (from 0): `l1.up`; the op's own name
    when the workload has one layer."""
    return op if layers == 1 else f"l{layer + 1}.{op}"


def layer_of(name: str) -> int | None:
    """The layer (from 1) a graph op name `layer_name` gave belongs to; None for one layer.

    >>> layer_of("l2.up"), layer_of("up")
    (2, None)
    """
    head, dot, _ = name.partition(".")
    return int(head[1:]) if dot and head[:1] == "l" and head[1:].isdigit() else None


def repeat_layers(steps: list[Step], layers: int) -> list[Step]:
    """The chain `layers` times; in every layer after the first, the ops that read the
    layer's input read the previous layer's last op (its combine) instead.

    >>> s = Step(Op("c", "combine", "d"), None, None, "d", ())
    >>> [(x.op.name, x.inp_name, x.layer) for x in repeat_layers([s], 2)]
    [('l1.c', 'l1.d', 0), ('l2.c', 'l2.d', 1)]
    """
    if layers == 1:
        return steps
    out = []
    for i in range(layers):
        prev = layer_name(i - 1, steps[-1].op.name, layers) if i else None
        name = lambda x: prev if x is None else layer_name(i, x, layers)
        for s in steps:
            op = replace(s.op, name=name(s.op.name), input=name(s.op.input),
                         input2=None if s.inp2_name is None else name(s.inp2_name))
            out.append(replace(s, op=op, inp_name=op.input, inp2_name=op.input2, layer=i))
    return out


def _cores(hw: Hardware, op: Op, kind: OpKind, rule: TileRule) -> tuple[str, ...]:
    """The core types `op`'s tiles may run on: the rule's pinned one, or every capable one."""
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
        return (core.name,)
    cores = tuple(c.name for c in hw.cores_for(kind.capability))
    if not cores:
        raise UserError(f"no core type of hardware '{hw.name}' can do "
                        f"'{kind.capability}', which op '{op.name}' ({kind.name}) needs",
                        op.loc)
    return cores


def input_of(step: Step, tensors: dict[str, Tensor], layer: Layer) -> Tensor:
    """The tensor `step` reads, checked against the spaces its kind accepts (`layer`: the
    step's own layer)."""
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


def _shapes(steps: list[Step], layers: list[Layer]) -> dict[str, Tensor]:
    """Stub tensors (space and width only) for every op, checking rules along the way."""
    tensors: dict[str, Tensor] = {}
    z = np.zeros(0, dtype=np.int64)
    for s in steps:
        inp = input_of(s, tensors, layers[s.layer])
        width = s.kind.out_width(s.op, inp)
        check_rule(s.kind, s.op, s.rule, width)
        space = s.kind.out_space or inp.space
        tensors[s.op.name] = Tensor(space, width, z, z, width, 0, op=s.op.name)
        if s.kind.forwards_tokens:
            tensors[f"<in>{s.op.name}"] = inp
        if s.inp2_name is not None:
            second_input(s, tensors)
    return tensors


def second_input(step: Step, tensors: dict[str, Tensor]) -> Tensor:
    """The shared expert's output a combine sums in place: each device's own tokens."""
    inp = tensors[step.inp2_name]
    if inp.space != TOKEN:
        raise UserError(f"op '{step.op.name}' sums '{step.inp2_name}' into its tokens, so "
                        f"'{step.inp2_name}' must hold each device's own tokens (a matmul of "
                        f"them, e.g. a shared expert), but it holds expert rows", step.op.loc)
    return inp


def count_tasks(steps: list[Step], layers: list[Layer] | Layer) -> dict[str, int]:
    """Tasks per op, in closed form from the routed row counts (`layers[i]`: layer i's; one
    `Layer` for a chain of one layer)."""
    layers = [layers] if isinstance(layers, Layer) else layers
    tensors = _shapes(steps, layers)
    return {s.op.name: s.kind.count(layers[s.layer], s.rule, s.op,
                                    input_of(s, tensors, layers[s.layer])) for s in steps}


def check_rule(kind: OpKind, op: Op, rule: TileRule, out_width: int) -> None:
    """UserError if the tiling rule has the wrong form or a tile wider than the op."""
    if kind.split == "chunk" and rule.chunk is None:
        raise UserError(f"op '{op.name}' ({kind.name}) is split by 'chunk ROWS', "
                        f"not by 'tile ROWS x COLUMNS'", rule.loc)
    if kind.split == "tile" and rule.tile is None:
        raise UserError(f"op '{op.name}' ({kind.name}) is split by 'tile ROWS x COLUMNS', "
                        f"not by 'chunk ROWS'", rule.loc)
    size = (rule.chunk,) if kind.split == "chunk" else rule.tile
    if any(s < 1 for s in size):
        raise UserError(f"tile sizes of '{op.name}' must be positive, got "
                        f"{' x '.join(map(str, size))}", rule.loc)
    if kind.split == "tile" and rule.tile[1] > out_width:
        raise UserError(f"tiles of '{op.name}' are {rule.tile[1]} columns wide, but "
                        f"'{op.name}' has only {out_width} columns", rule.loc)
