"""Output-file helpers of the commands: atomic writes, devices and folders as targets."""
from __future__ import annotations

import os
import stat
import threading

import pytest

from hpdsl.cli import main
from hpdsl.commands.common import write_atomic
from hpdsl.errors import UserError


def test_write_atomic_replaces_a_file(tmp_path):
    f = tmp_path / "out.json"
    f.write_text("old")
    write_atomic(str(f), "new")
    assert f.read_text() == "new" and os.listdir(tmp_path) == ["out.json"]


def test_write_atomic_into_a_folder_path_is_a_user_error(tmp_path, capsys):
    with pytest.raises(UserError, match=f"^error: cannot write '{tmp_path}': it is a folder$"):
        write_atomic(str(tmp_path), "x")
    # end to end: -o naming a folder exits 1 (it was an IsADirectoryError traceback)
    assert main(["graph", "examples/diamond.hpm", "--format", "json", "-o", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip() == f"error: cannot write '{tmp_path}': it is a folder"


def test_write_atomic_writes_a_pipe_in_place(tmp_path):
    # a device or pipe (-o /dev/null, -o /dev/stdout) is written, never replaced by a file
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo).read()))
    reader.start()
    write_atomic(str(fifo), "through the pipe")
    reader.join(5)
    assert got == ["through the pipe"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and os.listdir(tmp_path) == ["pipe"]


def test_write_atomic_reports_os_errors_as_user_errors(tmp_path):
    f = tmp_path / "file"
    f.write_text("")
    with pytest.raises(UserError, match=f"^error: cannot write '{f}/x': Not a directory$"):
        write_atomic(str(f / "x"), "x")


def test_outputs_are_checked_before_the_long_work(tmp_path, capsys, monkeypatch):
    """A bad -o / --trace / --report path fails before solving or emulating, not after."""
    import hpdsl.solvers

    def must_not_run(*a, **k):
        raise AssertionError("solved before checking the output path")

    monkeypatch.setattr(hpdsl.solvers, "run", must_not_run)
    missing = tmp_path / "no" / "plan.json"
    assert main(["schedule", "examples/toy.hpm", "-s", "heft", "-o", str(missing)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"error: cannot write '{missing}': folder '{missing.parent}' does not exist")
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["compare", "examples/toy.hpm", "-s", "heft", "--report", str(afile)]) == 1
    assert capsys.readouterr().err.strip() == f"error: cannot write '{afile}': it is a file"
    assert main(["emulate", "examples/toy.hpm", "plan.json", "--trace", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip() == f"error: cannot write '{tmp_path}': it is a folder"
