"""Reading untrusted input files: regular files only, read with a bound, and a sentence for
every way a path can fail to be one (a folder, a device, a FIFO, a symbolic link loop).

The file is opened without blocking and checked with `fstat` on the open descriptor, so
a FIFO nobody writes to is refused at once instead of hanging the command, and a path
swapped between a check and the read cannot slip through.

>>> read_input("/dev/zero", 10)
Traceback (most recent call last):
hpdsl.inputs.Unreadable: is a character device, not a regular file
"""
from __future__ import annotations

import errno
import os
import stat
from typing import NamedTuple

_KINDS = ((stat.S_ISDIR, "is a folder, not a file"),
          (stat.S_ISFIFO, "is a FIFO (named pipe), not a regular file"),
          (stat.S_ISCHR, "is a character device, not a regular file"),
          (stat.S_ISBLK, "is a block device, not a regular file"),
          (stat.S_ISSOCK, "is a socket, not a regular file"))


class Unreadable(Exception):
    """Why a path is not a readable regular file: a sentence tail ("is a folder, ...")."""


class Input(NamedTuple):
    data: bytes   # at most `limit + 1` bytes: more means the file is over the limit
    size: int     # the file's size on disk


def kind_of(mode: int) -> str | None:
    """The sentence tail for a file mode that is not a regular file; None for a regular one."""
    return next((why for test, why in _KINDS if test(mode)), None)


def why_not(path: str, e: OSError) -> str:
    """The sentence tail for an `OSError` met when opening `path`."""
    if e.errno == errno.ENOENT and os.path.islink(path):
        return f"is a symbolic link to '{os.readlink(path)}', which does not exist"
    if e.errno == errno.ENOENT:
        return "does not exist"
    if e.errno == errno.ELOOP:
        return "is a symbolic link loop (or a chain of links too long to follow)"
    if e.errno == errno.ENOTDIR:
        return "does not exist (a part of its path is a file, not a folder)"
    return f"cannot be read: {e.strerror}"


def read_input(path: str, limit: int) -> Input:
    """The first `limit + 1` bytes of the regular file at `path`; `Unreadable` otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise Unreadable(why_not(path, e)) from None
    try:
        st = os.fstat(fd)
        why = kind_of(st.st_mode)
        if why is not None:
            raise Unreadable(why)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise Unreadable(f"cannot be read: {e.strerror}") from None
    finally:
        os.close(fd)
    return Input(data, st.st_size)
