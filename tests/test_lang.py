"""Grammar details: comments, separators, spacing of units, keyword boundaries."""
import pytest

from hpdsl.errors import UserError
from hpdsl.lang import loads


def test_block_comments_semicolons_and_one_line_bodies():
    spec = loads("/* a block\n comment */ hardware H { core C count 2 { queue q does matmul rate "
                 "1 TFLOPS; buffer B 1 KiB; } launch 1us; }\n"
                 "graph g on H { task a on C takes 0 us; task b on C takes 3ms after a; }")
    hw = spec.hardware[0]
    assert hw.core("C").buffers[0].size == 1024 and hw.launch == 1000
    assert [t.time for t in spec.graphs[0].tasks] == [0, 3_000_000]


def test_k_slice_is_a_core_statement_with_a_default():
    spec = loads("hardware H { core C count 2 { queue q does matmul rate 1 TFLOPS; k_slice 128; "
                 "buffer B 1 KiB } core D count 1 { queue q does vector } }")
    c, d = spec.hardware[0].cores
    assert (c.k_slice, d.k_slice) == (128, 64) and c.loc_of("k_slice").line == 1
    # a quantity missing its unit just before it is a unit error, not a syntax error
    with pytest.raises(UserError) as info:
        loads("hardware H { core C count 2 { buffer B 1\n k_slice 8 } }", "u.hpm")
    assert "u.hpm:1:40: error: buffer 'B' size needs a size unit" in str(info.value)


def test_keywords_need_word_boundaries():
    # 'opx' is not 'op' followed by 'x'
    with pytest.raises(UserError) as info:
        loads("hardware H { core C count 1 }\nworkload W on H { opx a : dispatch }", "k.hpm")
    assert "k.hpm:2:19: error: syntax error:" in str(info.value)


def test_names_may_equal_kinds_and_core_names():
    spec = loads("hardware H { core send count 1 { queue send does send } }\n"
                 "workload W on H { devices 1 tokens 4 hidden 8 experts 1 topk 1 expert_ffn 8\n"
                 "  op dispatch : dispatch op combine : combine(dispatch) }\n"
                 "tiling t for W { dispatch chunk 4 on send combine chunk 4 }")
    assert [o.name for o in spec.workloads[0].ops] == ["dispatch", "combine"]
    assert spec.tilings[0].rules[0].core == "send"


def test_loads_resolves_imports_from_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hw.hpm").write_text("hardware H { core C count 1 }\n")
    spec = loads('import "hw.hpm"\ngraph g on H { task a on C takes 1 us }')
    assert spec.files == ("hw.hpm", "<string>")


def test_crlf_line_endings_and_bom_keep_locations():
    from pathlib import Path

    toy = (Path(__file__).resolve().parents[1] / "examples" / "toy.hpm").read_text()
    text = "\ufeff" + toy.replace("\n", "\r\n").replace("count 2 {", "count 0 {", 1)
    with pytest.raises(UserError) as info:
        loads(text, "crlf.hpm")
    assert str(info.value) == "crlf.hpm:4:5: error: core type 'MX' count must be positive, found 0"
