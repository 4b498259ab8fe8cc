"""Cost model: the documented worked example, levels, links, fixed times, latencies.

Expected times are worked out by hand from the hardware figures, which each test writes
out (the A3's are checked against examples/a3.hpm first): the arithmetic is in the
comments, the assertions compare the cost model with its result.
"""
from __future__ import annotations

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


def test_the_a3_figures_the_expectations_use(deepseek):
    hw = deepseek[0].hardware
    assert hw.clock == 1.85e9
    assert [(c.name, c.count, c.queues[0].rate) for c in hw.cores] == [("AIC", 24, 15.16e12),
                                                                       ("AIV", 48, 0.47e12)]
    assert (hw.cache.size, hw.cache.bandwidth) == (192 * 2**20, 4.9e12)
    assert (hw.memory.bandwidth, hw.link.bandwidth) == (1.6e12, 196e9)


def test_worked_example_up_tile(deepseek):
    """docs/cost-model.md: one DeepSeek up-projection tile (128 x 256, K = 7168) on an A3 AIC."""
    g, m, t = deepseek
    u = first(g, "up")
    assert (g.rows[u], g.cols[u]) == (128, 256)
    # work: 2 * 128 * 256 * 7168 = 469,762,048 FLOP; (128*7168 + 7168*256 + 128*256) * 2 B
    assert g.flops[u] == 469_762_048 and g.bytes_in[u] + g.bytes_out[u] == 5_570_560
    # compute   469,762,048 FLOP / 15.16 TFLOPS               = 30,986.9 ns  <- the largest
    # L2        5,570,560 B / (4.9 TB/s / 24 AICs)             = 27,284.4 ns  (5.57 MB fits
    #           the AIC's share of L2, 192 MiB / 24 = 8.39 MB)
    # HBM       229,376 B compulsory / (1.6 TB/s / 24 AICs)    =  3,440.6 ns
    # overhead  1000 cycles / 1.85 GHz                         =    540.5 ns
    # time      30,986.9 + 540.5 = 31,527.5                   -> 31,528 ns
    assert task_overhead_ns(g.hardware) == pytest.approx(540.54, abs=0.01)
    assert t[u, 0] == 31_528
    assert t[u, 1] == -1                              # AIV has no matmul queue


def test_worked_example_swiglu_tile_is_memory_bound(deepseek):
    g, m, t = deepseek
    a = first(g, "act")
    assert (g.rows[a], g.cols[a]) == (128, 512)
    # reads gate and up (128 x 1024), writes 128 x 512, bf16: 262,144 + 131,072 = 393,216 B
    assert (g.bytes_in[a], g.bytes_out[a]) == (262_144, 131_072)
    # compute   327,680 FLOP / 0.47 TFLOPS                    =    697.2 ns
    # L2        393,216 B / (4.9 TB/s / 48 AIVs)               =  3,851.9 ns  <- the largest
    # time      3,851.9 + 540.5 = 4,392.5                     -> 4,393 ns
    assert g.flops[a] == 327_680
    assert t[a].tolist() == [-1, 4_393]               # AIC has no vector queue


def test_remote_send_reads_its_payload_local_send_reads_and_writes_it(deepseek):
    g, m, t = deepseek
    remote = first(g, "dispatch", device=0, dst=1)
    local = first(g, "dispatch", device=0, dst=0)
    # one 128-token chunk of hidden 7168, bf16: 128 * 7168 * 2 = 1,835,008 B
    assert g.bytes_sent[remote] == g.bytes_sent[local] == 1_835_008
    # remote: link       1,835,008 B / 196 GB/s (the whole link)       =  9,362.3 ns
    #         L2 read    1,835,008 B / (4.9 TB/s / 48 AIVs)            = 17,975.6 ns  <- largest
    #         HBM        229,376 B compulsory / (1.6 TB/s / 48 AIVs)   =  6,881.3 ns
    #         time       17,975.6 + 540.5 = 18,516.1                  -> 18,517 ns
    assert t[remote, 1] == 18_517
    # local:  L2 read and write  2 * 1,835,008 B / (4.9 TB/s / 48)     = 35,951.2 ns
    #         time       35,951.2 + 540.5 = 36,491.7                  -> 36,492 ns
    assert t[local, 1] == 36_492
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
    # HW: 4 V instances, 1 S; L2 4 MiB at 4 TB/s, HBM at 1 TB/s; no clock, so no overhead.
    # V's share of L2 is 4 MiB / 4 = 1 MiB = 1,048,576 B.
    g = toy_graph(HW, [0, 0], [2**20, 2**20 + 1])
    t = task_times(g, Machine.of(HW))
    # 1,048,576 B fit: at the L2 share 4 TB/s / 4         = 1,048.6 ns -> 1,049
    # 1,048,577 B do not: at the HBM share 1 TB/s / 4     = 4,194.3 ns -> 4,195
    assert t[:, 0].tolist() == [1_049, 4_195]
    # one S instance has the whole L2: 1,048,577 B / 4 TB/s = 262.1 ns -> 263 (both fit)
    assert t[:, 1].tolist() == [263, 263]


def test_compute_bound_no_memory_and_clock_overhead():
    hw = Hardware("N", cores=(CoreType("V", 2, (Queue("v", ("vector",), 1e12),)),), clock=2e9)
    g = toy_graph(hw, [1e6, 0], [1e9, 1e9])
    t = task_times(g, Machine.of(hw))
    # 1e6 FLOP / 1 TFLOPS = 1,000 ns; overhead 1000 cycles / 2 GHz = 500 ns; the bytes
    # cost nothing on hardware that declares no memory
    assert t[:, 0].tolist() == [1_500, 500]


def test_queue_without_rate_charges_no_compute():
    hw = Hardware("R", cores=(CoreType("C", 1, (Queue("q", ("*",)),)),))
    g = toy_graph(hw, [1e12], [0], kind="vector")
    assert task_times(g, Machine.of(hw))[0, 0] == 0


def test_link_share_and_fixed_times():
    g = toy_graph(HW, [0], [1e6], kind="send", dst=1)
    t = task_times(g, Machine.of(HW, 2))
    # the whole link: 1e6 B / 10 GB/s = 100,000 ns; reading the payload at V's L2 share
    # (4 TB/s / 4) takes only 1,000 ns
    assert t[0, 0] == 100_000
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
    # L2: 1e6 B / (4 TB/s / 4) = 1,000 ns; compulsory at the HBM share 1 TB/s / 4 = 250 GB/s:
    # 0 B -> 0 ns, 1e5 B -> 400 ns (below the L2 time), 5e5 B -> 2,000 ns (the floor)
    assert t.tolist() == [1_000, 1_000, 2_000]


def test_worked_example_up_tile_compulsory_part(deepseek):
    """docs/cost-model.md: the up tile's estimated off-chip bytes, 16 devices (16 row blocks
    per expert)."""
    g, m, t = deepseek
    u = first(g, "up")
    # weights 7168 x 256 bf16 once per expert, over its 16 row blocks: 3,670,016 / 16
    assert g.bytes_hbm[u] == 229_376


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
