"""`--set` overrides: parsing KEY=VALUE text into typed settings and applying them."""
from __future__ import annotations

import pytest

from generate_cases import HW, make
from hpdsl.errors import UserError
from hpdsl.settings import (HardwareSetting, RoutingSetting, Settings, parse_routing,
                            parse_settings)
from hpdsl.settings_apply import apply_hardware, apply_settings
from hpdsl.spec import CoreType, Hardware, Queue


def test_parse_types_values_in_order():
    s = parse_settings(["devices=4", " tokens = 8 ", "dtype=fp32", "seed=2", "devices=6"])
    assert s.fields == (("devices", 6), ("tokens", 8), ("dtype", "fp32")) and s.seed == 2
    assert not parse_settings([]) and parse_settings(["seed=0"])
    assert Settings() == parse_settings([])


def test_parse_routing():
    assert parse_routing("balanced") == RoutingSetting("balanced", 0.0, None)
    assert parse_routing("zipf 1.5 seed 9") == RoutingSetting("zipf", 1.5, 9)
    for bad in ("zipf", "balanced 2", "grouped x", "zipf 1 seed x", "", "uniform"):
        with pytest.raises(UserError, match=rf"--set routing='{bad}': expected 'balanced', "
                                            r"'zipf S' or 'grouped G', optionally followed by "
                                            r"'seed N'"):
            parse_routing(bad)
    # a parameter no routing can be drawn from (it was accepted, with arbitrary routing)
    for bad, word in (("zipf inf", "inf"), ("zipf 1e400 seed 2", "1e400"),
                      ("zipf infinity", "infinity"), ("grouped nan", "nan")):
        kind, letter = ("grouped", "G") if "grouped" in bad else ("zipf", "S")
        with pytest.raises(UserError) as e:
            parse_routing(bad)
        assert str(e.value) == (f"error: --set routing='{bad}': {kind} {letter} must be a "
                                f"finite number, found '{word}'")


def test_settings_override_and_errors():
    w = make().workload
    w2 = apply_settings(w, parse_settings(["devices=4", "routing=zipf 1.5", "seed=11",
                                           "dtype=fp32"]))
    assert (w2.devices, w2.routing.kind, w2.routing.param, w2.routing.seed) == (4, "zipf", 1.5, 11)
    assert (w2.dtype, w2.dtype_bytes) == ("fp32", 4)
    assert w2.routing.loc == w.routing.loc
    assert apply_settings(w, parse_settings(["routing=grouped 2 seed 4"])).routing.seed == 4
    # an explicit seed= wins over the routing's own, in either order
    assert apply_settings(w, parse_settings(["seed=5", "routing=grouped 2 seed 4"])).routing.seed == 5
    assert apply_settings(w, parse_settings(["seed=7"])).routing == w.routing.__class__(
        w.routing.kind, w.routing.param, 7, w.routing.loc)
    assert apply_settings(w, Settings()) is w
    with pytest.raises(UserError, match=r"--set expects KEY=VALUE, got 'devices'"):
        parse_settings(["devices"])
    with pytest.raises(UserError, match=r"unknown setting 'device' in --set device=4 "
                                        r"\(did you mean 'devices'\?"):
        parse_settings(["device=4"])
    with pytest.raises(UserError, match=r"--set tokens=-3: expected a positive whole number, "
                                        r"got '-3'"):
        parse_settings(["tokens=-3"])
    with pytest.raises(UserError, match=r"--set seed=x: expected a whole number, got 'x'"):
        parse_settings(["seed=x"])
    with pytest.raises(UserError, match=r"--set seed=x: expected a whole number, got 'x'"):
        parse_settings(["routing=zipf 1.2", "seed=x"])
    for order in (["routing=balanced", "seed=abc"], ["seed=abc", "routing=balanced"]):
        with pytest.raises(UserError, match=r"^error: --set seed=abc: expected a whole number, "
                                            r"got 'abc'$"):   # it was a ValueError in one order
            parse_settings(order)
    with pytest.raises(UserError, match=r"--set dtype=bf8: unknown dtype 'bf8'"):
        parse_settings(["dtype=bf8"])


def test_hardware_figures_parse_with_units():
    s = parse_settings(["hw.link.bandwidth=107GB/s", "hw.cache.size=96 MiB",
                        "hw.AIC.rate=9TFLOPS", "hw.launch=20us", "hw.sync.flags=64",
                        "hw.clock=1.5GHz", "hw.AIV.vec.rate=0.5 TFLOPS", "hw.AIV.UB.size=1.5KiB"])
    assert s.hardware == (
        HardwareSetting(("link", "bandwidth"), 107e9), HardwareSetting(("cache", "size"), 96 << 20),
        HardwareSetting(("AIC", "rate"), 9e12), HardwareSetting(("launch",), 20_000),
        HardwareSetting(("sync", "flags"), 64), HardwareSetting(("clock",), 1.5e9),
        HardwareSetting(("AIV", "vec", "rate"), 0.5e12), HardwareSetting(("AIV", "UB", "size"), 1536))
    assert s and not s.workload and parse_settings(["devices=2"]).workload
    assert isinstance(s.hardware[3].value, int) and isinstance(s.hardware[1].value, int)


