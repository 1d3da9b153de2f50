"""Hidden checks of A2S2 "Queries, Keys and Values: the exercises" (D2L 11.1's four exercises).

Trusted code: every question is a function the grader calls in the student's process with
inputs chosen here; this module only sees the plain numbers those calls returned, and computes
every target itself (numpy, float64) from its own data: the names database, the synthetic
document collection (the same generator as the notebook's set-up cell) and random databases.

Questions: 2.1 attention pooling, 2.2 approximate matches (exercise 1), 2.3 the Jacobian of
attention (exercise 2), 2.4.x a differentiable search engine (exercise 3), 2.5.x
squeeze-and-excitation as attention (exercise 4).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from autograder.checks import Context, call, check, code, inputs, py, tensor

# =========================================================================== shared data
# The textbook's database of (last name, first name), and the notebook's embedding of names:
# letter j of the lower-cased name (j < POSITIONS) as a one-hot of 26, scaled by 2**-j, so that a
# name is closest to the names that share its longest prefix ("Li" is 0.083 from "Lipton" and at
# least 2.5 from every other name).
DB = [("Zhang", "Aston"), ("Lipton", "Zachary"), ("Li", "Mu"), ("Smola", "Alex"), ("Hu", "Rachel"),
      ("Werness", "Brent")]
LETTERS = "abcdefghijklmnopqrstuvwxyz"
POSITIONS = 6


def embed_name(name: str) -> np.ndarray:
    e = np.zeros((POSITIONS, len(LETTERS)))
    for j, letter in enumerate(name.lower()[:POSITIONS]):
        e[j, LETTERS.index(letter)] = 2.0 ** -j
    return e.reshape(-1)


# The synthetic document collection: documents are written with formal words, users query
# with everyday synonyms, so word overlap alone retrieves poorly and a trained query encoder
# has to learn the synonyms. The vocabulary is the 40 document words, then their 40 synonyms.
SYNONYMS = [
    ("automobile", "car"), ("physician", "doctor"), ("purchase", "buy"), ("residence", "home"),
    ("infant", "baby"), ("attorney", "lawyer"), ("beverage", "drink"), ("canine", "dog"),
    ("feline", "cat"), ("currency", "money"), ("elevator", "lift"), ("vacation", "holiday"),
    ("garment", "clothes"), ("rapid", "fast"), ("commence", "start"), ("terminate", "stop"),
    ("assist", "help"), ("inquire", "ask"), ("acquire", "get"), ("sufficient", "enough"),
    ("numerous", "many"), ("inexpensive", "cheap"), ("ailment", "sickness"), ("pupil", "student"),
    ("repair", "fix"), ("journey", "trip"), ("photograph", "photo"), ("television", "tv"),
    ("bicycle", "bike"), ("telephone", "phone"), ("refrigerator", "fridge"), ("laboratory", "lab"),
    ("mathematics", "maths"), ("examination", "exam"), ("advertisement", "ad"), ("dormitory", "dorm"),
    ("spectacles", "glasses"), ("luggage", "bags"), ("apartment", "flat"), ("sofa", "couch"),
]
VOCAB = [formal for formal, _ in SYNONYMS] + [everyday for _, everyday in SYNONYMS]
N_WORDS = len(SYNONYMS)
N_DOCS, WORDS_PER_DOC, TERMS_PER_QUERY, P_SYNONYM = 30, 5, 3, 0.8


def make_collection(seed: int = 2) -> np.ndarray:
    """Bag-of-words counts of the N_DOCS documents, shape (N_DOCS, len(VOCAB))."""
    rs = np.random.RandomState(seed)
    docs = np.zeros((N_DOCS, len(VOCAB)))
    for d in range(N_DOCS):
        words = rs.choice(N_WORDS, WORDS_PER_DOC, replace=False)
        docs[d, words] = rs.randint(1, 4, size=WORDS_PER_DOC)
    return docs


def make_queries(docs: np.ndarray, per_doc: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Queries of TERMS_PER_QUERY words of their document, each replaced by its everyday synonym
    with probability P_SYNONYM: (bags of words, index of the document each query is for)."""
    rs = np.random.RandomState(seed)
    bows, targets = [], []
    for d in range(len(docs)):
        words = np.flatnonzero(docs[d, :N_WORDS])
        for _ in range(per_doc):
            bow = np.zeros(docs.shape[1])
            for w in rs.choice(words, TERMS_PER_QUERY, replace=False):
                bow[w + (N_WORDS if rs.rand() < P_SYNONYM else 0)] += 1
            bows.append(bow)
            targets.append(d)
    return np.array(bows), np.array(targets)


DOCS = make_collection()
TRAIN_BOWS, TRAIN_TARGETS = make_queries(DOCS, 10, seed=10)  # the notebook's training queries
HELD_OUT_BOWS, HELD_OUT_TARGETS = make_queries(DOCS, 3, seed=447)  # never in the notebook
SEARCH_TEMPERATURE = 0.1


def mean_reciprocal_rank(scores: np.ndarray, targets: np.ndarray) -> float:
    """MRR of the right documents when each query's documents are sorted by score, a tie counting
    against the right document (constant scores rank it last, not first)."""
    right = scores[np.arange(len(targets)), targets][:, None]
    ranks = (scores >= right).sum(axis=1)
    return float(np.mean(1.0 / ranks))


