"""`hpdsl.errors`: located diagnostics, their severity, user errors."""
import pytest

from hpdsl.errors import ERROR, WARNING, Diagnostic, Loc, UserError


def test_a_diagnostic_is_an_error_unless_told_otherwise():
    d = Diagnostic(Loc("a.hpm", 2, 3), "bad")
    assert d.severity == ERROR and d.is_error and str(d) == "a.hpm:2:3: error: bad"
    w = Diagnostic(Loc("a.hpm", 2, 3), "odd", WARNING)
    assert not w.is_error and str(w) == "a.hpm:2:3: warning: odd"


def test_an_unknown_severity_is_a_bug():
    with pytest.raises(ValueError, match="severity must be one of"):
        Diagnostic(None, "x", "fatal")


def test_user_error_prints_every_diagnostic():
    e = UserError([Diagnostic(Loc("a.hpm", 1, 1), "one"), Diagnostic(None, "two", WARNING)])
    assert str(e) == "a.hpm:1:1: error: one\nwarning: two"
