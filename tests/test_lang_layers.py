"""The workload constructs of real models: widths from fields, layers, a shared expert in
combine, per-op dtypes and rates, HBM capacity, placement, warnings."""
from __future__ import annotations

import numpy as np
import pytest

from hpdsl.errors import UserError
from hpdsl.generate import generate
from hpdsl.graph_stats import stats
from hpdsl.ops import KINDS
from hpdsl.lang import analyse, checked_target, loads
from hpdsl.settings import parse_settings

HW = """hardware H {
    core MX count 2 { queue mx does matmul rate 1 TFLOPS }
    core VX count 2 { queue vx does vector, send rate 0.1 TFLOPS }
    memory DRAM size 8 GiB bandwidth 100 GB/s
    cache L2 size 4 MiB bandwidth 400 GB/s
    link NET bandwidth 10 GB/s latency 2 us
    launch 5 us
}
"""
SETTINGS = """    devices 2
    tokens 16
    hidden 64
    experts 4 topk 2
    expert_ffn 32
"""
CHAIN = """    op dispatch : dispatch
    op up       : grouped_matmul(dispatch) n 2 * expert_ffn
    op act      : swiglu(up)
    op down     : grouped_matmul(act) n hidden
    op combine  : combine(down)
"""
RULES = """tiling t for W {
    dispatch chunk 8
    up tile 8 x 32
    act tile 8 x 32
    down tile 8 x 32
    combine chunk 8
}
"""


def spec(settings=SETTINGS, chain=CHAIN, rules=RULES, hw=HW):
    return HW if hw is None else hw + f"workload W on H {{\n{settings}{chain}}}\n" + rules


def errors(text):
    return [str(d) for d in analyse(text, "w.hpm").diagnostics if d.is_error]


def test_widths_follow_the_fields():
    w = loads(spec()).workloads[0]
    assert [op.n for op in w.ops] == [None, 64, None, 64, None]
    assert w.op("up").width_text() == "2 * expert_ffn"


def test_set_moves_derived_widths():
    s = loads(spec())
    t = checked_target(s, None, parse_settings(["expert_ffn=64", "hidden=128"]))
    assert t.workload.op("up").n == 128 and t.workload.op("down").n == 128
    g = generate(t)
    assert g.cols[g.op == g.ops.index("down")].sum() > 0


def test_unknown_width_field():
    text = spec(chain=CHAIN.replace("n hidden", "n hiden"))
    assert errors(text) == ["w.hpm:18:5: error: op 'down' n names 'hiden', which is no workload "
                            "width (did you mean 'hidden'? valid: 'expert_ffn', 'hidden')"]


def test_combine_width_must_be_hidden():
    text = spec(chain=CHAIN.replace("n hidden", "n 48"))
    assert errors(text) == ["w.hpm:19:5: error: op 'combine' (combine) sums rows of the model "
                            "width, hidden 64, but 'down' has 48 columns"]


def test_combine_width_error_names_set():
    with pytest.raises(UserError, match=r"hidden 256 \(from --set hidden=256\), but 'down' has 64"):
        checked_target(loads(spec(chain=CHAIN.replace("n hidden", "n 64"))), None,
                       parse_settings(["hidden=256"]))


SHARED = CHAIN.replace("    op combine  : combine(down)\n", """    op sup      : matmul n expert_ffn
    op sdown    : matmul(sup) n hidden
    op combine  : combine(down, sdown)
""")
SHARED_RULES = RULES.replace("    combine chunk 8", "    sup tile 8 x 32\n    sdown tile 8 x 32\n    combine chunk 8")


def graph_of(text, *sets):
    return generate(checked_target(loads(text), None, parse_settings(list(sets))))


def _owners(ptr):
    return np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))