def _normalise(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


# Word overlap: the untrained engine (queries and documents compared as bags of words).
OVERLAP_MRR = mean_reciprocal_rank(HELD_OUT_BOWS @ _normalise(DOCS).T, HELD_OUT_TARGETS)
MRR_LEARNED, MRR_GOOD = 0.6, 0.85

# =========================================================================== reference maths


def softmax(s: np.ndarray, axis: int = -1) -> np.ndarray:
    s = s - s.max(axis=axis, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def covariance(q: np.ndarray, K: np.ndarray) -> np.ndarray:
    """d/dq of sum_i p_i k_i with p = softmax(K q): K^T (diag p - p p^T) K = Cov_p[k]."""
    p = softmax(K @ q)
    return K.T @ (np.diag(p) - np.outer(p, p)) @ K


def encoder_gradient(bows: np.ndarray, docs: np.ndarray, targets: np.ndarray, W: np.ndarray,
                     temperature: float) -> np.ndarray:
    """dL/dW of L = mean_i -log softmax((bows W) docs^T / temperature)[i, targets_i]."""
    n = len(targets)
    p = softmax(bows @ W @ docs.T / temperature)
    p[np.arange(n), targets] -= 1
    return bows.T @ p @ docs / (temperature * n)


def se_parts(x: np.ndarray, W1, b1, W2, b2, squeeze=np.mean, gate=sigmoid, relu=True) -> np.ndarray:
    """The gates of a squeeze-and-excitation block (variants for diagnosis), shape (N, C)."""
    z = squeeze(x, axis=(2, 3))
    h = z @ W1.T + b1
    return gate((np.maximum(h, 0) if relu else h) @ W2.T + b2)


def _channel_softmax(a: np.ndarray) -> np.ndarray:
    return softmax(a, axis=1)


def _max_pool(x: np.ndarray, axis) -> np.ndarray:
    return x.max(axis=axis)


def _sum_pool(x: np.ndarray, axis) -> np.ndarray:
    return x.sum(axis=axis)


# =========================================================================== helpers


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _round(a: np.ndarray, digits: int = 2) -> list:
    return np.round(np.asarray(a, dtype=float), digits).tolist()


def _output(ctx: Context, i: int, what: str, shape: tuple[int, ...], weight: float = 1.0,
            hint: str | None = None, error_hint: str | None = None) -> np.ndarray | None:
    """Call i's output as an array of `shape`; None (with a failed part worth `weight`) if it
    raised, returned no numbers, or returned another shape."""
    result = ctx.calls[i]
    if result.error is not None:
        if "timed out" in result.error:
            ctx.credit(False, f"{what}: your function {result.error}", weight=weight,
                       hint="the grader stops a call at its time limit: make it faster (fewer steps, smaller "
                            "matrices, no printing inside loops)", reason="the function ran out of time")
            return None
        ctx.credit(False, f"{what}: your function raised {result.error}", weight=weight,
                   hint=error_hint or "call it yourself on small inputs of the same shapes to see the error",
                   reason="the function raised")
        return None
    out = result.output
    if out is None or not out.usable:
        problem = out.problem if out is not None else "it returned nothing"
        ctx.credit(False, f"{what}: {problem}, not a tensor", weight=weight,
                   hint="return a torch tensor (the function's last line should be `return ...`)",
                   reason="the function returned no tensor")
        return None
    got = out.array
    if got.shape != shape:
        if got.size == int(np.prod(shape)):
            hint = (f"it has the right number of values in the wrong shape: return shape {shape} (drop or add the "
                    "extra dimensions, e.g. with .squeeze() or .reshape)")
        ctx.credit(False, f"{what}: it returned shape {tuple(got.shape)}, not {shape}", weight=weight,
                   hint=hint, reason="the function returned the wrong shape")
        return None
    return got


def _nothing_returned(ctx: Context) -> bool:
    """True (with one required part saying so) when every call returned None: the body is not written."""
    if ctx.calls and all(c.error is None and (c.output is None or c.output.array is None) and c.output is not None
                         and (c.output.problem or "").endswith("is None") for c in ctx.calls):
        ctx.require(False, f"your function returned None for all {len(ctx.calls)} calls",
                    hint="write its body after `# TODO:` and end it with `return ...`",
                    reason="the function returns None")
        return True
    return False


def _matches(got: np.ndarray, candidate: np.ndarray, tol: float) -> bool:
    return got.shape == candidate.shape and bool(np.all(np.abs(got - candidate) <= tol))


def _scale_of(got: np.ndarray, reference: np.ndarray) -> float | None:
    """c such that got ~ c * reference (relative residual under 1%), else None."""
    ref = reference.ravel()
    denom = float(ref @ ref)
    if denom < 1e-12 or not np.isfinite(got).all():
        return None
    c = float(got.ravel() @ ref) / denom
    residual = np.linalg.norm(got.ravel() - c * ref)
    return c if residual <= 1e-2 * max(np.linalg.norm(got), np.linalg.norm(c * ref), 1e-12) else None


# =========================================================================== 2.1 attention pooling


class PoolCase(NamedTuple):
    what: str  # what the case shows, in the textbook's words
    q: np.ndarray
    K: np.ndarray
    V: np.ndarray
    score: str  # the score function's source, evaluated in the student's process
    reference: Callable[[np.ndarray, np.ndarray], np.ndarray]  # the same function on the trusted side


def _dot(q, K):
    return K @ q


def _pool_cases() -> list[PoolCase]:
    g = _rng(2101)
    cases = []
    for m, d, v in [(4, 3, 2), (6, 2, 3), (9, 5, 4)]:
        cases.append(PoolCase(f"a random database of {m} records with score q·k", g.normal(size=d),
                              g.normal(size=(m, d)), g.normal(size=(m, v)), "lambda q, K: K @ q", _dot))
    K = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0], [-2.0, 1.0]])
    cases.append(PoolCase("a lookup: the query equals key 3, score -50‖q-k‖², so weight 1 on record 3 "
                          "(a traditional database query)", K[3].copy(), K, g.normal(size=(5, 3)),
                          "lambda q, K: -50.0 * ((K - q) ** 2).sum(-1)",
                          lambda q, K: -50.0 * ((K - q) ** 2).sum(-1)))
    cases.append(PoolCase("a constant score 0·(q·k): all weights 1/m, i.e. average pooling", g.normal(size=3),
                          g.normal(size=(7, 3)), g.normal(size=(7, 2)), "lambda q, K: 0.0 * (K @ q)",
                          lambda q, K: 0.0 * (K @ q)))
    cases.append(PoolCase("values = the identity, so the output is the weights themselves: they must form a "
                          "convex combination (non-negative, summing to 1)", g.normal(size=3),
                          g.normal(size=(5, 3)), np.eye(5), "lambda q, K: K @ q", _dot))
    q, K = g.normal(size=3), g.normal(size=(5, 3))
    cases.append(PoolCase("scores shifted by +1000 (softmax does not change; exp(1000) overflows)", q, K,
                          g.normal(size=(5, 2)), "lambda q, K: K @ q + 1000.0", lambda q, K: K @ q + 1000.0))
    cases.append(PoolCase("a database of a single record: attention returns its value", g.normal(size=3),
                          g.normal(size=(1, 3)), g.normal(size=(1, 4)), "lambda q, K: K @ q", _dot))
    return cases


