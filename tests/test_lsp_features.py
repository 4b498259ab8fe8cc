"""`hpdsl.lsp.features`: completion, hover and definition on open documents (in process;
tests/test_lsp_server.py speaks to the real server)."""
from pathlib import Path

from lsprotocol import types as T
from pygls import uris

from hpdsl.lsp.document import Document
from hpdsl.lsp.features import completion, definition, hover, quantity_text
from hpdsl.ops import CAPABILITIES, KINDS as OP_KINDS
from hpdsl.routing import KINDS as ROUTING_KINDS
from hpdsl.units import DTYPE_BYTES, UNITS

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "deepseek_moe.hpm"


def _doc(text: str, path: Path | None = SPEC, encoding=T.PositionEncodingKind.Utf16) -> Document:
    uri = uris.from_fs_path(str(path)) if path else "untitled:1"
    return Document(uri, str(path) if path else None, text, encoding)


def _labels_at(text: str, marker: str = "@@", path: Path | None = SPEC) -> list[str]:
    at = text.index(marker)
    doc = _doc(text.replace(marker, ""), path)
    return [i.label for i in completion(doc, doc.position(at)).items]


def test_hardware_after_on_includes_imported_hardware():
    text = SPEC.read_text().replace("workload DeepSeekV3 on A3", "workload DeepSeekV3 on @@")
    assert _labels_at(text) == ["A3"]


def test_core_types_for_tasks_and_tiling_rules():
    base = "hardware H { core C count 1\n core D count 1 }\nhardware G { core E count 1 }\n"
    assert _labels_at(base + "graph g on H { task a on @@ }", path=None) == ["C", "D"]
    wl = base + "workload W on G { op x : dispatch }\n"
    assert _labels_at(wl + "tiling t for W { x chunk 4 on @@ }", path=None) == ["E"]


def test_ops_as_inputs_and_in_tiling_rules():
    text = SPEC.read_text()
    assert _labels_at(text.replace("swiglu(up)", "swiglu(@@)")) == ["dispatch", "up"]
    assert _labels_at(text.replace("    up       tile 128 x 256\n", "    @@\n", 1)) == [
        "dispatch", "up", "act", "down", "combine"]


def test_vocabularies_come_from_their_registries():
    text = SPEC.read_text()
    assert _labels_at(text.replace(": swiglu(up)", ": @@")) == list(OP_KINDS)
    assert _labels_at(text.replace("routing balanced", "routing @@")) == list(ROUTING_KINDS)
    assert _labels_at(text.replace("dtype bf16", "dtype @@")) == list(DTYPE_BYTES)
    a3 = (ROOT / "examples" / "a3.hpm").read_text()
    assert _labels_at(a3.replace("does matmul", "does @@")) == list(CAPABILITIES)
    every_unit = [u for table in UNITS.values() for u in table]
    assert _labels_at(a3.replace("clock 1.85 GHz", "clock 1.85 G@@")) == every_unit
    assert _labels_at("hardware H {\n  @@\n}", path=None) == [
        "cache", "clock", "core", "fabric", "launch", "link", "memory", "package", "sync"]


def test_import_completes_spec_files_of_the_folder(tmp_path):
    for name in ("a.hpm", "b.hpm", "notes.txt"):
        (tmp_path / name).write_text("")
    assert _labels_at('import "@@', path=tmp_path / "b.hpm") == ["a.hpm"]


def test_nothing_is_offered_inside_a_comment():
    assert _labels_at("graph g on H { // task a on @@\n}", path=None) == []


def test_hover_shows_a_quantitys_si_value():
    a3 = (ROOT / "examples" / "a3.hpm").read_text()
    doc = _doc(a3, ROOT / "examples" / "a3.hpm")
    h = hover(doc, doc.position(a3.index("bandwidth 1.6 TB/s") + 15))   # on the unit
    assert h.contents.value == "1.6 TB/s = 1,600,000,000,000 B/s (bandwidth)"
    assert (h.range.start.character, h.range.end.character) == (37, 45)
    h = hover(doc, doc.position(a3.index("rate 15.16 TFLOPS") + 5))    # on the number
    assert h.contents.value == "15.16 TFLOPS = 15,160,000,000,000 FLOPS (rate)"
    assert hover(doc, doc.position(a3.index("count 24") + 7)) is None   # a count is no quantity
    assert quantity_text("1.5", "ns") == "1.5 ns = 2 ns (time)"   # rounded as loading does


def test_hover_says_what_a_name_is():
    text = SPEC.read_text()
    doc = _doc(text)
    h = hover(doc, doc.position(text.index("on A3") + 3))
    assert h.contents.value == "hardware `A3` (a3.hpm line 6)"
    h = hover(doc, doc.position(text.index(": swiglu") + 3))
    assert h.contents.value.startswith("op kind `swiglu`: `swiglu(x)`:")


def test_definition_of_names_and_imports():
    text = SPEC.read_text()
    doc = _doc(text)
    loc = definition(doc, doc.position(text.index("on A3") + 3))
    assert loc.uri == uris.from_fs_path(str(ROOT / "examples" / "a3.hpm"))
    assert (loc.range.start.line, loc.range.start.character) == (5, 9)
    loc = definition(doc, doc.position(text.index("grouped_matmul(act)") + 16))
    assert (loc.uri, loc.range.start.line) == (doc.uri, text[:text.index("op act")].count("\n"))
    loc = definition(doc, doc.position(text.index('"a3.hpm"') + 1))
    assert loc.uri.endswith("/examples/a3.hpm") and loc.range.start.line == 0
    assert definition(doc, doc.position(text.index("tokens 4096") + 8)) is None


def test_positions_count_utf16_units_past_non_ascii_text():
    text = "// 𝄞 é\nhardware H { core C count 1 }\ngraph g on H { /* 𝄞 */ task a on C takes 1 us }"
    for enc, col in ((T.PositionEncodingKind.Utf16, 34), (T.PositionEncodingKind.Utf8, 36),
                     (T.PositionEncodingKind.Utf32, 33)):
        doc = _doc(text, None, enc)
        offset = text.index("C takes")
        assert doc.position(offset) == T.Position(2, col) and doc.offset(T.Position(2, col)) == offset
        loc = definition(doc, T.Position(2, col))
        assert loc.range.start == T.Position(1, 18)
