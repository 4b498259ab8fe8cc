"""`Plan`: per-queue instruction streams lowered from a `Schedule`, and `lower()`.

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

Internally a plan is a few flat numpy arrays (one row per instruction, CSR by queue), so
a 0.8M-task plan costs tens of bytes per instruction; JSON is built only on demand.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from hpdsl.errors import UserError
from hpdsl.graph import TaskGraph
from hpdsl.latency import far, latency
from hpdsl.machine import Machine
from hpdsl.plan_ties import tie_key
from hpdsl.schedule import Schedule

EXEC, WAIT, SIGNAL, BARRIER = 0, 1, 2, 3
OPS = ("exec", "wait", "signal", "barrier")
PLAN_VERSION = 1


def _ro(a, dtype) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=dtype)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, slots=True)
class PlanHeader:
    """What the scheduler said about the plan; the emulator reads only the makespan, to compare."""

    scheduler: str = "manual"
    status: str = "feasible"
    makespan_ns: int = 0
    lower_bound_ns: int = 0
    solve_seconds: float = 0.0


@dataclass(frozen=True, eq=False)
class Plan:
    """Instruction streams, one per worker queue (machine worker order).

    Instruction i: `code[i]` (EXEC/WAIT/SIGNAL/BARRIER), `arg[i]` (task, event or kernel),
    `count[i]` (a wait's count; for a signal, its position among its event's signals).
    Queue q holds instructions `ptr[q]:ptr[q+1]`. Event e is a counter living on device
    `event_device[e]` in sync flag `event_flag[e]`; events sharing a flag count on it in
    turn, e from `event_base[e]` (a wait for count c on e waits for the flag to reach
    base + c; see `hpdsl.plan_flags`). Counts in `count` are the event's own.
    """

    queues: tuple[str, ...]
    ptr: np.ndarray
    code: np.ndarray
    arg: np.ndarray
    count: np.ndarray
    event_names: tuple[str, ...]
    event_device: np.ndarray
    event_flag: np.ndarray
    header: PlanHeader = PlanHeader()
    event_base: np.ndarray | None = None      # None: every event counts from 0

    def __post_init__(self):
        if self.event_base is None:
            object.__setattr__(self, "event_base", np.zeros(len(self.event_names), np.int64))
        for name, dt in (("ptr", np.int64), ("code", np.int8), ("arg", np.int32),
                         ("count", np.int32), ("event_device", np.int32), ("event_flag", np.int32),
                         ("event_base", np.int64)):
            object.__setattr__(self, name, _ro(getattr(self, name), dt))

    @property
    def n_instructions(self) -> int:
        return len(self.code)

    @property
    def n_events(self) -> int:
        return len(self.event_names)

    def instruction_queue(self) -> np.ndarray:
        """int32 per instruction: the queue it belongs to."""
        return np.repeat(np.arange(len(self.queues), dtype=np.int32), np.diff(self.ptr))

    def stream(self, q: int) -> list[tuple[str, int, int]]:
        """Queue q's instructions as (op, arg, count) tuples (for tests and small plans)."""
        s, e = self.ptr[q], self.ptr[q + 1]
        return [(OPS[c], int(a), int(k)) for c, a, k in
                zip(self.code[s:e], self.arg[s:e], self.count[s:e])]

    def flags_needed(self) -> int:
        """Most flags any device uses (events sharing a flag count once)."""
        if self.n_events == 0:
            return 0
        key = self.event_device.astype(np.int64) * (int(self.event_flag.max()) + 1) + self.event_flag
        dev = self.event_device[np.unique(key, return_index=True)[1]]
        return int(np.bincount(dev).max())

    def to_json(self) -> str:
        from hpdsl.plan_json import plan_to_json

        return plan_to_json(self)


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

    `share_flags`: events the plan orders share sync flags (`hpdsl.plan_flags`) on the
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
    n, W, D = graph.n_tasks, len(machine.workers), machine.devices
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
    same = w[src] == w[dst]
    if np.any(same & (pos[src] >= pos[dst])):
        raise ValueError("schedule orders a task before its dependency on one worker")

    # cross-queue edges inside one kernel need events; kernel barriers cover the rest
    cross = ~same & (kern[src] == kern[dst])
    s, d = src[cross], dst[cross]
    pdev = machine.worker_device[w[s]].astype(np.int64)
    cdev = graph.device[d].astype(np.int64)
    slow = far(pdev, cdev, graph.dst[s] >= 0).astype(np.int64)
    ekey = ((kern[s] * W + w[s]) * D + cdev) * 2 + slow
    ukeys, edge_ev = np.unique(ekey, return_inverse=True)
    edge_ev = edge_ev.reshape(-1)
    E = len(ukeys)
    ev_slow = ukeys % 2
    ev_dev = (ukeys // 2) % D
    ev_worker = (ukeys // (2 * D)) % W
    ev_kernel = ukeys // (2 * D * W)

    # signals: one per (producer task, event), numbered in producer-queue order
    sig_key, sig_inv = np.unique(s * max(E, 1) + edge_ev, return_inverse=True)
    sig_inv = sig_inv.reshape(-1)
    sig_task, sig_ev = sig_key // max(E, 1), sig_key % max(E, 1)
    _, sig_ord = _group_rank(sig_ev, pos[sig_task])
    ev_total = np.bincount(sig_ev, minlength=E)

    # waits: per (consumer, event) the latest producer's position...
    edge_count = sig_ord[sig_inv]
    wkey = d * max(E, 1) + edge_ev
    o = np.lexsort((edge_count, wkey))
    wk = wkey[o]
    last = np.r_[wk[1:] != wk[:-1], True] if len(wk) else np.zeros(0, bool)
    wait_task, wait_ev, wait_cnt = wk[last] // max(E, 1), wk[last] % max(E, 1), edge_count[o][last]
    # ...and only if no earlier wait on the same queue asked for as much already
    grp = w[wait_task] * max(E, 1) + wait_ev
    o = np.lexsort((pos[wait_task], grp))
    big = int(wait_cnt.max()) + 1 if len(wait_cnt) else 1
    gid = np.cumsum(np.r_[True, grp[o][1:] != grp[o][:-1]]) if len(o) else np.zeros(0, np.int64)
    val = gid * big + wait_cnt[o]
    prev = np.r_[-1, np.maximum.accumulate(val)[:-1]] if len(val) else val
    keep = o[val > prev]
    wait_task, wait_ev, wait_cnt = wait_task[keep], wait_ev[keep], wait_cnt[keep]

    # instruction rows, sorted into streams by (queue, kernel, position, sub-order)
    kernels = np.unique(kern)[1:] if n else np.zeros(0, np.int64)
    nb = len(kernels)
    bq = np.repeat(np.arange(W), nb)
    bk = np.tile(kernels, W)
    rows_q = np.concatenate([w, w[wait_task], w[sig_task], bq])
    rows_k = np.concatenate([kern, kern[wait_task], kern[sig_task], bk])
    rows_p = np.concatenate([pos, pos[wait_task], pos[sig_task], np.full(len(bq), -1)])
    rows_sub = np.concatenate([np.ones(n, np.int64), np.zeros(len(wait_task), np.int64),
                               np.full(len(sig_task), 2), np.zeros(len(bq), np.int64)])
    rows_code = np.concatenate([np.full(n, EXEC), np.full(len(wait_task), WAIT),
                                np.full(len(sig_task), SIGNAL), np.full(len(bq), BARRIER)])
    rows_arg = np.concatenate([np.arange(n), wait_ev, sig_ev, bk])
    rows_cnt = np.concatenate([np.zeros(n, np.int64), wait_cnt, sig_ord, np.zeros(len(bq), np.int64)])
    o = np.lexsort((rows_arg, rows_sub, rows_p, rows_k, rows_q))
    ptr = np.zeros(W + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows_q, minlength=W), out=ptr[1:])

    names = _event_names(machine, ev_worker, ev_dev, ev_slow, ev_kernel, nb > 0)
    header = PlanHeader(schedule.scheduler, schedule.status, schedule.makespan,
                        int(schedule.lower_bound), float(schedule.solve_seconds))
    plan = Plan(queues=tuple(wk_.name for wk_ in machine.workers), ptr=ptr,
                code=rows_code[o], arg=rows_arg[o], count=rows_cnt[o], event_names=names,
                event_device=ev_dev, event_flag=np.zeros(E, np.int64), header=header)
    # per event, whether its last signal follows a send (a signal after it pays the link)
    after_send = np.zeros(E, bool)
    fin = sig_ord == ev_total[sig_ev]
    after_send[sig_ev[fin]] = graph.dst[sig_task[fin]] >= 0
    return _flags(plan, machine, ev_kernel, ev_worker, ev_slow, sig_ev, schedule.end[sig_task],
                  after_send, share_flags)


def _flags(plan: Plan, machine, ev_kernel, ev_worker, ev_slow, sig_ev, sig_end, after_send,
           share) -> Plan:
    """Give the events flags: one each per kernel and device (kernels reuse flags: a
    barrier ends every counter's life), shared where the plan proves it sound, with turns
    where a device is still short (`hpdsl.plan_share`)."""
    from hpdsl.plan_share import Expect, assign   # it reads plans: imported here

    hw, E, D = machine.hardware, plan.n_events, machine.devices
    lat = latency(hw, ev_slow)
    first = np.full(E, np.iinfo(np.int64).max, np.int64)
    last = np.zeros(E, np.int64)
    np.minimum.at(first, sig_ev, sig_end)
    np.maximum.at(last, sig_ev, sig_end)
    expect = Expect(first, last, ev_worker, machine.worker_device, ev_kernel, after_send, D, hw)
    # tails ranked by when their last signal is expected (a heuristic order only)
    plan, flag, base = assign(plan, ev_kernel * D + plan.event_device.astype(np.int64), lat, last,
                              hw.sync_flags, share, expect)
    need = int(flag.max()) + 1 if len(flag) else 0
    if need > hw.sync_flags:
        worst = int(plan.event_device[np.argmax(flag)])
        shared = " (with events the plan orders sharing flags)" if share is not False else ""
        raise UserError(
            f"the plan needs {need} sync flags on device {worst} but hardware '{hw.name}' "
            f"has {hw.sync_flags} per device{shared}; declare more with 'sync flags N', use "
            f"coarser tiles, or spread dependent tasks over fewer queues", loc=hw.loc)
    return replace(plan, event_flag=flag, event_base=base)


def _event_names(machine, ev_worker, ev_dev, ev_slow, ev_kernel, with_kernel) -> tuple[str, ...]:
    """`d0.AIC3.cube>d1`: the producer queue's counter on device 1 (`+data` for send arrivals)."""
    qn = [w.name for w in machine.workers]
    wd = machine.worker_device
    out = []
    for w, d, sl, k in zip(ev_worker.tolist(), ev_dev.tolist(), ev_slow.tolist(), ev_kernel.tolist()):
        name = f"{qn[w]}>d{d}" + ("+data" if sl and wd[w] == d else "")
        out.append(f"k{k}:{name}" if with_kernel else name)
    return tuple(out)