POOL = _pool_cases()
CONVEX = 5  # the case whose values are the identity


@inputs("2.1")
def pool_inputs() -> list:
    return [call(tensor(c.q.tolist()), tensor(c.K.tolist()), tensor(c.V.tolist()), code(c.score)) for c in POOL]


def _pool_hint(got: np.ndarray, case: PoolCase, tol: float) -> str:
    """What the student's pooling did on `case`, and what to change."""
    s = case.reference(case.q, case.K)
    if not np.isfinite(got).all():
        if s.max() > 80:
            return ("your output is NaN or infinite: exp of scores near 1000 overflows to inf, and inf/inf is NaN; "
                    "subtract the largest score before exponentiating (softmax does not change) or use "
                    "torch.softmax(scores, dim=-1)")
        return "your output is NaN or infinite: check for a division by a zero sum"
    if case.score != "lambda q, K: K @ q" and _matches(got, softmax(case.K @ case.q) @ case.V, tol):
        return ("your function computed softmax(K q) V: it used the dot product instead of the `score` it was "
                "given; compute the scores as score(q, K)")
    with np.errstate(all="ignore"):
        plain = (s / s.sum()) @ case.V
        unnormalised = np.exp(s - s.max()) @ case.V
    if _matches(got, plain, tol):
        return ("you divided the raw scores by their sum: scores can be negative, so those weights are not a convex "
                "combination; exponentiate them first (softmax)")
    if _matches(got, unnormalised, tol) or _matches(got, np.exp(s) @ case.V, tol):
        return "your weights do not sum to 1: divide exp(scores) by their sum (softmax)"
    if _matches(got, softmax(s) @ case.V[::-1], tol):
        return "your output pairs the weights with the wrong values: weight i goes with V[i]"
    return "the output should be sum_i softmax(score(q, K))_i V[i]"


@check("2.1")
def attention_pool_check(ctx: Context) -> None:
    if _nothing_returned(ctx):
        return
    tol = ctx.tolerance
    for i, case in enumerate(POOL):
        weights = softmax(case.reference(case.q, case.K))
        expected = weights @ case.V
        got = _output(ctx, i, case.what, expected.shape)
        if got is None:
            continue
        if i == CONVEX:
            ctx.heatmap("attention weights (your output when the values are the identity)", got[None], weights[None])
            negative, total = float(got.min()), float(got.sum())
            ok = negative >= -tol and abs(total - 1) <= tol and _matches(got, weights, tol)
            ctx.credit(ok, case.what + ("" if ok else f": your weights are {_round(got)}, their sum is {total:.3g}"),
                       hint=_pool_hint(got, case, tol), reason="the weights are not a convex combination")
        else:
            ctx.close(f"attention_pool on {case.what}", got, expected, hint=_pool_hint(got, case, tol),
                      reason=f"attention_pool on {case.what.split(':')[0].split(' (')[0]}")


# =========================================================================== 2.2 approximate matches

WIDTHS = [1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3, 1e4]
NARROW, WIDE = WIDTHS[0], WIDTHS[-1]


class MatchCase(NamedTuple):
    q: np.ndarray
    K: np.ndarray
    nearest: int


