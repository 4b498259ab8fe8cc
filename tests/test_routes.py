"""Routes followed by the cost model, the placer's link timelines and the emulator's flows,
on a pod of two packages of two dies, by hand (hpdsl/topology.py)."""
from __future__ import annotations

import numpy as np

from hpdsl.emulator import emulate
from hpdsl.graph import TaskGraph
from hpdsl.lang import loads
from hpdsl.machine import Machine
from hpdsl.plan.lower import lower
from hpdsl.solvers import run
from hpdsl.solvers.context import Context
from hpdsl.spec import CoreType, Hardware, Queue
from hpdsl.topology import peer_bytes, routes
from pod_spec import POD


def _sends(hw, pairs, nbytes=1000.0):
    """Independent sends of one op, `pairs[i] = (src, dst)`, `nbytes` each."""
    n = len(pairs)
    g = TaskGraph.build(name="s", hardware=hw, devices=4, ops=("send",), kinds=("send",),
                        cores=(("V",),), op=np.zeros(n, np.int32), kind=np.zeros(n, np.int16),
                        device=[p[0] for p in pairs], src=[], dst_edges=[],
                        bytes_sent=np.full(n, nbytes), dst=[p[1] for p in pairs])
    return g, Machine.of(hw, 4)


def test_routes_by_hand():
    # 0->1 stays in the package: 1000 B on SIO at 2 B/ns = 500 ns. 0->2 twice crosses the
    # fabric: 1000 B on UB (1000 ns) and, on both fabric ports, 1000 B plus half of the
    # pair's 1 us per-peer cost (1000 ns x 0.5 B/ns / 2 sends = 250 B): 1250 B at
    # 0.5 B/ns = 2500 ns, the slowest resource of the route
    (hw,) = loads(POD).hardware
    g, m = _sends(hw, [(0, 1), (0, 2), (0, 2)])
    r = routes(g, hw, np.arange(3))
    assert r.package.tolist() == [True, False, False]
    assert r.link_bytes.tolist() == [1000, 1000, 1000]
    assert r.port_bytes.tolist() == [0, 1250, 1250] and peer_bytes(g, hw).tolist() == [0, 250, 250]
    ctx = Context.of(g, m)
    assert ctx.times[:, 0].tolist() == [500, 2500, 2500]
    assert ctx.route_ns == [((2, 500), (9, 500)),
                            ((0, 1000), (13, 1000), (4, 2500), (17, 2500)),
                            ((0, 1000), (13, 1000), (4, 2500), (17, 2500))]
    # the placer: the package send runs beside the first fabric send; the two fabric sends
    # take device 0's fabric port one after another
    s = run("heft", g, m)
    assert sorted(s.start.tolist()) == [0, 0, 2500] and s.makespan == 5000
    # the emulator: the two fabric sends share the port, each at half its rate (5000 ns)
    res = emulate(g, m, lower(g, m, s))
    assert res.makespan == 5000 and not res.errors
    assert res.end.tolist() == [500, 5000, 5000]


def test_a_per_peer_cost_grows_with_the_peers():
    # one die sends 1200 B in 12 sends to P peers beyond its package: the port holds
    # 1200 B / 0.5 B/ns + P x 1000 ns
    hw = Hardware("H", (CoreType("V", 12, (Queue("v", ("send",)),)),),
                  link=loads(POD).hardware[0].link, fabric=loads(POD).hardware[0].fabric)
    for peers, want in ((1, 3400), (3, 5400)):
        pairs = [(0, 1 + i % peers) for i in range(12)]
        g, m = _sends(hw, pairs, 100.0)
        s = run("serial", g, m)
        assert emulate(g, m, lower(g, m, s)).makespan == want
