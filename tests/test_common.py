"""Output-file helpers of the commands: atomic writes, devices and folders as targets."""
from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from hpdsl.cli import main
from hpdsl.commands.common import check_output_path, write_atomic
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
    with pytest.raises(UserError, match=f"^error: cannot write '{f}/x': '{f}' is a file, not a folder$"):
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


def test_unwritable_folders_are_found_before_the_work(tmp_path, capsys, monkeypatch):
    # writability, not existence: the folder is probed by creating a file in it
    import hpdsl.solvers

    monkeypatch.setattr(hpdsl.solvers, "run", lambda *a, **k: pytest.fail("solved first"))
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["schedule", "examples/toy.hpm", "-s", "heft", "-o", f"{afile}/x.json"]) == 1
    assert capsys.readouterr().err.strip() == (f"error: cannot write '{afile}/x.json': "
                                               f"'{afile}' is a file, not a folder")
    assert main(["emulate", "examples/toy.hpm", "p.json", "--trace", f"{afile}/t.json"]) == 1
    assert capsys.readouterr().err.strip() == (f"error: cannot write '{afile}/t.json': "
                                               f"'{afile}' is a file, not a folder")
    if os.path.isdir("/proc/self"):   # a folder that exists, where nobody may create files
        assert main(["schedule", "examples/toy.hpm", "-s", "heft", "-o", "/proc/x.json"]) == 1
        assert capsys.readouterr().err.strip().startswith(
            "error: cannot write '/proc/x.json': cannot create files in '/proc' (")


def test_probe_refuses_a_read_only_folder(tmp_path, monkeypatch):
    import tempfile

    def read_only(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with pytest.raises(UserError, match=rf"^error: cannot write '{tmp_path}/x': cannot create "
                                        rf"files in '{tmp_path}' \(Permission denied\)$"):
        check_output_path(tmp_path / "x")


def test_an_output_onto_an_input_is_refused(tmp_path, capsys):
    spec = tmp_path / "toy.hpm"
    spec.write_text(open("examples/toy.hpm").read())
    os.symlink("toy.hpm", tmp_path / "alias.hpm")
    for out in (spec, tmp_path / "alias.hpm", f"{tmp_path}/./toy.hpm"):
        assert main(["schedule", str(spec), "-s", "heft", "-o", str(out)]) == 1
        assert capsys.readouterr().err.strip() == (
            f"error: cannot write '{Path(out)}': it is an input of this command ('{spec}'); choose "
            "another output")
    assert spec.read_text() == open("examples/toy.hpm").read()
    # an imported file is an input too (known once the spec is loaded)
    (tmp_path / "top.hpm").write_text('import "toy.hpm"\n')
    assert main(["graph", str(tmp_path / "top.hpm"), "--format", "json", "-o", str(spec)]) == 1
    assert "it is an input of this command" in capsys.readouterr().err
    assert main(["emulate", str(spec), str(spec), "--trace", str(spec)]) == 1
    assert "it is an input of this command" in capsys.readouterr().err


def test_a_symbolic_link_is_written_through(tmp_path):
    (tmp_path / "real.json").write_text("old")
    os.symlink("real.json", tmp_path / "link.json")
    write_atomic(str(tmp_path / "link.json"), "new")
    assert os.path.islink(tmp_path / "link.json")
    assert (tmp_path / "real.json").read_text() == "new"
    os.symlink("loop.json", tmp_path / "loop.json")
    with pytest.raises(UserError, match=r"^error: cannot write '.*loop.json': it is a symbolic "
                                        r"link loop"):
        write_atomic(str(tmp_path / "loop.json"), "x")
    # a dangling link creates its target, as a shell's '>' does
    os.symlink("made.json", tmp_path / "dangling.json")
    write_atomic(str(tmp_path / "dangling.json"), "made")
    assert (tmp_path / "made.json").read_text() == "made"
    assert sorted(os.listdir(tmp_path)) == ["dangling.json", "link.json", "loop.json",
                                           "made.json", "real.json"]