def _match_cases() -> list[MatchCase]:
    """Random databases where the nearest key (in distance) clearly beats the others, and a long key
    far away has a larger dot product with the query than the nearest key has."""
    g = _rng(2202)
    cases = []
    for m, d in [(5, 2), (6, 3), (8, 4)]:
        while True:
            q = g.normal(size=d)
            K = g.normal(size=(m, d))
            K[0] = q + 0.3 * g.normal(size=d)  # the nearest key
            K[1] = q / np.linalg.norm(q) * (np.linalg.norm(q) + 3.0)  # far along q: largest q·k
            order = g.permutation(m)
            K = K[order]
            dist = np.linalg.norm(K - q, axis=1)
            near = int(np.argmin(dist))
            gaps = np.sort(dist)
            if (near == int(np.flatnonzero(order == 0)[0]) and gaps[1] - gaps[0] > 0.3
                    and int(np.argmax(K @ q)) != near):
                cases.append(MatchCase(q, K, near))
                break
    return cases


MATCH = _match_cases()
NAME_KEYS = np.array([embed_name(last) for last, _ in DB])
WITHOUT_LI = [i for i, (last, _) in enumerate(DB) if last != "Li"]
# (query, the records searched, the first name approximate matching must return)
NAME_QUERIES = [("Li", WITHOUT_LI, "Zachary"), ("Li", list(range(len(DB))), "Mu"), ("Zhao", list(range(len(DB))), "Aston"),
                ("Werner", list(range(len(DB))), "Brent")]
NAME_WIDTHS = [NARROW, WIDE]


@inputs("2.2")
def match_inputs() -> list:
    calls = [call(tensor(c.q.tolist()), tensor(c.K.tolist()), py(w)) for c in MATCH for w in WIDTHS]
    for name, rows, _ in NAME_QUERIES:
        calls += [call(tensor(embed_name(name).tolist()), tensor(NAME_KEYS[rows].tolist()), py(w)) for w in NAME_WIDTHS]
    return calls


def _scores(ctx: Context, i: int, m: int) -> tuple[np.ndarray | None, str | None]:
    """Call i's scores for m keys, or None and what is wrong with them."""
    result = ctx.calls[i]
    if result.error is not None:
        return None, f"your function raised {result.error}"
    out = result.output
    if out is None or not out.usable:
        return None, f"{out.problem if out is not None else 'it returned nothing'}, not a tensor of scores"
    if out.array.shape != (m,):
        return None, f"it returned shape {tuple(out.array.shape)}, not one score per key ({m},)"
    if not np.isfinite(out.array).all():
        return None, ("its scores contain NaN or inf: keep them finite at every width (return scores, not exp of "
                      "them: the softmax exponentiates later, without overflowing)")
    return out.array, None


def _narrow_hint(weights: np.ndarray, scores: np.ndarray, case: MatchCase, ignores_width: bool) -> str:
    top = int(np.argmax(weights))
    dist = np.linalg.norm(case.K - case.q, axis=1)
    lead = f"at width {NARROW:g} your weights put {weights[top]:.2f} on key {top}"
    if ignores_width:
        lead += " whatever the width (your scores do not change with it)"
    if scores.min() >= 0 and scores.max() <= 1:
        return (f"{lead}: your scores all lie in [0, 1], like kernel weights; attention applies a softmax to the "
                "scores, so return the log of a kernel (a score that falls with the distance), not the kernel")
    if np.ptp(scores) < 1e-6:
        return f"{lead}: your scores are all equal; they must decrease with the distance ‖q - k‖"
    if top == int(np.argmax(dist)):
        return f"{lead}, the farthest key: the score must decrease with the distance (put a minus sign on it)"
    if top == int(np.argmax(case.K @ case.q)) and top != case.nearest:
        return (f"{lead}, the key with the largest dot product q·k, but key {case.nearest} is the nearest: q·k favours "
                "long keys; score with the distance ‖q - k‖ instead" + ("" if not ignores_width else
                                                                      ", divided by the width"))
    if top == case.nearest:
        return (f"{lead}, the nearest key, but not all of it: the scores must grow apart without bound as the width "
                "shrinks (divide by the width, or by its square)")
    return f"{lead}, but key {case.nearest} is the nearest: the score must decrease with the distance ‖q - k‖"


def _ignores_width(scores: list[np.ndarray]) -> bool:
    return all(np.allclose(s, scores[0], rtol=1e-6, atol=1e-9) for s in scores[1:])


