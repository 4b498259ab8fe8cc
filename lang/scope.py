"""The names a .hpm file sees: its own outline and those of the files it imports.

Imports resolve as the loader resolves them (`load.import_target`) and are read from disk
under the loader's caps (file size, number of files); a file that cannot be read simply
adds no names. The open file's own text is taken as given (an editor's unsaved buffer).
"""
from __future__ import annotations

import os
from functools import lru_cache
from typing import NamedTuple

from hpdsl.inputs import Unreadable

from .load import MAX_IMPORTS, decode, import_target, read_file
from .outline import Decl, Outline, Role, outline


class FileOutline(NamedTuple):
    path: str | None   # resolved path; None for text not from a file
    text: str
    outline: Outline


class Found(NamedTuple):
    file: FileOutline
    decl: Decl


@lru_cache(maxsize=256)
def _read(path: str, mtime_ns: int, size: int) -> FileOutline | None:
    """A file's outline; cached while its modification time and size stay the same."""
    try:   # a regular file only: an editor must not hang on an import that is a FIFO
        text, _ = decode(read_file(path).data, path)
    except Unreadable:
        return None
    return None if text is None else FileOutline(path, text, outline(text))


def _read_file(path: str) -> FileOutline | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return _read(path, st.st_mtime_ns, st.st_size)


class Scope:
    """Declarations visible from one file, that file first, then its imports depth-first."""

    def __init__(self, files: tuple[FileOutline, ...]):
        self.files = files
        self._kinds: dict[str, list[Found]] = {}
        for f in files:
            for d in f.outline.decls:
                self._kinds.setdefault(d.kind, []).append(Found(f, d))

    def decls(self, kind: str) -> list[Found]:
        """Every declaration of `kind`, in scope order."""
        return self._kinds.get(kind, [])

    def hardware_of(self, workload: str) -> str:
        """The hardware a workload is on ('' if unknown)."""
        return next((x.decl.on for x in self.decls("workload") if x.decl.name == workload), "")

    def candidates(self, role: Role) -> list[Found]:
        """The declarations a name in `role` may refer to, unique by name, in scope order."""
        if role.kind == "core":
            hw = role.hardware or self.hardware_of(role.workload)
            found = [x for x in self.decls("core") if x.decl.owner == hw]
        elif role.kind == "op":
            found = [x for x in self.decls("op") if x.decl.owner == role.workload
                     and (role.before < 0 or (x.file is self.files[0]
                                              and x.decl.token.start < role.before))]
        elif role.kind == "task":
            found = [x for x in self.decls("task") if x.decl.owner == role.graph]
        else:
            found = list(self.decls(role.kind))
        seen, out = set(), []
        for x in found:
            if x.decl.name not in seen:
                seen.add(x.decl.name)
                out.append(x)
        return out

    def definition(self, role: Role, name: str) -> Found | None:
        """Where a name used in `role` is declared (any declaration of its kind as a fallback:
        a core type of some other hardware beats nothing)."""
        for x in self.candidates(role._replace(before=-1)):   # an input read too early too
            if x.decl.name == name:
                return x
        return next((x for x in self.decls(role.kind) if x.decl.name == name), None)


def scope_of(text: str, path: str | None, main: Outline | None = None) -> Scope:
    """The scope of `text` (the file at `path`, None if unsaved and nameless); `main` is
    its outline when the caller has it already."""
    real = os.path.realpath(path) if path else None
    first = FileOutline(real, text, main if main is not None else outline(text))
    files, seen = [first], {real}
    todo = [first]   # depth-first without recursion: an import chain may be long
    while todo:
        f = todo.pop()
        subs = []
        for imp in f.outline.imports:
            target = import_target(f.path, imp.path)
            if target in seen or len(seen) > MAX_IMPORTS:
                continue
            seen.add(target)
            sub = _read_file(target)
            if sub is not None:
                subs.append(sub)
        files.extend(subs)
        todo.extend(reversed(subs))
    return Scope(tuple(files))
