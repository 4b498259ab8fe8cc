"""`hpdsl.lang.tokens`: the tolerant tokenizer reads any text and follows the grammar."""
import re

from hypothesis import given, strategies as st

from hpdsl.lang.load import GRAMMAR
from hpdsl.lang.tokens import Lines, grammar_terms, quantity_keywords, token_index, tokenize


def test_keywords_and_number_pattern_come_from_the_grammar():
    keywords, number = grammar_terms()
    assert {"hardware", "core", "takes", "after", "tile", "x"} <= keywords
    assert "NUMTEXT: /" + number + "/;" in GRAMMAR.read_text()
    assert [t.kind for t in tokenize("1.5e3 -2 .5 latency")] == ["number"] * 3 + ["keyword"]


def test_quantity_keywords_are_the_grammars_quantity_fields():
    assert quantity_keywords() == {"clock": 0, "rate": 0, "buffer": 1, "size": 0,
                                   "bandwidth": 0, "latency": 0, "launch": 0, "takes": 0,
                                   "per_peer": 0}


def test_units_strings_and_comments():
    toks = tokenize('import "a.hpm" /* two\nlines */ bandwidth 1.6 TB/s')
    assert [(t.kind, t.text) for t in toks] == [
        ("keyword", "import"), ("string", '"a.hpm"'), ("comment", "/* two\nlines */"),
        ("keyword", "bandwidth"), ("number", "1.6"), ("word", "TB/s")]
    assert [t.kind for t in tokenize('"open\n/* never closed')] == ["string", "comment"]
    assert tokenize("a // c", comments=False) == tokenize("a")


@given(st.text(max_size=200))
def test_any_text_tokenizes_and_every_character_outside_whitespace_is_covered(text):
    toks = tokenize(text)
    assert all(t.text == text[t.start:t.end] for t in toks)
    assert all(a.end <= b.start for a, b in zip(toks, toks[1:]))
    assert not re.sub(r"\s", "", "".join(_outside(text, toks)))


def _outside(text, toks):
    last = 0
    for t in toks:
        yield text[last:t.start]
        last = t.end
    yield text[last:]


def test_token_index_at_a_cursor():
    toks = tokenize("core AIC count")
    assert token_index(toks, 5) == 1 and token_index(toks, 8) == 1   # in and just after 'AIC'
    assert token_index(toks, 0) == 0 and token_index([], 3) is None


@given(st.text(alphabet="ab\n", max_size=30), st.data())
def test_lines_offsets_and_positions_round_trip(text, data):
    lines = Lines(text)
    offset = data.draw(st.integers(0, len(text)))
    line, col = lines.linecol(offset)
    assert lines.offset(line, col) == offset
    assert text[:offset].count("\n") == line - 1
