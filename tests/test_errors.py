"""`hpdsl.errors`: located diagnostics, their severity, user errors; the caps that keep a
report short and linear in its input, and "did you mean"."""
import pytest

from hpdsl.errors import (ERROR, MAX_MESSAGE_CHARS, MAX_SHOWN_DIAGNOSTICS, MAX_SUGGESTED, WARNING,
                          Diagnostic, Loc, Names, UserError, clip, did_you_mean)


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


def test_small_sets_are_listed_whole():
    assert did_you_mean("AIW", ["AIC", "AIV"]) == " (did you mean 'AIV'? valid: 'AIC', 'AIV')"
    assert did_you_mean("x", []) == " (valid: none)"


def test_large_sets_give_the_nearest_name_and_a_count():
    # 1500 unknown names against 1500 valid ones gave 21 MB of messages, every name in each
    valid = [f"hardware_number_{i}" for i in range(1500)]
    tail = did_you_mean("hardwre_number_77", valid)
    assert tail == (" (did you mean 'hardware_number_77'? 1500 valid names, e.g. "
                    "'hardware_number_0', 'hardware_number_1', 'hardware_number_10')")
    assert did_you_mean("zzz", valid) == (" (1500 valid names, e.g. 'hardware_number_0', "
                                          "'hardware_number_1', 'hardware_number_10')")
    # a typo in the first letter is found too (names are also searched reversed)
    assert "did you mean 'hardware_number_5'?" in did_you_mean("gardware_number_5", valid)


def test_one_names_stops_searching_after_max_suggested():
    names = Names(f"task{i}" for i in range(5000))
    asked = [did_you_mean(f"task{i}x", names) for i in range(MAX_SUGGESTED + 5)]
    assert all("did you mean" in a for a in asked[:MAX_SUGGESTED])
    assert not any("did you mean" in a for a in asked[MAX_SUGGESTED:])
    assert all("5000 valid names" in a for a in asked)


def test_absurdly_long_names_are_not_searched_and_not_echoed_whole():
    long = "a" * 1_000_000
    assert did_you_mean(long, [long[:-1]]).startswith(" (valid: 'aaa")
    assert len(did_you_mean(long, [long[:-1]])) <= MAX_MESSAGE_CHARS // 2
    d = Diagnostic(Loc("f.hpm", 1, 1), f"unknown hardware '{long}'")
    assert len(d.message) == MAX_MESSAGE_CHARS and "characters cut ...]" in d.message
    assert d.message.startswith("unknown hardware 'aaa") and d.message.endswith("aaa'")


def test_clip():
    assert clip("short") == "short"
    assert clip("a" * 30 + "b" * 30, 40) == "aaaaaaa[... 47 characters cut ...]bbbbbb"


def test_a_report_shows_at_most_max_shown_diagnostics():
    n = MAX_SHOWN_DIAGNOSTICS + 7
    e = UserError([Diagnostic(Loc("f", i + 1, 1), "bad") for i in range(n)])
    lines = str(e).splitlines()
    assert len(e.diagnostics) == n and len(lines) == MAX_SHOWN_DIAGNOSTICS + 1
    assert lines[-1] == f"error: ... and 7 more errors (the first {MAX_SHOWN_DIAGNOSTICS} are shown)"
    assert str(UserError("one")) == "error: one"
