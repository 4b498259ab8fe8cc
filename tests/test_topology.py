"""Topology: links per scope, `package dies`, `fabric`; routes in the cost model, the
placer's link timelines and the emulator's flows (hpdsl/topology.py), by hand."""
from __future__ import annotations

from pathlib import Path

import pytest

from hpdsl.errors import UserError
from hpdsl.lang import load, loads
from hpdsl.settings import parse_settings
from hpdsl.settings_apply import apply_hardware
from hpdsl.topology import LINK, PACKAGE_LINK, channel
from pod_spec import POD

ERRORS = Path(__file__).resolve().parent / "errors" / "topology"

PINNED = [
    ("scope_unknown", "4:52: error: unknown scope 'pakage' of link 'SIO' (did you mean "
                      "'package'? valid: 'fabric', 'package')"),
    ("scope_twice", "4:5: error: hardware 'Pod' already has a link of scope 'fabric' ('UB' at "
                    "line 3); declare one link per scope"),
    ("package_one_die", "3:5: error: link 'SIO' of scope 'package' joins the dies of a package, "
                        "but hardware 'Pod' has one die per package; declare 'package dies N' "
                        "with N > 1"),
    ("fabric_without_link", "3:5: error: fabric 'Clos' needs a link of scope 'fabric' that "
                            "joins each die to it; hardware 'Pod' has none (declare 'link NAME "
                            "bandwidth B latency T')"),
    ("package_dies_zero", "3:5: error: package dies must be positive, found 0"),
    ("fabric_values", "4:5: error: fabric 'Clos' bandwidth must be positive, found 0\n"
                      "{f}:4:5: error: fabric 'Clos' per_peer must not be negative, found -1000 ns\n"
                      "{f}:5:5: error: hardware 'Pod' already has a 'fabric' statement (at line 4)"),
]


@pytest.mark.parametrize("stem, expected", PINNED, ids=[p[0] for p in PINNED])
def test_topology_errors_are_pinned(stem, expected, monkeypatch):
    monkeypatch.chdir(ERRORS)
    f = f"{stem}_with_error.hpm"
    with pytest.raises(UserError) as info:
        load(f)
    assert str(info.value) == f"{f}:" + expected.format(f=f)


def test_every_topology_error_file_is_pinned():
    files = sorted(p.name[:-len("_with_error.hpm")] for p in ERRORS.glob("*_with_error.hpm"))
    assert files == sorted(p[0] for p in PINNED)


def test_topology_statements_lower_to_the_hardware():
    (hw,) = loads(POD, "pod.hpm").hardware
    assert (hw.link.name, hw.link.scope, hw.link.bandwidth) == ("UB", "fabric", 1e9)
    assert (hw.package_link.name, hw.package_link.scope) == ("SIO", "package")
    assert (hw.package_dies, hw.fabric.bandwidth, hw.fabric.per_peer) == (2, 5e8, 1000)
    assert [channel(hw, 0, d) for d in range(4)] == [-1, PACKAGE_LINK, LINK, LINK]


def test_one_link_keeps_its_meaning():
    (hw,) = loads("hardware H { core V count 1\n link L bandwidth 1 GB/s latency 1 us }").hardware
    assert (hw.link.scope, hw.package_link, hw.package_dies, hw.fabric) == ("fabric", None, 1, None)
    assert [channel(hw, 0, d) for d in range(3)] == [-1, LINK, LINK]


def test_set_moves_the_fabric_and_the_package_link():
    (hw,) = loads(POD).hardware
    out = apply_hardware(hw, parse_settings(["hw.fabric.per_peer=2us",
                                             "hw.package_link.bandwidth=4GB/s"]))
    assert (out.fabric.per_peer, out.package_link.bandwidth) == (2000, 4e9)




def test_set_of_a_part_the_hardware_lacks_names_it():
    (hw,) = loads("hardware H { core V count 1\n link L bandwidth 1 GB/s latency 1 us }").hardware
    with pytest.raises(UserError, match=r"--set hw.fabric.per_peer: hardware 'H' has no fabric"):
        apply_hardware(hw, parse_settings(["hw.fabric.per_peer=2us"]))
