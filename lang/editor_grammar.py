"""The TextMate grammar of .hpm (`hpm.tmLanguage.json`, for editor highlighting), built
from `hpm.tx`: its keywords and its number pattern. The JSON file ships as package data;
after a change to the grammar, rebuild it with

    python -m hpdsl.lang.editor_grammar

(a test fails while the shipped file differs from what this builds).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from .tokens import grammar_terms

PATH = Path(__file__).with_name("hpm.tmLanguage.json")
# statement keywords a declared name follows (coloured as a declaration)
DECLARING = ("hardware", "workload", "tiling", "graph", "core", "queue", "buffer", "memory",
             "cache", "link", "fabric", "op", "task")


def build() -> dict:
    """The grammar as a JSON-ready dict."""
    keywords, number = grammar_terms()
    kws = "|".join(sorted(keywords))
    # Oniguruma groups numbered as captures: the number's own groups must not capture
    num = r"(?<![\w.])" + re.sub(r"\((?!\?)", "(?:", number)
    repo = {
        "comments": {"patterns": [
            {"name": "comment.line.double-slash.hpm", "match": "//.*$"},
            {"name": "comment.block.hpm", "begin": r"/\*", "end": r"\*/"}]},
        "strings": {"name": "string.quoted.double.hpm", "match": '"[^"]*"?'},
        "declarations": {
            "match": rf"\b({'|'.join(DECLARING)})\s+([A-Za-z_]\w*)",
            "captures": {"1": {"name": "keyword.other.declaration.hpm"},
                         "2": {"name": "entity.name.type.hpm"}}},
        "op-kinds": {"match": r":\s*([A-Za-z_]\w*)",
                     "captures": {"1": {"name": "support.function.op-kind.hpm"}}},
        "quantities": {   # a keyword after a number is never read as its unit
            "match": rf"({num})\s*(?!(?:{kws})\b)([A-Za-z][A-Za-z0-9]*(?:/[A-Za-z]+)?)",
            "captures": {"1": {"name": "constant.numeric.hpm"},
                         "2": {"name": "keyword.other.unit.hpm"}}},
        "numbers": {"name": "constant.numeric.hpm", "match": num},
        "keywords": {"name": "keyword.other.hpm", "match": rf"\b(?:{kws})\b"},
        "punctuation": {"patterns": [
            {"name": "punctuation.section.block.hpm", "match": "[{}]"},
            {"name": "punctuation.separator.hpm", "match": "[,:;()]"}]},
    }
    return {
        "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
        "name": "hpm", "scopeName": "source.hpm", "fileTypes": ["hpm"],
        "patterns": [{"include": f"#{k}"} for k in repo],
        "repository": repo,
    }


def text() -> str:
    return json.dumps(build(), indent=2) + "\n"


if __name__ == "__main__":
    PATH.write_text(text(), encoding="utf-8")
    print(PATH)
