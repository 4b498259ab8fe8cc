"""Which workers a Gantt chart draws: the device(s), the rows, and a caption for what is left out.

Big machines are sampled, not squeezed. By default a chart shows whole devices from
device 0 on while they fit in `MAX_ROWS` rows; when one device alone has more workers,
every core type keeps a share of the rows (its first instances), so a 132-SM device
still shows its vector and copy cores. `--gantt-device` and `--gantt-rows` choose
otherwise (`parse_view`, then `rows_for` once the machine is known):

    --gantt-device 3            device 3 only
    --gantt-device all          every device, sampled by core type past the row limit
    --gantt-rows 200            at most 200 rows (default 96, at most 1000)
    --gantt-rows AIC,AIV:0-7    every AIC and AIV instances 0 to 7, on the chosen device(s)

    >>> parse_view("all", "AIV:0-7,AIC")
    GanttView(device=-1, select=(Pick(core='AIV', first=0, last=7), Pick(core='AIC', first=0, last=None)), max_rows=96)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from hpdsl.errors import UserError, did_you_mean
from hpdsl.machine import Machine

MAX_ROWS = 96        # default row limit: the chart stays readable on one screen
ROWS_LIMIT = 1000    # beyond this, rows are thinner than a pixel in the PNG
ALL = -1             # GanttView.device: every device
PICK = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::(\d+)(?:-(\d+))?)?$")


class Pick(NamedTuple):
    """Instances first..last (None: to the end) of a core type."""

    core: str
    first: int
    last: int | None


@dataclass(frozen=True, slots=True)
class GanttView:
    """`device`: None (whole devices from 0 while they fit), ALL, or one device;
    `select`: the core types and instances to draw (empty: all, sampled past `max_rows`)."""

    device: int | None = None
    select: tuple[Pick, ...] = ()
    max_rows: int = MAX_ROWS


class Rows(NamedTuple):
    """The worker ids a chart draws, in drawing order, and a note on what it leaves out."""

    ids: np.ndarray
    note: str


def placed(rows: Rows, n_workers: int, start: np.ndarray, worker: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """(tasks, their row): the tasks that ran on a drawn row, and where they are drawn."""
    row_of = np.full(n_workers, -1, np.int64)
    row_of[rows.ids] = np.arange(len(rows.ids))
    t = np.flatnonzero((start >= 0) & (row_of[worker] >= 0))
    return t, row_of[worker[t]]


def parse_view(device: str | None, rows: str | None) -> GanttView:
    """The --gantt-device and --gantt-rows texts as a view (UserError on bad syntax)."""
    dev = None
    if device is not None:
        if device.strip() == "all":
            dev = ALL
        elif device.strip().isdigit():
            dev = int(device)
        else:
            raise UserError(f"--gantt-device must be a device number (0, 1, ...) or 'all', "
                            f"got '{device}'")
    if rows is None:
        return GanttView(dev)
    text = rows.strip()
    if text.isdigit():
        n = int(text)
        if not 1 <= n <= ROWS_LIMIT:
            raise UserError(f"--gantt-rows must be between 1 and {ROWS_LIMIT} rows, got {n}")
        return GanttView(dev, (), n)
    picks = []
    for part in text.split(","):
        m = PICK.match(part.strip())
        if m is None or (m.group(3) is not None and int(m.group(3)) < int(m.group(2))):
            raise UserError(f"--gantt-rows: '{part.strip()}' is neither a number of rows nor "
                            f"CORE, CORE:I or CORE:I-J (instances I to J of a core type)")
        first = int(m.group(2) or 0)
        last = None if m.group(2) is None else int(m.group(3) or m.group(2))
        picks.append(Pick(m.group(1), first, last))
    return GanttView(dev, tuple(picks))


def rows_for(machine: Machine, view: GanttView | None = None) -> Rows:
    """The rows `view` draws on `machine` (UserError for a device or core it lacks)."""
    view = view or GanttView()
    n, devs = len(machine.workers), machine.devices
    if view.device is not None and view.device != ALL and view.device >= devs:
        raise UserError(f"--gantt-device {view.device}: the machine has {devs} device(s), "
                        f"0 to {devs - 1}")
    if view.select:
        return _picked(machine, view)
    per_dev = n // max(devs, 1)
    if view.device is None and per_dev <= view.max_rows:
        k = min(devs, view.max_rows // max(per_dev, 1))
        ids = np.flatnonzero(machine.worker_device < k)
        if k == devs:
            return Rows(ids, "")
        return Rows(ids, (f"devices 0-{k - 1} of {devs} shown ({len(ids)} of {n} workers); "
                          f"the others run the same kind of stream") if k > 1 else
                    f"device 0 of {devs} shown ({len(ids)} of {n} workers)")
    on = (np.arange(n) if view.device == ALL else
          np.flatnonzero(machine.worker_device == (view.device or 0)))
    where = "all devices" if view.device == ALL else f"device {view.device or 0} of {devs}"
    if len(on) <= view.max_rows:
        return Rows(on, "" if len(on) == n else f"{where} shown ({len(on)} of {n} workers)")
    return _sampled(machine, on, view.max_rows, where)


def _queues(machine: Machine) -> list[int]:
    """Workers per instance of each core type (its queues)."""
    return [len(c.queues) for c in machine.hardware.cores]


def _sampled(machine: Machine, on: np.ndarray, limit: int, where: str) -> Rows:
    """The first workers of every core type among workers `on` (whole instances, in worker
    order: device, instance, queue), sharing `limit` rows."""
    hw, q = machine.hardware, _queues(machine)
    core = machine.worker_core[on]
    have = [int((core == c).sum()) for c in range(len(hw.cores))]
    inst = [have[c] // q[c] for c in range(len(have))]
    take = [1 if i else 0 for i in inst]     # every core type keeps one whole instance
    left = limit - sum(t * k for t, k in zip(take, q))
    while True:   # then an instance at a time to the type with the fewest rows, while it fits
        fits = [c for c in range(len(have)) if take[c] < inst[c] and q[c] <= left]
        if not fits:
            break
        c = min(fits, key=lambda c: (take[c] * q[c], c))
        take[c] += 1
        left -= q[c]
    keep, parts = [], []
    one = len(set(machine.worker_device[on].tolist())) == 1
    for c, ct in enumerate(hw.cores):
        if not have[c]:
            continue
        k = take[c] * q[c]
        keep.append(on[core == c][:k])
        if k >= have[c]:
            parts.append(f"{ct.name} all {have[c]}")
        else:
            parts.append(f"{ct.name}:0-{k // q[c] - 1} of {ct.count}" if one else
                         f"{ct.name} {k} of {have[c]}")
    ids = np.sort(np.concatenate(keep))
    return Rows(ids, f"{where}: {len(ids)} of {len(machine.workers)} workers shown "
                     f"({', '.join(parts)})")


def _picked(machine: Machine, view: GanttView) -> Rows:
    """The instances `view.select` names, on the chosen device(s), in worker order."""
    hw = machine.hardware
    names = [c.name for c in hw.cores]
    dev = machine.worker_device
    on = dev >= 0 if view.device == ALL else dev == (view.device or 0)
    inst = np.array([w.instance for w in machine.workers])
    out = []
    for p in view.select:
        if p.core not in names:
            raise UserError(f"--gantt-rows: unknown core type '{p.core}'"
                            + did_you_mean(p.core, names))
        count = hw.cores[names.index(p.core)].count
        last = count - 1 if p.last is None else p.last
        if last >= count:
            raise UserError(f"--gantt-rows: {p.core} has instances 0 to {count - 1}, "
                            f"not {last}")
        sel = on & (machine.worker_core == names.index(p.core)) & (inst >= p.first) & (inst <= last)
        out.append(np.flatnonzero(sel))
    ids = np.unique(np.concatenate(out)) if out else np.zeros(0, np.int64)
    if len(ids) > ROWS_LIMIT:
        raise UserError(f"--gantt-rows selects {len(ids)} rows, more than the {ROWS_LIMIT} a "
                        f"chart can draw; name fewer instances or one device")
    where = "all devices" if view.device == ALL else f"device {view.device or 0}"
    shown = ", ".join(f"{p.core}" + ("" if p.last is None else f":{p.first}-{p.last}")
                      for p in view.select)
    return Rows(ids, f"{where}, rows {shown} ({len(ids)} of {len(machine.workers)} workers)")