def block_edges(g):
    """Edges the data blocks imply: v reads a block u writes, or v sums into (accumulates)
    a block u wrote plainly (a combine onto the shared expert's rows)."""
    d = g.data
    acc = np.array([KINDS[k].accumulates for k in g.op_kinds])
    plain, writers = {}, {}
    for t, b in zip(_owners(d.write_ptr).tolist(), d.write.tolist()):
        writers.setdefault(b, set()).add(t)
        if not acc[g.op[t]]:
            plain.setdefault(b, set()).add(t)
    out = set()
    for t, b in zip(_owners(d.read_ptr).tolist(), d.read.tolist()):
        out |= {(w, t) for w in writers.get(b, ())}
    for t, b in zip(_owners(d.write_ptr).tolist(), d.write.tolist()):
        if acc[g.op[t]]:
            out |= {(w, t) for w in plain.get(b, ())}
    return out


@pytest.mark.parametrize("routing", ("balanced", "zipf 1.2 seed 3"))
def test_layers_repeat_the_chain(routing):
    g = graph_of(spec(SETTINGS + f"    layers 2\n    routing {routing}\n"))
    assert g.ops == tuple(f"l{i}.{n}" for i in (1, 2)
                          for n in ("dispatch", "up", "act", "down", "combine"))
    src, dst = g.edges()
    first = g.op == g.ops.index("l2.dispatch")
    into = set(g.op[src[first[dst]]].tolist())
    assert into == {g.ops.index("l1.combine")}     # layer 2 reads layer 1's tokens
    assert block_edges(g) == set(zip(src.tolist(), dst.tolist()))


def test_each_layer_draws_its_own_routing():
    g = graph_of(spec(SETTINGS + "    layers 2\n    routing zipf 1.5 seed 7\n"))
    rows = [g.rows[g.op == g.ops.index(f"l{i}.up")].tolist() for i in (1, 2)]
    assert rows[0] != rows[1]
    one = graph_of(spec(SETTINGS + "    routing zipf 1.5 seed 8\n"))
    assert one.rows[one.op == one.ops.index("up")].tolist() == rows[1]   # seed + layer


def test_stats_per_layer():
    text = stats(graph_of(spec(SETTINGS + "    layers 3\n")))
    assert "by layer:" in text and "  layer 3: " in text
    assert "by layer:" not in stats(graph_of(spec()))


def test_layers_need_a_combine_last():
    text = spec(SETTINGS + "    layers 2\n", CHAIN.replace("    op combine  : combine(down)\n", ""),
                RULES.replace("    combine chunk 8\n", ""))
    assert errors(text) == ["w.hpm:15:5: error: workload 'W' has layers 2, so its chain must end "
                            "with a combine (each layer reads the tokens the one before returns), "
                            "but it ends with 'down' (grouped_matmul)"]


@pytest.mark.parametrize("layers", ("", "    layers 2\n"))
def test_combine_sums_a_shared_expert(layers):
    g = graph_of(spec(SETTINGS + layers, SHARED, SHARED_RULES))
    pre = "l1." if layers else ""
    src, dst = g.edges()
    comb = g.op[dst] == g.ops.index(pre + "combine")
    assert {g.ops[k] for k in g.op[src[comb]].tolist()} == {pre + "down", pre + "sdown"}
    assert block_edges(g) == set(zip(src.tolist(), dst.tolist()))
    # every chunk waits for the shared rows of the tokens it returns, on their device
    sd = g.op[src] == g.ops.index(pre + "sdown")
    pairs = comb & sd
    assert np.all(g.device[src[pairs]] == g.dst[dst[pairs]])


def test_second_input_errors():
    two = spec(chain=CHAIN.replace("swiglu(up)", "swiglu(up, dispatch)"))
    assert errors(two) == ["w.hpm:17:5: error: op 'act' (swiglu) takes one input; only a combine "
                           "sums a second one, e.g. 'combine(down, sdown)'"]
    shared_read = spec(chain=SHARED + "    op q : quantize(sdown)\n",
                       rules=SHARED_RULES.replace("}", "    q tile 8 x 32\n}"))
    assert errors(shared_read) == ["w.hpm:21:5: error: op 'combine' sums 'sdown' in place, so no "
                                   "other op may read it, but 'q' does"]
    experts = spec(chain=CHAIN.replace("combine(down)", "combine(down, down)"))
    with pytest.raises(UserError, match="'down' must hold each device's own tokens"):
        graph_of(experts)
