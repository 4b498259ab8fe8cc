"""Bandwidth sharing rules: proportional (`Fluid`) and max-min (`MaxMin`), hand-computed
examples per rule and properties of the max-min rates."""
from __future__ import annotations

import heapq

import pytest
from hypothesis import given, settings, strategies as st

from hpdsl.emulator.demand import fluid_for
from hpdsl.emulator.fluid import Fluid
from hpdsl.emulator.maxmin import MaxMin
from hpdsl.machine import Machine
from plan_cases import hardware

RULES = {"proportional": Fluid, "max-min": MaxMin}


def run(rule, flows, caps, watch=None):
    """Finish time per flow; flows are (start, work, ((resource, demand), ...)); `watch`
    is called after every add and end with the fluid and the active flows."""
    f = RULES[rule](caps)
    heap, out, active = [], [None] * len(flows), set()
    for k, (s, _, _) in enumerate(flows):
        heapq.heappush(heap, (s, 0, k))
    while heap:
        t, kind, a = heapq.heappop(heap)
        if kind == 0:
            res = tuple(r for r, _ in flows[a][2])
            entries = f.add(a, t, flows[a][1], f.group(res), flows[a][2])
            active.add(a)
        else:
            i, entries = f.check(a, t)
            if i >= 0:
                out[i] = t
                active.discard(i)
        for when, g in entries:
            heapq.heappush(heap, (when, 1, g))
        if watch is not None:
            watch(f, {k: flows[k] for k in active})
    return out


# resources: 0 = device 0's link out, 1 = device 1's link in, 2 = device 4's link in,
# 3 and 4 = devices 2's and 3's links out; every link 1 byte per ns, every send able to
# fill one (demand 1) and 1000 ns long alone
ISSUE = [(0, 1000, ((0, 1.0), (1, 1.0))), (0, 1000, ((3, 1.0), (1, 1.0))),
         (0, 1000, ((4, 1.0), (1, 1.0))), (0, 1000, ((0, 1.0), (2, 1.0)))]


def test_proportional_gives_the_issue_example_half_of_the_shared_link():
    # 1's link in: three sends, each scaled by 1/3; 0's link out: two, scaled by 1/2.
    # 0->4 runs at 1/2 (ends at 2000) though 0->1 uses only 1/3 of 0's link out; the
    # three sends into 1 run at 1/3 throughout: 3000
    assert run("proportional", ISSUE, [1.0] * 5) == [3000, 3000, 3000, 2000]


def test_max_min_gives_the_issue_example_two_thirds():
    # filling: 1's link in is full at 1/3; 0->4 rises on to 2/3, where 0's link out is
    # full (1/3 + 2/3): 1000 / (2/3) = 1500 ns. Then the sends into 1 keep 1/3: 3000
    assert run("max-min", ISSUE, [1.0] * 5) == [3000, 3000, 3000, 1500]


def test_both_rules_agree_on_one_resource():
    # two flows on a capacity-1 resource, demands 1 and 3 (total 4): both at 1/4, the
    # first (work 100) ends at 400; the second (work 300) has 200 left, alone at 1/3:
    # 400 + 600
    flows = [(0, 100, ((0, 1.0),)), (0, 300, ((0, 3.0),))]
    for rule in RULES:
        assert run(rule, flows, [1.0]) == [400, 1000], rule


def test_a_flow_limited_elsewhere_leaves_memory_to_the_others():
    # A reads memory (resource 0, capacity 4) at 4 alone; B sends over a link (resource 1,
    # capacity 1) at demand 4 and reads memory at 4. Proportional: memory scale 1/2, so A
    # runs at 1/2 although B, limited to 1/4 by its link, uses only 1 of memory: A ends at
    # 2000 (B: 4000). Max-min: B is fixed at 1/4 by the link; A rises to 3/4, where memory
    # is full (3 + 1): 1000 / (3/4) = 1334 (rounded up); B still 4000
    flows = [(0, 1000, ((0, 4.0),)), (0, 1000, ((0, 4.0), (1, 4.0)))]
    assert run("proportional", flows, [4.0, 1.0]) == [2000, 4000]
    assert run("max-min", flows, [4.0, 1.0]) == [1334, 4000]


def test_max_min_on_resources_with_room_runs_everyone_at_full_speed():
    flows = [(0, 100, ((0, 1.0), (1, 1.0))), (50, 100, ((1, 1.0), (2, 1.0)))]
    assert run("max-min", flows, [1.0, 2.0, 1.0]) == [100, 150]