@check("2.2")
def approximate_match_check(ctx: Context) -> None:
    if _nothing_returned(ctx):
        return
    n = len(WIDTHS)
    for c, case in enumerate(MATCH):
        m = len(case.K)
        read = [_scores(ctx, c * n + j, m) for j in range(n)]
        problems = [(w, why) for w, (s, why) in zip(WIDTHS, read) if s is None]
        if problems:
            width, why = problems[0]
            ctx.credit(False, f"database {c} ({m} keys): approx_score must return {m} finite scores at every width; "
                              f"at width {width:g} {why}", weight=3, reason="the scores are missing or not finite",
                       hint="approx_score(q, K, width) returns one finite score per key, for any width > 0")
            continue
        scores = [s for s, _ in read]
        weights = np.array([softmax(s) for s in scores])
        one_hot = np.eye(m)[case.nearest]
        ctx.heatmap(f"database {c}: your attention weights, one row per width from {WIDTHS[0]:g} to {WIDTHS[-1]:g} "
                    f"(key {case.nearest} is the nearest)", weights, ylabel="Widths")
        ctx.close(f"database {c}: as the width shrinks ({NARROW:g}), attention returns the value of the nearest key "
                  f"(key {case.nearest})", weights[0], one_hot,
                  hint=_narrow_hint(weights[0], scores[0], case, _ignores_width(scores)), reason="a narrow width does not return the nearest key")
        wide_hint = (f"at width {WIDE:g} your weights range from {weights[-1].min():.2f} to {weights[-1].max():.2f}; "
                     "as the width grows every score must approach the same value (divide the distance by the width)")
        if _ignores_width(scores):
            wide_hint = "your scores do not change with the width: divide them by the width (or by its square)"
        elif weights[-1].max() > 0.99:
            wide_hint = (f"at width {WIDE:g} your weights put {weights[-1].max():.2f} on one key: your attention gets "
                         "sharper as the width grows; divide by the width instead of multiplying")
        ctx.close(f"database {c}: as the width grows ({WIDE:g}), attention averages all {m} values", weights[-1],
                  np.full(m, 1 / m), hint=wide_hint, reason="a wide width does not average")
        nearest_weight = weights[:, case.nearest]
        rising = [f"{WIDTHS[j]:g} to {WIDTHS[j + 1]:g}" for j in range(n - 1)
                  if nearest_weight[j + 1] > nearest_weight[j] + 1e-3]
        falls = nearest_weight[0] - nearest_weight[-1] > 0.5
        why = (f" (it grows from width {rising[0]})" if rising else "" if falls else
               f" (it goes from {nearest_weight[0]:.2f} to {nearest_weight[-1]:.2f} between widths {NARROW:g} and "
               f"{WIDE:g})")
        ctx.credit(falls and not rising, f"database {c}: the weight of the nearest key falls as the width grows, "
                   f"never rising{why}", weight=1, reason="the width does not act monotonically",
                   hint="the width should act like a temperature: a wider kernel spreads the weights out")
    _names_check(ctx, len(MATCH) * n)


def _names_check(ctx: Context, start: int) -> None:
    i = start
    for name, rows, first in NAME_QUERIES:
        firsts = [DB[r][1] for r in rows]
        searched = "the database without (Li, Mu)" if len(rows) < len(DB) else "the whole database"
        (narrow, why), (wide, _) = _scores(ctx, i, len(rows)), _scores(ctx, i + 1, len(rows))
        i += 2
        if narrow is None:
            ctx.credit(False, f"approximate match of {name!r} in {searched}: {why}", reason="the scores are missing or "
                                                                                         "not finite")
            continue
        w = softmax(narrow)
        top = int(np.argmax(w))
        target = np.array([1.0 if f == first else 0.0 for f in firsts])
        ctx.heatmap(f"{name!r} over {searched} (width {NARROW:g})", w[None], target[None],
                    xlabel=" ".join(DB[r][0] for r in rows), ylabel=name)
        hint = f"your attention returns {firsts[top]} with weight {w[top]:.2f}"
        if wide is not None and _ignores_width([narrow, wide]):
            hint += f" at every width (your scores for {name!r} are the same at widths {NARROW:g} and {WIDE:g})"
        if name == "Li" and first == "Mu" and abs(w[firsts.index("Zachary")] - w[firsts.index("Mu")]) < 0.05:
            hint += ("; Li and Lipton score the same: with q·k, embed('Li')·embed('Lipton') = embed('Li')·embed('Li'), "
                     "so a dot product cannot tell an exact match from a longer name; score with the distance")
        ctx.close(f"approximate match of {name!r} in {searched} at width {NARROW:g} returns {first}", w, target,
                  hint=hint, reason=f"the approximate match of {name!r} is wrong")
        if wide is not None and first == "Zachary":
            ctx.close(f"{name!r} at width {WIDE:g} averages the first names", softmax(wide),
                      np.full(len(rows), 1 / len(rows)), weight=0.5,
                      hint="as the width grows all names should weigh the same", reason="a wide width does not average")


# =========================================================================== 2.3 the Jacobian


def _jacobian_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    g = _rng(2303)
    cases = [(g.normal(size=d), g.normal(size=(m, d))) for d, m in [(3, 5), (3, 5), (2, 4), (4, 7)]]
    cases.append((np.zeros(3), g.normal(size=(6, 3))))  # uniform weights: the plain covariance of the keys
    return cases


JACOBIAN = _jacobian_cases()


@inputs("2.3")
def jacobian_inputs() -> list:
    return [call(tensor(q.tolist(), dtype="float64"), tensor(K.tolist(), dtype="float64")) for q, K in JACOBIAN]


def _jacobian_diagnosis(pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]], tol: float) -> str | None:
    """What the wrong Jacobians have in common (pairs of got, reference, q, K), or None."""
    wrong = [(g, r, q, K) for g, r, q, K in pairs if not _matches(g, r, tol)]
    if not wrong:
        return None
    got = np.concatenate([g.ravel() for g, *_ in wrong])
    ref = np.concatenate([r.ravel() for _, r, *_ in wrong])
    c = _scale_of(got, ref)
    if c is not None:
        text = f"your Jacobian is {c:.2f} × the reference"
        if abs(c - 2) < 0.05:
            return (text + ": the softmax's derivative gives p(diag − ppᵀ) (∂p_i/∂q = p_i (k_i − k̄)), not twice that; "
                           "a factor 2 comes from differentiating (qᵀk_i)², but the output is Σ p_i k_i, not Σ (qᵀk_i)²")
        if abs(c + 1) < 0.05:
            return text + ": check the sign of ∂p_i/∂q = p_i (k_i − Σ_j p_j k_j)"
        return text + ": check the constant factors of your derivation"

    def variant(f) -> bool:
        return all(_matches(g, f(q, K), tol) for g, _, q, K in wrong)

    def diagonal_only(q, K):
        p = softmax(K @ q)
        return K.T @ np.diag(p * (1 - p)) @ K

    def second_moment(q, K):
        p = softmax(K @ q)
        return K.T @ np.diag(p) @ K

    def unweighted(q, K):
        return np.cov(K.T, bias=True)

    if variant(diagonal_only):
        return ("your Jacobian is Σ_i p_i(1 − p_i) k_i k_iᵀ: you kept only the diagonal of the softmax's Jacobian; "
                "∂p_i/∂s_j = p_i(δ_ij − p_j) also has the off-diagonal terms −p_i p_j, which give −k̄k̄ᵀ + Σ_i p_i² k_i k_iᵀ")
    if variant(second_moment):
        return "your Jacobian is E_p[k kᵀ], the second moment: the covariance also subtracts E_p[k] E_p[k]ᵀ"
    if variant(unweighted):
        return ("your Jacobian is the covariance of the keys with equal weights: weight each key by its attention "
                "p_i = softmax(K q)_i")
    if all(np.abs(g).max() < 1e-9 for g, *_ in wrong):
        return "your Jacobian is zero: attention does depend on q through the softmax weights"
    return None


