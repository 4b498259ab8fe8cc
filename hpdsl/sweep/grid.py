"""The grid of a sweep: `--grid KEY=V1,V2,...` axes and their points (grid values x schedulers).

A key is a `--set` key (a workload setting or a hardware figure, `hpdsl.settings`) or
`target`. Values are kept as the text the user gave, so that `routing=zipf 1.2` and
`hw.link.bandwidth=107GB/s` name a point in the results file exactly as typed; they are
parsed and checked per point (`hpdsl.sweep.task`), where an invalid one fails only its
own point.

>>> axes = parse_grid(["devices=2,4", "routing=balanced, zipf 1.2"])
>>> [p.label for p in points(axes, ("serial", "heft"))][:3]
['devices=2 routing=balanced serial', 'devices=2 routing=balanced heft', "devices=2 routing='zipf 1.2' serial"]
"""
from __future__ import annotations

import itertools
from typing import Iterable, NamedTuple

from hpdsl.errors import UserError
from hpdsl.settings import check_key

TARGET = "target"
MAX_POINTS = 10_000   # a grid larger than this is a typo, not a study


class Axis(NamedTuple):
    key: str
    values: tuple[str, ...]


class Point(NamedTuple):
    """One row of the results: the grid values (key, text) in axis order and a scheduler."""

    values: tuple[tuple[str, str], ...]
    scheduler: str

    @property
    def id(self) -> tuple[str, ...]:
        """What identifies the point in a results file (resume)."""
        return tuple(v for _, v in self.values) + (self.scheduler,)

    @property
    def label(self) -> str:
        """The point for people: `devices=2 routing='zipf 1.2' heft`."""
        return " ".join([f"{k}={v!r}" if " " in v else f"{k}={v}" for k, v in self.values]
                        + [self.scheduler])

    def settings(self) -> list[str]:
        """The point's values as `--set` texts (`target` apart)."""
        return [f"{k}={v}" for k, v in self.values if k != TARGET]

    def target(self, default: str | None) -> str | None:
        return dict(self.values).get(TARGET, default)


def parse_axis(item: str) -> Axis:
    """`KEY=V1,V2,...` as an axis; the key is checked, the values are not (see above)."""
    key, eq, rest = item.partition("=")
    key = key.strip()
    if not eq or not key:
        raise UserError(f"--grid expects KEY=V1,V2,..., got '{item}'")
    if key != TARGET:
        check_key(key, f"--grid {item}")
    values = tuple(dict.fromkeys(v.strip() for v in rest.split(",")))
    if any(not v for v in values):
        raise UserError(f"--grid {item}: empty value; write KEY=V1,V2,... with no empty "
                        f"item between the commas")
    return Axis(key, values)


def parse_grid(items: Iterable[str], fixed: Iterable[str] = (),
               target: str | None = None) -> tuple[Axis, ...]:
    """The axes of `--grid` items; a key given twice, or also in `--set` (`fixed`) or as
    `--target`, is a UserError."""
    axes: list[Axis] = []
    fixed_keys = {s.partition("=")[0].strip() for s in fixed}
    for item in items:
        axis = parse_axis(item)
        if any(a.key == axis.key for a in axes):
            raise UserError(f"--grid {axis.key} is given twice; list all its values in one "
                            f"--grid {axis.key}=V1,V2,...")
        if axis.key in fixed_keys:
            raise UserError(f"'{axis.key}' is both a --grid key and a --set; keep one")
        if axis.key == TARGET and target is not None:
            raise UserError("'target' is both a --grid key and --target; keep one")
        axes.append(axis)
    return tuple(axes)


def points(axes: tuple[Axis, ...], schedulers: tuple[str, ...]) -> tuple[Point, ...]:
    """Every combination of the axes' values (the last axis fastest), times the schedulers."""
    n = len(schedulers)
    for a in axes:
        n *= len(a.values)
    if n > MAX_POINTS:
        raise UserError(f"the grid has {n:,} points (values x schedulers); the limit is "
                        f"{MAX_POINTS:,}")
    keys = [a.key for a in axes]
    return tuple(Point(tuple(zip(keys, combo)), s)
                 for combo in itertools.product(*(a.values for a in axes)) for s in schedulers)
