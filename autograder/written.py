"""Find a written answer (a proof, a design) in a submission: the prose after its prompt.

The prompt's cell holds the start of the answer (the text after the prompt's line), and the
prose cells after it the rest, up to the next code cell or the next question's prompt. Prose is
a notebook's Markdown or Raw cell, or in a `.py` export a cell that is only a string statement
(Colab's markdown) or only comments (`# %% [markdown]`).
"""
from __future__ import annotations

import ast
import re

from autograder.locate import normalise
from autograder.pyparse import PARSE_ERRORS, parse
from autograder.submission import Submission
from autograder.submission.cells import Cell

MAX_TEXT = 20_000  # characters of a written answer kept


def find_written(submission: Submission, prompts: dict[str, str]) -> dict[str, str | None]:
    """For each question id, the text of the answer to its prompt ("" if the prompt is there with
    nothing after it), or None if the prompt is nowhere in the submission's prose."""
    cells = submission.in_order()
    inert = {id(c) for c in submission.inert}
    script = submission.format != "notebook"
    texts = [prose(c, id(c) in inert, script) for c in cells]
    words = [_plain(t) if t is not None else None for t in texts]
    wanted = {key: _plain(p) for key, p in prompts.items()}
    return {key: _answer(texts, words, w, [o for o in wanted.values() if o != w]) for key, w in wanted.items()}


def _answer(texts: list[str | None], words: list[str | None], wanted: str, others: list[str]) -> str | None:
    for i, text in enumerate(texts):
        if text is None or wanted not in (words[i] or ""):
            continue
        parts = [_after(text, wanted)]
        for more, more_words in zip(texts[i + 1:], words[i + 1:]):
            if more is None or any(o in (more_words or "") for o in others):
                break
            parts.append(more)
        answer = "\n\n".join(p.strip() for p in parts if p.strip())
        return answer if len(answer) <= MAX_TEXT else answer[:MAX_TEXT] + f"… ({len(answer) - MAX_TEXT} more characters)"
    return None


def prose(cell: Cell, inert: bool, script: bool) -> str | None:
    """A cell's text if it is prose (see the module's docstring; `inert`: a Markdown or Raw cell;
    `script`: the cell comes from a `.py` export, where a comment-only cell is markdown), else None."""
    if inert:
        return cell.source
    lines = [line.strip() for line in cell.source.split("\n") if line.strip()]
    if script and lines and all(line.startswith("#") for line in lines):
        return "\n".join(re.sub(r"^#+ ?", "", line) for line in lines if not line.startswith("# %%"))
    try:
        body = parse(cell.source).body
    except PARSE_ERRORS:
        return None
    if len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[0].value.value
    return None


def _plain(text: str) -> str:
    """`normalise`d, without Markdown's emphasis marks (`**Written answer 2:** prove` reads as the words)."""
    return normalise(text.replace("*", ""))


def _after(text: str, wanted: str) -> str:
    """The lines of `text` after the one that completes the prompt `wanted`."""
    lines = text.split("\n")
    for k in range(len(lines)):
        if wanted in _plain("\n".join(lines[:k + 1])):
            return "\n".join(lines[k + 1:])
    return ""