@check("2.3")
def jacobian_check(ctx: Context) -> None:
    if _nothing_returned(ctx):
        return
    pairs = []
    for i, (q, K) in enumerate(JACOBIAN):
        d = len(q)
        what = f"∂Attn/∂q for {len(K)} keys in {d} dimensions" + (" and q = 0 (equal weights)" if not q.any() else "")
        got = _output(ctx, i, what, (d, d), hint=f"the Jacobian of a {d}-vector output with respect to a {d}-vector q "
                                                 f"is a {d}×{d} matrix")
        if got is not None:
            pairs.append((got, covariance(q, K), q, K))
    hint = _jacobian_diagnosis(pairs, ctx.tolerance)
    for got, ref, q, K in pairs:
        d = len(q)
        what = f"∂Attn/∂q for {len(K)} keys in {d} dimensions" + (" and q = 0 (equal weights)" if not q.any() else "")
        ctx.close(what, got, ref, hint=hint or "∂Attn/∂q = Σ_i k_i (∂p_i/∂q)ᵀ with ∂p_i/∂q = p_i (k_i − Σ_j p_j k_j)",
                  reason="the Jacobian is wrong")


# =========================================================================== 2.4 a differentiable search engine

TEMPERATURES = [1.0, 0.3, 1e-3, 1e3]


def _search_cases():
    g = _rng(2401)
    return g.normal(size=(3, 4)), g.normal(size=(5, 4))


SEARCH_Q, SEARCH_D = _search_cases()


@inputs("2.4.1")
def soft_search_inputs() -> list:
    return [call(tensor(SEARCH_Q.tolist()), tensor(SEARCH_D.tolist()), py(t)) for t in TEMPERATURES]


@check("2.4.1")
def soft_search_check(ctx: Context) -> None:
    if _nothing_returned(ctx):
        return
    s = SEARCH_Q @ SEARCH_D.T
    tol = ctx.tolerance
    for i, t in enumerate(TEMPERATURES):
        expected = softmax(s / t)
        got = _output(ctx, i, f"soft_search at temperature {t:g}", expected.shape,
                      hint="one row of weights over the documents per query: shape (queries, documents)")
        if got is None:
            continue
        hint = "soft_search should return softmax(queries @ docs.T / temperature, dim=-1)"
        one_hot = bool(np.isfinite(got).all() and np.all(np.isclose(got, 0, atol=1e-6) | np.isclose(got, 1, atol=1e-6)))
        if one_hot and not _matches(got, expected, tol):
            hint = ("your weights are one-hot: that is hard retrieval (argmax), which has no gradient; soft retrieval "
                    "weighs every document by softmax(scores / temperature), and only becomes hard as the temperature "
                    "goes to 0")
        elif _matches(got, softmax(s * t), tol):
            hint = "your weights are softmax(scores × temperature): divide the scores by the temperature"
        elif _matches(got, softmax(s / t, axis=0), tol):
            hint = ("your weights sum to 1 over the queries (dim 0): each query's weights over the documents must "
                    "sum to 1 (dim=-1)")
        elif _matches(got, softmax(s), tol):
            hint = "your weights do not depend on the temperature: divide the scores by it"
        elif t == 1e-3 and np.isfinite(got).all() and _matches(got.argmax(-1), s.argmax(-1), 0):
            hint = "at a low temperature the weights should be (almost) one-hot on each query's best document"
        if t in (1.0, 0.3):
            ctx.heatmap(f"weights at temperature {t:g}", got, expected, xlabel="Documents")
        label = {1e-3: " (almost one-hot: hard retrieval)", 1e3: " (almost uniform)"}.get(t, "")
        ctx.close(f"soft_search at temperature {t:g}{label}", got, expected, hint=hint,
                  reason="soft_search is wrong at some temperature")


def _grad_cases():
    g = _rng(2402)
    cases = []
    for n, vocab, h, m, t in [(6, 7, 4, 5, 0.5), (4, 5, 3, 6, 1.0)]:
        bows = g.integers(0, 3, size=(n, vocab)).astype(float)
        docs = _normalise(g.normal(size=(m, h)))
        cases.append((bows, docs, g.integers(0, m, size=n), g.normal(size=(vocab, h)), t))
    return cases


GRAD = _grad_cases()


