"""`hpdsl check` and the textX registration of the language."""
from pathlib import Path

import pytest

from hpdsl.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
ERRORS = ROOT / "tests" / "errors"


def test_check_examples_ok(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["check", "examples/toy.hpm", "examples/diamond.hpm"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "examples/toy.hpm: ok: 1 hardware, 1 workloads, 1 tilings, 0 graphs, 0 tasks",
        "examples/diamond.hpm: ok: 1 hardware, 0 workloads, 0 tilings, 1 graphs, 5 tasks",
    ]


def test_check_reports_every_error_and_exits_1(capsys, monkeypatch):
    monkeypatch.chdir(ERRORS)
    assert main(["check", "many_errors_with_error.hpm", "../../examples/toy.hpm"]) == 1
    cap = capsys.readouterr()
    assert cap.err.splitlines() == [
        "many_errors_with_error.hpm:7:5: error: task 'a' runs on unknown core type 'CPX' "
        "(did you mean 'CPU'? valid: 'ACC', 'CPU')",
        "many_errors_with_error.hpm:8:5: error: the time of task 'b' must not be negative, "
        "found -1000 ns",
        "many_errors_with_error.hpm:8:5: error: task 'b' comes after unknown task 'z' "
        "(valid: 'a', 'b')",
        "many_errors_with_error.hpm:11:1: error: graph 'h' has no tasks",
        # a good file's warnings are printed with it
        "../../examples/toy.hpm:3:1: warning: hardware 'Toy' declares no cache: no L2 reuse is "
        "modelled; every byte moves at the memory's bandwidth",
    ]
    assert "Traceback" not in cap.err
    assert cap.out.startswith("../../examples/toy.hpm: ok:")


def test_check_missing_file(capsys):
    assert main(["check", "no/such/file.hpm"]) == 1
    assert capsys.readouterr().err.strip() == (
        "no/such/file.hpm: error: 'no/such/file.hpm' does not exist")


def test_textx_registration_checks_semantics():
    textx = pytest.importorskip("textx")
    from textx import TextXSemanticError, metamodel_for_language

    mm = metamodel_for_language("hpm")
    model = mm.model_from_file(str(EXAMPLES / "deepseek_moe.hpm"))
    assert [type(d).__name__ for d in model.decls] == ["Workload", "Tiling", "Tiling"]
    with pytest.raises(TextXSemanticError) as info:
        mm.model_from_file(str(ERRORS / "cycle_with_error.hpm"))
    assert (info.value.line, info.value.col) == (7, 5)
    assert info.value.message == "error: graph 'g' has a dependency cycle: a -> b -> c -> a"
    assert textx.__name__ == "textx"


def test_textx_check_works_with_the_runtime_dependencies():
    # textX[cli] is a runtime dependency: `textx check` needs nothing from the test extra
    import subprocess
    import sys
    from importlib.metadata import requires

    assert any(r.replace(" ", "").lower().startswith("textx[cli]") for r in requires("hpdsl"))

    def textx_check(path):
        return subprocess.run([sys.executable, "-c", "from textx.cli import textx; textx()",
                               "check", str(path)], capture_output=True, text=True)
    ok = textx_check(EXAMPLES / "toy.hpm")
    assert ok.returncode == 0 and "toy.hpm: OK." in ok.stdout + ok.stderr
    bad = textx_check(ERRORS / "cycle_with_error.hpm")
    assert bad.returncode == 1 and "7:5: error: graph 'g' has a dependency cycle" in bad.stderr
