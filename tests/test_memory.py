"""The memory models: the claim a task makes when it starts, what its end changes."""
from __future__ import annotations

from hpdsl.emulator.demand import Claim, Flow
from hpdsl.emulator.memory import Fixed, Live, Unshared, memory_model
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from plan_cases import hardware

FIT, SPILL = Claim(0, ((1, 2.0),)), Claim(1, ((0, 3.0), (1, 2.0)))


def chain(hw):
    """Task 0 (1500 bytes out) -> task 1 -> task 2, on one device; instruction k runs task k."""
    return TaskGraph.build(name="g", hardware=hw, devices=1, ops=("x",), kinds=("A",),
                           cores=(("A",),), op=[0] * 3, kind=[0] * 3, device=[0] * 3,
                           src=[0, 1], dst_edges=[1, 2], fixed_ns=[1, 1, 1],
                           bytes_out=[1500.0, 10.0, 0.0])


def test_live_data_over_the_l2_size_spills_until_its_last_consumer_ends():
    hw = hardware(cores=(("A", 1),), mem_bw=1e9, cache=(1000, 4e9))
    g, m = chain(hw), Machine.of(hw)
    flows = [Flow(0, FIT, SPILL)] * 3
    live = memory_model(g, m, flows, [0, 1, 2], l2=True)
    assert isinstance(live, Live)
    assert live.starts(0) is FIT
    live.ends(0)                     # 1500 live bytes > 1000: the consumer spills
    assert live.starts(1) is SPILL and live.bytes == [1500.0]
    live.ends(1)                     # task 0's output dies, task 1's 10 bytes live
    assert live.starts(2) is FIT and live.bytes == [10.0]


def test_without_l2_reuse_every_task_spills_and_without_flows_none_claims():
    hw = hardware(cores=(("A", 1),), mem_bw=1e9, cache=(1000, 4e9))
    g, m = chain(hw), Machine.of(hw)
    flows = [Flow(0, FIT, SPILL), None, Flow(0, FIT, None)]
    off = memory_model(g, m, flows, [0, 1, 2], l2=False)
    assert isinstance(off, Fixed)
    assert [off.starts(i) for i in range(3)] == [SPILL, None, None]
    assert isinstance(memory_model(g, m, None, [0, 1, 2], l2=True), Unshared)
    assert Unshared().starts(0) is None
