"""The `hpdsl` command as a whole: exit statuses, and what goes to stdout."""
from __future__ import annotations

import json

import pytest

from hpdsl.cli import EXIT_STATUS, build_parser, main

TOY = "examples/toy.hpm"


@pytest.mark.parametrize("argv, message", [
    (["schedule"], "hpdsl schedule: error: the following arguments are required: SPEC"),
    (["schedule", TOY, "--time-limit", "abc"],
     "hpdsl schedule: error: argument --time-limit: invalid float value: 'abc'"),
    (["nope"], "hpdsl: error: argument COMMAND: invalid choice: 'nope'"),
    (["graph", TOY, "--format", "png"], "hpdsl graph: error: argument --format: invalid choice"),
])
def test_a_bad_command_line_exits_1_like_any_user_error(argv, message, capsys):
    # argparse alone exits 2; hpdsl exits 1 for every mistake in its input, documented
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("usage: ") and message in err and "Traceback" not in err
    assert EXIT_STATUS in " ".join(build_parser().format_help().split())


def test_help_exits_0(capsys):
    with pytest.raises(SystemExit) as e:
        main(["schedule", "--help"])
    assert e.value.code == 0


@pytest.mark.parametrize("order", [["routing=balanced", "seed=abc"], ["seed=abc", "routing=balanced"]])
def test_a_bad_seed_is_one_clean_error_in_either_order(order, capsys):
    argv = ["graph", TOY] + [x for s in order for x in ("--set", s)]
    assert main(argv) == 1
    assert capsys.readouterr().err == "error: --set seed=abc: expected a whole number, got 'abc'\n"


def test_plan_to_stdout_and_json_would_be_two_documents(capsys, monkeypatch):
    import hpdsl.solvers

    monkeypatch.setattr(hpdsl.solvers, "run", lambda *a, **k: pytest.fail("solved first"))
    assert main(["schedule", TOY, "-s", "heft", "-o", "-", "--json"]) == 1
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err == (
        "error: -o - and --json would both print a JSON document on stdout; write the plan to "
        "a file, or leave out --json\n")


def test_plan_to_stdout_is_the_only_thing_there(capsys):
    assert main(["schedule", TOY, "-s", "heft", "-o", "-"]) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out)["version"] == 1      # one document, nothing after it
    assert cap.err.startswith("graph        tiny: 48 tasks")


def test_python_dash_m_runs_the_command_line():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "hpdsl", "--version"], capture_output=True,
                         text=True)
    assert out.returncode == 0 and out.stdout.startswith("hpdsl ")
