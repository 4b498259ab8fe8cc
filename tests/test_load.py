"""Loading specs: the shipped examples into Spec values, imports, and the bounds on what is read."""
from pathlib import Path

import pytest

from hpdsl.errors import UserError
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


def test_blank_comments_keeps_positions_and_strings():
    from hpdsl.lang.load import blank_comments

    text = 'import "a//b.hpm" // x\n/* one\ntwo */ hardware H /* */ { }\n'
    out = blank_comments(text)
    assert len(out) == len(text) and out.count("\n") == text.count("\n")
    assert out.split() == ['import', '"a//b.hpm"', 'hardware', 'H', '{', '}']


def test_unterminated_block_comments_are_read_in_one_pass(tmp_path):
    # 150,000 unterminated '/*' took hours with a regex that rescans the rest from each one
    f = tmp_path / "c.hpm"
    f.write_text("hardware H { core C count 1 }\n" + "/*\n" * 150_000)
    with pytest.raises(UserError) as e:
        load(str(f))
    assert str(e.value) == (f"{f}:2:1: error: syntax error: expected 'graph', 'hardware', "
                            "'tiling', 'workload' or end of file but found '/'")


def test_many_closed_comments_load():
    spec = loads("hardware H { core C count 1 }\n" + "/* x */ // y\n" * 10_000)
    assert [h.name for h in spec.hardware] == ["H"]


def test_imports_nest_at_most_max_depth(tmp_path):
    from hpdsl.lang.load import MAX_IMPORT_DEPTH

    n = MAX_IMPORT_DEPTH + 2
    for i in range(n):
        nxt = f'import "f{i + 1}.hpm"\n' if i + 1 < n else ""
        (tmp_path / f"f{i}.hpm").write_text(nxt + f"hardware H{i} {{ core C count 1 }}\n")
    with pytest.raises(UserError) as e:
        load(str(tmp_path / "f0.hpm"))
    assert str(e.value) == (f"{tmp_path}/f{MAX_IMPORT_DEPTH - 1}.hpm:1:1: error: imports nest "
                            f"more than {MAX_IMPORT_DEPTH} files deep")


def test_all_files_of_a_load_are_bounded_together(tmp_path):
    from hpdsl.lang.load import MAX_FILE_BYTES

    pad = "// " + "x" * 1000 + "\n"
    for name in ("a", "b"):
        (tmp_path / f"{name}.hpm").write_text(f"hardware {name.upper()} {{ core C count 1 }}\n"
                                              + pad * (MAX_FILE_BYTES // len(pad) * 2 // 3))
    (tmp_path / "top.hpm").write_text('import "a.hpm"\nimport "b.hpm"\n')
    with pytest.raises(UserError) as e:
        load(str(tmp_path / "top.hpm"))
    assert str(e.value) == (f"{tmp_path}/top.hpm:2:1: error: '{tmp_path}/top.hpm' and the files "
                            f"it imports are more than {MAX_FILE_BYTES} bytes together; a spec "
                            f"may be at most {MAX_FILE_BYTES} bytes")


def _import_error(tmp_path, target: str) -> str:
    (tmp_path / "top.hpm").write_text(f'import "{target}"\nhardware H {{ core C count 1 }}\n')
    with pytest.raises(UserError) as e:
        load("top.hpm")
    return str(e.value).split(": error: ", 1)[1]


def test_importing_what_is_not_a_file_says_what_it_is(tmp_path, monkeypatch):
    import os

    monkeypatch.chdir(tmp_path)

    (tmp_path / "dir.hpm").mkdir()
    os.mkfifo(tmp_path / "fifo.hpm")
    os.symlink("loop.hpm", tmp_path / "loop.hpm")
    assert _import_error(tmp_path, "dir.hpm") == "cannot import 'dir.hpm': it is a folder, not a file"
    # a FIFO nobody writes to is refused at once, not read until it hangs
    assert _import_error(tmp_path, "fifo.hpm") == ("cannot import 'fifo.hpm': it is a FIFO "
                                                   "(named pipe), not a regular file")
    assert _import_error(tmp_path, "/dev/zero") == ("cannot import '/dev/zero': it is a "
                                                    "character device, not a regular file")
    assert _import_error(tmp_path, "loop.hpm") == (
        "cannot import 'loop.hpm': it is a symbolic link loop (or a chain of links too long "
        "to follow)")
    assert _import_error(tmp_path, "none.hpm") == "cannot import 'none.hpm': it does not exist"


def test_loading_what_is_not_a_file_says_what_it_is(tmp_path):
    import os

    os.symlink("gone.hpm", tmp_path / "dangling.hpm")
    for path, why in (("/dev/zero", "is a character device, not a regular file"),
                      (str(tmp_path / "dangling.hpm"),
                       "is a symbolic link to 'gone.hpm', which does not exist")):
        with pytest.raises(UserError) as e:
            load(path)
        assert str(e.value) == f"{path}: error: '{path}' {why}"
