"""`lower()`: a `Schedule` becomes a `Plan`, per-queue instruction streams synchronized by counters.

Event scheme (docs/plans.md): one monotonic counter per *producer queue and consumer
device* (and latency class, see below). After executing a task that some task on another
queue needs, the producer queue signals the counter; the consumer waits for
"count >= k", where k is the producer's position among that counter's signals. Because
counters only grow, one wait per producer counter per consumer task is enough (keeping
the latest producer), and a wait is dropped when an earlier wait on the same queue
already asked for as much — the implied syncs fall away without any graph search.

    schedule (worker, start)          plan
    d0.AIC0: up0 up1                  d0.AIC0.cube: exec up0, signal E, exec up1, signal E
    d0.AIV0: act0 (after up0, up1)    d0.AIV0.vec:  wait E 2, exec act0

The rejected alternative, HyperParallel-MoE's per-expert counters (a consumer waits for
every chunk of its expert), needs one counter per expert and op and makes a consumer
wait for producers it does not read from; per-queue counters encode exactly the edges.

Latency class: a counter's signals must arrive in the order they were sent, or
"count >= k" would not mean "the first k arrived". Signals from a `send` task carry the
link latency and others do not, so on one device they use separate counters.

Steps, each a function below: order each queue's tasks (`_order`), find the counters
(`_events`), number the signals (`_signals`), keep the waits that say something
(`_waits`), sort everything into streams (`_plan`), then give the events sync flags
(`hpdsl.plan.flags.assign_flags`).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from hpdsl.graph import TaskGraph
from hpdsl.latency import far, latency
from hpdsl.machine import Machine
from hpdsl.plan.flags import assign_flags
from hpdsl.plan.program import BARRIER, EXEC, SIGNAL, WAIT, Plan, PlanHeader
from hpdsl.plan.ties import tie_key
from hpdsl.plan.turns import Expect
from hpdsl.schedule import Schedule


def _queue_positions(worker: np.ndarray, start: np.ndarray, end: np.ndarray, n_workers: int,
                     tie: np.ndarray) -> np.ndarray:
    """Each task's index in its worker's stream, ordered by (start, end, tie)."""
    n = len(worker)
    order = np.lexsort((tie, end, start, worker))
    first = np.zeros(n_workers + 1, dtype=np.int64)
    np.cumsum(np.bincount(worker, minlength=n_workers), out=first[1:])
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n) - first[worker[order]]
    return pos


def _has_ties(w, start, end, pos, n_workers) -> bool:
    """Whether two tasks of one worker share both start and end (zero-time tasks at one instant)."""
    n = len(w)
    if n < 2:
        return False
    first = np.zeros(n_workers + 1, dtype=np.int64)
    np.cumsum(np.bincount(w, minlength=n_workers), out=first[1:])
    order = np.empty(n, np.int64)
    order[first[w] + pos] = np.arange(n)
    a, b = order[:-1], order[1:]
    return bool(np.any((w[a] == w[b]) & (start[a] == start[b]) & (end[a] == end[b])))


def _group_rank(group: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order, 1-based rank of each element within its group when sorted by value)."""
    order = np.lexsort((value, group))
    g = group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if len(g) else np.zeros(0, np.int64)
    rank = np.arange(len(g)) - np.repeat(starts, np.diff(np.r_[starts, len(g)])) + 1
    out = np.empty(len(g), dtype=np.int64)
    out[order] = rank
    return order, out


def lower(graph: TaskGraph, machine: Machine, schedule: Schedule,
          share_flags: bool | None = None) -> Plan:
    """Turn a checked schedule into per-queue streams synchronized by counters.

    `share_flags`: events the plan orders share sync flags (`hpdsl.plan.flags`) on the
    devices that need more flags than the hardware has (None), everywhere (True), or
    nowhere (False).

    >>> from hpdsl.spec import Hardware, CoreType, Queue
    >>> hw = Hardware("H", (CoreType("C", 2, (Queue("q", ("*",)),)),))
    >>> g = TaskGraph.build(name="g", hardware=hw, devices=1, ops=("g",), kinds=("C",),
    ...     cores=(("C",),), op=[0, 0], kind=[0, 0], device=[0, 0], src=[0], dst_edges=[1],
    ...     fixed_ns=[5, 5])
    >>> s = Schedule("manual", "feasible", np.array([0, 1]), np.array([0, 5]), np.array([5, 10]))
    >>> p = lower(g, Machine.of(hw), s)
    >>> p.stream(0), p.stream(1)
    ([('exec', 0, 0), ('signal', 0, 1)], [('wait', 0, 1), ('exec', 1, 0)])
    """
    order = _order(graph, machine, schedule)
    events = _events(graph, machine, order)
    signals = _signals(events, order.pos)
    waits = _waits(events, signals, order)
    plan = _plan(machine, schedule, order, events, signals, waits)
    return assign_flags(plan, machine, latency(machine.hardware, events.slow),
                        _expect(graph, machine, schedule, events, signals), share_flags)


