"""Random and mutated spec text: loading gives a Spec or a UserError, never another exception."""
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from hpdsl.errors import UserError
from hpdsl.lang import load, loads
from hpdsl.spec import Spec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SOURCES = {p.name: p.read_text() for p in sorted(EXAMPLES.rglob("*.hpm"))}
TOKEN = re.compile(r"\s+|//[^\n]*|[A-Za-z_]\w*|[-+]?\d+(?:\.\d+)?|\"[^\"]*\"|\S")
WORDS = sorted({t for s in SOURCES.values() for t in TOKEN.findall(s) if t.strip()}
               | {"-1", "0", "1e999", "0.5", "x", "{", "}", "(", ")", ",", ";", "\"", "GiB",
                  "import", "\"missing.hpm\""})


def _outcome(fn, *args) -> None:
    try:
        assert isinstance(fn(*args), Spec)
    except UserError as e:
        assert e.diagnostics and all(str(d) for d in e.diagnostics)


@st.composite
def mutated(draw):
    name = draw(st.sampled_from(sorted(SOURCES)))
    tokens = TOKEN.findall(SOURCES[name])
    for _ in range(draw(st.integers(1, 4))):
        if not tokens:
            break
        i = draw(st.integers(0, len(tokens) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "replace", "insert"]))
        if op == "delete":
            del tokens[i]
        elif op == "duplicate":
            tokens.insert(i, tokens[i])
        elif op == "swap":
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif op == "replace":
            tokens[i] = draw(st.sampled_from(WORDS))
        else:
            tokens.insert(i, " " + draw(st.sampled_from(WORDS)) + " ")
    return name, "".join(tokens)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_examples_load_or_fail_cleanly(case):
    name, text = case
    # named after the real file so that its imports resolve
    _outcome(loads, text, str(EXAMPLES / name))


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=300))
def test_random_text(text):
    _outcome(loads, text, "random.hpm")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200))
def test_random_bytes(tmp_path, data):
    path = tmp_path / "bytes.hpm"
    path.write_bytes(data)
    _outcome(load, str(path))
