"""The workload constructs of real models: widths from fields, layers, a shared expert in
combine, per-op dtypes and rates, HBM capacity, placement, warnings."""
from __future__ import annotations

import pytest

from hpdsl.errors import UserError
from hpdsl.generate import generate
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