class _Order(NamedTuple):
    """Each task's queue, kernel and index in its queue's stream; the graph's edges."""

    worker: np.ndarray      # int64 per task
    kernel: np.ndarray      # int64 per task
    pos: np.ndarray         # int64 per task
    src: np.ndarray         # int64 per edge
    dst: np.ndarray         # int64 per edge


def _order(graph, machine, schedule) -> _Order:
    """Order each queue's tasks as the schedule runs them (ties: `hpdsl.plan.ties`)."""
    n, W = graph.n_tasks, len(machine.workers)
    w = schedule.worker.astype(np.int64)
    kern = (np.zeros(n, dtype=np.int64) if schedule.kernel is None
            else schedule.kernel.astype(np.int64))
    src, dst = graph.edges()
    src, dst = src.astype(np.int64), dst.astype(np.int64)
    pos = _queue_positions(w, schedule.start, schedule.end, W, np.arange(n))
    if _has_ties(w, schedule.start, schedule.end, pos, W):
        st, en = schedule.start.astype(np.int64), schedule.end.astype(np.int64)
        pos = _queue_positions(w, st, en, W, tie_key(graph, machine, w, kern, st, en, src, dst))
    if np.any(kern[src] > kern[dst]):
        raise ValueError("schedule puts a task in an earlier kernel than its dependency")
    if np.any((w[src] == w[dst]) & (pos[src] >= pos[dst])):
        raise ValueError("schedule orders a task before its dependency on one worker")
    return _Order(w, kern, pos, src, dst)


class _Events(NamedTuple):
    """The counters: one per (kernel, producer queue, consumer device, latency class)."""

    producer: np.ndarray    # int64 per edge needing an event: its producer task
    consumer: np.ndarray    # int64 per such edge: its consumer task
    edge_event: np.ndarray  # int64 per such edge: its event
    worker: np.ndarray      # int64 per event: the producer queue
    device: np.ndarray      # int64 per event: the consumer device, where the counter lives
    slow: np.ndarray        # int64 per event: 1 when its signals pay the link latency
    kernel: np.ndarray      # int64 per event

    @property
    def n(self) -> int:
        return len(self.device)


