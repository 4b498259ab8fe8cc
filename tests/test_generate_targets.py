"""Generator: targets, --set overrides, limits, rule errors and explicit graphs."""
from __future__ import annotations

import pytest

from generate_cases import EXAMPLES, HW, MOE, edge_set, make
from hpdsl.errors import UserError
from hpdsl.generate import apply_settings, from_tiling, generate, resolve_target
from hpdsl.spec import CoreType, Graph, Hardware, Op, Queue, Spec, Task, TileRule, Tiling


# ------------------------------------------------------------------ targets, settings, errors

def spec_with(*tilings, graphs=()):
    return Spec(hardware=(HW,), workloads=(tilings[0].workload,) if tilings else (),
                tilings=tilings, graphs=graphs)


def test_resolve_target():
    t = make()
    assert resolve_target(spec_with(t), None) is t
    t2 = Tiling("coarse", t.workload, t.rules)
    with pytest.raises(UserError, match=r"the spec has 2 targets; choose one with --target "
                                        r"\(valid: 'coarse', 't'\)"):
        resolve_target(spec_with(t, t2), None)
    with pytest.raises(UserError, match=r"no tiling or graph named 'corse' "
                                        r"\(did you mean 'coarse'\? valid: 'coarse', 't'\)"):
        resolve_target(spec_with(t, t2), "corse")
    with pytest.raises(UserError, match="the spec has no tiling and no graph to run"):
        resolve_target(Spec(), None)


def test_settings_override_and_errors():
    w = make().workload
    w2 = apply_settings(w, {"devices": "4", "routing": "zipf 1.5", "seed": "11", "dtype": "fp32"})
    assert (w2.devices, w2.routing.kind, w2.routing.param, w2.routing.seed) == (4, "zipf", 1.5, 11)
    assert (w2.dtype, w2.dtype_bytes) == ("fp32", 4)
    assert apply_settings(w, {"routing": "grouped 2 seed 4"}).routing.seed == 4
    with pytest.raises(UserError, match=r"unknown setting 'device' in --set device=4 "
                                        r"\(did you mean 'devices'\?"):
        apply_settings(w, {"device": "4"})
    with pytest.raises(UserError, match=r"--set tokens=-3: expected a positive whole number, "
                                        r"got '-3'"):
        apply_settings(w, {"tokens": "-3"})
    with pytest.raises(UserError, match=r"--set seed=x: expected a whole number, got 'x'"):
        apply_settings(w, {"seed": "x"})
    with pytest.raises(UserError, match=r"--set dtype=bf8: unknown dtype 'bf8'"):
        apply_settings(w, {"dtype": "bf8"})
    with pytest.raises(UserError, match=r"--set routing='zipf': expected 'balanced', 'zipf S' "
                                        r"or 'grouped G', optionally followed by 'seed N'"):
        apply_settings(w, {"routing": "zipf"})


def test_generate_rechecks_overridden_workload_with_language_checks():
    spec = spec_with(make())
    with pytest.raises(UserError, match=r"experts 4 is not divisible by devices 3"):
        generate(spec, None, {"devices": "3"})


def test_generate_rechecks_overridden_workload(monkeypatch):
    import hpdsl.lang.check
    monkeypatch.setattr(hpdsl.lang.check, "check_workload", lambda w: [])   # own checks only
    spec = spec_with(make())
    with pytest.raises(UserError, match=r"experts \(4\) of workload 'W' must be a multiple of "
                                        r"devices \(3\)"):
        generate(spec, None, {"devices": "3"})
    with pytest.raises(UserError, match=r"grouped routing with 3 groups needs experts \(4\) and "
                                        r"topk \(2\) to be multiples of 3"):
        generate(spec, None, {"routing": "grouped 3"})
    with pytest.raises(UserError, match=r"tiles of 'up' are 16 columns wide, but 'up' has only "
                                        r"12 columns"):
        t = make(sizes={"up": (4, 16)})
        w = t.workload
        w = w.with_settings(ops=(Op("dispatch", "dispatch"), Op("up", "grouped_matmul", "dispatch", 12)))
        from_tiling(Tiling("t", w, t.rules[:2]), w)


def test_max_tasks_refused_before_building(monkeypatch):
    import hpdsl.lang.check
    monkeypatch.setattr(hpdsl.lang.check, "check_workload", lambda w: [])   # own limits only
    spec = spec_with(make())
    g = generate(spec, None, {})
    n = g.n_tasks
    with pytest.raises(UserError, match=rf"target 't' would generate {n} tasks, more than "
                                        rf"the limit of {n - 1}; use coarser tiles"):
        generate(spec, None, {}, max_tasks=n - 1)
    assert generate(spec, None, {}, max_tasks=n).n_tasks == n
    with pytest.raises(UserError, match=r"would generate at least [\d,]+ tasks"):
        generate(spec, None, {"tokens": "100000000"}, max_tasks=1000)
    with pytest.raises(UserError, match=r"workload 'W' routes 200,000,000 rows \(devices x tokens x "
                                        r"topk\), more than the 134,217,728 hpdsl generates"):
        generate(spec, None, {"tokens": "50000000"}, max_tasks=10**9)


