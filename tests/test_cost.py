"""Cost model: the documented worked example, levels, links, fixed times, latencies."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from hpdsl.cost import fastest_times, task_overhead_ns, task_times
from hpdsl.latency import edge_latency
from hpdsl.generate import generate
from hpdsl.lang import checked_target
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.spec import CoreType, Hardware, Link, Memory, Queue

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def deepseek():
    from hpdsl.lang import load
    g = generate(checked_target(load(str(EXAMPLES / "deepseek_moe.hpm")), "fine"))
    return g, Machine.of(g.hardware, g.devices), task_times(g, Machine.of(g.hardware, g.devices))


def first(g, op, **where):
    sel = g.op == g.ops.index(op)
    for k, v in where.items():
        sel &= getattr(g, k) == v
    return int(np.flatnonzero(sel)[0])


def test_worked_example_up_tile(deepseek):
    """docs/cost-model.md: one DeepSeek up-projection tile (128 x 256, K = 7168) on an A3 AIC."""
    g, m, t = deepseek
    u = first(g, "up")
    assert (g.rows[u], g.cols[u]) == (128, 256)
    flops = 2 * 128 * 256 * 7168
    nbytes = (128 * 7168 + 7168 * 256 + 128 * 256) * 2
    compute = flops / 15.16e12 * 1e9                 # 30 987 ns
    memory = nbytes / (4.9e12 / 24) * 1e9            # L2: 5.57 MB fits in 192 MiB / 24
    assert nbytes <= 192 * 2**20 / 24
    overhead = 1000 / 1.85e9 * 1e9                   # 1000 cycles at 1.85 GHz: 540.5 ns
    assert task_overhead_ns(g.hardware) == pytest.approx(overhead)
    assert t[u, 0] == math.ceil(max(compute, memory) + overhead) == 31528
    assert t[u, 1] == -1                              # AIV has no matmul queue


def test_sends_remote_by_link_local_by_memory(deepseek):
    g, m, t = deepseek
    remote = first(g, "dispatch", device=0, dst=1)
    local = first(g, "dispatch", device=0, dst=0)
    payload = 128 * 7168 * 2
    assert g.bytes_sent[remote] == g.bytes_sent[local] == payload
    ov = task_overhead_ns(g.hardware)
    # a remote put gets the whole link (the emulator shares it between concurrent puts);
    # reading the payload at the AIV's L2 share (102 GB/s) is slower still
    assert t[remote, 1] == math.ceil(max(payload / 196e9, payload / (4.9e12 / 48)) * 1e9 + ov)
    # a local put reads and writes the payload in the device's memory (L2 share here)
    assert t[local, 1] == math.ceil(2 * payload / (4.9e12 / 48) * 1e9 + ov)
    assert t[remote, 0] == t[local, 0] == -1


def toy_graph(hw, flops, nbytes, kind="vector", dst=-1, device=0):
    n = len(flops)
    return TaskGraph.build(name="x", hardware=hw, devices=2, ops=("o",), kinds=(kind,),
                           cores=(tuple(c.name for c in hw.cores),),
                           op=np.zeros(n, np.int32), kind=np.zeros(n, np.int16),
                           device=np.full(n, device), src=[], dst_edges=[],
                           flops=np.array(flops, float), bytes_in=np.array(nbytes, float),
                           bytes_sent=np.array(nbytes, float) if dst >= 0 else None,
                           dst=np.full(n, dst) if dst >= 0 else None)


HW = Hardware("H", cores=(CoreType("V", 4, (Queue("v", ("vector", "send"), 1e12),)),
                          CoreType("S", 1, (Queue("s", ("vector",), 2e12),))),
              memory=Memory("HBM", 2**34, 1e12), cache=Memory("L2", 4 * 2**20, 4e12),
              link=Link("L", 1e10, 1000), sync_latency=100)


def test_l2_when_tile_fits_share_else_hbm():
    share = 2**20                                    # 4 MiB L2 over 4 V instances
    g = toy_graph(HW, [0, 0], [share, share + 1])
    t = task_times(g, Machine.of(HW))
    assert t[0, 0] == math.ceil(share / (4e12 / 4) * 1e9)
    assert t[1, 0] == math.ceil((share + 1) / (1e12 / 4) * 1e9)
    # one S instance has the whole L2 to itself
    assert t[1, 1] == math.ceil((share + 1) / 4e12 * 1e9)


def test_compute_bound_no_memory_and_clock_overhead():
    hw = Hardware("N", cores=(CoreType("V", 2, (Queue("v", ("vector",), 1e12),)),), clock=2e9)
    g = toy_graph(hw, [1e6, 0], [1e9, 1e9])
    t = task_times(g, Machine.of(hw))
    assert t[:, 0].tolist() == [1000 + 500, 500]     # 1000 cycles at 2 GHz


def test_queue_without_rate_charges_no_compute():
    hw = Hardware("R", cores=(CoreType("C", 1, (Queue("q", ("*",)),)),))
    g = toy_graph(hw, [1e12], [0], kind="vector")
    assert task_times(g, Machine.of(hw))[0, 0] == 0


def test_link_share_and_fixed_times():
    g = toy_graph(HW, [0], [1e6], kind="send", dst=1)
    t = task_times(g, Machine.of(HW, 2))
    assert t[0, 0] == math.ceil(1e6 / 1e10 * 1e9)      # whole link; reading at 1 TB/s / 4 is faster
    assert t[0, 1] == -1                             # S cannot send
    from hpdsl.lang import load
    d = generate(checked_target(load(str(EXAMPLES / "diamond.hpm")), None))
    td = task_times(d, Machine.of(d.hardware))
    best, core = fastest_times(d, Machine.of(d.hardware), td)
    assert best.tolist() == [2000, 5000, 3000, 4000, 1000]
    assert [d.hardware.cores[c].name for c in core] == ["CPU", "ACC", "CPU", "ACC", "CPU"]


def test_edge_latency(deepseek):
    g, m, _ = deepseek
    aic = [w.id for w in m.workers if w.device == 0 and w.core == "AIC"]
    aiv = [w.id for w in m.workers if w.device == 0 and w.core == "AIV"]
    far = [w.id for w in m.workers if w.device == 1 and w.core == "AIC"]
    up, act = first(g, "up"), first(g, "act")
    send = first(g, "dispatch", device=0, dst=0)
    assert edge_latency(g, m, up, act, aic[0], aic[0]) == 0
    assert edge_latency(g, m, up, act, aic[0], aiv[0]) == 2000
    assert edge_latency(g, m, up, act, aic[0], far[0]) == 3000
    assert edge_latency(g, m, send, up, aiv[0], aic[0]) == 3000


def test_compulsory_traffic_is_a_floor_at_the_hbm_share():
    """A fitting tile moves its bytes at its L2 share and its compulsory part at its HBM share."""
    n = 3
    g = TaskGraph.build(name="x", hardware=HW, devices=1, ops=("o",), kinds=("vector",),
                        cores=(("V",),), op=np.zeros(n, np.int32), kind=np.zeros(n, np.int16),
                        device=np.zeros(n), src=[], dst_edges=[],
                        bytes_in=np.full(n, 1e6), bytes_hbm=np.array([0.0, 1e5, 5e5]))
    t = task_times(g, Machine.of(HW))[:, 0]
    l2, hbm = 1e6 / (4e12 / 4) * 1e9, 1e9 / (1e12 / 4)   # ns per byte at the HBM share
    assert t.tolist() == [math.ceil(l2), math.ceil(max(l2, 1e5 * hbm)),
                          math.ceil(max(l2, 5e5 * hbm))]
    assert t[2] > t[1] == t[0]


def test_worked_example_up_tile_compulsory_part(deepseek):
    """docs/cost-model.md: the up tile's off-chip bytes, 16 devices (16 row blocks per expert)."""
    g, m, t = deepseek
    u = first(g, "up")
    weights = 7168 * 256 * 2 / 16
    assert g.bytes_hbm[u] == weights == 229376
    assert g.bytes_spill[u] == weights + 128 * 7168 * 2 / 16 + 128 * 256 * 2 == 409600
    assert g.bytes_hbm[u] / (1.6e12 / 24) * 1e9 < 31528 - 541   # still compute bound


def test_a_task_slower_than_an_hour_is_a_user_error():
    from hpdsl.errors import UserError

    # 1 kFLOPS: the int64 ns sums over a graph could overflow (1e-30 TFLOPS used to wrap
    # around and surface as a misleading 'no core type can run' error)
    hw = Hardware("Slow", cores=(CoreType("V", 2, (Queue("v", ("vector",), 1e3),)),))
    g = toy_graph(hw, [1e10, 1e3], [0, 0])
    with pytest.raises(UserError) as e:
        task_times(g, Machine.of(hw))
    assert str(e.value).endswith(
        f"error: task {g.label(0)} would take 1e+16 ns on core type 'V', above the limit of 1 hour "
        "(3.6e+12 ns); check the rates, bandwidths and clock of hardware 'Slow'")
