"""Hidden checks of A2S1 "Understanding Attention".

Trusted code: it sees only numpy arrays decoded from the student's answers and
always uses the canonical key/value below and its own attention, never the
student's `key`, `value`, `attention` or `check_query`.
"""
from __future__ import annotations

import numpy as np

from autograder.checks import Answer, Context, check

# torch.manual_seed(447); rows of randn(4, 3) normalised, then rounded to two decimals.
K = np.array([[0.47, 0.65, 0.60], [0.64, 0.50, -0.59], [-0.03, -0.48, -0.88], [0.43, -0.83, 0.35]])
V = np.array([[-0.07, -0.88, 0.47], [0.37, -0.93, -0.07], [-0.25, -0.75, 0.61], [0.94, 0.20, 0.28]])
REFERENCE_Q = np.mean(8 * K[:2], axis=0, keepdims=True)
UNCHANGED_ROWS = [0, 1, 3]


def attention(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """softmax(q k^T) v, i.e. F.scaled_dot_product_attention(q, k, v, scale=1), in float64."""
    scores = np.atleast_2d(q) @ k.T
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    return (weights / weights.sum(axis=-1, keepdims=True)) @ v


@check("1.2.1")
def select_first(ctx: Context) -> None:
    ctx.close("attention(query121, key, value)", attention(ctx.matrix(), K, V), V[:1])


@check("1.2.2")
def identity(ctx: Context) -> None:
    out = attention(ctx.matrix(), K, V)
    for i in range(len(V)):
        ctx.close(f"row {i}: attention(query122[{i}], key, value) should be value[{i}]", out[i], V[i])


@check("1.3.1")
def average_all(ctx: Context) -> None:
    ctx.close("attention(query131, key, value)", attention(ctx.matrix(), K, V), V.mean(0, keepdims=True))


@check("1.3.2")
def average_two(ctx: Context) -> None:
    ctx.close("attention(query132, key, value)", attention(ctx.matrix(), K, V), V[:2].mean(0, keepdims=True))


def _query_for_part_4(ctx: Context) -> np.ndarray:
    """The student's own query132 if usable (even if it failed 1.3.2), else the reference one."""
    q: Answer | None = ctx.answers.get("1.3.2")
    if q is not None and q.usable and q.array.shape in ((1, 3), (3,)) and np.isfinite(q.array).all():
        ctx.note(f"q is your query132 = {np.round(ctx.matrix(q), 4).tolist()}")
        return ctx.matrix(q)
    ctx.note(f"your query132 is not usable, so q is the reference query {np.round(REFERENCE_Q, 4).tolist()}")
    return REFERENCE_Q


def _other_keys_unchanged(ctx: Context, m_key: np.ndarray) -> bool:
    ok = np.allclose(m_key[UNCHANGED_ROWS], K[UNCHANGED_ROWS], rtol=0, atol=1e-6)
    changed = [i for i in UNCHANGED_ROWS if not np.allclose(m_key[i], K[i], rtol=0, atol=1e-6)]
    return ctx.require(ok, "only m_key[2] may change" + ("" if ok else f": rows {changed} differ from key"))


@check("1.4.1")
def replace_key_average_three(ctx: Context) -> None:
    m_key = ctx.matrix()
    q = _query_for_part_4(ctx)
    if _other_keys_unchanged(ctx, m_key):
        ctx.close("attention(q, m_key, value) should average value[0..2]", attention(q, m_key, V),
                  V[:3].mean(0, keepdims=True))


@check("1.4.2")
def replace_key_return_third(ctx: Context) -> None:
    m_key = ctx.matrix()
    q = _query_for_part_4(ctx)
    if not _other_keys_unchanged(ctx, m_key):
        return
    norm = float(np.linalg.norm(m_key[2]))
    if not ctx.require(abs(norm - 1) <= ctx.tolerance, f"m_key[2] should have unit norm; its norm is {norm:.4g}"):
        return
    best_key = K.copy()
    qn = float(np.linalg.norm(q))
    best_key[2] = q[0] / qn if qn > 0 else K[2]
    ctx.close("attention(q, m_key, value) should be the closest reachable to value[2] (m_key[2] = q/|q|)",
              attention(q, m_key, V), attention(q, best_key, V))
