"""Workload overrides from the command line: `--set KEY=VALUE` text to a `Settings` value.

`parse_settings` reads and types every value (a mistake is a `UserError` naming the
`--set` it came from); `apply_settings` returns a workload with them applied. Whether the
overridden workload makes sense as a whole (experts divisible by devices, a routing
that fits topk) is the language's workload check, run on the result by
`hpdsl.lang.checked_target`.

>>> s = parse_settings(["devices=4", "routing=zipf 1.2 seed 3"])
>>> s.fields, s.routing
((('devices', 4),), RoutingSetting(kind='zipf', param=1.2, seed=3))
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, NamedTuple

from hpdsl.errors import UserError, did_you_mean
from hpdsl.routing import KINDS as ROUTING_KINDS
from hpdsl.spec import Routing, Workload
from hpdsl.units import DTYPE_BYTES

INT_SETTINGS = ("devices", "tokens", "hidden", "experts", "topk", "expert_ffn", "seed")
SETTINGS = INT_SETTINGS + ("dtype", "routing")


class RoutingSetting(NamedTuple):
    """`--set routing=...`: the kind, its parameter (0 where it takes none) and the seed
    written after it (None: keep the workload's)."""

    kind: str
    param: float
    seed: int | None


@dataclass(frozen=True, slots=True)
class Settings:
    """Typed `--set` overrides, in the order first given (a repeated key: the last value)."""

    fields: tuple[tuple[str, int | str], ...] = ()   # workload fields: ("devices", 64), ...
    routing: RoutingSetting | None = None
    seed: int | None = None                          # --set seed=N; wins over routing's own

    def __bool__(self) -> bool:
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


def parse_settings(items: Iterable[str]) -> Settings:
    """`KEY=VALUE` texts (as given to `--set`) as typed settings; UserError on a bad one."""
    fields: list[tuple[str, int | str]] = []
    routing, seed = None, None
    for key, value in _split(items).items():
        if key not in SETTINGS:
            raise UserError(f"unknown setting '{key}' in --set {key}={value}"
                            f"{did_you_mean(key, SETTINGS)}")
        if key == "seed":
            seed = _whole(key, value)
        elif key in INT_SETTINGS:
            fields.append((key, _whole(key, value)))
        elif key == "dtype":
            if value not in DTYPE_BYTES:
                raise UserError(f"--set dtype={value}: unknown dtype '{value}'"
                                f"{did_you_mean(value, DTYPE_BYTES)}")
            fields.append((key, value))
        else:
            routing = parse_routing(value)
    return Settings(tuple(fields), routing, seed)


def apply_settings(w: Workload, settings: Settings) -> Workload:
    """`w` with `settings` applied (not checked as a whole: see the module docstring)."""
    changes: dict = {}
    for key, value in settings.fields:
        changes[key] = value
        if key == "dtype":
            changes["dtype_bytes"] = DTYPE_BYTES[value]
    old, r = w.routing, settings.routing
    kind, param = (old.kind, old.param) if r is None else (r.kind, r.param)
    seed = next(s for s in (settings.seed, r and r.seed, old.seed) if s is not None)
    routing = Routing(kind, param, seed, old.loc)
    if routing != old:
        changes["routing"] = routing
    return w.with_settings(**changes) if changes else w