@inputs("2.4.2")
def encoder_grad_inputs() -> list:
    return [call(tensor(b.tolist()), tensor(d.tolist()), tensor(y.tolist(), dtype="int64"), tensor(W.tolist()), py(t))
            for b, d, y, W, t in GRAD]


def _graph_hint(error: str | None) -> str | None:
    if error is None or "grad" not in error:
        return None
    return ("the loss is not connected to W: something in your retrieval cuts the graph (argmax, topk, .detach(), "
            ".item(), torch.no_grad()); call W.requires_grad_() (on a copy) before encoding, and keep the retrieval "
            "soft (softmax)")


def _grad_hint(got: np.ndarray, ref: np.ndarray, case) -> str:
    targets, t = case[2], case[4]
    if not np.abs(got).any():
        return ("your gradient is zero: no gradient reaches the query encoder; something between W and the loss is "
                "not differentiable or cuts the graph (argmax, topk, .detach(), .item(), torch.no_grad(), a new "
                "torch.tensor(...)); soft retrieval with a softmax keeps it")
    c = _scale_of(got, ref)
    if c is not None:
        n = len(targets)
        if abs(c - n) < 0.05 * n:
            return f"your gradient is {c:.2f} × the reference: average the loss over the {n} queries, don't sum it"
        if abs(c + 1) < 0.05:
            return "your gradient has the wrong sign: the loss is -log p(target), the negative log-likelihood"
        if abs(c - t) < 0.05 or abs(c - 1 / t) < 0.05 * max(1, 1 / t):
            return f"your gradient is {c:.2f} × the reference: divide the scores by the temperature {t:g}, once"
        return f"your gradient is {c:.2f} × the reference"
    return ("the loss is the mean over queries of -log soft_search(query_bows @ W, docs, temperature)[i, targets[i]]; "
            "W must be a leaf with requires_grad=True, and the gradient is W.grad after loss.backward()")


@check("2.4.2")
def encoder_grad_check(ctx: Context) -> None:
    if _nothing_returned(ctx):
        return
    for i, case in enumerate(GRAD):
        bows, docs, targets, W, t = case
        ref = encoder_gradient(bows, docs, targets, W, t)
        what = f"dL/dW for {len(targets)} queries at temperature {t:g}"
        result = ctx.calls[i]
        got = _output(ctx, i, what, ref.shape, error_hint=_graph_hint(result.error))
        if got is not None:
            ctx.close(what + " (the gradient that reaches the query encoder)", got, ref,
                      hint=_grad_hint(got, ref, case), reason="the query encoder's gradient is wrong")


@inputs("2.4.3")
def train_inputs() -> list:
    return [call(tensor(DOCS.tolist()), tensor(TRAIN_BOWS.tolist()), tensor(TRAIN_TARGETS.tolist(), dtype="int64"),
                 tensor(HELD_OUT_BOWS.tolist()), py(SEARCH_TEMPERATURE), seed=0)]


@check("2.4.3")
def train_check(ctx: Context) -> None:
    if _nothing_returned(ctx):
        return
    shape = (len(HELD_OUT_TARGETS), N_DOCS)
    ctx.note(f"{shape[0]} held-out queries over {N_DOCS} documents; word overlap alone (the untrained engine) "
             f"reaches a mean reciprocal rank of {OVERLAP_MRR:.2f}")
    scores = _output(ctx, 0, "train_search_engine's scores for the held-out queries", shape, weight=3,
                     hint="return one score per (held-out query, document): shape (queries, documents)",
                     error_hint=_graph_hint(ctx.calls[0].error))
    if scores is None:
        return
    if not ctx.require(bool(np.isfinite(scores).all()), "the scores are finite",
                       hint="your scores contain NaN or inf: check the training loss (a log of 0?) and the learning "
                            "rate", reason="the search scores are not finite"):
        return
    mrr = mean_reciprocal_rank(scores, HELD_OUT_TARGETS)
    ranks = (scores >= scores[np.arange(shape[0]), HELD_OUT_TARGETS][:, None]).sum(axis=1)
    ctx.note(f"your engine ranks the right document first for {int((ranks == 1).sum())} of {shape[0]} held-out "
             f"queries: mean reciprocal rank {mrr:.3f}")
    if np.ptp(scores, axis=1).max() < 1e-9:
        hint = "your scores are the same for every document (ties count against you): rank by the trained scores"
    elif mrr <= OVERLAP_MRR + 0.05:
        hint = ("no better than word overlap: the query encoder must learn the synonyms from the training queries "
                "(train it end to end with the soft retrieval's cross-entropy loss)")
    else:
        hint = "train longer, or with a larger learning rate; check the MRR on the notebook's validation queries"
    ctx.credit(mrr >= MRR_LEARNED, f"mean reciprocal rank {mrr:.3f} ≥ {MRR_LEARNED} (beats word overlap, "
               f"{OVERLAP_MRR:.2f}: the engine learned)", weight=1, hint=hint, reason="the engine did not learn")
    ctx.credit(mrr >= MRR_GOOD, f"mean reciprocal rank {mrr:.3f} ≥ {MRR_GOOD}", weight=2, hint=hint,
               reason="the engine's ranking is not good enough")


# =========================================================================== 2.5 squeeze-and-excitation


