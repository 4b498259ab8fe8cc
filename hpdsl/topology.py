"""Routes: which links, and which fabric ports, a send between two devices holds.

A hardware has at most one link per scope and an optional fabric (docs/language.md#topology):

    same device                        no link (a put to the sender's own buffer)
    same package, a package link       the package link: out at the sender, in at the receiver
    otherwise                          the fabric link (`link`) out and in, and, where a fabric
                                       is declared, the fabric port of each end as well

On a fabric port a send's bytes count at the fabric's bandwidth, plus its share of the
fabric's per-peer cost: each (op, sender, receiver) pair costs `per_peer` ns on the two
ports once, spread evenly over that pair's sends (as bytes at the fabric's bandwidth), so
a collective over P peers beyond the package spends P x per_peer on each port whatever
its size. One `link` and no fabric give today's single route (`link` out, `link` in).
The cost model, the placer's link timelines and the emulator's flows all call `routes`.

    >>> from hpdsl.spec import Fabric, Hardware, Link
    >>> hw = Hardware("H", (), link=Link("UB", 1e11, 0), package_dies=2,
    ...               package_link=Link("SIO", 2e11, 0, scope="package"),
    ...               fabric=Fabric("F", 5e10, 1000))
    >>> [channel(hw, 0, d) for d in (0, 1, 2)]
    [-1, 1, 0]
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from hpdsl.spec import Hardware

LINK, PACKAGE_LINK = 0, 1      # the channel of a send: the fabric link or the package link


def same_package(hw: Hardware, a, b):
    """Whether devices a and b (scalars or arrays) sit in one package."""
    dies = max(1, hw.package_dies)
    return np.floor_divide(a, dies) == np.floor_divide(b, dies)


def channel(hw: Hardware, src: int, dst: int) -> int:
    """The link a send from src to dst uses: LINK, PACKAGE_LINK, or -1 (none)."""
    if dst < 0 or dst == src:
        return -1
    if hw.package_link is not None and same_package(hw, src, dst):
        return PACKAGE_LINK
    return LINK if hw.link is not None else -1


class Routes(NamedTuple):
    """Per task (of the `task` indices given to `routes`): what its send moves."""

    package: np.ndarray      # bool: on the package link (else on the fabric link)
    link_bytes: np.ndarray   # float64: bytes on its link, out and in (0: no transfer)
    port_bytes: np.ndarray   # float64: bytes-equivalent on the two fabric ports (0: none)


def routes(graph, hw: Hardware, task: np.ndarray) -> Routes:
    """The routes of `task` (indices into `graph`), by the rules of this module."""
    task = np.asarray(task, dtype=np.int64)
    src, dst = graph.device[task], graph.dst[task]
    remote = (dst >= 0) & (dst != src)
    package = remote & same_package(hw, src, dst) if hw.package_link is not None else \
        np.zeros(len(task), bool)
    on_link = package | (remote & (hw.link is not None))
    link_bytes = np.where(on_link, graph.bytes_sent[task], 0.0)
    port = np.zeros(len(task))
    if hw.fabric is not None and hw.link is not None:
        cross = remote & ~package
        port = np.where(cross, graph.bytes_sent[task] + peer_bytes(graph, hw)[task], 0.0)
    return Routes(package, link_bytes, port)


def peer_bytes(graph, hw: Hardware) -> np.ndarray:
    """float64 per task of `graph`: its share of the fabric's per-peer cost, as bytes at
    the fabric's bandwidth (0 for a task that does not cross the fabric)."""
    out = np.zeros(graph.n_tasks)
    f = hw.fabric
    if f is None or not f.per_peer:
        return out
    cross = (graph.dst >= 0) & (graph.dst != graph.device)
    if hw.package_link is not None:
        cross &= ~same_package(hw, graph.device, graph.dst)
    t = np.flatnonzero(cross)
    if not len(t):
        return out
    n = max(1, int(graph.device.max()) + 1, int(graph.dst.max()) + 1)
    pair = (graph.op[t].astype(np.int64) * n + graph.device[t]) * n + graph.dst[t]
    _, inverse, count = np.unique(pair, return_inverse=True, return_counts=True)
    out[t] = f.per_peer * f.bandwidth / 1e9 / count[inverse]
    return out


def send_ns(graph, hw: Hardware, task: np.ndarray) -> np.ndarray:
    """float64 ns per task: its transfer alone on its route (the slowest resource of it).

    One link and no fabric: bytes / link bandwidth, as the single link always was."""
    r = routes(graph, hw, task)
    if hw.package_link is None and hw.fabric is None:
        return r.link_bytes / hw.link.bandwidth * 1e9 if hw.link is not None else r.link_bytes
    bw = np.where(r.package, hw.package_link.bandwidth if hw.package_link else 1.0,
                  hw.link.bandwidth if hw.link else 1.0)
    t = r.link_bytes / bw * 1e9
    if hw.fabric is not None:
        t = np.maximum(t, r.port_bytes / hw.fabric.bandwidth * 1e9)
    return t
