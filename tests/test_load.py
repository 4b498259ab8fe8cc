"""Loading the shipped examples into Spec values: units, defaults, imports."""
from pathlib import Path

import pytest

from hpdsl.lang import load, loads
from hpdsl.spec import ANY

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_a3_units_are_normalized():
    hw = load(str(EXAMPLES / "a3.hpm")).hardware[0]
    assert hw.clock == pytest.approx(1.85e9)
    aic = hw.core("AIC")
    assert aic.count == 24
    assert aic.queues[0].rate == pytest.approx(15.16e12)
    assert aic.buffers[0].size == 512 * 1024
    assert hw.memory.size == 64 * 2**30 and hw.memory.bandwidth == pytest.approx(1.6e12)
    assert hw.cache.size == 192 * 2**20
    assert hw.link.bandwidth == pytest.approx(196e9) and hw.link.latency == 1000
    assert (hw.sync_flags, hw.sync_latency, hw.launch) == (1024, 2000, 20000)
    assert hw.core("AIV").queues[0].does == ("vector", "send")


def test_import_resolves_relative_and_links_objects():
    spec = load(str(EXAMPLES / "deepseek_moe.hpm"))
    assert [h.name for h in spec.hardware] == ["A3"]
    w = spec.workloads[0]
    assert w.hardware is spec.hardware[0]
    assert (w.devices, w.tokens, w.hidden, w.experts, w.topk, w.expert_ffn) == (16, 4096, 7168, 256, 8, 2048)
    assert w.dtype_bytes == 2 and w.routing.kind == "balanced" and w.routing.seed == 7
    assert [(o.name, o.kind, o.input, o.n) for o in w.ops] == [
        ("dispatch", "dispatch", None, None), ("up", "grouped_matmul", "dispatch", 4096),
        ("act", "swiglu", "up", None), ("down", "grouped_matmul", "act", 7168),
        ("combine", "combine", "down", None)]
    fine = spec.tilings[0]
    assert fine.workload is w
    assert fine.rule("dispatch").chunk == 128 and fine.rule("up").tile == (128, 256)
    assert spec.targets() == ("fine", "coarse")
    assert len(spec.files) == 2


def test_bodyless_core_does_anything_and_defaults():
    spec = load(str(EXAMPLES / "diamond.hpm"))
    hw = spec.hardware[0]
    cpu = hw.core("CPU")
    assert [(q.name, q.does) for q in cpu.queues] == [("CPU", (ANY,))]
    assert hw.launch == 0 and hw.memory is None and hw.clock is None
    g = spec.graphs[0]
    assert g.hardware is hw
    assert [t.time for t in g.tasks] == [2000, 5000, 3000, 4000, 1000]
    assert g.tasks[-1].after == ("left", "right", "side")


def test_defaults_when_absent():
    spec = loads("hardware H { core C count 2 { queue q does vector } }\n"
                 "workload W on H { devices 1 tokens 8 hidden 4 experts 2 topk 1 expert_ffn 4\n"
                 " op q : quantize }\n")
    hw, w = spec.hardware[0], spec.workloads[0]
    assert (hw.sync_flags, hw.sync_latency, hw.launch) == (1024, 0, 0)
    assert hw.core("C").queues[0].rate is None
    assert w.dtype == "bf16" and w.routing.kind == "balanced" and w.routing.seed == 0


def test_time_rounds_to_integer_ns():
    spec = loads("hardware H { core C count 1 }\ngraph g on H { task a on C takes 1.5 ns\n"
                 " task b on C takes 0.25 ms }")
    assert [t.time for t in spec.graphs[0].tasks] == [2, 250000]


def test_import_each_file_once(tmp_path):
    (tmp_path / "hw.hpm").write_text("hardware H { core C count 1 }\n")
    (tmp_path / "a.hpm").write_text('import "hw.hpm"\ngraph a on H { task t on C takes 1 us }\n')
    (tmp_path / "b.hpm").write_text('import "hw.hpm"\nimport "a.hpm"\n'
                                    "graph b on H { task t on C takes 1 us }\n")
    spec = load(str(tmp_path / "b.hpm"))
    assert [h.name for h in spec.hardware] == ["H"]
    assert spec.targets() == ("a", "b")
