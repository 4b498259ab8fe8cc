"""`--set` overrides: parsing KEY=VALUE text into typed settings and applying them."""
from __future__ import annotations

import pytest

from generate_cases import make
from hpdsl.errors import UserError
from hpdsl.settings import RoutingSetting, Settings, apply_settings, parse_routing, parse_settings


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
