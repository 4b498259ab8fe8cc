"""Reading input files: regular files only, bounded, and why a path is not one."""
from __future__ import annotations

import os

import pytest

from hpdsl.inputs import Unreadable, read_input


def test_a_regular_file_is_read_up_to_one_byte_past_the_limit(tmp_path):
    f = tmp_path / "f"
    f.write_bytes(b"x" * 100)
    got = read_input(str(f), 10)
    assert got.data == b"x" * 11 and got.size == 100
    assert read_input(str(f), 1000).data == b"x" * 100


def test_every_kind_of_not_a_file_says_what_it_is(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    os.symlink("loop", tmp_path / "loop")
    os.symlink("gone", tmp_path / "dangling")
    (tmp_path / "f").write_text("")
    cases = {str(tmp_path): "is a folder, not a file",
             str(tmp_path / "fifo"): "is a FIFO (named pipe), not a regular file",
             "/dev/zero": "is a character device, not a regular file",
             str(tmp_path / "loop"): "is a symbolic link loop (or a chain of links too long to follow)",
             str(tmp_path / "dangling"): "is a symbolic link to 'gone', which does not exist",
             str(tmp_path / "none"): "does not exist",
             str(tmp_path / "f" / "x"): "does not exist (a part of its path is a file, not a folder)"}
    for path, why in cases.items():
        with pytest.raises(Unreadable) as e:
            read_input(path, 10)
        assert str(e.value) == why, path
