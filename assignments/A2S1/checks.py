"""Hidden checks of A2S1 "Understanding Attention".

Trusted code: it sees only numpy arrays decoded from the student's answers and
always uses the canonical key/value below and its own attention, never the
student's `key`, `value`, `attention` or `check_query` (the student's `key` is read
only to explain a failure).
"""
from __future__ import annotations

import numpy as np

from autograder.checks import Answer, Context, Reveal, check, data

# torch.manual_seed(447); rows of randn(4, 3) normalised, then rounded to two decimals.
K = np.array([[0.47, 0.65, 0.60], [0.64, 0.50, -0.59], [-0.03, -0.48, -0.88], [0.43, -0.83, 0.35]])
V = np.array([[-0.07, -0.88, 0.47], [0.37, -0.93, -0.07], [-0.25, -0.75, 0.61], [0.94, 0.20, 0.28]])
UNCHANGED_ROWS = [0, 1, 3]


@data
def key_and_value(seed: int | None) -> dict[str, np.ndarray]:
    """The notebook's key and value (seed None), or a fresh pair like them: the same keys turned by a
    random rotation (so every angle between them, and every honest answer built from `key`, carries
    over, while numbers typed in do not) and a new random value with unit-norm rows."""
    if seed is None:
        return {"key": K, "value": V}
    rng = np.random.default_rng(seed)
    rotation, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    value = rng.standard_normal(V.shape)
    return {"key": K @ rotation, "value": value / np.linalg.norm(value, axis=-1, keepdims=True)}


def reference_q(k: np.ndarray) -> np.ndarray:
    """A query averaging the first two values: the scaled mean of their keys."""
    return np.mean(8 * k[:2], axis=0, keepdims=True)
SHOWN = 0.01  # weights below this are not named in a hint


def weights(q: np.ndarray, k: np.ndarray) -> np.ndarray:
    """softmax(q k^T): one row of attention weights over the keys per query, in float64."""
    scores = np.atleast_2d(q) @ k.T
    scores = scores - scores.max(axis=-1, keepdims=True)
    w = np.exp(scores)
    return w / w.sum(axis=-1, keepdims=True)


def attention(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """softmax(q k^T) v, i.e. F.scaled_dot_product_attention(q, k, v, scale=1)."""
    return weights(q, k) @ v


def _spread(row: np.ndarray) -> str:
    """'0.50 on key 0 and 0.50 on key 1' (the largest weights first)."""
    order = sorted((i for i in range(len(row)) if row[i] >= SHOWN), key=lambda i: (-round(row[i], 2), i))[:3]
    named = [f"{row[i]:.2f} on key {i}" for i in order]
    rest = 1 - sum(row[i] for i in order)
    if rest >= SHOWN:
        named.append(f"{rest:.2f} on the others")
    return ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0]


def weights_hint(got: np.ndarray, target: np.ndarray) -> str:
    """What the attention weights of a query do, and how to reach `target` (one-hot or uniform over some keys)."""
    row = int(np.argmax(np.abs(got - target).max(axis=-1)))
    g, t = got[row], target[row]
    lead = f"your weights{f' for query {row}' if len(got) > 1 else ''} put {_spread(g)}"
    chosen = [int(i) for i in np.flatnonzero(t > 0)]
    if len(chosen) == 1:
        j = chosen[0]
        rivals = [int(i) for i in np.flatnonzero(g >= g[j] - 0.05) if i != j]
        if rivals:
            others = " and ".join(f"key {i}" for i in rivals)
            return (f"{lead}; key {j} must score clearly higher than {others}: point the query along key[{j}], "
                    "then scale it up")
        return (f"{lead}; to select key {j} alone the softmax must be nearly one-hot: scale the query up "
                "(multiply it by a large number)")
    keys = ", ".join(map(str, chosen))
    if len(chosen) == len(t):
        return f"{lead}; to average all values every score q·k must be equal, which a zero query gives"
    inside = g[chosen]
    if inside.max() - inside.min() > 0.05:
        return f"{lead}; keys {keys} need equal scores q·k: use a query that is equally close to each of them"
    return (f"{lead}; the scores of keys {keys} must be much larger than the others': scale the query up "
            "(multiply it by a large number)")


def key_cause(ctx: Context) -> str | None:
    """If the student's own `key` is not the notebook's, how it differs (a cell changed it in place)."""
    seen, K = ctx.seen.get("key"), ctx.data["key"]
    if seen is None or not seen.usable:
        return None
    k = seen.array
    if k.shape != K.shape:
        return f"your `key` has shape {tuple(k.shape)}, not the notebook's {K.shape}: a cell changed it"
    diff = np.abs(k - K).max(axis=-1)
    rows = [int(i) for i in np.flatnonzero(diff > 1e-6)]
    if not rows:
        return None
    return (f"your `key` differs from the notebook's by up to {diff.max():.3g} (rows {rows}): an earlier cell "
            "changed it in place (such as `key[2] = ...` or `m_key = key` followed by `m_key[2] = ...`); "
            "restart the runtime, run all cells, and build m_key from `key.clone()`")


def _with_cause(ctx: Context, hint: str) -> str:
    cause = key_cause(ctx)
    return f"{hint}. Also, {cause}" if cause else hint


