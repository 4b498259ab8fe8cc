"""The static plan checker: dependencies kept, and flags shared soundly."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from hpdsl.emulator import emulate
from hpdsl.machine import Machine
from hpdsl.plan import BARRIER, EXEC, SIGNAL, WAIT, Plan, check_plan, check_sharing, lower
from plan_cases import explicit, hardware, one_queue_fanin, relay, two_queue_fanin


def test_check_plan_finds_a_removed_wait():
    hw, g, m, s = one_queue_fanin()
    p = lower(g, m, s)
    g = replace(g, task_names=("a", "b", "c"))
    keep = np.flatnonzero(p.code != WAIT)
    broken = replace(p, ptr=np.array([0, 4, 5]), code=p.code[keep], arg=p.arg[keep], count=p.count[keep])
    msgs = check_plan(broken, g, m)
    assert len(msgs) == 2 and all("has no signal after it that the consumer's queue waits for" in x for x in msgs)
    assert msgs[0] == ("dependency a (task 0, 'd0.C0.q') -> c (task 2, 'd0.C1.q') is not kept: "
                       "the plan has no signal after it that the consumer's queue waits for")


def test_check_plan_count_too_low_is_caught():
    hw, g, m, s = one_queue_fanin()
    p = lower(g, m, s)
    cnt = p.count.copy()
    cnt[p.code == WAIT] = 1          # covers a, but not b
    msgs = check_plan(replace(p, count=cnt), g, m)
    assert len(msgs) == 1 and "task 1" in msgs[0]


def test_check_plan_wrong_order_on_one_queue():
    hw = hardware(cores=(("C", 1),))
    g = explicit(hw, [1, 1], [(0, 1)], ["C", "C"])
    m = Machine.of(hw)
    p = Plan(queues=("d0.C0.q",), ptr=np.array([0, 2]), code=np.array([EXEC, EXEC]),
             arg=np.array([1, 0]), count=np.zeros(2), event_names=(), event_device=np.zeros(0),
             event_flag=np.zeros(0))
    assert "executes it after the task that needs it" in check_plan(p, g, m)[0]


def test_check_plan_counts_executions_and_barriers():
    hw = hardware(cores=(("C", 1), ("D", 1)))
    g = replace(explicit(hw, [1, 1], [(0, 1)], ["C", "C"]), task_names=("a", "b"))
    m = Machine.of(hw)
    twice = Plan(queues=("d0.C0.q", "d0.D0.q"), ptr=np.array([0, 3, 3]),
                 code=np.array([EXEC, EXEC, EXEC]), arg=np.array([0, 0, 1]), count=np.zeros(3),
                 event_names=(), event_device=np.zeros(0), event_flag=np.zeros(0))
    assert check_plan(twice, g, m) == ["task 0 (a) is executed 2 times, not once"]
    wrong = replace(twice, ptr=np.array([0, 1, 3]), code=np.array([EXEC, BARRIER, EXEC]),
                    arg=np.array([0, 1, 1]))
    assert check_plan(wrong, g, m) == [
        "task 1 (b) is on 'd0.D0.q', which cannot run it",
        "queue 'd0.D0.q' has 1 barriers, queue 'd0.C0.q' has 0; every queue must reach every "
        "barrier"]


def test_check_plan_rejects_a_wrong_base_and_unordered_sharing():
    hw, g, m, s = relay()
    p = lower(g, m, s, share_flags=True)
    assert check_plan(replace(p, event_base=np.array([0, 2])), g, m) == [
        "event 'd0.C1.q>d0' on flag 0 of device 0 counts from 2, not from 1 (the signals of "
        "the events before it on that flag)"]
    hw, g, m, s = two_queue_fanin()
    p = lower(g, m, s)
    bad = replace(p, event_flag=np.array([0, 0]), event_base=np.array([0, 1]))
    assert check_plan(bad, g, m) == [
        "events 'd0.C0.q>d0' and 'd0.C1.q>d0' share flag 0 of device 0, but nothing in the "
        "plan makes every signal of the first arrive before the first signal of the second"]
    # the emulator sees b's signal (at 8 ns) arrive before a's (15 ns)
    assert [f.kind for f in emulate(g, m, bad).findings] == ["flag-clash"]


def test_check_sharing_needs_one_producer_per_shared_event():
    hw, g, m, s = two_queue_fanin()
    p = lower(g, m, s)
    # both producers signal event 0, which shares its flag with event 1
    arg = np.where(p.code == SIGNAL, 0, p.arg)
    cnt = np.where(p.code == WAIT, 1, p.count)
    bad = replace(p, arg=arg, count=cnt, event_flag=np.array([0, 0]), event_base=np.array([0, 2]))
    assert check_sharing(bad, g, m) == [
        "event 'd0.C0.q>d0' shares flag 0 of device 0 but is signalled by several queues"]


def test_an_event_linking_thousands_of_queues_is_refused_not_checked_out_of_memory(monkeypatch):
    # one event signalled by 5000 queues and waited for by 5000: 25M rows and 1.1 GB (10000 x
    # 10000 would be 4 GB); lowering makes about one event per pair of queues
    import pytest

    import hpdsl.plan.check as check
    from hpdsl.errors import UserError

    n = 3
    hw = hardware(cores=(("C", 2 * n),))
    g = explicit(hw, [1] * 2 * n, [(i, n + i) for i in range(n)], ["C"] * 2 * n)
    m = Machine.of(hw)
    streams = [[(EXEC, i, 0), (SIGNAL, 0, i + 1)] for i in range(n)]
    streams += [[(WAIT, 0, n), (EXEC, n + i, 0)] for i in range(n)]
    rows = [r for s in streams for r in s]
    p = Plan(queues=tuple(w.name for w in m.workers), ptr=np.r_[0, np.cumsum([len(s) for s in streams])],
             code=[r[0] for r in rows], arg=[r[1] for r in rows], count=[r[2] for r in rows],
             event_names=("E",), event_device=[0], event_flag=[0])
    assert check_plan(p, g, m) == []
    monkeypatch.setattr(check, "MAX_CANDIDATES", n * n - 1)
    with pytest.raises(UserError) as e:
        check_plan(p, g, m)
    assert str(e.value) == (f"error: checking the plan's synchronization would take {n * n} "
                            f"(producer queue, consumer queue, event) triples, more than the "
                            f"{n * n - 1} hpdsl checks; its events link too many queues (one event "
                            "signalled or waited for by thousands of queues)")


def test_wrong_bases_are_listed_up_to_ten_then_counted():
    n = 14
    hw = hardware(cores=(("C", 2),), flags=1)
    g = explicit(hw, [1, 1], [], ["C", "C"])
    m = Machine.of(hw)
    rows0 = [(EXEC, 0, 0)] + [(SIGNAL, e, 1) for e in range(n)]
    rows1 = [(WAIT, e, 1) for e in range(n)] + [(EXEC, 1, 0)]
    rows = rows0 + rows1
    p = Plan(queues=tuple(w.name for w in m.workers), ptr=[0, len(rows0), len(rows)],
             code=[r[0] for r in rows], arg=[r[1] for r in rows], count=[r[2] for r in rows],
             event_names=tuple(f"e{i}" for i in range(n)), event_device=[0] * n,
             event_flag=[0] * n)   # all on flag 0, all counting from 0
    msgs = check_sharing(p, g, m)
    assert msgs[0] == ("event 'e1' on flag 0 of device 0 counts from 0, not from 1 (the signals "
                       "of the events before it on that flag)")
    assert msgs[10] == "... and 3 more events counting from a wrong base"
