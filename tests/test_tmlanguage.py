"""lang/hpm.tmLanguage.json, the editor grammar (`hpdsl.lang.editor_grammar`): valid, and
in step with hpm.tx."""
import json
import re
from pathlib import Path

from hpdsl.cli import main
from hpdsl.commands.lsp import grammar_path
from hpdsl.lang import editor_grammar
from hpdsl.lang.tokens import grammar_terms

GRAMMAR = Path(__file__).resolve().parents[1] / "lang" / "hpm.tmLanguage.json"


def _rules():
    return json.loads(GRAMMAR.read_text())["repository"]


def _alternatives(pattern: str) -> set[str]:
    return set(re.search(r"\(\?:((?:\w+\|)+\w+)\)", pattern).group(1).split("|"))


def test_keywords_are_the_grammars():
    keywords, _ = grammar_terms()
    rules = _rules()
    assert _alternatives(rules["keywords"]["match"]) == keywords
    # a keyword after a number is never read as its unit
    assert _alternatives(rules["quantities"]["match"]) == keywords


def test_the_shipped_file_is_built_from_the_grammar():
    # after a change to hpm.tx: python -m hpdsl.lang.editor_grammar
    assert GRAMMAR.read_text() == editor_grammar.text()


def test_numbers_are_the_grammars_numbers():
    number = re.compile(_rules()["numbers"]["match"])
    assert [m.group() for m in number.finditer("1 -2.5 .5 3e-4 L0C x1")] == [
        "1", "-2.5", ".5", "3e-4"]


def test_quantities_and_counts_are_told_apart():
    quantity = re.compile(_rules()["quantities"]["match"])
    found = lambda line: [m.groups() for m in quantity.finditer(line)]
    assert found("    memory HBM size 64 GiB bandwidth 1.6 TB/s") == [("64", "GiB"), ("1.6", "TB/s")]
    assert found("    experts 256 topk 8") == []
    assert found("    up tile 128 x 256 on AIC") == []
    assert found("    buffer L0C 128 KiB") == [("128", "KiB")]


def test_the_grammar_ships_and_its_path_is_printed(capsys):
    assert main(["lsp", "--grammar"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == grammar_path() and Path(printed).read_text() == GRAMMAR.read_text()
    assert json.loads(GRAMMAR.read_text())["scopeName"] == "source.hpm"