def _query_check(ctx: Context, what: str, target_weights: np.ndarray, expected: np.ndarray) -> None:
    """A query answer: its attention output against `expected`, with its weights as a picture."""
    q, K, V = ctx.matrix(), ctx.data["key"], ctx.data["value"]
    got = weights(q, K)
    ctx.heatmap(f"attention weights of `{ctx.answer.name}`", got, target_weights)
    ctx.close(what, attention(q, K, V), expected, hint=_with_cause(ctx, weights_hint(got, target_weights)))


@check("1.2.1")
def select_first(ctx: Context) -> None:
    _query_check(ctx, "attention(query121, key, value) should be value[0]", np.eye(4)[:1], ctx.data["value"][:1])


@check("1.2.2")
def identity(ctx: Context) -> None:
    q, K, V = ctx.matrix(), ctx.data["key"], ctx.data["value"]
    got, out = weights(q, K), attention(q, K, V)
    ctx.heatmap("attention weights of `query122`", got, np.eye(4))
    for i in range(len(V)):
        ctx.close(f"row {i}: attention(query122[{i}], key, value) should be value[{i}]", out[i], V[i],
                  hint=_with_cause(ctx, weights_hint(got[i:i + 1], np.eye(4)[i:i + 1]).replace(
                      "your weights", f"your weights for query {i}")),
                  reason="a row of attention(query122, key, value) is not the value of the same row")


@check("1.3.1")
def average_all(ctx: Context) -> None:
    _query_check(ctx, "attention(query131, key, value) should be the mean of all values", np.full((1, 4), 0.25),
                 ctx.data["value"].mean(0, keepdims=True))


@check("1.3.2")
def average_two(ctx: Context) -> None:
    _query_check(ctx, "attention(query132, key, value) should be the mean of value[0] and value[1]",
                 np.array([[0.5, 0.5, 0, 0]]), ctx.data["value"][:2].mean(0, keepdims=True))


def _query_for_part_4(ctx: Context) -> np.ndarray:
    """The student's own query132 if usable (even if it failed 1.3.2), else the reference one."""
    q: Answer | None = ctx.answers.get("1.3.2")
    if q is not None and q.usable and q.array.shape in ((1, 3), (3,)) and np.isfinite(q.array).all():
        ctx.note(f"q is your query132 = {np.round(ctx.matrix(q), 4).tolist()}")
        return ctx.matrix(q)
    reference = reference_q(ctx.data["key"])
    ctx.note("your query132 is not usable, so q is the reference query132")
    ctx.note(f"the reference query132 is {np.round(reference, 4).tolist()}", reveals=Reveal.ANSWER)
    return reference


def _other_keys_unchanged(ctx: Context, m_key: np.ndarray) -> bool:
    K = ctx.data["key"]
    ok = np.allclose(m_key[UNCHANGED_ROWS], K[UNCHANGED_ROWS], rtol=0, atol=1e-6)
    changed = [i for i in UNCHANGED_ROWS if not np.allclose(m_key[i], K[i], rtol=0, atol=1e-6)]
    cause = key_cause(ctx)
    hint = (cause[0].upper() + cause[1:]) if cause else "copy key with key.clone() and change only row 2"
    return ctx.require(ok, "only m_key[2] may change" + ("" if ok else f": rows {changed} differ from key"),
                       hint=hint, reason="rows of m_key other than 2 differ from key")


@check("1.4.1")
def replace_key_average_three(ctx: Context) -> None:
    m_key, V = ctx.matrix(), ctx.data["value"]
    q = _query_for_part_4(ctx)
    if _other_keys_unchanged(ctx, m_key):
        target = np.array([[1 / 3, 1 / 3, 1 / 3, 0]])
        got = weights(q, m_key)
        ctx.heatmap("attention weights of q over m_key", got, target)
        ctx.close("attention(q, m_key, value) should average value[0..2]", attention(q, m_key, V),
                  V[:3].mean(0, keepdims=True),
                  hint=weights_hint(got, target) + "; key 2's score q·m_key[2] must equal those of keys 0 and 1")


@check("1.4.2")
def replace_key_return_third(ctx: Context) -> None:
    m_key, K, V = ctx.matrix(), ctx.data["key"], ctx.data["value"]
    q = _query_for_part_4(ctx)
    if not _other_keys_unchanged(ctx, m_key):
        return
    norm = float(np.linalg.norm(m_key[2]))
    if not ctx.require(abs(norm - 1) <= ctx.tolerance, f"m_key[2] should have unit norm; its norm is {norm:.4g}",
                       hint="divide the new key by its norm", reason="m_key[2] does not have unit norm"):
        return
    best_key = K.copy()
    qn = float(np.linalg.norm(q))
    best_key[2] = q[0] / qn if qn > 0 else K[2]
    got = weights(q, m_key)
    ctx.heatmap("attention weights of q over m_key", got, weights(q, best_key))
    ok = ctx.close("attention(q, m_key, value) should be as close to value[2] as a unit-norm key allows",
                   attention(q, m_key, V), attention(q, best_key, V),
                   hint=f"your weights put {_spread(got[0])}; of all unit-norm keys, the one giving key 2 the "
                        "largest score q·k points the same way as q")
    if not ok:
        ctx.note("that key is m_key[2] = q/|q|", reveals=Reveal.ANSWER)
