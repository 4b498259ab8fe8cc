"""`hpdsl.lsp.diagnostics`: the checker's diagnostics, located and with their severity."""
from lsprotocol import types as T

from hpdsl.errors import WARNING, Diagnostic, Loc
from hpdsl.lang import analyse
from hpdsl.lsp.diagnostics import to_lsp
from hpdsl.lsp.document import Document


def _span(d: T.Diagnostic):
    r = d.range
    return (r.start.line, r.start.character, r.end.line, r.end.character)


def test_errors_and_warnings_keep_their_severity():
    doc = Document("untitled:1", None, "hardware H {\n  core C count 1\n}")
    out = to_lsp((Diagnostic(Loc("x.hpm", 2, 3), "bad"),
                  Diagnostic(Loc("x.hpm", 2, 8), "odd", WARNING)), doc, "x.hpm")
    assert [(d.severity, d.message, d.source) for d in out] == [
        (T.DiagnosticSeverity.Error, "bad", "hpdsl"), (T.DiagnosticSeverity.Warning, "odd", "hpdsl")]
    # a statement's keyword: the rest of its line; a name: the name
    assert [_span(d) for d in out] == [(1, 2, 1, 16), (1, 7, 1, 8)]


def test_every_error_of_the_checker_lands_on_its_line(tmp_path):
    text = ("hardware Duo { core CPU count 1 }\ngraph g on Duo {\n"
            "  task a on CPX takes 1 us\n  task b on CPU takes -1 us after z\n}\n")
    path = str(tmp_path / "g.hpm")
    out = to_lsp(analyse(text, path).diagnostics, Document("file:///g", path, text), path)
    assert [d.range.start.line for d in out] == [2, 3, 3]


def test_file_level_and_unlocated_diagnostics_sit_at_the_start():
    doc = Document("untitled:1", None, "")
    out = to_lsp((Diagnostic(Loc("<string>"), "file is empty"), Diagnostic(None, "x")), doc,
                 "<string>")
    assert [_span(d) for d in out] == [(0, 0, 0, 0)] * 2


def test_an_imported_files_error_shows_on_its_import(tmp_path):
    (tmp_path / "hw.hpm").write_text("hardware H {\n  core C count -1\n}\n")
    path = str(tmp_path / "main.hpm")
    text = '// main\nimport "hw.hpm"\ngraph g on H { task a on C takes 1 us }\n'
    out = to_lsp(analyse(text, path).diagnostics, Document("file:///m", path, text), path)
    assert [_span(d) for d in out] == [(1, 7, 1, 15)]
    assert out[0].message.startswith(f"{tmp_path / 'hw.hpm'}:2:3: core type 'C' count")
    rel = out[0].related_information[0].location
    assert rel.uri.endswith("/hw.hpm") and rel.range.start == T.Position(1, 2)
