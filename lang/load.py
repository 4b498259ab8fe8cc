"""Reading .hpm files: bytes to text, text to textX models, imports, syntax errors.

Spec files are untrusted input: they are size-bounded, must be UTF-8 text, and every
failure becomes a located `UserError`. Imports are followed depth-first, each file
parsed once; the models come back in dependency order (imports before importers).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from hpdsl.errors import Diagnostic, Loc

MAX_FILE_BYTES = 4 * 2**20   # a hand-written spec is kilobytes; refuse anything absurd
MAX_IMPORTS = 1000           # files in one load, imports included

GRAMMAR = Path(__file__).with_name("hpm.tx")

# How expected grammar rules read in a syntax error sentence.
_RULE_WORDS = {
    "ID": "a name", "NUMTEXT": "a number", "UNIT": "a unit", "STRING": "a quoted string",
    "EOF": "end of file", "Name": "a name", "Count": "a number", "Quantity": "a number",
}


@lru_cache(maxsize=1)
def metamodel():
    """The textX metamodel of the language (built once per process)."""
    from textx import metamodel_from_file

    return metamodel_from_file(str(GRAMMAR), autokwd=True)


@dataclass(frozen=True, slots=True)
class Source:
    """One parsed file: the name used in messages and its textX model (lang-internal)."""

    display: str
    model: object


def loc_of(source_display: str, obj) -> Loc:
    """The location of a textX object, reported under the file's display name."""
    from textx import get_model

    line, col = get_model(obj)._tx_parser.pos_to_linecol(obj._tx_position)
    return Loc(source_display, line, col)


def decode(data: bytes, display: str, where: Loc | None = None) -> tuple[str | None, list[Diagnostic]]:
    """Bytes to text, or a diagnostic saying why the bytes are not a spec."""
    here = where or Loc(display)
    if len(data) > MAX_FILE_BYTES:
        return None, [Diagnostic(here, f"file '{display}' is {len(data)} bytes; a spec file may "
                                       f"be at most {MAX_FILE_BYTES} bytes")]
    if b"\x00" in data:
        return None, [Diagnostic(here, f"file '{display}' is binary (it contains NUL bytes), "
                                       "not an .hpm text file")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        return None, [Diagnostic(Loc(display, line, col),
                                 f"file '{display}' is not UTF-8 text (byte 0x{data[e.start]:02x} "
                                 "cannot be decoded)")]
    return text.lstrip("\ufeff"), []


def _found(text: str, line: int, col: int) -> str:
    """The token at line:col, for 'found ...' in syntax errors."""
    lines = text.split("\n")
    if line - 1 >= len(lines):
        return "end of file"
    rest = lines[line - 1][col - 1:]
    # Nothing left on the line: show what the parser meets next.
    if not rest.strip():
        tail = "\n".join(lines[line:])
        tail = re.sub(r"//[^\n]*", "", tail).strip()
        if not tail:
            return "end of file"
        rest = tail
    m = re.match(r"\s*([A-Za-z_]\w*|[-+]?\d[\w.]*|\"[^\"\n]*\"?|\S)", rest)
    return f"'{m.group(1)}'" if m else "end of file"


def _expected(rules) -> str:
    words = []
    for r in rules or ():
        name = getattr(r, "rule_name", "") or ""
        match = getattr(r, "to_match", None)
        if isinstance(match, str) and match.startswith("\\/"):
            continue   # a comment may come anywhere; listing it helps nobody
        word = _RULE_WORDS.get(name)
        if word is None:
            match = getattr(r, "to_match", None)
            if isinstance(match, str) and re.fullmatch(r"[\w;:,(){}\[\]]+", match):
                word = f"'{match}'"
            else:
                word = f"'{name}'" if name else "something else"
        if word not in words:
            words.append(word)
    words.sort()
    if not words:
        return "something else"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def parse(text: str, display: str) -> tuple[object | None, list[Diagnostic]]:
    """Text to a textX model, or one located syntax diagnostic."""
    from textx import TextXError, TextXSyntaxError

    try:
        return metamodel().model_from_str(text, file_name=display), []
    except TextXSyntaxError as e:
        line, col = e.line or 1, e.col or 1
        msg = f"syntax error: expected {_expected(e.expected_rules)} but found {_found(text, line, col)}"
        return None, [Diagnostic(Loc(display, line, col), msg)]
    except TextXError as e:   # textX semantic errors: the grammar has no references, so rare
        return None, [Diagnostic(Loc(display, e.line or 0, e.col or 0), str(e.message))]
    except RecursionError:
        return None, [Diagnostic(Loc(display), "the file is nested too deeply to parse")]


def _is_blank(text: str) -> str | None:
    """A sentence if the file has no content at all, else None."""
    if not text.strip():
        return "is empty"
    stripped = re.sub(r"/\*.*?\*/", "", re.sub(r"//[^\n]*", "", text), flags=re.S)
    if not stripped.strip():
        return "contains only comments"
    return None


def _parse_text(text: str, display: str) -> tuple[object | None, list[Diagnostic]]:
    blank = _is_blank(text)
    if blank:
        return None, [Diagnostic(Loc(display), f"file '{display}' {blank}; expected hardware, "
                                               "workload, tiling or graph declarations")]
    return parse(text, display)


def import_target(importer: str | None, path: str) -> str:
    """The resolved path `import "path"` names in the file at resolved path `importer`
    (None: text not from a file, whose imports resolve from the working directory)."""
    base = os.path.dirname(importer) if importer else os.getcwd()
    return os.path.realpath(os.path.join(base, path))


def collect(text: str, display: str, real: str | None) -> tuple[list[Source], list[Diagnostic]]:
    """Parse `text` and, depth-first, every file it imports (each file once).

    `real` is the file's resolved path (None for a string not from a file); imports are
    resolved relative to its folder, or the working directory for strings.
    """
    sources: list[Source] = []
    diags: list[Diagnostic] = []
    done: set[str] = set()

    def visit(text: str, display: str, real: str | None, chain: tuple[tuple[str, str], ...]):
        # chain: (resolved path, display name) of every file from the root down to this one
        model, errs = _parse_text(text, display)
        diags.extend(errs)
        if model is None:
            return
        shown_base = os.path.dirname(display) if real else ""
        for imp in model.imports:
            where = loc_of(display, imp)
            target = import_target(real, imp.path)
            shown = os.path.normpath(os.path.join(shown_base, imp.path))
            reals = [r for r, _ in chain]
            if target in reals:
                names = [d for _, d in chain[reals.index(target):]] + [shown]
                diags.append(Diagnostic(where, "import cycle: " + " -> ".join(names)))
                continue
            if target in done:
                continue
            if len(done) >= MAX_IMPORTS:
                diags.append(Diagnostic(where, f"too many imported files (at most {MAX_IMPORTS})"))
                return
            done.add(target)
            if not os.path.isfile(target):
                diags.append(Diagnostic(where, f"cannot import '{imp.path}': file '{shown}' "
                                               "does not exist"))
                continue
            try:
                data = _read_bytes(target)
            except OSError as e:
                diags.append(Diagnostic(where, f"cannot import '{imp.path}': {e.strerror}"))
                continue
            sub, errs = decode(data, shown, None)
            diags.extend(errs)
            if sub is not None:
                visit(sub, shown, target, chain + ((target, shown),))
        sources.append(Source(display, model))

    if real:
        done.add(real)
    visit(text, display, real, ((real or display, display),))
    return sources, diags


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read(MAX_FILE_BYTES + 1)   # bounded: a larger file is refused by decode()
