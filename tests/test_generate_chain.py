"""The generator's op chain: inputs, kinds, rules and core types checked as tiles are planned."""
from __future__ import annotations

import pytest

from generate_cases import MOE, make
from hpdsl.errors import UserError
from hpdsl.generate import from_tiling
from hpdsl.spec import CoreType, Hardware, Op, Queue, TileRule, Tiling


def test_op_chain_errors():
    def gen(ops, sizes=None):
        t = make(ops, sizes=sizes)
        return from_tiling(t)
    with pytest.raises(UserError, match=r"op 'up' \(grouped_matmul\) works on expert rows, but "
                                        r"'q' holds each device's own tokens; put a dispatch before it"):
        gen((("q", "quantize", None, None), ("up", "grouped_matmul", "q", 8)))
    with pytest.raises(UserError, match=r"op 'm' \(matmul\) works on each device's own tokens, "
                                        r"but 'up' holds expert rows; combine them first"):
        gen(MOE[:2] + (("m", "matmul", "up", 8),))
    with pytest.raises(UserError, match=r"op 'up' reads 'dispach', which is not an op of "
                                        r"workload 'W' \(did you mean 'dispatch'\?"):
        gen(MOE[:1] + (("up", "grouped_matmul", "dispach", 8),))
    with pytest.raises(UserError, match=r"op 'up' reads 'act', which is declared after it"):
        gen(MOE[:1] + (("up", "grouped_matmul", "act", 8), ("act", "swiglu", "dispatch", None)))
    with pytest.raises(UserError, match=r"op 'act' \(swiglu\) needs an input: write 'swiglu\(OP\)'"):
        gen(MOE[:1] + (("act", "swiglu", None, None),))
    with pytest.raises(UserError, match=r"op 'up' \(grouped_matmul\) needs a positive output "
                                        r"width: add 'n N'"):
        gen(MOE[:1] + (("up", "grouped_matmul", "dispatch", None),))
    with pytest.raises(UserError, match=r"unknown op kind 'swiglue' \(did you mean 'swiglu'\?"):
        gen(MOE[:2] + (("act", "swiglue", "up", None),))
    with pytest.raises(UserError, match=r"swiglu 'act' splits its input into gate and up halves, "
                                        r"but 'up' is 9 columns wide \(odd\)"):
        gen(MOE[:1] + (("up", "grouped_matmul", "dispatch", 9), ("act", "swiglu", "up", None)),
            sizes={"up": (4, 9), "act": (4, 4)})


def test_rule_errors():
    t = make()
    w = t.workload
    with pytest.raises(UserError, match=r"tiles of 'up' are 16 columns wide, but 'up' has only "
                                        r"12 columns"):
        t1 = make(sizes={"up": (4, 16)})
        w1 = t1.workload.with_settings(ops=(Op("dispatch", "dispatch"), Op("up", "grouped_matmul", "dispatch", 12)))
        from_tiling(Tiling("t", w1, t1.rules[:2]))
    bad = Tiling("t", w, (TileRule("dispatch", tile=(4, 4)),) + t.rules[1:])
    with pytest.raises(UserError, match=r"op 'dispatch' \(dispatch\) is split by 'chunk ROWS', "
                                        r"not by 'tile ROWS x COLUMNS'"):
        from_tiling(bad)
    bad = Tiling("t", w, t.rules[:1] + (TileRule("up", chunk=4),) + t.rules[2:])
    with pytest.raises(UserError, match=r"op 'up' \(grouped_matmul\) is split by 'tile ROWS x "
                                        r"COLUMNS', not by 'chunk ROWS'"):
        from_tiling(bad)
    with pytest.raises(UserError, match=r"tiling 't' gives no rule for op 'act'"):
        from_tiling(Tiling("t", w, t.rules[:2]))
    with pytest.raises(UserError, match=r"tile sizes of 'dispatch' must be positive, got 0"):
        from_tiling(Tiling("t", w, (TileRule("dispatch", chunk=0),) + t.rules[1:]))
    pinned = Tiling("t", w, t.rules[:1] + (TileRule("up", tile=(4, 8), core="VX"),) + t.rules[2:])
    with pytest.raises(UserError, match=r"core type 'VX' cannot do 'matmul', which op 'up' needs"):
        from_tiling(pinned)
    pinned = Tiling("t", w, t.rules[:1] + (TileRule("up", tile=(4, 8), core="MXX"),) + t.rules[2:])
    with pytest.raises(UserError, match=r"unknown core type 'MXX' in hardware 'T' \(did you mean 'MX'\?"):
        from_tiling(pinned)
    nosend = Hardware("N", cores=(CoreType("MX", 1, (Queue("mx", ("matmul", "vector"), 1e12),)),))
    w2 = w.with_settings(hardware=nosend)
    with pytest.raises(UserError, match=r"no core type of hardware 'N' can do 'send', which op "
                                        r"'dispatch' \(dispatch\) needs"):
        from_tiling(Tiling("t", w2, t.rules))


def test_pinned_core_makes_its_own_kind():
    t = make()
    rules = t.rules[:2] + (TileRule("act", tile=(7, 16), core="VX"),) + t.rules[3:]
    g = from_tiling(Tiling("t", t.workload, rules))
    assert set(zip(g.kinds, g.cores)) == {("send", ("VX",)), ("matmul", ("MX",)),
                                          ("vector", ("VX",))}