@pytest.mark.parametrize("item, message", [
    ("hw.link.bandwidth=107", r"--set hw.link.bandwidth=107: link bandwidth needs a bandwidth "
                              r"unit, e.g. '107 GB/s' \(valid: 'B/s', "),
    ("hw.AIC.rate=9GB/s", r"--set hw.AIC.rate=9GB/s: 'GB/s' is a bandwidth unit, but AIC rate "
                          r"takes a compute rate unit \(valid: 'FLOPS'"),
    ("hw.launch=2h", r"--set hw.launch=2h: unknown unit 'h' for launch \(valid: 'ms', 'ns', "
                     r"'s', 'us'\)"),
    ("hw.launch=2e9s", r"--set hw.launch=2e9s: launch must be at most 1 hour \(3.6e\+12 ns\), "
                       r"found 2e\+18 ns"),
    ("hw.link.bandwidth=1e999GB/s", r"--set hw.link.bandwidth=1e999GB/s: link bandwidth must "
                                    r"be a finite number, found '1e999 GB/s'"),
    ("hw.link.latency=abc", r"--set hw.link.latency=abc: expected a number and a time unit, "
                            r"e.g. 'hw.link.latency=2us'"),
    ("hw.sync.flags=x", r"--set hw.sync.flags=x: expected a positive whole number, got 'x'"),
    ("hw.link.bw=1GB/s", r"unknown hardware figure 'hw.link.bw' in --set hw.link.bw=1GB/s "
                         r"\(did you mean 'hw.link.bandwidth'\? valid: 'hw.CORE.BUFFER.size', "),
    ("hw.AIC.size=1KiB", r"unknown hardware figure 'hw.AIC.size'"),
    ("hw.AIC.k_slice=1.5", r"--set hw.AIC.k_slice=1.5: expected a positive whole number, "
                           r"got '1.5'"),
    ("hw..rate=1TFLOPS", r"unknown hardware figure 'hw..rate'"),
])
def test_hardware_figure_errors(item, message):
    with pytest.raises(UserError, match=message):
        parse_settings([item])


def test_apply_hardware_replaces_figures_and_names_missing_parts():
    hw = HW
    out = apply_hardware(hw, parse_settings(["hw.link.bandwidth=1GB/s", "hw.MX.count=3",
                                             "hw.MX.k_slice=32",
                                             "hw.VX.vx.rate=1TFLOPS", "hw.memory.size=1GiB",
                                             "hw.sync.latency=1us", "hw.launch=1ms"]))
    assert (out.link.bandwidth, out.link.latency, out.memory.size) == (1e9, hw.link.latency, 2**30)
    assert (out.core("MX").count, out.core("VX").queues[0].rate) == (3, 1e12)
    assert (out.core("MX").k_slice, out.core("VX").k_slice) == (32, hw.core("VX").k_slice)
    assert (out.sync_latency, out.launch, out.cores[0].queues) == (1000, 10**6, hw.cores[0].queues)
    assert apply_hardware(hw, Settings()) is hw
    w = make().workload
    assert apply_settings(w, parse_settings(["hw.MX.rate=5TFLOPS"])).hardware.core("MX") \
        .queues[0].rate == 5e12
    for item, message in [
        ("hw.cache.size=1MiB", r"--set hw.cache.size: hardware 'T' has no cache"),
        ("hw.MXX.rate=1TFLOPS", r"--set hw.MXX.rate: hardware 'T' has no core type 'MXX' "
                               r"\(did you mean 'MX'\? valid: 'MX', 'VX'\)"),
        ("hw.MX.mxx.rate=1TFLOPS", r"--set hw.MX.mxx.rate: core type 'MX' has no queue 'mxx' "
                                  r"\(did you mean 'mx'\? valid: 'mx'\)"),
        ("hw.MX.L1.size=1KiB", r"--set hw.MX.L1.size: core type 'MX' has no buffer 'L1' "
                               r"\(valid: none\)")]:
        with pytest.raises(UserError, match=message):
            apply_hardware(hw, parse_settings([item]))
    two = Hardware("Two", (CoreType("C", 1, (Queue("a", ("matmul",), 1e12),
                                             Queue("b", ("vector",), 1e11))),))
    with pytest.raises(UserError, match=r"--set hw.C.rate: core type 'C' has 2 queues; set one "
                                        r"with hw.C.QUEUE.rate \(valid: 'a', 'b'\)"):
        apply_hardware(two, parse_settings(["hw.C.rate=1TFLOPS"]))
    assert apply_hardware(two, parse_settings(["hw.C.b.rate=1TFLOPS"])).cores[0].queues[1].rate == 1e12
