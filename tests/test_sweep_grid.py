"""Sweep grids: `--grid KEY=V1,V2,...` axes, their checks and the points they make."""
from __future__ import annotations

import pytest

from hpdsl.errors import UserError
from hpdsl.sweep.grid import MAX_POINTS, Axis, Point, parse_axis, parse_grid, points


def test_axes_keep_values_as_typed_spaces_included():
    assert parse_axis("routing=balanced, zipf 1.2 ,grouped 2") == Axis(
        "routing", ("balanced", "zipf 1.2", "grouped 2"))
    assert parse_axis(" devices = 2,4,2") == Axis("devices", ("2", "4"))
    assert parse_axis("hw.link.bandwidth=107GB/s,196 GB/s").values == ("107GB/s", "196 GB/s")
    assert parse_axis("target=tiny,coarse").values == ("tiny", "coarse")
    # values are checked per point, so an invalid one fails only its own point
    assert parse_axis("devices=3,x").values == ("3", "x")


def test_points_are_the_product_in_order_times_the_schedulers():
    axes = parse_grid(["devices=1,2", "routing=balanced,zipf 1.2"])
    ps = points(axes, ("serial", "heft"))
    assert len(ps) == 8
    assert [p.id for p in ps[:3]] == [("1", "balanced", "serial"), ("1", "balanced", "heft"),
                                      ("1", "zipf 1.2", "serial")]
    p = ps[3]
    assert p.label == "devices=1 routing='zipf 1.2' heft"
    assert p.settings() == ["devices=1", "routing=zipf 1.2"] and p.target("t") == "t"
    q = Point((("target", "coarse"), ("devices", "2")), "serial")
    assert q.settings() == ["devices=2"] and q.target(None) == "coarse"
    assert points((), ("serial",)) == (Point((), "serial"),) and Point((), "z3").label == "z3"


@pytest.mark.parametrize("items, fixed, target, message", [
    (["devices"], (), None, r"--grid expects KEY=V1,V2,..., got 'devices'"),
    (["=1,2"], (), None, r"--grid expects KEY=V1,V2,..., got '=1,2'"),
    (["device=1,2"], (), None, r"unknown setting 'device' in --grid device=1,2 \(did you mean "
                               r"'devices'\?"),
    (["hw.link.bw=1GB/s"], (), None, r"unknown hardware figure 'hw.link.bw' in --grid "
                                     r"hw.link.bw=1GB/s \(did you mean 'hw.link.bandwidth'\?"),
    (["devices=1,,2"], (), None, r"--grid devices=1,,2: empty value; write KEY=V1,V2,... with "
                                 r"no empty item between the commas"),
    (["devices="], (), None, r"--grid devices=: empty value"),
    (["devices=1", "devices=2"], (), None, r"--grid devices is given twice; list all its "
                                           r"values in one --grid devices=V1,V2,..."),
    (["devices=1,2"], ("devices=4",), None, r"'devices' is both a --grid key and a --set; "
                                            r"keep one"),
    (["target=a,b"], (), "a", r"'target' is both a --grid key and --target; keep one"),
])
def test_grid_errors(items, fixed, target, message):
    with pytest.raises(UserError, match=message):
        parse_grid(items, fixed, target)


def test_a_grid_too_large_is_refused_before_it_is_built():
    axes = (Axis("devices", tuple(map(str, range(1000)))), Axis("tokens", tuple(map(str, range(1000)))))
    with pytest.raises(UserError, match=rf"the grid has 2,000,000 points \(values x "
                                        rf"schedulers\); the limit is {MAX_POINTS:,}"):
        points(axes, ("serial", "heft"))
