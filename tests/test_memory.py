"""The memory models, and the L2 cache model worked out by hand on a single matrix core.

The hand case (`ONE`): one core, HBM at 1 B/ns, L2 at 1000 B/ns, no clock (no task
overhead). A dense matmul of 32 token rows x K = 64 into N = 128 columns, tiles of
8 x 32, bf16: 4 row blocks x 4 column blocks. A tile reads its weight block W_j
(64 x 32 x 2 = 4096 B) and its input rows In_b (8 x 64 x 2 = 1024 B) and writes O_bj
(8 x 32 x 2 = 512 B); its compute is 2 x 8 x 32 x 64 = 32,768 FLOP = 32.8 ns at 1 TFLOP/s
and its L2 traffic 5.6 ns, so a tile's time is its HBM misses at 1 B/ns, or 33 ns when
everything hits. Compulsory traffic: the 4 weight blocks and the 4 input blocks once,
16,384 + 4,096 B.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hpdsl.blocks import INPUT, WEIGHT
from hpdsl.cost import task_times
from hpdsl.emulator import EmulatorOptions, emulate
from hpdsl.emulator.demand import Claim, Flow
from hpdsl.emulator.memory import Cached, Fixed, Unshared, memory_model
from hpdsl.generate import generate, from_tiling
from hpdsl.graph import TaskGraph
from hpdsl.lang import checked_target, loads
from hpdsl.machine import Machine
from hpdsl.plan import EXEC, lower
from hpdsl.schedule import Schedule
from hpdsl.solvers import Options, run
from hpdsl.spec import ANY, CoreType, Hardware, Memory, Op, Queue, Routing, TileRule, Tiling, Workload
from plan_cases import hardware

ONE = """
hardware H {{
    core MX count 1 {{ queue mx does matmul rate 1 TFLOPS }}
    memory HBM size 1 GiB bandwidth 1 GB/s
    cache L2 size {l2} bandwidth 1 TB/s
}}
workload W on H {{
    devices 1 tokens 32 hidden 64 experts 1 topk 1 expert_ffn 64 dtype bf16
    routing balanced seed 0
    op mm : matmul n 128
}}
tiling t for W {{ mm tile 8 x 32 }}
"""


def one_core(l2: str, order: str, contention: bool = False):
    """The hand case run back to back in `order` (row-major: each row block's columns in
    turn; column-major: each column slice's row blocks in turn)."""
    g = generate(checked_target(loads(ONE.format(l2=l2), "one.hpm"), None))
    m = Machine.of(g.hardware)
    d = task_times(g, m)[:, 0]
    keys = (g.col0, g.row0) if order == "row-major" else (g.row0, g.col0)
    start, t = np.zeros(g.n_tasks, np.int64), 0
    for k in np.lexsort(keys):
        start[k], t = t, t + d[k]
    p = lower(g, m, Schedule("m", "feasible", np.zeros(g.n_tasks, np.int32), start, start + d))
    r = emulate(g, m, p, EmulatorOptions(contention=contention))
    assert r.findings == ()
    return r.makespan, r.traffic["mm"]


def traffic(w, a, wb, hit):
    return {"weights_hbm_bytes": w, "activations_hbm_bytes": a, "writeback_hbm_bytes": wb,
            "l2_hit_bytes": hit}


def test_row_major_thrashes_weights_that_exceed_l2():
    # L2 10 KiB < the 16 KiB of weights. Row-major: W_j is reused only after the 3 other
    # weight blocks (12 KiB) passed through, so every weight read misses (16 x 4096 B);
    # In_b is read by 4 tiles in a row and hits after its first miss (4 x 1024 B).
    # Outputs leave as LRU pushes them out: all but the last two (O32, O33) are written
    # back (14 x 512 B). Tiles: the 4 first of a row block miss W and In (5120 ns), the 12
    # others miss W (4096 ns): 69,632 ns.
    span, t = one_core("10 KiB", "row-major")
    assert t == traffic(16 * 4096, 4 * 1024, 14 * 512, 12 * 1024)
    assert span == 4 * 5120 + 12 * 4096


def test_column_major_earns_the_weight_reuse():
    # Column-major: each W_j is read once (16,384 B, the compulsory weights) and reused by
    # the 4 row blocks; the 4 input blocks (4 KiB) and a column's outputs no longer all
    # fit beside W_j, so In_0..In_2 miss again in every column and In_3 hits from the
    # second column on: 4 + 3 x 3 = 13 input misses. The last column's 4 outputs stay
    # dirty in L2; 12 x 512 B are written back. Tiles: the first of each column misses W
    # and In (4 x 5120 ns), 9 miss In only (9 x 1024 ns), 3 hit everything (3 x 33 ns).
    span, t = one_core("10 KiB", "column-major")
    assert t == traffic(4 * 4096, 13 * 1024, 12 * 512, 12 * 4096 + 3 * 1024)
    assert span == 4 * 5120 + 9 * 1024 + 3 * 33


def test_write_backs_load_hbm_and_slow_the_tiles_beside_them():
    # With bandwidth shared, a 512 B write-back runs beside the next tile's weight miss:
    # both want the whole 1 B/ns, both run at half speed until the write-back is done, so
    # each costs the tile its 512 ns. The last one starts after the last tile: 13 count.
    span, _ = one_core("10 KiB", "row-major", contention=True)
    assert span == 4 * 5120 + 12 * 4096 + 13 * 512


def test_an_l2_larger_than_everything_moves_exactly_the_compulsory_traffic():
    for order in ("row-major", "column-major"):
        span, t = one_core("1 MiB", order)
        assert t == traffic(4 * 4096, 4 * 1024, 0, 12 * 4096 + 12 * 1024)
        # 4 tiles miss W and In or W, 3 more miss W, 3 more miss In, the rest hit
        assert span == {"row-major": 5120 + 3 * 4096 + 3 * 1024 + 9 * 33,
                        "column-major": 5120 + 3 * 1024 + 3 * 4096 + 9 * 33}[order]


def test_an_l2_smaller_than_one_tile_streams_everything():
    # 256 B holds no block: every read comes from HBM, every output goes straight back
    span, t = one_core("256 B", "row-major")
    assert t == traffic(16 * 4096, 16 * 1024, 16 * 512, 0)
    assert span == 16 * 5120


def test_turning_l2_off_is_a_cache_that_holds_nothing():
    g = generate(checked_target(loads(ONE.format(l2="1 MiB"), "one.hpm"), None))
    m = Machine.of(g.hardware)
    p = lower(g, m, run("heft", g, m))
    r = emulate(g, m, p, EmulatorOptions(l2=False, contention=False))
    assert r.traffic["mm"] == traffic(16 * 4096, 16 * 1024, 16 * 512, 0)


# ------------------------------------------------------------------ the model classes

def chain(hw):
    """Task 0 -> task 1 -> task 2 on one device; instruction k runs task k."""
    return TaskGraph.build(name="g", hardware=hw, devices=1, ops=("x",), kinds=("A",),
                           cores=(("A",),), op=[0] * 3, kind=[0] * 3, device=[0] * 3,
                           src=[0, 1], dst_edges=[1, 2], fixed_ns=[1, 1, 1])


def test_models_without_a_cache_take_the_cost_model_times():
    hw = hardware(cores=(("A", 1),), mem_bw=1e9, cache=(1000, 4e9))
    g, m = chain(hw), Machine.of(hw)
    claim = Claim(0, ((1, 2.0),))
    fixed = memory_model(g, m, None, np.arange(3), [5, 6, 7], None, True,
                         [Flow(0, claim), None, Flow(0, None)])
    assert isinstance(fixed, Fixed) and fixed.timed
    assert [fixed.starts(i) for i in range(3)] == [(5, claim), (6, None), (7, None)]
    free = memory_model(g, m, None, np.arange(3), [5, 6, 7], None, True, None)
    assert isinstance(free, Unshared) and not free.timed and free.starts(1) == (6, None)
    assert free.background() == [] and free.traffic(("x",)) == {}


def test_the_cached_model_is_chosen_for_graphs_with_data_blocks():
    g = generate(checked_target(loads(ONE.format(l2="1 MiB"), "one.hpm"), None))
    m = Machine.of(g.hardware)
    p = lower(g, m, run("heft", g, m))
    ex = np.flatnonzero(p.code == EXEC)
    model = memory_model(g, m, p, ex, [0] * len(p.code), None, True, None)
    assert isinstance(model, Cached) and model.timed
    work, claim = model.starts(int(ex[0]))
    assert (work, claim) == (5120, None)       # W0 and In0 miss: 5120 B at 1 B/ns


# ------------------------------------------------------------------ property

def _layer(tokens, hidden, n, rows, cols, chunk, experts, l2):
    hw = Hardware("H", (CoreType("X", 1, (Queue("q", (ANY,), 1e12),)),),
                  memory=Memory("HBM", 2**30, 1e9), cache=Memory("L2", l2, 1e12))
    ops = (Op("dispatch", "dispatch"), Op("up", "grouped_matmul", "dispatch", 2 * n),
           Op("act", "swiglu", "up"), Op("down", "grouped_matmul", "act", hidden),
           Op("combine", "combine", "down"))
    w = Workload("W", hw, 1, tokens, hidden, experts, 2, n, "bf16", 2,
                 Routing("zipf", 1.3, 5), ops)
    rules = (TileRule("dispatch", chunk=chunk), TileRule("up", tile=(rows, cols)),
             TileRule("act", tile=(rows, min(cols, n))), TileRule("down", tile=(rows, cols)),
             TileRule("combine", chunk=chunk))
    return from_tiling(Tiling("t", w, rules))


@settings(max_examples=25, deadline=None)
@given(tokens=st.integers(4, 24), hidden=st.sampled_from([8, 16, 24]),
       n=st.sampled_from([8, 16]), rows=st.integers(2, 8), cols=st.sampled_from([4, 8]),
       chunk=st.integers(2, 8), experts=st.sampled_from([2, 3, 4]), seed=st.integers(0, 99),
       sizes=st.lists(st.integers(0, 4096), min_size=2, max_size=4))
def test_hbm_reads_lie_between_compulsory_and_everything_and_never_grow_with_l2(
        tokens, hidden, n, rows, cols, chunk, experts, seed, sizes):
    # one worker runs a random valid order; the same plan on ever larger L2s: LRU is a
    # stack algorithm, so what misses in a larger cache misses in a smaller one
    g = _layer(tokens, hidden, n, rows, cols, chunk, experts, 1)
    m = Machine.of(g.hardware)
    p = lower(g, m, run("random", g, m, Options(seed=seed)))
    d = g.data
    rt = np.repeat(np.arange(g.n_tasks), np.diff(d.read_ptr))
    compulsory = {}
    for k, name in enumerate(g.ops):
        mine = np.unique(d.read[g.op[rt] == k])
        mine = mine[(d.kind[mine] == WEIGHT) | (d.tensor[mine] == d.tensors.index(INPUT))]
        compulsory[name] = int(d.bytes[mine].sum())
    combine = g.op == g.ops.index("combine")
    wt = np.repeat(np.arange(g.n_tasks), np.diff(d.write_ptr))
    most = {name: int(g.bytes_in[g.op == k].sum()) for k, name in enumerate(g.ops)}
    most["combine"] += int(d.bytes[d.write[combine[wt]]].sum())    # accumulations read too
    last = None
    for size in sorted(set(sizes)):
        hw = replace(g.hardware, cache=replace(g.hardware.cache, size=size))
        r = emulate(g, Machine.of(hw), p, EmulatorOptions(contention=False))
        reads = {op: t["weights_hbm_bytes"] + t["activations_hbm_bytes"]
                 for op, t in r.traffic.items()}
        for op, v in reads.items():
            assert compulsory[op] <= v <= most[op], (op, size)
        if last is not None:
            assert all(reads[op] <= last[op] for op in reads), size
        last = reads
