"""Targets: picking a tiling or graph by name, overriding its workload, checking it again."""
from __future__ import annotations

import pytest

from generate_cases import HW, make
from hpdsl.errors import UserError
from hpdsl.lang import checked_target
from hpdsl.settings import parse_settings
from hpdsl.spec import CoreType, Graph, Hardware, Queue, Spec, Task, Tiling
from hpdsl.targets import resolve_target, with_settings


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


def test_with_settings():
    t = make()
    t2 = with_settings(t, parse_settings(["devices=4"]))
    assert t2.workload.devices == 4 and t2.rules == t.rules and t.workload.devices == 2
    assert with_settings(t, parse_settings([])) is t
    hw = Hardware("Duo", cores=(CoreType("CPU", 1, (Queue("q", ("*",)),)),))
    g = Graph("diamond", hw, (Task("a", "CPU", 1),))
    assert with_settings(g, parse_settings([])) is g
    with pytest.raises(UserError, match=r"--set changes workload settings, but 'diamond' is an "
                                        r"explicit graph"):
        with_settings(g, parse_settings(["devices=2"]))


def test_checked_target_rechecks_overridden_workload_with_language_checks():
    spec = spec_with(make())
    assert checked_target(spec, None, parse_settings(["devices=1"])).workload.devices == 1
    with pytest.raises(UserError, match=r"experts 4 is not divisible by devices 3; every device "
                                        r"must own the same number of experts"):
        checked_target(spec, None, parse_settings(["devices=3"]))
    with pytest.raises(UserError) as info:
        checked_target(spec, None, parse_settings(["routing=grouped 3"]))
    assert [d.message for d in info.value.diagnostics] == [   # naming where they came from
        "routing grouped 3: the group count must divide experts 4 (from --set routing=grouped 3)",
        "routing grouped 3: the group count must divide topk 2, so every token picks as many "
        "experts in each group (from --set routing=grouped 3)"]
    with pytest.raises(UserError, match=r"tokens 100000000 is above the limit of 1048576"):
        checked_target(spec, None, parse_settings(["tokens=100000000"]))


def test_hardware_figures_apply_to_tilings_and_graphs_and_are_checked_again():
    spec = spec_with(make())
    t = checked_target(spec, None, parse_settings(["hw.link.bandwidth=1GB/s"]))
    assert t.workload.hardware.link.bandwidth == 1e9 and HW.link.bandwidth == 1e10
    with pytest.raises(UserError, match=r"link 'NET' bandwidth must be positive, found 0"):
        checked_target(spec, None, parse_settings(["hw.link.bandwidth=0GB/s"]))
    hw = Hardware("Duo", cores=(CoreType("CPU", 1, (Queue("q", ("*",)),)),))
    g = Graph("diamond", hw, (Task("a", "CPU", 1),))
    gspec = Spec(hardware=(hw,), graphs=(g,))
    assert checked_target(gspec, None, parse_settings(["hw.CPU.count=3"])).hardware \
        .core("CPU").count == 3
    with pytest.raises(UserError, match=r"launch must not be negative, found -1000 ns"):
        checked_target(gspec, None, parse_settings(["hw.launch=-1us"]))
    with pytest.raises(UserError, match=r"--set changes workload settings, but 'diamond'"):
        checked_target(gspec, None, parse_settings(["hw.launch=1us", "devices=2"]))
