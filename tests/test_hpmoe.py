"""`hpmoe`: HyperParallel-MoE's static strided task lists, as a schedule and a plan."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hpdsl.emulator import emulate
from hpdsl.generate import generate
from hpdsl.lang import checked_target, load
from hpdsl.machine import Machine
from hpdsl.plan import lower
from hpdsl.settings import parse_settings
from hpdsl.solvers import run
from hpdsl.solvers.context import Context
from hpdsl.solvers.hpmoe import task_lists

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _toy(*settings):
    t = checked_target(load(str(EXAMPLES / "toy.hpm")), "tiny", parse_settings(list(settings)))
    g = generate(t)
    return g, Machine.of(g.hardware, g.devices)


@pytest.mark.parametrize("routing", ["balanced", "zipf 1.2"])
def test_hpmoe_plan_emulates_without_findings(routing):
    g, m = _toy("devices=4", f"routing={routing}")
    s = run("hpmoe", g, m)
    res = emulate(g, m, lower(g, m, s))
    assert not res.errors and res.makespan >= s.lower_bound


def test_lists_are_static_strided_and_vector_work_runs_on_odd_blocks():
    g, m = _toy("devices=2")
    ctx = Context.of(g, m)
    worker, core, order = task_lists(ctx)
    inst = np.array([w.instance for w in m.workers])[worker]
    vec = np.array([g.kinds[k] != "matmul" for k in g.kind])
    assert set(inst[vec].tolist()) == {1}                  # VX count 2: only block 1 works
    assert set(inst[~vec].tolist()) == {0, 1}
    # per device the matmul list alternates its two workers: list[i] on instance i % 2
    for d in range(2):
        mm = [t for t in order.tolist() if not vec[t] and g.device[t] == d]
        assert inst[mm].tolist() == [i % 2 for i in range(len(mm))]
    # ops in order on every worker; sends in rank-aware order within their op
    s = run("hpmoe", g, m)
    for w in set(worker.tolist()):
        mine = np.flatnonzero(worker == w)
        mine = mine[np.argsort(s.start[mine], kind="stable")]
        ops = g.op[mine].tolist()
        assert ops == sorted(ops)
        for o in set(ops):
            sends = mine[(g.op[mine] == o) & (g.dst[mine] >= 0)]
            assert ctx.ratr[sends].tolist() == sorted(ctx.ratr[sends].tolist())


SLICES = """
tiling slices for TinyMoE {
    dispatch chunk 32
    up       tile 4096 x 512
    act      tile 32 x 512
    down     tile 4096 x 128
    combine  chunk 32
}
"""


def test_slices_of_all_rows_wait_for_every_senders_chunks_of_their_expert(tmp_path):
    # HyperParallel-MoE's per-expert counters as dependencies: a GMM tile of all of an
    # expert's rows depends on every dispatch chunk of that expert, from every sender;
    # a SwiGLU tile on every up slice of its expert; a combine chunk on every down slice
    spec = tmp_path / "slices.hpm"
    spec.write_text((EXAMPLES / "toy.hpm").read_text() + SLICES)
    g = generate(checked_target(load(str(spec)), "slices", parse_settings([])))
    ops = {name: g.ops.index(name) for name in ("dispatch", "up", "act", "down", "combine")}

    def preds(t):
        return set(g.pred[g.pred_ptr[t]:g.pred_ptr[t + 1]].tolist())

    def of(op, expert):
        return set(np.flatnonzero((g.op == ops[op]) & (g.expert == expert)).tolist())

    for consumer, producer in (("up", "dispatch"), ("act", "up"), ("down", "act"),
                               ("combine", "down")):
        for t in np.flatnonzero(g.op == ops[consumer]).tolist():
            e = int(g.expert[t])
            assert of(producer, e) <= preds(t), (consumer, t)
    senders = {int(g.device[t]) for t in of("dispatch", 0)}
    assert len(senders) == 2              # expert 0's rows come from both devices
