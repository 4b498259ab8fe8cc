"""The op library: registry, closed-form counts, tile geometry and work per kind."""
from __future__ import annotations

import numpy as np
import pytest

from hpdsl.ops import KINDS
from hpdsl.ops.base import EXPERT, TOKEN, Layer, OpKind, Tensor, chunk_segments
from hpdsl.ops.swiglu import FLOPS_PER_ELEMENT
from hpdsl.routing import route
from hpdsl.spec import Op, Routing, TileRule


def test_registry():
    assert set(KINDS) == {"dispatch", "grouped_matmul", "swiglu", "combine", "quantize", "matmul"}
    caps = {k: v.capability for k, v in KINDS.items()}
    assert caps == {"dispatch": "send", "combine": "send", "grouped_matmul": "matmul",
                    "matmul": "matmul", "swiglu": "vector", "quantize": "vector"}
    for name, k in KINDS.items():
        assert isinstance(k, OpKind) and k.name == name and k.split in ("chunk", "tile")
    assert [k for k, v in KINDS.items() if v.takes_n] == ["grouped_matmul", "matmul"]


def test_capabilities_come_from_the_kinds():
    from hpdsl.ops import CAPABILITIES
    assert CAPABILITIES == tuple(sorted({k.capability for k in KINDS.values()})) == \
        ("matmul", "send", "vector")


def layer(kind="zipf", devices=2, tokens=30, experts=4, topk=2, hidden=24, seed=1):
    r = route(Routing(kind, 1.3 if kind == "zipf" else 0, seed), devices, tokens, experts, topk)
    return Layer(devices, tokens, hidden, experts, topk, 2, r.counts, r.choices)


def expert_tensor(lay, width):
    z = np.zeros(0, np.int64)
    return Tensor(EXPERT, width, z, z, width, 0, op="x")


CASES = [("dispatch", None, TileRule("d", chunk=4), "tokens"),
         ("combine", None, TileRule("c", chunk=3), "expert"),
         ("grouped_matmul", 20, TileRule("g", tile=(5, 8)), "expert"),
         ("swiglu", None, TileRule("s", tile=(6, 5)), "expert"),
         ("quantize", None, TileRule("q", tile=(7, 10)), "expert"),
         ("quantize", None, TileRule("q", tile=(7, 10)), "tokens"),
         ("matmul", 12, TileRule("m", tile=(8, 5)), "tokens")]


@pytest.mark.parametrize("kind,n,rule,inp", CASES)
def test_count_matches_tiles_and_tiles_stay_inside_their_range(kind, n, rule, inp):
    lay = layer()
    k = KINDS[kind]
    x = Tensor.layer_input(lay) if inp == "tokens" else expert_tensor(lay, 24)
    op = Op("o", kind, None if inp == "tokens" else "x", n)
    tiles = k.tiles(lay, rule, op, x)
    assert k.count(lay, rule, op, x) == tiles.n_tiles > 0
    rows = tiles.hi - tiles.lo
    assert (rows > 0).all() and (np.diff(tiles.lo) > 0).all() and (tiles.hi[:-1] <= tiles.lo[1:]).all()
    size = rule.chunk or rule.tile[0]
    assert rows.max() <= size
    if tiles.space == EXPERT:
        e = tiles.expert
        assert (tiles.lo >= lay.expert_off[e]).all() and (tiles.hi <= lay.expert_off[e + 1]).all()
    else:
        d = tiles.device
        assert (tiles.lo >= d * lay.tokens).all() and (tiles.hi <= (d + 1) * lay.tokens).all()
    for a in ("flops", "bytes_in", "bytes_out", "bytes_sent"):
        assert len(getattr(tiles, a)) == tiles.n_tiles


