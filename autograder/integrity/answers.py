"""Answer similarity: identical unusual answer values across the batch's reports, which no rewriting of
the code hides (`37.5 * key[0]` and `key[0] * 37.5` hold the same numbers).

A value is unusual when few submissions hold it (at most `rare_limit` of those answering the question)
and it is wrong, or it is correct and the batch is large enough to call it rare (`RARE_POPULATION`
correct answers to the question). A constant (all zeros, say) is too easy to reach on one's own to count.
Values are compared to six significant digits, so the same numbers reached in another order match.
"""
from __future__ import annotations

import math
from collections import defaultdict
from itertools import combinations

import numpy as np

from autograder.course.load import Submission
from autograder.grading.report import QuestionResult
from autograder.integrity.findings import SharedValue

RARE_SHARE = 0.02  # a value held by at most this share of the answers (and at least 2 of them) is rare
RARE_POPULATION = 30  # correct answers a question needs before a correct value can be called rare
DIGITS = 6


def rare_limit(answered: int) -> int:
    """The most submissions (of `answered`) that may hold a value for it to be unusual."""
    return max(2, math.floor(RARE_SHARE * answered))


def shared_values(submissions: list[Submission]) -> dict[tuple[str, str], list[SharedValue]]:
    """Pairs of submission keys (in sorted order) -> the unusual values both hold."""
    holders: dict[tuple[str, str], list[tuple[str, QuestionResult]]] = defaultdict(list)  # by (question, value)
    answered: dict[str, int] = defaultdict(int)
    correct: dict[str, int] = defaultdict(int)
    for sub in submissions:
        for result in sub.report.questions if sub.report is not None and sub.readable else ():
            value = _value(result)
            if value is not None:
                answered[result.question.id] += 1
                correct[result.question.id] += result.passed
                holders[result.question.id, value].append((sub.key, result))
    pairs: dict[tuple[str, str], list[SharedValue]] = defaultdict(list)
    for (qid, _), held in holders.items():
        if not 2 <= len(held) <= rare_limit(answered[qid]):
            continue
        for (a, one), (b, other) in combinations(sorted(held, key=lambda h: h[0]), 2):
            both_correct = one.passed and other.passed  # a 1.4 answer's grade may depend on another answer
            if not both_correct or correct[qid] >= RARE_POPULATION:
                pairs[a, b].append(SharedValue(qid, one.answer.name, _shown(one), len(held), answered[qid],
                                               both_correct))
    return dict(pairs)


def _value(result: QuestionResult) -> str | None:
    """The answer's value as comparable text (shape and numbers), or None: no numbers, or a constant."""
    record = result.answer
    if result.question.written or record is None or record.data is None:
        return None
    numbers = np.asarray(record.data, dtype=np.float64).ravel() + 0.0  # -0.0 is 0.0
    if numbers.size == 0 or np.unique(numbers).size == 1:
        return None
    return f"{record.shape}:" + ",".join(f"{x:.{DIGITS}g}" for x in numbers)


def _shown(result: QuestionResult) -> str:
    """The value, shortened for reading."""
    data = np.asarray(result.answer.data, dtype=np.float64)
    return np.array2string(data, precision=4, threshold=12, edgeitems=3, separator=", ", max_line_width=200)
