"""What each executed task asks of the shared resources (memory levels and links).

The emulator's contention model (`fluid.py`) shares bandwidth between these demands;
this module turns a task's traffic into them, the way `hpdsl.cost` turns work into time.

A running task demands, in bytes per ns at its uncontended speed: its device's L2 for
every byte it reads and writes (L2 sits in front of HBM: all traffic passes it), its
device's HBM for the bytes that miss in L2, and for a send to another device the
sender's link injection and the receiver's link ejection. How many bytes miss is the
memory model's call when the task starts (`memory.py`, from the L2 cache model of
`cache.py`). Where the graph names no data blocks (hand-built graphs) nothing is known
to be reused: `flows` charges every byte to HBM too.

`claim` is the one place a set of demands becomes a `Claim` on `Fluid` (a group of the
resources with a positive demand, and the demands); L2 write-backs use it as well.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from hpdsl.emulator.fluid import Fluid
from hpdsl.emulator.maxmin import MaxMin
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.plan import Plan
from hpdsl.topology import routes

# resources per device, index = device * stride + kind; a hardware with a package link
# or a fabric adds PACKAGE_OUT/IN and then PORT_OUT/IN (the stride is 4, 6 or 8: `Layout`)
HBM, L2, LINK_OUT, LINK_IN = 0, 1, 2, 3
SHARING = ("proportional", "max-min")     # bandwidth sharing rules (docs/emulator.md)


class Layout(NamedTuple):
    """Where each device's resources sit in a `Fluid` (offsets None where absent)."""

    stride: int
    package: int | None     # PACKAGE_OUT; PACKAGE_IN is the next one
    port: int | None        # PORT_OUT; PORT_IN is the next one
    package_dies: int

    @staticmethod
    def of(hw) -> "Layout":
        package = 4 if hw.package_link is not None else None
        port = (6 if package else 4) if hw.fabric is not None else None
        return Layout(4 + 2 * (package is not None) + 2 * (port is not None), package, port,
                      max(1, hw.package_dies))


class Claim(NamedTuple):
    """What a running task asks of `Fluid`: its group (the resources it is on) and its
    demands, ((resource, bytes per ns at uncontended speed), ...), each positive."""

    group: int
    demands: tuple[tuple[int, float], ...]


class Flow(NamedTuple):
    """An exec instruction's claim without a cache model (None: it moves no data and takes
    its cost-model time whatever the other tasks do)."""

    device: int
    claim: Claim | None


class Claims:
    """Builds claims on one `Fluid`, a group per distinct set of resources."""

    __slots__ = ("fluid", "groups", "layout")

    def __init__(self, fluid: Fluid, layout: Layout = Layout(4, None, None, 1)):
        self.fluid, self.groups, self.layout = fluid, {}, layout

    def claim(self, d: int, dst: int, l2: float, hbm: float, link: float,
              port: float = 0.0) -> Claim | None:
        """The claim of a task on device d (a send to dst) moving l2, hbm and link bytes per
        ns, and `port` on the fabric ports (`hpdsl.topology.routes`: a send in one package
        takes the package link where there is one). A resource is in the group only where
        the demand is > 0, or the task would be slowed by a resource it does not use."""
        lay = self.layout
        m, r = d * lay.stride, dst * lay.stride
        dm = ((m + L2, l2),) if l2 > 0 else ()
        if hbm > 0:
            dm += ((m + HBM, hbm),)
        if link > 0:
            k = LINK_OUT
            if lay.package is not None and d // lay.package_dies == dst // lay.package_dies:
                k = lay.package
            dm += ((m + k, link), (r + k + 1, link))
        if port > 0:
            dm += ((m + lay.port, port), (r + lay.port + 1, port))
        if not dm:
            return None
        res = tuple(r for r, _ in dm)
        g = self.groups.get(res)
        if g is None:
            g = self.groups[res] = self.fluid.group(res)
        return Claim(g, dm)


def check_sharing(sharing: str) -> None:
    """Refuse a bandwidth sharing rule that is not one of `SHARING`."""
    if sharing not in SHARING:
        raise ValueError(f"unknown bandwidth sharing rule {sharing!r}: expected one of "
                         f"{', '.join(SHARING)}")


def fluid_for(machine: Machine, sharing: str = "proportional") -> Fluid:
    """A `Fluid` (or, for `sharing` "max-min", a `MaxMin`) over every device's HBM, L2,
    link injection and link ejection (and the package link's and fabric port's, where
    declared: `Layout`), in bytes per ns (1 where the hardware lacks the level: no demand
    is ever put on it)."""
    check_sharing(sharing)
    hw = machine.hardware

    def gb(level) -> float:
        return level.bandwidth / 1e9 if level is not None else 1.0

    # links are the first stage: a send's memory demand counts at its link-bound rate
    cap, first = [gb(hw.memory), gb(hw.cache), gb(hw.link), gb(hw.link)], [False, False, True, True]
    for part in (hw.package_link, hw.fabric):
        if part is not None:
            cap += [gb(part)] * 2
            first += [True, True]
    # (max-min has no stages: it fills every resource at once)
    return (MaxMin if sharing == "max-min" else Fluid)(cap * machine.devices,
                                                        first * machine.devices)


def claims_for(fluid: Fluid, machine: Machine) -> Claims:
    """`Claims` on `fluid` (from `fluid_for(machine)`) with the machine's layout."""
    return Claims(fluid, Layout.of(machine.hardware))


def remote_bytes(graph: TaskGraph, machine: Machine, task: np.ndarray) -> np.ndarray:
    """Per task, the bytes it sends over its link (0 for a put to its own device)."""
    return routes(graph, machine.hardware, task).link_bytes


def port_bytes(graph: TaskGraph, machine: Machine, task: np.ndarray) -> np.ndarray:
    """Per task, the bytes-equivalent it puts on the fabric ports (`topology.routes`)."""
    return routes(graph, machine.hardware, task).port_bytes


def flows(graph: TaskGraph, machine: Machine, plan: Plan, dur: np.ndarray, ex: np.ndarray,
          fluid: Fluid) -> list[Flow | None] | None:
    """Per instruction its `Flow` without a cache model (None for every other instruction),
    or None when no task moves data: all its bytes on L2 and on HBM, where the hardware
    has them, and its remote bytes on the links."""
    hw = machine.hardware
    t = plan.arg[ex]
    d = np.maximum(dur[ex], 1).astype(np.float64)
    nbytes = (graph.bytes_in[t] + graph.bytes_out[t]) / d
    l2 = nbytes if hw.cache is not None else np.zeros(len(ex))
    hbm = nbytes if hw.memory is not None else np.zeros(len(ex))
    r = routes(graph, hw, t)
    link, port = r.link_bytes / d, r.port_bytes / d
    moving = (l2 > 0) | (hbm > 0) | (link > 0)
    if not np.any(moving):
        return None
    out: list[Flow | None] = [None] * len(plan.code)
    claims = claims_for(fluid, machine)
    made: dict[tuple, Flow] = {}     # tiles of one op on one device mostly ask the same
    task = t[moving]
    keys = zip(graph.device[task].tolist(), graph.dst[task].tolist(), l2[moving].tolist(),
               hbm[moving].tolist(), link[moving].tolist(), port[moving].tolist())
    for i, key in zip(ex[moving].tolist(), keys):
        f = made.get(key)
        if f is None:
            f = made[key] = Flow(key[0], claims.claim(*key))
        out[i] = f
    return out
