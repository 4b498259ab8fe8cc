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
from hpdsl.inputs import Unreadable, read_input

# A hand-written spec is kilobytes. The parser reads about 100 KB/s of dense declarations,
# so these keep any load to seconds (docs/limits.md).
MAX_FILE_BYTES = 2**19       # one file, and all files of one load together
MAX_IMPORTS = 1000           # files in one load, imports included
MAX_IMPORT_DEPTH = 100       # files in one chain of imports (each level is a parser recursion)

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


def decode(data: bytes, display: str, where: Loc | None = None,
           size: int | None = None) -> tuple[str | None, list[Diagnostic]]:
    """Bytes to text, or a diagnostic saying why the bytes are not a spec (`size`: the
    file's size, where `data` is only its first MAX_FILE_BYTES + 1 bytes)."""
    here = where or Loc(display)
    if len(data) > MAX_FILE_BYTES:
        return None, [Diagnostic(here, f"file '{display}' is {max(size or 0, len(data))} bytes; "
                                       f"a spec file may be at most {MAX_FILE_BYTES} bytes")]
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
        return metamodel().model_from_str(blank_comments(text), file_name=display), []
    except TextXSyntaxError as e:
        line, col = e.line or 1, e.col or 1
        msg = f"syntax error: expected {_expected(e.expected_rules)} but found {_found(text, line, col)}"
        return None, [Diagnostic(Loc(display, line, col), msg)]
    except TextXError as e:   # textX semantic errors: the grammar has no references, so rare
        return None, [Diagnostic(Loc(display, e.line or 0, e.col or 0), str(e.message))]
    except RecursionError:
        return None, [Diagnostic(Loc(display), "the file is nested too deeply to parse")]


_SPECIAL = re.compile(r"//|/\*|[\"']")
# textX's STRING rule, one per quote: the blanking must see strings where the parser does
_STRING = {'"': re.compile(r'"(\\"|[^"])*"'), "'": re.compile(r"'(\\'|[^'])*'")}


def blank_comments(text: str) -> str:
    r"""`text` with every comment replaced by spaces (newlines kept, so locations stay).

    One forward pass of `find`s, linear in the text: the grammar's comment regex makes the
    parser build a node per comment, and a `.*?` regex rescans the rest of the file from
    every unterminated `/*`. Quoted strings are kept as they are; an unterminated comment
    or string ends the pass and is left for the parser to report.

    >>> blank_comments('a // b\nc /* d */ "e//f"')
    'a     \nc         "e//f"'
    """
    out, i = [], 0
    while (m := _SPECIAL.search(text, i)) is not None:
        a, tok = m.start(), m.group()
        if tok == "//":
            b = text.find("\n", a)
            b = len(text) if b < 0 else b
        elif tok == "/*":
            b = text.find("*/", a + 2)
            if b < 0:
                break
            b += 2
        else:   # a quoted string: skip to its closing quote, past escaped ones
            q = _STRING[tok].match(text, a)
            if q is None:
                break
            out.append(text[i:q.end()])
            i = q.end()
            continue
        out.append(text[i:a])
        out.append(re.sub(r"[^\n]", " ", text[a:b]))
        i = b
    out.append(text[i:])
    return "".join(out)


def _is_blank(text: str) -> str | None:
    """A sentence if the file has no content at all, else None."""
    if not text.strip():
        return "is empty"
    if not blank_comments(text).strip():
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
    total = [len(text.encode("utf-8", "surrogatepass"))]   # bytes of all files read so far

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
            done.add(target)
            sub = _read_import(target, imp.path, shown, where, diags)
            if sub is not None:
                total[0] += len(sub.encode("utf-8", "surrogatepass"))
            stop = _over_limits(len(done), len(chain), total[0], chain[0][1])
            if stop:
                diags.append(Diagnostic(where, stop))
                return
            if sub is not None:
                visit(sub, shown, target, chain + ((target, shown),))
        sources.append(Source(display, model))

    if real:
        done.add(real)
    visit(text, display, real, ((real or display, display),))
    return sources, diags


def _over_limits(files: int, depth: int, total: int, root: str) -> str | None:
    """Why no further file may be imported, or None."""
    if files > MAX_IMPORTS:
        return f"too many imported files (at most {MAX_IMPORTS})"
    if depth >= MAX_IMPORT_DEPTH:
        return f"imports nest more than {MAX_IMPORT_DEPTH} files deep"
    if total > MAX_FILE_BYTES:
        return (f"'{root}' and the files it imports are more than {MAX_FILE_BYTES} bytes "
                f"together; a spec may be at most {MAX_FILE_BYTES} bytes")
    return None


def _read_import(target: str, path: str, shown: str, where: Loc,
                 diags: list[Diagnostic]) -> str | None:
    """The text of an imported file, or None with the reason in `diags`."""
    try:
        got = read_file(target)
    except Unreadable as e:
        it = "it" if os.path.normpath(path) == shown else f"'{shown}'"
        diags.append(Diagnostic(where, f"cannot import '{path}': {it} {e}"))
        return None
    sub, errs = decode(got.data, shown, None, got.size)
    diags.extend(errs)
    return sub


def read_file(path: str):
    """A spec file's first MAX_FILE_BYTES + 1 bytes (a larger file is refused by decode())."""
    return read_input(path, MAX_FILE_BYTES)