def test_op_chain_errors():
    def gen(ops, sizes=None):
        t = make(ops, sizes=sizes)
        return from_tiling(t, t.workload)
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
    bad = Tiling("t", w, (TileRule("dispatch", tile=(4, 4)),) + t.rules[1:])
    with pytest.raises(UserError, match=r"op 'dispatch' \(dispatch\) is split by 'chunk ROWS', "
                                        r"not by 'tile ROWS x COLUMNS'"):
        from_tiling(bad, w)
    bad = Tiling("t", w, t.rules[:1] + (TileRule("up", chunk=4),) + t.rules[2:])
    with pytest.raises(UserError, match=r"op 'up' \(grouped_matmul\) is split by 'tile ROWS x "
                                        r"COLUMNS', not by 'chunk ROWS'"):
        from_tiling(bad, w)
    with pytest.raises(UserError, match=r"tiling 't' gives no rule for op 'act'"):
        from_tiling(Tiling("t", w, t.rules[:2]), w)
    with pytest.raises(UserError, match=r"tile sizes of 'dispatch' must be positive, got 0"):
        from_tiling(Tiling("t", w, (TileRule("dispatch", chunk=0),) + t.rules[1:]), w)
    pinned = Tiling("t", w, t.rules[:1] + (TileRule("up", tile=(4, 8), core="VX"),) + t.rules[2:])
    with pytest.raises(UserError, match=r"core type 'VX' cannot do 'matmul', which op 'up' needs"):
        from_tiling(pinned, w)
    pinned = Tiling("t", w, t.rules[:1] + (TileRule("up", tile=(4, 8), core="MXX"),) + t.rules[2:])
    with pytest.raises(UserError, match=r"unknown core type 'MXX' in hardware 'T' \(did you mean 'MX'\?"):
        from_tiling(pinned, w)
    nosend = Hardware("N", cores=(CoreType("MX", 1, (Queue("mx", ("matmul", "vector"), 1e12),)),))
    w2 = w.with_settings(hardware=nosend)
    with pytest.raises(UserError, match=r"no core type of hardware 'N' can do 'send', which op "
                                        r"'dispatch' \(dispatch\) needs"):
        from_tiling(Tiling("t", w2, t.rules), w2)


def test_pinned_core_makes_its_own_kind():
    t = make()
    rules = t.rules[:2] + (TileRule("act", tile=(7, 16), core="VX"),) + t.rules[3:]
    g = from_tiling(Tiling("t", t.workload, rules), t.workload)
    assert set(zip(g.kinds, g.cores)) == {("send", ("VX",)), ("matmul", ("MX",)),
                                          ("vector", ("VX",))}


# ------------------------------------------------------------------ explicit graphs

def diamond():
    hw = Hardware("Duo", cores=(CoreType("CPU", 1, (Queue("q", ("*",)),)),
                                CoreType("ACC", 1, (Queue("q", ("*",)),))))
    tasks = (Task("load", "CPU", 2000), Task("left", "ACC", 5000, ("load",)),
             Task("right", "CPU", 3000, ("load",)), Task("side", "ACC", 4000),
             Task("merge", "CPU", 1000, ("left", "right", "side")))
    return Graph("diamond", hw, tasks)


def test_explicit_graph():
    g = generate(Spec(graphs=(diamond(),)), None, {})
    assert g.task_names == ("load", "left", "right", "side", "merge")
    assert g.kinds == ("CPU", "ACC") and g.cores == (("CPU",), ("ACC",))
    assert g.fixed_ns.tolist() == [2000, 5000, 3000, 4000, 1000]
    assert g.ops == ("diamond",) and g.devices == 1
    assert edge_set(g) == {(0, 1), (0, 2), (1, 4), (2, 4), (3, 4)}
    with pytest.raises(UserError, match=r"--set changes workload settings, but 'diamond' is an "
                                        r"explicit graph"):
        generate(Spec(graphs=(diamond(),)), None, {"devices": "2"})


def test_explicit_graph_errors():
    d = diamond()
    bad = Graph("diamond", d.hardware, d.tasks[:4] + (Task("merge", "CPU", 1, ("lft",)),))
    with pytest.raises(UserError, match=r"task 'merge' comes after 'lft', which is not a task of "
                                        r"graph 'diamond' \(did you mean 'left'\?"):
        generate(Spec(graphs=(bad,)), None, {})
    cyc = Graph("c", d.hardware, (Task("a", "CPU", 1, ("b",)), Task("b", "CPU", 1, ("a",))))
    with pytest.raises(UserError, match=r"graph 'c' has a cycle: its tasks cannot all run"):
        generate(Spec(graphs=(cyc,)), None, {})
    bad = Graph("g", d.hardware, (Task("a", "GPU", 1),))
    with pytest.raises(UserError, match=r"unknown core type 'GPU' in hardware 'Duo'"):
        generate(Spec(graphs=(bad,)), None, {})


@pytest.mark.parametrize("name", ["toy.hpm", "diamond.hpm", "deepseek_moe.hpm"])
def test_examples_generate(name):
    from hpdsl.lang import load
    spec = load(str(EXAMPLES / name))
    for target in spec.targets():
        g = generate(spec, target, {})
        assert g.n_tasks > 0 and len(g.topological_order()) == g.n_tasks