def test_an_unknown_sharing_rule_is_refused_by_name():
    from hpdsl.emulator import EmulatorOptions, emulate
    from hpdsl.plan import lower
    from plan_cases import explicit, list_schedule
    msg = "unknown bandwidth sharing rule 'fair': expected one of proportional, max-min"
    with pytest.raises(ValueError, match=msg):
        fluid_for(Machine.of(hardware()), "fair")
    hw = hardware(cores=(("C", 1),))
    g = explicit(hw, [5], [], ["C"])
    m = Machine.of(hw)
    p = lower(g, m, list_schedule(g, m))
    with pytest.raises(ValueError, match=msg):       # also when nothing is shared
        emulate(g, m, p, EmulatorOptions(contention=False, sharing="fair"))


@st.composite
def flow_sets(draw):
    n_res = draw(st.integers(1, 5))
    caps = [float(draw(st.integers(1, 4))) for _ in range(n_res)]
    flows = []
    for _ in range(draw(st.integers(1, 12))):
        res = draw(st.lists(st.integers(0, n_res - 1), min_size=1, max_size=3, unique=True))
        flows.append((draw(st.integers(0, 200)), draw(st.integers(1, 300)),
                      tuple((r, float(draw(st.integers(1, 4)))) for r in sorted(res))))
    return flows, caps


def usage(f, active, caps):
    """Per resource, the bytes per ns the active flows move at their group's rate."""
    use = [0.0] * len(caps)
    for _, _, dem in active.values():
        x = f.grate[f.group(tuple(r for r, _ in dem))]
        for r, d in dem:
            use[r] += x * d
    return use


@settings(max_examples=200, deadline=None)
@given(flow_sets(), st.sampled_from(sorted(RULES)))
def test_no_resource_is_ever_over_capacity(case, rule):
    flows, caps = case

    def watch(f, active):
        use = usage(f, active, caps)
        assert all(u <= c * (1 + 1e-9) for u, c in zip(use, caps)), (use, caps)
    run(rule, flows, caps, watch)


@settings(max_examples=200, deadline=None)
@given(flow_sets())
def test_under_max_min_every_flow_has_a_bottleneck(case):
    # max-min: each flow runs at full speed, or on a full resource where no flow is faster
    flows, caps = case

    def watch(f, active):
        use = usage(f, active, caps)
        rate = {k: f.grate[f.group(tuple(r for r, _ in dem))] for k, (_, _, dem) in active.items()}
        for k, (_, _, dem) in active.items():
            if rate[k] >= 1 - 1e-12:
                continue
            assert any(use[r] >= caps[r] * (1 - 1e-9) and
                       all(rate[j] <= rate[k] * (1 + 1e-9) for j, (_, _, d2) in active.items()
                           if r in dict(d2))
                       for r, _ in dem), (k, rate, use, caps)
    run("max-min", flows, caps, watch)


def test_emulate_takes_the_sharing_rule_from_its_options():
    # the issue's example as a plan: sends 0->1, 2->1, 3->1 and 0->4 of 1 MB each on
    # 1000 B/ns links (1000 ns alone), all started at 0 (device 0 runs two at once)
    import numpy as np

    from hpdsl.cost import task_times
    from hpdsl.emulator import EmulatorOptions, emulate
    from hpdsl.graph import TaskGraph
    from hpdsl.plan import lower
    from hpdsl.schedule import Schedule
    from hpdsl.spec import CoreType, Hardware, Link, Queue
    hw = Hardware("H", cores=(CoreType("B", 2, (Queue("b", ("send",), 1e12),)),),
                  link=Link("L", 1e12, 0), sync_latency=0)
    src, dst = [0, 2, 3, 0], [1, 1, 1, 4]
    g = TaskGraph.build(name="x", hardware=hw, devices=5, ops=("put",), kinds=("send",),
                        cores=(("B",),), op=np.zeros(4, np.int32), kind=np.zeros(4, np.int16),
                        device=np.array(src), src=[], dst_edges=[],
                        bytes_in=np.zeros(4), bytes_sent=np.full(4, 1e6), dst=np.array(dst))
    m = Machine.of(hw, 5)
    d = task_times(g, m).max(axis=1)
    assert d.tolist() == [1000] * 4
    on = {dev: [w for w in range(len(m.workers)) if m.worker_device[w] == dev] for dev in src}
    workers = [on[0][0], on[2][0], on[3][0], on[0][1]]
    p = lower(g, m, Schedule("m", "feasible", np.array(workers, np.int32),
                             np.zeros(4, np.int64), d))
    ends = {rule: emulate(g, m, p, EmulatorOptions(sharing=rule)).end.tolist() for rule in RULES}
    assert ends == {"proportional": [3000, 3000, 3000, 2000], "max-min": [3000, 3000, 3000, 1500]}
