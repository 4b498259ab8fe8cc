"""Routing models: which `topk` distinct experts every token picks.

`route()` turns a workload's `routing` (balanced, zipf S, grouped G; always seeded) into
per-token choices, shape (devices, tokens, topk), and the rows each (source device,
expert) pair sends. Everything is drawn from one `numpy.random.Generator(seed)` in a
fixed order, so a spec always routes the same way.

- `balanced`: round-robin, not random: token t of device d picks experts
  (t*topk + j + offset_d) mod experts, j < topk. Consecutive tokens cover consecutive
  experts, so every (device, expert) pair gets exactly tokens*topk/experts rows when that
  divides (and within one row of it otherwise). offset_d is drawn from the seed.
- `zipf S`: expert popularity p ∝ 1/rank^S over a seeded permutation of the experts; each
  token draws topk distinct experts with probability ∝ p, without replacement (an
  exponential race: the topk smallest of Exp(1)/p).
- `grouped G` (MoGE): experts form G equal groups of consecutive ids; each token picks
  topk/G distinct experts uniformly at random inside every group.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hpdsl.spec import Routing

# routing kind -> the name of its parameter (None: it takes none); the one list of kinds
KINDS: dict[str, str | None] = {"balanced": None, "zipf": "S", "grouped": "G"}
_BLOCK = 1 << 20   # random keys drawn per block of this many (token, expert) cells


@dataclass(frozen=True, eq=False)
class Routed:
    """Per-token expert choices and the row counts they imply (read-only arrays)."""

    choices: np.ndarray   # int32 (devices, tokens, topk): expert ids, distinct per token
    counts: np.ndarray    # int64 (devices, experts): rows device d sends to expert e

    @property
    def devices(self) -> int:
        return self.choices.shape[0]

    @property
    def experts(self) -> int:
        return self.counts.shape[1]


def route(r: Routing, devices: int, tokens: int, experts: int, topk: int) -> Routed:
    """Choices of every token on every device, drawn deterministically from `r.seed`.

    `r` must fit `experts` and `topk` (`hpdsl.lang.check_workload` says why when not).

    >>> from hpdsl.spec import Routing
    >>> route(Routing("balanced", seed=1), 2, 4, 4, 2).counts.tolist()
    [[2, 2, 2, 2], [2, 2, 2, 2]]
    """
    rng = np.random.default_rng(r.seed)
    if r.kind == "balanced":
        offset = rng.integers(0, experts, size=devices)
        t = np.arange(tokens, dtype=np.int64)[:, None] * topk + np.arange(topk)
        ch = (t[None, :, :] + offset[:, None, None]) % experts
    elif r.kind == "zipf":
        perm = rng.permutation(experts)
        logp = np.empty(experts)
        with np.errstate(over="ignore"):   # a huge exponent: -inf for all but the top
            logp[perm] = -r.param * np.log(np.arange(1, experts + 1))
        ch = _top_k_draws(rng, devices * tokens, logp, topk)
    elif r.kind == "grouped":
        g = int(r.param)
        size, per = experts // g, topk // g
        parts = [_top_k_draws(rng, devices * tokens, np.zeros(size), per) + k * size
                 for k in range(g)]
        ch = np.concatenate(parts, axis=1)
    else:
        raise ValueError(f"unknown routing kind {r.kind!r}")
    ch = np.ascontiguousarray(ch.reshape(devices, tokens, topk), dtype=np.int32)
    counts = np.zeros((devices, experts), dtype=np.int64)
    for d in range(devices):
        counts[d] = np.bincount(ch[d].ravel(), minlength=experts)
    ch.setflags(write=False)
    counts.setflags(write=False)
    return Routed(ch, counts)


def _top_k_draws(rng: np.random.Generator, n: int, logp: np.ndarray, k: int) -> np.ndarray:
    """(n, k) distinct indices per row, drawn without replacement with weights exp(logp).

    Exponential race (equivalent to Gumbel-top-k): item i finishes at Exp(1) / p_i and the
    k first finishers are a weighted sample without replacement. Drawn in float32 blocks,
    so a large layer never holds n x experts keys at once.
    """
    m = len(logp)
    out = np.empty((n, k), dtype=np.int32)
    if k >= m:
        out[:] = np.arange(m)
        return out
    neg = -(logp - logp.max())                  # log(1/p), scaled so the largest p is 1
    # past e^80 1/p overflows float32 (a huge zipf exponent): race in log space instead
    in_log = not neg.max() <= 80.0
    inv_p = neg if in_log else np.exp(neg).astype(np.float32)
    step = max(1, _BLOCK // m)
    for a in range(0, n, step):
        b = min(n, a + step)
        keys = rng.standard_exponential(size=(b - a, m), dtype=np.float32)
        if in_log:
            with np.errstate(divide="ignore", invalid="ignore"):   # log 0, inf - inf: rank last
                keys = np.log(keys.astype(np.float64)) + inv_p
        else:
            keys *= inv_p
        if k == 1:
            out[a:b, 0] = keys.argmin(axis=1)
        else:
            out[a:b] = np.argpartition(keys, k - 1, axis=1)[:, :k]
    return out
