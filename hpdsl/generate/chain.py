"""A tiling's op chain, checked: each op's kind, rule, input and core types, and the
number of tasks every op makes, in closed form from the routed row counts."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hpdsl.errors import UserError, did_you_mean
from hpdsl.ops import KINDS
from hpdsl.ops.base import EXPERT, TOKEN, Layer, OpKind, Tensor, check_rule
from hpdsl.spec import Hardware, Op, TileRule, Tiling


@dataclass(frozen=True, slots=True)
class Step:
    """One op, checked: its kind, its tiling rule, the op it reads, the core types allowed."""

    op: Op
    kind: OpKind
    rule: TileRule
    inp_name: str | None
    cores: tuple[str, ...]


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
        steps.append(Step(op, kind, rule, op.input, _cores(w.hardware, op, kind, rule)))
        seen.add(op.name)
    return steps


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


def _shapes(steps: list[Step], layer: Layer) -> dict[str, Tensor]:
    """Stub tensors (space and width only) for every op, checking rules along the way."""
    tensors: dict[str, Tensor] = {}
    z = np.zeros(0, dtype=np.int64)
    for s in steps:
        inp = input_of(s, tensors, layer)
        width = s.kind.out_width(s.op, inp)
        check_rule(s.kind, s.op, s.rule, width)
        space = s.kind.out_space or inp.space
        tensors[s.op.name] = Tensor(space, width, z, z, width, 0, op=s.op.name)
        if s.kind.forwards_tokens:
            tensors[f"<in>{s.op.name}"] = inp
    return tensors


def count_tasks(steps: list[Step], layer: Layer) -> dict[str, int]:
    """Tasks per op, in closed form from the routed row counts."""
    tensors = _shapes(steps, layer)
    return {s.op.name: s.kind.count(layer, s.rule, s.op, input_of(s, tensors, layer)) for s in steps}