def _se_case(g: np.random.Generator, n: int, c: int, r: int, h: int, w: int):
    x = g.normal(size=(n, c, h, w)) + g.normal(size=(n, c, 1, 1))  # channels of different means
    return (x, g.normal(size=(c // r, c)), g.normal(size=c // r), g.normal(size=(c, c // r)), g.normal(size=c))


def _se_cases():
    g = _rng(2501)
    return [_se_case(g, 2, 6, 2, 4, 4), _se_case(g, 1, 4, 2, 3, 5)]


SE = _se_cases()
# Every channel useful: W2 = 0 and b2 = +3 give every gate sigmoid(3) = 0.95 (a softmax would give 1/C).
SE_ALL = (SE[0][0], SE[0][1], SE[0][2], np.zeros_like(SE[0][3]), np.full(6, 3.0))
SE_NONE = (SE[0][0], SE[0][1], SE[0][2], np.zeros_like(SE[0][3]), np.full(6, -3.0))


def _se_call(case) -> object:
    return call(*[tensor(a.tolist()) for a in case])


def _se_hint(got_gates_or_out: np.ndarray, case, block: bool, tol: float) -> str:
    x = case[0]
    variants = [
        ({"gate": _channel_softmax}, "your gates are a softmax over the channels, so they sum to 1 and the channels "
                                      "compete; SE gates each channel independently with a sigmoid"),
        ({"squeeze": _max_pool}, "you squeezed with a max: SE squeezes each channel with its global average over H×W"),
        ({"squeeze": _sum_pool}, "you squeezed with a sum: SE squeezes each channel with its global average over H×W"),
        ({"relu": False}, "you left out the ReLU between the two fully connected layers"),
        ({"gate": lambda a: a}, "you left out the sigmoid: the gates must lie in (0, 1)"),
    ]
    for kwargs, text in variants:
        gates = se_parts(*case, **kwargs)
        candidate = x * gates[:, :, None, None] if block else gates
        if _matches(got_gates_or_out, candidate, tol):
            return text
    if block and _matches(got_gates_or_out, se_parts(*case)[:, :, None, None] + 0 * x, tol):
        return "return x scaled by the gates (x * s), not the gates"
    return ("z = mean of x over H×W; s = sigmoid(W2 relu(W1 z + b1) + b2) (weights as nn.Linear stores them: "
            "(out, in)); output x * s per channel")


@inputs("2.5.1")
def se_block_inputs() -> list:
    return [_se_call(c) for c in SE]


@check("2.5.1")
def se_block_check(ctx: Context) -> None:
    if _nothing_returned(ctx):
        return
    for i, case in enumerate(SE):
        x = case[0]
        expected = x * se_parts(*case)[:, :, None, None]
        what = f"se_block on x of shape {x.shape}"
        got = _output(ctx, i, what, expected.shape, hint="the output has the shape of x")
        if got is not None:
            ctx.close(what, got, expected, hint=_se_hint(got, case, True, ctx.tolerance), reason="se_block is wrong")


@inputs("2.5.2")
def se_gates_inputs() -> list:
    return [_se_call(SE[0]), _se_call(SE_ALL), _se_call(SE_NONE)]


@check("2.5.2")
def se_gates_check(ctx: Context) -> None:
    if _nothing_returned(ctx):
        return
    tol = ctx.tolerance
    x = SE[0][0]
    shape = x.shape[:2]
    gates = [_output(ctx, i, what, shape, hint="one gate per (example, channel): shape (N, C)")
             for i, what in enumerate(["se_gates on random weights", "se_gates when every channel matters",
                                       "se_gates when no channel matters"])]
    random_gates, all_on, all_off = gates
    if random_gates is not None:
        ctx.heatmap("your gates (rows: examples, columns: channels)", random_gates, se_parts(*SE[0]),
                    xlabel="Channels", ylabel="Examples")
        ctx.close("se_gates on random weights", random_gates, se_parts(*SE[0]),
                  hint=_se_hint(random_gates, SE[0], False, tol), reason="the gates are wrong")
    if any(g is None for g in gates):
        return
    every = np.concatenate([g.ravel() for g in gates])
    inside = bool(((every > 0) & (every < 1)).all())
    ctx.credit(inside, "every gate lies strictly between 0 and 1 (a sigmoid)" + (
        "" if inside else f": yours range from {every.min():.3g} to {every.max():.3g}"),
        hint="apply a sigmoid to the excitation's output", reason="the gates are not in (0, 1)")
    sums = all_on.sum(axis=1)
    expected_on = np.full(shape, sigmoid(3.0))
    hint = (f"your gates sum to {_round(sums)} over the channels: that is a softmax, under which the {shape[1]} "
            f"channels share one unit of attention (1/{shape[1]} each here); SE's sigmoid gates are independent, so "
            "every channel can be kept at once")
    if not np.allclose(sums, 1, atol=tol):
        hint = "with W2 = 0 and b2 = 3 every gate is sigmoid(3) ≈ 0.95"
    ctx.close(f"gates when every channel matters (W2 = 0, b2 = +3): each is sigmoid(3) = {sigmoid(3.0):.3f}, so they sum "
              f"to {shape[1] * sigmoid(3.0):.2f}, not 1", all_on, expected_on, hint=hint,
              reason="the gates sum to 1 (a softmax)")
    ctx.close(f"gates when no channel matters (W2 = 0, b2 = -3): each is sigmoid(-3) = {sigmoid(-3.0):.3f}",
              all_off, np.full(shape, sigmoid(-3.0)),
              hint="a softmax cannot switch every channel off: its weights always sum to 1; use a sigmoid",
              reason="the gates cannot all be small")