def test_sends_never_mix_experts_or_sources():
    lay = layer()
    t = KINDS["dispatch"].tiles(lay, TileRule("d", chunk=4), Op("d", "dispatch"),
                                Tensor.layer_input(lay))
    src = lay.token_of_row // lay.tokens
    for lo, hi, d, e in zip(t.lo, t.hi, t.device, t.expert):
        assert (src[lo:hi] == d).all()
        assert lay.expert_off[e] <= lo and hi <= lay.expert_off[e + 1]
    assert (t.dst == t.expert // 2).all()
    c = KINDS["combine"].tiles(lay, TileRule("c", chunk=4), Op("c", "combine", "x"),
                               expert_tensor(lay, 24))
    assert (c.device == c.expert // 2).all()
    for lo, hi, d in zip(c.lo, c.hi, c.dst):
        assert (src[lo:hi] == d).all()


def test_row_order_source_then_token():
    lay = layer(devices=3, experts=6, tokens=20, topk=3)
    tok = lay.token_of_row
    for e in range(6):
        seg = tok[lay.expert_off[e]:lay.expert_off[e + 1]]
        assert (np.diff(seg) > 0).all()       # ascending global token = by source, then token
        d, t = np.divmod(seg, 20)
        assert all(e in lay.choices[di, ti] for di, ti in zip(d, t))


def test_work_formulas():
    lay = layer("balanced", tokens=8)         # 4 rows per (device, expert), 8 per expert
    x = expert_tensor(lay, 24)
    s = KINDS["swiglu"].tiles(lay, TileRule("s", tile=(8, 5)), Op("s", "swiglu", "x"), x)
    assert s.width == 12 and s.read_cols == (((0, 5), (12, 17)), ((5, 10), (17, 22)),
                                             ((10, 12), (22, 24)))
    assert s.flops[:3].tolist() == [FLOPS_PER_ELEMENT * 8 * w for w in (5, 5, 2)]
    assert s.bytes_in[:3].tolist() == [2 * 8 * w * 2 for w in (5, 5, 2)]
    q = KINDS["quantize"].tiles(lay, TileRule("q", tile=(8, 10)), Op("q", "quantize", "x"), x)
    assert q.read_cols == (((0, 24),),) * 3
    assert q.flops[0] == 2 * 8 * 24 + 8 * 10 and q.bytes_in[0] == 8 * 24 * 2
    assert q.bytes_out[2] == 8 * 4 * 2
    m = KINDS["matmul"].tiles(lay, TileRule("m", tile=(8, 5)), Op("m", "matmul", None, 12),
                              Tensor.layer_input(lay))
    assert m.space == TOKEN and m.n_tiles == 2 * 1 * 3
    assert m.flops[0] == 2 * 8 * 5 * 24 and m.bytes_in[0] == (8 * 24 + 24 * 5) * 2
    g = KINDS["grouped_matmul"].tiles(lay, TileRule("g", tile=(8, 12)),
                                      Op("g", "grouped_matmul", "x", 12), x)
    assert g.n_tiles == 4 and g.flops[0] == 2 * 8 * 12 * 24


def test_local_send_writes_locally():
    lay = layer("balanced", tokens=8)
    t = KINDS["dispatch"].tiles(lay, TileRule("d", chunk=8), Op("d", "dispatch"),
                                Tensor.layer_input(lay))
    local = t.device == t.dst
    assert local.any() and (~local).any()
    assert (t.bytes_out[local] == t.bytes_sent[local]).all() and (t.bytes_out[~local] == 0).all()


def test_chunk_segments_skips_empty():
    s, lo, hi = chunk_segments(np.array([0, 3, 3]), np.array([3, 0, 5]), 2)
    assert s.tolist() == [0, 0, 2, 2, 2] and lo.tolist() == [0, 2, 3, 5, 7]
    assert hi.tolist() == [2, 3, 5, 7, 8]


def test_a_new_kind_is_one_class_and_a_registry_entry(monkeypatch):
    """The generator, the count and the language's checks need no change for a new kind."""
    from hpdsl.generate import generate
    from hpdsl.lang import checked_target
    from hpdsl.ops.quantize import Quantize
    from hpdsl.spec import Spec, Tiling, Workload
    from generate_cases import HW

    class Scale(Quantize):
        name = "scale"

    monkeypatch.setitem(KINDS, "scale", Scale())
    ops = (Op("dispatch", "dispatch"), Op("s", "scale", "dispatch"),
           Op("up", "grouped_matmul", "s", 16), Op("combine", "combine", "up"))
    w = Workload("W", HW, 2, 8, 16, 4, 2, 8, "bf16", 2, Routing("balanced", seed=0), ops)
    t = Tiling("t", w, (TileRule("dispatch", chunk=4), TileRule("s", tile=(4, 8)),
                        TileRule("up", tile=(4, 8)), TileRule("combine", chunk=4)))
    g = generate(checked_target(Spec(hardware=(HW,), workloads=(w,), tilings=(t,)), None))
    assert g.op_kinds == ("dispatch", "scale", "grouped_matmul", "combine")
    s = g.ops.index("s")
    assert int((g.op == s).sum()) == 4 * 2 * 2           # 4 experts x 2 row blocks x 2 col blocks
    assert set(g.kinds) == {"send", "vector", "matmul"}


def test_offchip_bytes_per_kind():
    """bytes_hbm, the cost model's estimate: compulsory traffic (weights, the layer input),
    amortized over the tiles that share it; intermediates are assumed to stay in L2."""
    lay = layer("balanced", tokens=8)         # 2 devices, 4 experts, 8 rows per expert
    x = expert_tensor(lay, 24)                # an intermediate input
    # grouped matmul 4 x 6 tiles of N = 12, K = 24: 2 row blocks per expert, 2 column tiles
    g = KINDS["grouped_matmul"].tiles(lay, TileRule("g", tile=(4, 6)),
                                      Op("g", "grouped_matmul", "x", 12), x)
    weights = 24 * 6 * 2 / 2                  # K x cols, read once for the expert's 2 row blocks
    assert g.bytes_hbm.tolist() == [weights] * g.n_tiles
    # the dense matmul reads the layer's input: its share of it off chip, 1 row block/device
    m = KINDS["matmul"].tiles(lay, TileRule("m", tile=(8, 5)), Op("m", "matmul", None, 12),
                              Tensor.layer_input(lay))
    assert m.bytes_hbm[0] == 24 * 5 * 2 / 1 + 8 * 24 * 2 / 3
    # swiglu and quantize reading an intermediate: nothing compulsory
    s = KINDS["swiglu"].tiles(lay, TileRule("s", tile=(8, 5)), Op("s", "swiglu", "x"), x)
    assert (s.bytes_hbm == 0).all()
    q = KINDS["quantize"].tiles(lay, TileRule("q", tile=(8, 10)), Op("q", "quantize", "x"), x)
    assert (q.bytes_hbm == 0).all()
    # dispatch: a token is read by topk chunks
    d = KINDS["dispatch"].tiles(lay, TileRule("d", chunk=8), Op("d", "dispatch"),
                                Tensor.layer_input(lay))
    assert (d.bytes_hbm == d.bytes_sent / lay.topk).all()
    c = KINDS["combine"].tiles(lay, TileRule("c", chunk=8), Op("c", "combine", "x"), x)
    assert (c.bytes_hbm == 0).all()


def test_generator_defaults_for_a_kind_without_offchip_bytes(monkeypatch):
    """A kind that does not estimate its off-chip traffic: nothing compulsory."""
    from dataclasses import replace
    from pathlib import Path

    from hpdsl.generate import generate
    from hpdsl.lang import checked_target, load

    sw = KINDS["swiglu"]
    orig = type(sw).tiles
    monkeypatch.setattr(type(sw), "tiles", lambda self, *a: replace(
        orig(self, *a), bytes_hbm=None))
    toy = Path(__file__).resolve().parents[1] / "examples" / "toy.hpm"
    g = generate(checked_target(load(str(toy)), None))
    act = g.op == g.ops.index("act")
    assert (g.bytes_hbm[act] == 0).all()
