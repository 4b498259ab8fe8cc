"""Routing models: distinct choices, exact balance, skew, groups, determinism, errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from hpdsl.routing import KINDS, route
from hpdsl.spec import Routing


def distinct(ch):
    s = np.sort(ch, axis=-1)
    return (s[..., 1:] != s[..., :-1]).all()


@pytest.mark.parametrize("kind,param", [("balanced", 0), ("zipf", 1.2), ("grouped", 4)])
def test_shapes_distinct_counts(kind, param):
    r = route(Routing(kind, param, seed=5), 3, 50, 16, 8)
    assert r.choices.shape == (3, 50, 8)
    assert distinct(r.choices)
    assert r.choices.min() >= 0 and r.choices.max() < 16
    assert (r.counts.sum(axis=1) == 50 * 8).all()
    for d in range(3):
        assert (r.counts[d] == np.bincount(r.choices[d].ravel(), minlength=16)).all()
    assert not r.choices.flags.writeable and not r.counts.flags.writeable


@settings(max_examples=40, deadline=None)
@given(devices=st.integers(1, 4), experts=st.integers(1, 40), topk=st.integers(1, 8),
       tokens=st.integers(1, 60), seed=st.integers(0, 100))
def test_balanced_exact_or_within_one(devices, experts, topk, tokens, seed):
    topk = min(topk, experts)
    r = route(Routing("balanced", seed=seed), devices, tokens, experts, topk)
    assert distinct(r.choices)
    c = r.counts
    if tokens * topk % experts == 0:
        assert (c == tokens * topk // experts).all()
    assert (c.max(axis=1) - c.min(axis=1) <= 1).all()


def test_deepseek_balanced():
    r = route(Routing("balanced", seed=7), 64, 4096, 256, 8)
    assert (r.counts == 128).all()


def test_deterministic_and_seeded():
    for kind, p in (("balanced", 0), ("zipf", 1.1), ("grouped", 2)):
        a = route(Routing(kind, p, seed=1), 2, 40, 8, 4).choices
        b = route(Routing(kind, p, seed=1), 2, 40, 8, 4).choices
        c = route(Routing(kind, p, seed=2), 2, 40, 8, 4).choices
        assert (a == b).all()
        assert (a != c).any()


def test_zipf_is_skewed_and_more_with_larger_s():
    def top_share(s):
        c = route(Routing("zipf", s, seed=3), 4, 2000, 64, 4).counts.sum(axis=0)
        return np.sort(c)[-4:].sum() / c.sum()
    mild, strong = top_share(0.5), top_share(2.0)
    assert 4 / 64 < mild < strong
    assert strong > 0.3


def test_grouped_picks_equally_per_group():
    r = route(Routing("grouped", 4, seed=0), 2, 100, 32, 8)
    group = r.choices // 8
    for g in range(4):
        assert ((group == g).sum(axis=-1) == 2).all()


def test_topk_equals_experts():
    r = route(Routing("zipf", 1.0, seed=0), 1, 5, 4, 4)
    assert (np.sort(r.choices, axis=-1) == np.arange(4)).all()


def test_unknown_kind_is_a_bug():
    # a routing comes checked (hpdsl.lang.check_workload reports a user's mistakes, pinned in
    # test_lang_errors.py); one the language did not check is not drawn from at random
    with pytest.raises(ValueError, match=r"unknown routing kind 'zip'"):
        route(Routing("zip", 1.0), 1, 4, 4, 2)
    assert set(KINDS) == {"balanced", "zipf", "grouped"}


@pytest.mark.parametrize("s", [1000.0, 1e300, 1e308])
def test_zipf_huge_exponent_picks_the_top_experts_without_overflow(s):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")   # an overflow in exp or in the float32 cast used to warn
        r = route(Routing("zipf", s, seed=3), 2, 100, 16, 4)
    assert distinct(r.choices)
    c = r.counts.sum(axis=0)
    # the 4 most popular experts take every pick
    assert np.sort(c)[-4:].sum() == c.sum() == 2 * 100 * 4
    if s < 1e308:   # (at 1e308 all but the top expert are -inf: equally impossible)
        # and in rank order: the same 4 for every token
        assert (np.sort(r.choices, axis=-1) == np.sort(r.choices[0, 0])).all()