def _events(graph, machine, o: _Order) -> _Events:
    """Cross-queue edges inside one kernel need events; kernel barriers cover the rest."""
    W, D = len(machine.workers), machine.devices
    w, kern = o.worker, o.kernel
    cross = (w[o.src] != w[o.dst]) & (kern[o.src] == kern[o.dst])
    s, d = o.src[cross], o.dst[cross]
    pdev = machine.worker_device[w[s]].astype(np.int64)
    cdev = graph.device[d].astype(np.int64)
    slow = far(pdev, cdev, graph.dst[s] >= 0).astype(np.int64)
    ekey = ((kern[s] * W + w[s]) * D + cdev) * 2 + slow
    ukeys, edge_ev = np.unique(ekey, return_inverse=True)
    return _Events(s, d, edge_ev.reshape(-1), worker=(ukeys // (2 * D)) % W,
                   device=(ukeys // 2) % D, slow=ukeys % 2, kernel=ukeys // (2 * D * W))


class _Signals(NamedTuple):
    """One signal per (producer task, event), numbered in producer-queue order."""

    task: np.ndarray        # int64 per signal: the task it follows
    event: np.ndarray       # int64 per signal
    ordinal: np.ndarray     # int64 per signal: its position among its event's signals
    of_edge: np.ndarray     # int64 per edge needing an event: its signal


def _signals(ev: _Events, pos) -> _Signals:
    m = max(ev.n, 1)
    sig_key, sig_inv = np.unique(ev.producer * m + ev.edge_event, return_inverse=True)
    sig_task, sig_ev = sig_key // m, sig_key % m
    _, sig_ord = _group_rank(sig_ev, pos[sig_task])
    return _Signals(sig_task, sig_ev, sig_ord, sig_inv.reshape(-1))


class _Waits(NamedTuple):
    """The waits that say something, each right before its task."""

    task: np.ndarray        # int64 per wait: the task it goes before
    event: np.ndarray       # int64 per wait
    count: np.ndarray       # int64 per wait


def _waits(ev: _Events, sig: _Signals, o: _Order) -> _Waits:
    """Per (consumer, event) a wait for the latest producer's signal, kept only if no
    earlier wait on the same queue asked for as much already."""
    m = max(ev.n, 1)
    edge_count = sig.ordinal[sig.of_edge]
    wkey = ev.consumer * m + ev.edge_event
    s = np.lexsort((edge_count, wkey))
    wk = wkey[s]
    last = np.r_[wk[1:] != wk[:-1], True] if len(wk) else np.zeros(0, bool)
    task, event, count = wk[last] // m, wk[last] % m, edge_count[s][last]
    grp = o.worker[task] * m + event
    s = np.lexsort((o.pos[task], grp))
    big = int(count.max()) + 1 if len(count) else 1
    gid = np.cumsum(np.r_[True, grp[s][1:] != grp[s][:-1]]) if len(s) else np.zeros(0, np.int64)
    val = gid * big + count[s]
    prev = np.r_[-1, np.maximum.accumulate(val)[:-1]] if len(val) else val
    keep = s[val > prev]
    return _Waits(task[keep], event[keep], count[keep])


def _plan(machine, schedule, o: _Order, ev: _Events, sig: _Signals, wt: _Waits) -> Plan:
    """Instruction rows sorted into streams by (queue, kernel, position, sub-order); no
    flags yet."""
    n, W = len(o.worker), len(machine.workers)
    w, kern, pos = o.worker, o.kernel, o.pos
    kernels = np.unique(kern)[1:] if n else np.zeros(0, np.int64)
    nb = len(kernels)
    bq = np.repeat(np.arange(W), nb)
    bk = np.tile(kernels, W)
    rows_q = np.concatenate([w, w[wt.task], w[sig.task], bq])
    rows_k = np.concatenate([kern, kern[wt.task], kern[sig.task], bk])
    rows_p = np.concatenate([pos, pos[wt.task], pos[sig.task], np.full(len(bq), -1)])
    rows_sub = np.concatenate([np.ones(n, np.int64), np.zeros(len(wt.task), np.int64),
                               np.full(len(sig.task), 2), np.zeros(len(bq), np.int64)])
    rows_code = np.concatenate([np.full(n, EXEC), np.full(len(wt.task), WAIT),
                                np.full(len(sig.task), SIGNAL), np.full(len(bq), BARRIER)])
    rows_arg = np.concatenate([np.arange(n), wt.event, sig.event, bk])
    rows_cnt = np.concatenate([np.zeros(n, np.int64), wt.count, sig.ordinal,
                               np.zeros(len(bq), np.int64)])
    s = np.lexsort((rows_arg, rows_sub, rows_p, rows_k, rows_q))
    ptr = np.zeros(W + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows_q, minlength=W), out=ptr[1:])
    names = _event_names(machine, ev.worker, ev.device, ev.slow, ev.kernel, nb > 0)
    header = PlanHeader(schedule.scheduler, schedule.status, schedule.makespan,
                        int(schedule.lower_bound), float(schedule.solve_seconds))
    return Plan(queues=tuple(q.name for q in machine.workers), ptr=ptr,
                code=rows_code[s], arg=rows_arg[s], count=rows_cnt[s], event_names=names,
                event_device=ev.device, event_flag=np.zeros(ev.n, np.int64), header=header)


def _expect(graph, machine, schedule, ev: _Events, sig: _Signals) -> Expect:
    """When the schedule expects each event's signals, to place turns (`hpdsl.plan.turns`)."""
    E = ev.n
    sig_end = schedule.end[sig.task]
    first = np.full(E, np.iinfo(np.int64).max, np.int64)
    last = np.zeros(E, np.int64)
    np.minimum.at(first, sig.event, sig_end)
    np.maximum.at(last, sig.event, sig_end)
    # per event, whether its last signal follows a send (a signal after it pays the link)
    after_send = np.zeros(E, bool)
    fin = sig.ordinal == np.bincount(sig.event, minlength=E)[sig.event]
    after_send[sig.event[fin]] = graph.dst[sig.task[fin]] >= 0
    return Expect(first, last, ev.worker, machine.worker_device, ev.kernel, after_send,
                  machine.devices, machine.hardware)


def _event_names(machine, ev_worker, ev_dev, ev_slow, ev_kernel, with_kernel) -> tuple[str, ...]:
    """`d0.AIC3.cube>d1`: the producer queue's counter on device 1 (`+data` for send arrivals)."""
    qn = [w.name for w in machine.workers]
    wd = machine.worker_device
    out = []
    for w, d, sl, k in zip(ev_worker.tolist(), ev_dev.tolist(), ev_slow.tolist(), ev_kernel.tolist()):
        name = f"{qn[w]}>d{d}" + ("+data" if sl and wd[w] == d else "")
        out.append(f"k{k}:{name}" if with_kernel else name)
    return tuple(out)
