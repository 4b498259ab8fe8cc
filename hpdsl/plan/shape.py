"""The shape of every plan `lower` makes, which a plan file must have too (`validate`).

Beyond values in range, a plan file must be one lowering could have made; the rest would
run on the emulator with semantics nobody chose:

- every queue holds the same barriers, with kernel numbers rising along the queue
  (lowering puts one barrier per kernel boundary in every queue);
- every wait is on a queue of the device its event lives on (a counter lives on the
  device of the queues that wait for it; moving it elsewhere changed what a wait costs);
- every declared event is signalled or waited for (an unused event only burdens the
  flag checks: 300,000 of them on one flag once exhausted the order proof's memory).

An event signalled by several queues is allowed: `check_plan` proves what it covers.
"""
from __future__ import annotations

import numpy as np

from hpdsl.errors import Loc, UserError
from hpdsl.machine import Machine
from hpdsl.plan.program import BARRIER, SIGNAL, WAIT


def check_shape(code: np.ndarray, arg: np.ndarray, ptr: np.ndarray, event_names,
                event_device: np.ndarray, machine: Machine, where: Loc) -> None:
    """UserError for the first rule above the rows (in machine queue order) break."""
    names = [w.name for w in machine.workers]
    iq = np.repeat(np.arange(len(names)), np.diff(ptr))

    def fail(msg: str, i: int | None = None):
        at = "" if i is None else f"queue '{names[iq[i]]}' instruction {i - ptr[iq[i]]}: "
        raise UserError(at + msg, loc=where)

    _barriers(code, arg, iq, names, fail)
    wait = np.flatnonzero(code == WAIT)
    e = arg[wait]
    off = np.flatnonzero(machine.worker_device[iq[wait]] != event_device[e])
    if len(off):
        k = off[0]
        fail(f"waits for event '{event_names[e[k]]}', which lives on device "
             f"{event_device[e[k]]}; a queue waits only for counters on its own device "
             "(lowering puts each event on the device of the queues that wait for it)",
             int(wait[k]))
    used = np.zeros(len(event_names), bool)
    used[arg[(code == WAIT) | (code == SIGNAL)]] = True
    if not used.all():
        fail(f"event '{event_names[int(np.argmin(used))]}' is declared, but no instruction "
             "signals or waits for it")


def _barriers(code, arg, iq, names, fail) -> None:
    """The same barriers in every queue, kernel numbers rising along each."""
    bar = np.flatnonzero(code == BARRIER)
    nb = np.bincount(iq[bar], minlength=len(names))
    odd = np.flatnonzero(nb != nb[0])
    if len(odd):
        q = int(odd[0])
        fail(f"queue '{names[q]}' has {nb[q]} barriers, queue '{names[0]}' has {nb[0]}; every "
             "queue must reach every barrier")
    n = int(nb[0])
    kern = arg[bar].reshape(len(names), n)   # rows in queue order: one row per queue
    down = np.flatnonzero((np.diff(kern, axis=1) <= 0).ravel())
    if len(down):
        q, j = divmod(int(down[0]), n - 1)
        fail(f"barrier kernel {kern[q, j + 1]} follows kernel {kern[q, j]}; kernel numbers "
             "rise along a queue (each kernel starts once)", int(bar[q * n + j + 1]))
    other = np.flatnonzero((kern != kern[0]).ravel())
    if len(other):
        q, j = divmod(int(other[0]), n)
        fail(f"barrier {j} starts kernel {kern[q, j]}, but barrier {j} of queue '{names[0]}' "
             f"starts kernel {kern[0, j]}; every queue holds the same barriers",
             int(bar[other[0]]))
