"""`hpdsl.lang.analyse`: every diagnostic of a text without raising, as load judges it."""
from pathlib import Path

import pytest

from hpdsl.errors import WARNING, Diagnostic, Loc, UserError
from hpdsl.lang import Analysis, analyse, loads
from hpdsl.lang.load import MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parents[1]
ERRORS = ROOT / "tests" / "errors"


def test_every_error_of_a_file_comes_back_without_raising():
    path = ERRORS / "many_errors_with_error.hpm"
    a = analyse(path.read_text(), str(path))
    assert a.spec is None
    assert [(d.loc.line, d.loc.col) for d in a.diagnostics] == [(7, 5), (8, 5), (8, 5), (11, 1)]
    assert a.errors == a.diagnostics
    with pytest.raises(UserError) as info:
        loads(path.read_text(), str(path))
    assert info.value.diagnostics == a.diagnostics   # load raises exactly what analyse finds


def test_a_clean_text_gives_its_spec():
    a = analyse("hardware H { core C count 1 }\ngraph g on H { task a on C takes 1 us }")
    assert a.diagnostics == () and a.spec.graphs[0].tasks[0].time == 1000


def test_imports_resolve_from_the_file_while_its_own_text_is_unsaved(tmp_path):
    (tmp_path / "hw.hpm").write_text("hardware H { core C count 1 }\n")
    spec = tmp_path / "g.hpm"
    spec.write_text("// on disk: nothing yet\n")
    a = analyse('import "hw.hpm"\ngraph g on H { task a on C takes 1 us }', str(spec))
    assert a.diagnostics == () and a.spec.hardware[0].name == "H"


def test_a_syntax_error_is_located():
    a = analyse("hardware H {\n  core C count\n}")
    assert [str(d) for d in a.diagnostics] == [
        "<string>:3:1: error: syntax error: expected a number but found '}'"]


def test_the_size_cap_holds_for_text_too():
    a = analyse("// " + "x" * MAX_FILE_BYTES)
    assert a.spec is None and "may be at most" in a.diagnostics[0].message


def test_warnings_alone_do_not_refuse_a_spec():
    # the seam other checks fill: a warning is shown, but only errors refuse the file
    spec = loads("hardware H { core C count 1 }")
    warned = Analysis(spec, (Diagnostic(Loc("x.hpm", 1, 1), "probably wrong", WARNING),))
    assert warned.errors == () and warned.spec is spec
