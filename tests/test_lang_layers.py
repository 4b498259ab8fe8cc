"""The workload constructs of real models: widths from fields, layers, a shared expert in
combine, per-op dtypes and rates, HBM capacity, placement, warnings."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


INT8 = CHAIN.replace("op dispatch : dispatch", "op dispatch : dispatch dtype int8")


def test_op_dtype_sizes_what_it_sends():
    g = graph_of(spec(chain=INT8))
    ref = graph_of(spec())
    disp = g.op == g.ops.index("dispatch")
    assert g.op_dtypes[0] == "int8" and g.op_dtypes[1] == "bf16"
    assert g.bytes_sent[disp].sum() * 2 == ref.bytes_sent[disp].sum()
    assert g.bytes_in[disp].sum() == ref.bytes_in[disp].sum()      # reads bf16 tokens
    up = g.op == g.ops.index("up")
    assert g.bytes_in[up].sum() < ref.bytes_in[up].sum()           # reads int8 rows
    d = g.data   # the blocks hold what the tiles read and write
    rt, wt = _owners(d.read_ptr), _owners(d.write_ptr)
    assert np.array_equal(np.bincount(rt, weights=d.bytes[d.read], minlength=g.n_tasks), g.bytes_in)
    written = np.bincount(wt, weights=d.bytes[d.write], minlength=g.n_tasks)
    assert np.array_equal(written, np.where(g.dst >= 0, g.bytes_sent, g.bytes_out))


RATES = HW.replace("queue mx does matmul rate 1 TFLOPS",
                   "queue mx does matmul rate 1 TFLOPS bf16, 2 TOPS int8")


def test_rates_per_dtype():
    q = loads(spec(hw=RATES)).hardware[0].cores[0].queues[0]
    assert q.rate is None and q.rates == (("bf16", 1e12), ("int8", 2e12))
    from hpdsl.cost import task_times
    from hpdsl.machine import Machine
    fast = spec(hw=RATES, chain=CHAIN.replace("n 2 * expert_ffn", "n 2 * expert_ffn dtype int8"))
    t = [task_times(g, Machine.of(g.hardware, g.devices)) for g in
         (graph_of(spec(hw=RATES)), graph_of(fast))]
    g = graph_of(fast)
    up = g.op == g.ops.index("up")
    assert t[1][up, 0].sum() < t[0][up, 0].sum()


def test_dtype_without_a_rate_is_an_error():
    text = spec(hw=RATES, chain=CHAIN.replace("n hidden", "n hidden dtype fp8"))
    assert errors(text) == ["w.hpm:18:5: error: op 'down' computes in fp8, but queue 'mx' of core "
                            "type 'MX', which may run it, has no fp8 rate (it has bf16, int8); add "
                            "'fp8' to its rates or a rate for every dtype"]


def test_dtype_errors():
    assert errors(spec(chain=CHAIN.replace("dispatch : dispatch", "dispatch : dispatch dtype int4"))) \
        == ["w.hpm:15:5: error: unknown dtype 'int4' of op 'dispatch' (did you mean 'int8'? valid: "
            "'bf16', 'fp16', 'fp32', 'fp8', 'int8')"]
    after = spec(chain=CHAIN + "    dtype fp8\n")
    assert errors(after) == ["w.hpm:20:11: error: 'dtype fp8' on a line of its own after op 'combine' "
                             "is ambiguous: write it on the op's line for that op ('op combine : ... "
                             "dtype fp8'), or above the ops for the workload"]
    after = spec(chain=CHAIN + "    routing balanced\n    dtype fp8\n")
    assert errors(after) == ["w.hpm:21:5: error: 'dtype fp8' after the op lines is ambiguous: write "
                             "the workload's dtype above the ops, or an op's own on its line ('op NAME "
                             ": KIND dtype fp8')"]
    bad = HW.replace("rate 1 TFLOPS", "rate 1 TFLOPS bf16, 2 TOPS bf61")
    assert errors(spec(hw=bad)) == ["w.hpm:2:23: error: unknown dtype 'bf61' in the rates of queue "
                                    "'mx' (did you mean 'bf16'? valid: 'bf16', 'fp16', 'fp32', 'fp8', "
                                    "'int8')"]
    twice = HW.replace("rate 1 TFLOPS", "rate 1 TFLOPS bf16, 2 TFLOPS bf16")
    assert errors(spec(hw=twice)) == ["w.hpm:2:64: error: queue 'mx' has two rates for bf16 (first "
                                      "at column 49)"]


def test_hbm_capacity_error():
    small = HW.replace("size 8 GiB", "size 1 MiB")
    big = SETTINGS.replace("tokens 16", "tokens 4096").replace("expert_ffn 32", "expert_ffn 4096")
    (msg,) = errors(spec(big, hw=small))
    assert msg.startswith("w.hpm:9:1: error: each device of workload 'W' needs ")
    assert "of weights and" in msg and "more than the 1,048,576 bytes of memory 'DRAM'" in msg
    assert not errors(spec(big))


def test_placement_roundrobin():
    odd = SETTINGS.replace("experts 4 topk 2", "experts 5 topk 2")
    assert errors(spec(odd)) == ["w.hpm:13:5: error: experts 5 is not divisible by devices 2; every "
                                 "device must own the same number of experts"]
    g = graph_of(spec(odd + "    placement roundrobin\n"))
    up = g.op == g.ops.index("up")
    assert sorted(set(zip(g.expert[up].tolist(), g.device[up].tolist()))) == \
        [(e, e % 2) for e in range(5)]
    with pytest.raises(UserError, match=r"not divisible by devices 3; .* experts \(from --set devices=3\)"):
        checked_target(loads(spec()), None, parse_settings(["devices=3"]))
    assert errors(spec(SETTINGS + "    placement robin\n")) == [
        "w.hpm:15:5: error: unknown placement 'robin' (did you mean 'roundrobin'? valid: 'block', "
        "'roundrobin')"]


def test_warnings_for_free_costs():
    bare = "hardware H {\n    core MX count 2 { queue mx does matmul }\n" \
           "    core VX count 2 { queue vx does vector, send rate 0.1 TFLOPS }\n}\n"
    got = [str(d) for d in analyse(spec(hw=bare), "w.hpm").diagnostics]
    assert got == [
        "w.hpm:1:1: warning: hardware 'H' declares no memory: off-chip (HBM) traffic costs no "
        "time, the L2 cache model is off and the memory capacity is not checked",
        "w.hpm:1:1: warning: hardware 'H' declares no cache: no L2 reuse is modelled; every byte "
        "moves at the memory's bandwidth",
        "w.hpm:1:1: warning: hardware 'H' declares no launch cost: kernel launches (one per plan, "
        "one per kernel of the serial baseline) cost no time",
        "w.hpm:12:5: warning: queue 'mx' of core type 'MX' has no rate, but op 'up' "
        "(grouped_matmul) may run on it: its compute costs no time there (only its memory, link "
        "and task overhead count)",
        "w.hpm:14:5: warning: queue 'mx' of core type 'MX' has no rate, but op 'down' "
        "(grouped_matmul) may run on it: its compute costs no time there (only its memory, link "
        "and task overhead count)"]
    assert loads(spec(hw=bare)).warnings and not loads(spec()).warnings


def test_compare_shows_warnings(tmp_path, capsys):
    from hpdsl.cli import main
    f = tmp_path / "w.hpm"
    f.write_text(spec(hw=HW.replace("    cache L2 size 4 MiB bandwidth 400 GB/s\n", "")))
    assert main(["check", str(f)]) == 0
    assert "warning: hardware 'H' declares no cache" in capsys.readouterr().err
    assert main(["compare", str(f), "--schedulers", "heft"]) == 0
    out = capsys.readouterr().out
    assert "\nwarnings:\n" in out and "declares no cache" in out


def test_gbps_hint_is_bytes():
    text = spec(hw=HW.replace("10 GB/s", "10 GBps"))
    assert "did you mean 'GB/s'?" in errors(text)[0]


@pytest.mark.parametrize("given,said", [
    ("routing=zipf 0", "found 0 (from --set routing=zipf 0)"),
    ("seed=-1", "expected a whole number, got '-1'"),
    ("placement=rr", "unknown placement 'rr' (valid: 'block', 'roundrobin') "
                     "(from --set placement=rr)"),
    ("hw.link.bandwidth=0GB/s", "link 'NET' bandwidth must be positive, found 0 "
                                "(after --set hw.link.bandwidth)"),
    ("tokens=2000000", "tokens 2000000 is above the limit of 1048576 (from --set tokens=2000000)"),
])
def test_errors_in_set_values_name_set(given, said):
    with pytest.raises(UserError) as e:
        checked_target(loads(spec()), None, parse_settings([given]))
    assert str(e.value).endswith(said)


def test_set_layers_and_memory():
    t = checked_target(loads(spec()), None, parse_settings(["layers=2"]))
    assert generate(t).ops[0] == "l1.dispatch"
    with pytest.raises(UserError, match=r"more than the 1,024 bytes of memory 'DRAM'"):
        checked_target(loads(spec()), None, parse_settings(["hw.memory.size=1KiB"]))


@pytest.mark.parametrize("width", ("2 * expert_ffn", "2*expert_ffn", "expert_ffn * 2"))
def test_width_forms(width):
    w = loads(spec(chain=CHAIN.replace("n 2 * expert_ffn", f"n {width}"))).workloads[0]
    assert w.op("up").n == 64 and w.op("up").width_text() == "2 * expert_ffn"


@settings(max_examples=12, deadline=None)
@given(layers=st.integers(1, 3), shared=st.booleans(), int8=st.booleans(),
       routing=st.sampled_from(("balanced", "zipf 1.3 seed 5", "grouped 2 seed 1")),
       tokens=st.integers(3, 24), roundrobin=st.booleans())
def test_blocks_imply_the_edges_whatever_the_constructs(layers, shared, int8, routing, tokens,
                                                        roundrobin):
    # the data blocks and the graph's edges agree for every mix of the new constructs, and
    # what the tiles read and write is what their blocks hold
    chain, rules = (SHARED, SHARED_RULES) if shared else (CHAIN, RULES)
    if int8:
        chain = chain.replace("op dispatch : dispatch", "op dispatch : dispatch dtype int8")
    experts = "experts 5 topk 2" if roundrobin else "experts 4 topk 2"
    if roundrobin and routing.startswith("grouped"):
        routing = "zipf 1.1 seed 1"   # 2 groups do not divide 5 experts
    head = (SETTINGS.replace("tokens 16", f"tokens {tokens}").replace("experts 4 topk 2", experts)
            + f"    layers {layers}\n    routing {routing}\n"
            + ("    placement roundrobin\n" if roundrobin else ""))
    g = graph_of(spec(head, chain, rules))
    src, dst = g.edges()
    assert block_edges(g) == set(zip(src.tolist(), dst.tolist()))
    d = g.data
    rt, wt = _owners(d.read_ptr), _owners(d.write_ptr)
    assert np.array_equal(np.bincount(rt, weights=d.bytes[d.read], minlength=g.n_tasks), g.bytes_in)
    written = np.bincount(wt, weights=d.bytes[d.write], minlength=g.n_tasks)
    assert np.array_equal(written, np.where(g.dst >= 0, g.bytes_sent, g.bytes_out))
    assert np.all(d.device[d.read] == g.device[rt])
