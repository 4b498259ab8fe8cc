"""Overrides from the command line: `--set KEY=VALUE` text to a `Settings` value.

A key is a workload setting (`devices`, `routing`, ...) or a hardware figure written
`hw.PATH` (`hw.link.bandwidth=107GB/s`, `hw.AIC.rate=9TFLOPS`; `HARDWARE_FORMS`), whose
value carries a unit checked with the language's unit table and messages
(`hpdsl.units`). `parse_settings` reads and types every value (a mistake is a
`UserError` naming the `--set` it came from); `hpdsl.settings_apply` applies them
to a workload and its hardware. Whether the result makes sense as a whole
(experts divisible by devices, a positive bandwidth) is the language's check, run on it
by `hpdsl.lang.checked_target`.

>>> s = parse_settings(["devices=4", "routing=zipf 1.2 seed 3", "hw.cache.size=96MiB"])
>>> s.fields, s.routing
((('devices', 4),), RoutingSetting(kind='zipf', param=1.2, seed=3))
>>> s.hardware
(HardwareSetting(path=('cache', 'size'), value=100663296),)
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, NamedTuple

from hpdsl.errors import UserError, did_you_mean
from hpdsl.routing import KINDS as ROUTING_KINDS
from hpdsl.units import (
    DIMENSION_WORDS,
    DTYPE_BYTES,
    UNIT_EXAMPLE,
    to_si,
    unit_problem,
    value_problem,
)

INT_SETTINGS = ("devices", "tokens", "hidden", "experts", "topk", "expert_ffn", "layers",
                "seed")
SETTINGS = INT_SETTINGS + ("dtype", "routing", "placement")
HW = "hw."
# hardware figures by path: the dimension of the value ("count": a whole number, no unit)
HW_FIGURES = {("clock",): "frequency", ("launch",): "time", ("sync", "flags"): "count",
              ("sync", "latency"): "time", ("memory", "size"): "size",
              ("memory", "bandwidth"): "bandwidth", ("cache", "size"): "size",
              ("cache", "bandwidth"): "bandwidth", ("link", "bandwidth"): "bandwidth",
              ("link", "latency"): "time", ("package_link", "bandwidth"): "bandwidth",
              ("package_link", "latency"): "time", ("fabric", "bandwidth"): "bandwidth",
              ("fabric", "per_peer"): "time"}
# figures of a core type, by the path's last word and length: (CORE, count), (CORE, rate),
# (CORE, k_slice), (CORE, QUEUE, rate), (CORE, BUFFER, size)
HW_CORE_FIGURES = {("count", 2): "count", ("rate", 2): "rate", ("k_slice", 2): "count",
                   ("rate", 3): "rate", ("size", 3): "size"}
HARDWARE_FORMS = tuple(HW + ".".join(p) for p in HW_FIGURES) + (
    "hw.CORE.count", "hw.CORE.rate", "hw.CORE.k_slice", "hw.CORE.QUEUE.rate",
    "hw.CORE.BUFFER.size")
_NUMBER = re.compile(r"\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*")


class RoutingSetting(NamedTuple):
    """`--set routing=...`: the kind, its parameter (0 where it takes none) and the seed
    written after it (None: keep the workload's)."""

    kind: str
    param: float
    seed: int | None


class HardwareSetting(NamedTuple):
    """`--set hw.PATH=VALUE`: the figure's path (`('link', 'bandwidth')`, `('AIC', 'rate')`)
    and its value in the language's base units (whole numbers for counts, times and sizes)."""

    path: tuple[str, ...]
    value: float | int


@dataclass(frozen=True, slots=True)
class Settings:
    """Typed `--set` overrides, in the order first given (a repeated key: the last value)."""

    fields: tuple[tuple[str, int | str], ...] = ()   # workload fields: ("devices", 64), ...
    routing: RoutingSetting | None = None
    seed: int | None = None                          # --set seed=N; wins over routing's own
    hardware: tuple[HardwareSetting, ...] = ()       # --set hw.PATH=VALUE

    def __bool__(self) -> bool:
        return (bool(self.fields) or self.routing is not None or self.seed is not None
                or bool(self.hardware))

    @property
    def workload(self) -> bool:
        """True if some setting changes a workload (not only hardware figures)."""
        return bool(self.fields) or self.routing is not None or self.seed is not None


def _routing_forms() -> str:
    forms = [f"'{k}'" if p is None else f"'{k} {p}'" for k, p in ROUTING_KINDS.items()]
    return ", ".join(forms[:-1]) + " or " + forms[-1]


def parse_routing(text: str) -> RoutingSetting:
    """`balanced`, `zipf S` or `grouped G`, optionally followed by `seed N`.

    >>> parse_routing("grouped 8")
    RoutingSetting(kind='grouped', param=8.0, seed=None)
    """
    words = text.split()
    bad = UserError(f"--set routing='{text}': expected {_routing_forms()}, "
                    f"optionally followed by 'seed N'")
    seed = None
    if len(words) >= 2 and words[-2] == "seed":
        try:
            seed = int(words[-1])
        except ValueError:
            raise bad from None
        words = words[:-2]
    if not words or words[0] not in ROUTING_KINDS:
        raise bad
    if ROUTING_KINDS[words[0]] is None:
        if len(words) != 1:
            raise bad
        return RoutingSetting(words[0], 0.0, seed)
    if len(words) != 2:
        raise bad
    try:
        param = float(words[1])
    except ValueError:
        raise bad from None
    if not math.isfinite(param):   # 'inf', '1e400', 'nan': no routing can be drawn from them
        raise UserError(f"--set routing='{text}': {words[0]} {ROUTING_KINDS[words[0]]} must be "
                        f"a finite number, found '{words[1]}'")
    return RoutingSetting(words[0], param, seed)


def _split(items: Iterable[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise UserError(f"--set expects KEY=VALUE, got '{item}'")
        out[key.strip()] = value.strip()
    return out


def _whole(key: str, value: str) -> int:
    try:
        v = int(value)
    except ValueError:
        v = None
    if v is None or (v < 1 and key != "seed") or v < 0:
        what = "a whole number" if key == "seed" else "a positive whole number"
        raise UserError(f"--set {key}={value}: expected {what}, got '{value}'")
    return v


def check_key(key: str, where: str) -> None:
    """Refuse a key that is no setting and no hardware figure (`where`: the option as given)."""
    if key.startswith(HW):
        _figure_dimension(key, where)
    elif key not in SETTINGS:
        raise UserError(f"unknown setting '{key}' in {where}{did_you_mean(key, SETTINGS)}")


def _figure_dimension(key: str, where: str) -> str:
    path = tuple(key[len(HW):].split("."))
    dim = HW_FIGURES.get(path)
    if dim is None and all(path) and path[0] not in {p[0] for p in HW_FIGURES}:
        dim = HW_CORE_FIGURES.get((path[-1], len(path)))
    if dim is None:
        raise UserError(f"unknown hardware figure '{key}' in {where}"
                        + did_you_mean(key, HARDWARE_FORMS))
    return dim


def parse_figure(key: str, value: str) -> HardwareSetting:
    """`--set hw.PATH=VALUE`: the value in base units, its unit checked as the language does.

    >>> parse_figure("hw.link.bandwidth", "107 GB/s")
    HardwareSetting(path=('link', 'bandwidth'), value=107000000000.0)
    >>> parse_figure("hw.AIC.rate", "9 GB/s")
    Traceback (most recent call last):
    hpdsl.errors.UserError: error: --set hw.AIC.rate=9 GB/s: 'GB/s' is a bandwidth unit, but AIC rate takes a compute rate unit (valid: 'FLOPS', 'GFLOPS', 'GOPS', 'OPS', 'PFLOPS', 'POPS', 'TFLOPS', 'TOPS')
    """
    where = f"--set {key}={value}"
    dim = _figure_dimension(key, where)
    path = tuple(key[len(HW):].split("."))
    if dim == "count":
        return HardwareSetting(path, _whole(key, value))
    m = _NUMBER.fullmatch(value)
    if m is None:
        raise UserError(f"{where}: expected a number and a {DIMENSION_WORDS[dim]} unit, e.g. "
                        f"'{key}=2{UNIT_EXAMPLE[dim]}'")
    number, unit = m.groups()
    what = " ".join(path)
    problem = unit_problem(unit, dim, what, number)
    si = None if problem else to_si(float(number), unit, dim)
    problem = problem or value_problem(si, dim, what, f"{number} {unit}")
    if problem:
        raise UserError(f"{where}: {problem}")
    # as the language stores them: sizes truncated to bytes, times rounded to ns
    return HardwareSetting(path, int(si) if dim == "size" else round(si) if dim == "time" else si)


def parse_settings(items: Iterable[str]) -> Settings:
    """`KEY=VALUE` texts (as given to `--set`) as typed settings; UserError on a bad one."""
    fields: list[tuple[str, int | str]] = []
    hardware: list[HardwareSetting] = []
    routing, seed = None, None
    for key, value in _split(items).items():
        check_key(key, f"--set {key}={value}")
        if key.startswith(HW):
            hardware.append(parse_figure(key, value))
        elif key == "seed":
            seed = _whole(key, value)
        elif key in INT_SETTINGS:
            fields.append((key, _whole(key, value)))
        elif key == "placement":
            fields.append((key, value))   # checked with the workload, naming --set
        elif key == "dtype":
            if value not in DTYPE_BYTES:
                raise UserError(f"--set dtype={value}: unknown dtype '{value}'"
                                f"{did_you_mean(value, DTYPE_BYTES)}")
            fields.append((key, value))
        else:
            routing = parse_routing(value)
    return Settings(tuple(fields), routing, seed, tuple(hardware))
