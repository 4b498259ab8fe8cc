"""The shared placer's link timelines and the rank-aware (RATR) send order."""
from __future__ import annotations

import numpy as np

from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.solvers import run
from hpdsl.solvers.context import Context
from hpdsl.solvers.placer import Placer
from hpdsl.spec import CoreType, Hardware, Link, Queue

HW = Hardware("H", cores=(CoreType("V", 4, (Queue("v", ("send",)),)),),
              link=Link("L", 1e9, 0), sync_latency=0)   # 1 byte per ns


def sends(routes, nbytes=1000.0, devices=3):
    """Independent sends `routes[i] = (src, dst)`, 1000 ns of link time each."""
    n = len(routes)
    g = TaskGraph.build(name="s", hardware=HW, devices=devices, ops=("send",), kinds=("send",),
                        cores=(("V",),), op=np.zeros(n, np.int32), kind=np.zeros(n, np.int16),
                        device=[r[0] for r in routes], src=[], dst_edges=[],
                        bytes_sent=np.full(n, nbytes), dst=[r[1] for r in routes])
    return Context.of(g, Machine.of(HW, devices))


def starts(ctx):
    p = Placer(ctx)
    for t in range(ctx.n):
        p.place(t, 0)
    return p.arrays()[1].tolist()


def test_link_time_is_bytes_over_bandwidth_for_remote_sends_only():
    ctx = sends([(0, 1), (0, 0)])
    assert ctx.link_ns.tolist() == [1000, 0]
    assert ctx.times[:, 0].tolist() == [1000, 0]   # a local put moves no declared memory here


def test_sends_share_a_link_out_one_after_another():
    # four free workers on device 0, but one link out: the puts go one after another
    assert starts(sends([(0, 1), (0, 2), (0, 1)])) == [0, 1000, 2000]


def test_sends_share_a_link_in_one_after_another():
    assert starts(sends([(0, 2), (1, 2)])) == [0, 1000]


def test_disjoint_links_run_in_parallel_and_local_puts_need_no_link():
    assert starts(sends([(0, 1), (1, 2), (2, 0), (0, 0)])) == [0, 0, 0, 0]


def test_ratr_starts_every_device_at_a_different_destination():
    routes = [(s, d) for s in range(3) for d in range(3)]
    ctx = sends(routes)
    assert ctx.ratr.tolist() == [(d - s) % 3 for s, d in routes]
    # in RATR order, each round is a permutation: no destination receives twice at once
    order = np.lexsort((np.arange(ctx.n), ctx.ratr))
    for k in range(3):
        dsts = [routes[t][1] for t in order[3 * k:3 * k + 3]]
        assert sorted(dsts) == [0, 1, 2]


def test_collective_kernel_lasts_its_busiest_link():
    # serial: 6 puts of 1000 ns of link time; each device sends 2 and receives 2
    routes = [(s, d) for s in range(3) for d in range(3) if s != d]
    ctx = sends(routes)
    s = run("serial", ctx.graph, ctx.machine)
    assert s.makespan == 2000                      # RATR: both rounds are permutations
    h = run("heft", ctx.graph, ctx.machine)
    assert h.makespan == 2000
