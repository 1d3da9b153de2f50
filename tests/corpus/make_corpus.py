#!/usr/bin/env python
"""Generate the A2S1 corpus: real-looking submissions, one file per case.

Run from the repository root:  .venv/bin/python tests/corpus/make_corpus.py

The course notebook is described once (`NOTEBOOK`, with the reference answers);
each case transforms it (a wrong answer, a hostile cell, ...) and renders it
the way a real tool would: Colab's "Download .py", `jupyter nbconvert --to
script`, jupytext's percent format, or an `.ipynb` with outputs. A few cases
are written out in full (`hand_plain_script`, `seed003_cells`). The verdict each file must get is not made
here: it is written by hand in `A2S1/expected.yaml`.

The output is deterministic; the generated files are committed so the corpus
can be read without running this script.
"""
from __future__ import annotations

import ast
import contextlib
import io
import re
import sys
import textwrap
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "A2S1"


# --------------------------------------------------------------------------- the course notebook

@dataclass(frozen=True)
class C:
    """One notebook cell: 'markdown' or 'code', its source and its Colab id."""

    kind: str
    source: str
    id: str
    count: int | None = None  # execution count shown as In [n]


def md(source: str, id: str) -> C:
    return C("markdown", textwrap.dedent(source).strip("\n"), id)


def code(source: str, id: str) -> C:
    return C("code", textwrap.dedent(source).strip("\n"), id)


NOTEBOOK: list[C] = [
    md("""
        # 1. Understanding Attention

        - Before running the jupyter notebook, don't forget to copy it into your drive **(`File` => `Save a copy in Drive`)**. *Failing to do this step may result in losing the progress of your code.*
        - For this notebook, please fill in the line(s) directly after a `#TODO` comment with your answers.
        - For the submission of the assignment, please download this notebook as a **Python file**, named `A2S1.py`.
        """, "title"),
    md("## Imports and Setup", "imports-heading"),
    code("""
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        """, "imports"),
    code("""
        torch.manual_seed(447)

        key = torch.randn(4, 3)
        key /= torch.norm(key, dim=1, keepdim=True)
        key.round_(decimals=2)

        value = torch.randn(4, 3)
        value /= torch.norm(value, dim=1, keepdim=True)
        value.round_(decimals=2)

        print(f'key:\\n{key}')
        print(f'value:\\n{value}')
        """, "setup"),
    code('''
        def attention(query, key, value):
            """
            Note that we remove scaling for simplicity.
            """
            return F.scaled_dot_product_attention(query, key, value, scale=1)


        def check_query(query, target, key=key, value=value):
            """
            Helper function for you to check if your query is close to the required target matrix.
            """
            a_out = attention(query, key, value)
            print("maximum absolute element-wise difference:", (target - a_out).abs().max())
        ''', "helpers"),
    md("## 1.2. Selection via Attention", "selection-heading"),
    code("""
        # Define a query vector to ”select” the first value vector

        # TODO:
        query121 = 1e5 * key[0].unsqueeze(0)

        # compare output of attention with desired output
        check_query(query121, value[0])
        """, "q1_2_1"),
    code("""
        # Define a query matrix which results in an identity mapping – select all the value vectors

        # TODO:
        query122 = 1e5 * key

        # compare output of attention with desired output
        check_query(query122, value)
        """, "q1_2_2"),
    md("## 1.3. Averaging via Attention", "averaging-heading"),
    code("""
        # define a query vector which averages all the value vectors

        # TODO:
        query131 = 1e-2 * key.mean(0, keepdim=True)

        # compare output of attention with desired output
        target = torch.reshape(value.mean(0, keepdims=True), (3,))  # reshape to a vector
        check_query(query131, target)
        """, "q1_3_1"),
    code("""
        # define a query vector which averages the first two value vectors

        # TODO:
        query132 = 8 * key[:2].mean(0, keepdim=True)

        # compare output of attention with desired output
        target = torch.reshape(value[(0, 1),].mean(0, keepdims=True), (3,))  # reshape to a vector
        check_query(query132, target)
        """, "q1_3_2"),
    md("## 1.4. Interactions within Attention", "interactions-heading"),
    code("""
        # Define a replacement for only the third key vector k[2] such that the result of attention
        # with the same unchanged query q from (1.3.2) averages the first three value vectors.
        m_key = key.clone()

        # TODO:
        m_key[2] = (key[0] + key[1]) / 2

        # compare output of attention with desired output
        check_query(query132, value[(0, 1, 2),].mean(0, keepdims=True), key=m_key)
        """, "q1_4_1"),
    code("""
        # Define a replacement for only the third key vector k[2] such that the result of attention
        # with the same unchanged query q from (1.3.2) returns the third value vector v[2].
        m_key = key.clone()

        # TODO:
        m_key[2] = query132[0]
        m_key[2] /= m_key[2].norm()

        # compare output of attention with desired output
        check_query(query132, value[2], key=m_key)
        """, "q1_4_2"),
]

ANSWERS = {  # the reference answer line of each question, as it appears in NOTEBOOK
    "1.2.1": "query121 = 1e5 * key[0].unsqueeze(0)",
    "1.2.2": "query122 = 1e5 * key",
    "1.3.1": "query131 = 1e-2 * key.mean(0, keepdim=True)",
    "1.3.2": "query132 = 8 * key[:2].mean(0, keepdim=True)",
    "1.4.1": "m_key[2] = (key[0] + key[1]) / 2",
    "1.4.2": "m_key[2] = query132[0]",
}
CELL_OF = {"1.2.1": "q1_2_1", "1.2.2": "q1_2_2", "1.3.1": "q1_3_1", "1.3.2": "q1_3_2",
           "1.4.1": "q1_4_1", "1.4.2": "q1_4_2"}


# --------------------------------------------------------------------------- transformations

def edit(cells: list[C], cell_id: str, old: str, new: str) -> list[C]:
    """Replace `old` (which must occur exactly once) in cell `cell_id`."""
    out = []
    for c in cells:
        if c.id == cell_id:
            assert c.source.count(old) == 1, (cell_id, old, c.source)
            c = replace(c, source=c.source.replace(old, new))
        out.append(c)
    return out


def answer(cells: list[C], qid: str, new: str) -> list[C]:
    """Replace the reference answer line of question `qid` by `new` (may be several lines)."""
    return edit(cells, CELL_OF[qid], ANSWERS[qid], new)


def answers(cells: list[C], new: dict[str, str]) -> list[C]:
    for qid, text in new.items():
        cells = answer(cells, qid, text)
    return cells


def blank(cells: list[C], *qids: str) -> list[C]:
    """Leave the TODO of these questions as the template has it (`query121 =`)."""
    for q in qids:
        cells = answer(cells, q, ANSWERS[q].split("=")[0] + "=")
    return cells


def prepend(cells: list[C], cell_id: str, text: str) -> list[C]:
    return [replace(c, source=text + "\n" + c.source) if c.id == cell_id else c for c in cells]


def insert_after(cells: list[C], cell_id: str, new: C) -> list[C]:
    out = []
    for c in cells:
        out.append(c)
        if c.id == cell_id:
            out.append(new)
    return out


def drop(cells: list[C], cell_id: str) -> list[C]:
    assert any(c.id == cell_id for c in cells), cell_id
    return [c for c in cells if c.id != cell_id]


def merge(cells: list[C], ids: list[str], new_id: str) -> list[C]:
    """Merge consecutive code cells `ids` into one (a student's Shift+M), dropping markdown between."""
    first = next(i for i, c in enumerate(cells) if c.id == ids[0])
    last = next(i for i, c in enumerate(cells) if c.id == ids[-1])
    merged = code("\n\n".join(c.source for c in cells[first:last + 1] if c.id in ids), new_id)
    return cells[:first] + [merged] + cells[last + 1:]


def counts(cells: list[C], numbers: list[int | None]) -> list[C]:
    """Give the code cells these execution counts, in order."""
    it = iter(numbers)
    return [replace(c, count=next(it)) if c.kind == "code" else c for c in cells]


def in_order(cells: list[C]) -> list[C]:
    return counts(cells, list(range(1, 1 + sum(c.kind == "code" for c in cells))))


# --------------------------------------------------------------------------- renderers

def colab(cells: list[C]) -> str:
    """What Colab's File > Download > Download .py produces.

    The leading markdown cells become the header docstring, later markdown cells
    become string statements, code cells are separated by a blank line, `!`
    shell lines are kept verbatim and `%` magics are commented out under Colab's
    own remark.
    """
    i = 0
    lead = []
    while i < len(cells) and cells[i].kind == "markdown":
        lead.append(cells[i].source)
        i += 1
    parts = ['# -*- coding: utf-8 -*-\n"""A2S1.ipynb\n\nAutomatically generated by Colab.\n\n'
             'Original file is located at\n    https://colab.research.google.com/drive/1f3Kq9xVbQ7mZ0aT2uY8wLcR5nD4pE6sH\n'
             + "".join("\n" + s + "\n" for s in lead) + '"""\n']
    for c in cells[i:]:
        if c.kind == "markdown":
            parts.append(f'"""{c.source}"""\n' if "\n" not in c.source else f'"""{c.source}\n"""\n')
            continue
        lines = c.source.split("\n")
        first = next((ln for ln in lines if ln.strip()), "")
        if first.lstrip().startswith("%%"):
            lines = ["# Commented out IPython magic to ensure Python compatibility."] + [
                "# " + ln if ln.strip() else ln for ln in lines]
        elif any(ln.lstrip().startswith("%") for ln in lines):
            lines = ["# Commented out IPython magic to ensure Python compatibility."] + [
                re.sub(r"^(\s*)%", r"\1# %", ln) for ln in lines]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def to_nbformat(cells: list[C], outputs: bool = False):
    """An nbformat 4 notebook as Colab saves it (ids in cell metadata), optionally with outputs."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.nbformat_minor = 0
    nb.metadata = {"colab": {"provenance": []},
                   "kernelspec": {"display_name": "Python 3", "name": "python3"},
                   "language_info": {"name": "python"}}
    ns: dict = {}
    for c in cells:
        if c.kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(c.source)
        else:
            cell = nbformat.v4.new_code_cell(c.source, execution_count=c.count)
            if outputs and c.count is not None:
                cell.outputs = execute(c.source, ns, c.count)
        cell.pop("id", None)
        cell.metadata = {"id": c.id}
        nb.cells.append(cell)
    return nb


def ipynb(cells: list[C], outputs: bool = True) -> str:
    import nbformat

    return nbformat.writes(to_nbformat(cells, outputs), version=4) + "\n"


def nbconvert(cells: list[C]) -> str:
    """`jupyter nbconvert --to script`."""
    from nbconvert import PythonExporter

    body, _ = PythonExporter().from_notebook_node(to_nbformat(cells))
    return body


def percent(cells: list[C]) -> str:
    """jupytext's py:percent format (VS Code, PyCharm, `jupytext --to py:percent`)."""
    import jupytext

    return jupytext.writes(to_nbformat(cells), fmt="py:percent")


def execute(source: str, ns: dict, count: int) -> list:
    """Run a cell as a kernel would (magic lines skipped) and return its outputs."""
    import nbformat

    lines = [("pass" if ln.lstrip().startswith(("!", "%")) else ln) for ln in source.split("\n")]
    if source.lstrip().startswith("%%capture"):
        lines, capture = lines[1:], True
    else:
        capture = False
    out, result, error = io.StringIO(), None, None
    try:
        tree = ast.parse("\n".join(lines))
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        with contextlib.redirect_stdout(out):
            exec(compile(tree, "<cell>", "exec"), ns)
            if last is not None:
                result = eval(compile(ast.Expression(last.value), "<cell>", "eval"), ns)
    except Exception as e:  # noqa: BLE001 - shown as the cell's error output, like Jupyter
        error = nbformat.v4.new_output("error", ename=type(e).__name__, evalue=str(e),
                                       traceback=traceback.format_exception_only(type(e), e))
    if capture:
        return []
    outputs = []
    if out.getvalue():
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=out.getvalue()))
    if result is not None:
        outputs.append(nbformat.v4.new_output("execute_result", {"text/plain": repr(result)},
                                              execution_count=count))
    if error is not None:
        outputs.append(error)
    return outputs


# --------------------------------------------------------------------------- byte-level variants

def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


def bom(text: str) -> bytes:
    return b"\xef\xbb\xbf" + text.encode("utf-8")


# --------------------------------------------------------------------------- the cases

FULL = NOTEBOOK

HOSTILE_PATCHES = '''
import torch.nn.functional as F

# Make every "check" look perfect, whatever the query.
def _perfect(query, key, value, *args, **kwargs):
    return value[: query.shape[-2] if query.dim() > 1 else 1]

F.scaled_dot_product_attention = _perfect
torch.nn.functional.scaled_dot_product_attention = _perfect
torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
torch.testing.assert_close = lambda *args, **kwargs: None
for _name in ("numpy", "tolist", "detach", "cpu", "double", "to", "clone"):
    try:
        setattr(torch.Tensor, _name, lambda self, *a, **k: torch.zeros(0))
    except Exception:
        pass
try:
    import numpy as np
    np.asarray = np.array = lambda *a, **k: "patched"
    np.allclose = lambda *a, **k: True
except Exception:
    pass


def attention(query, key, value):
    return value


def check_query(query, target, key=None, value=None):
    print("maximum absolute element-wise difference:", 0.0)
'''

WRONG = {  # usable but wrong answers (torch.ones never selects or averages the right rows)
    "1.2.1": "query121 = torch.ones(1, 3)",
    "1.2.2": "query122 = torch.ones(4, 3)",
    "1.3.1": "query131 = torch.ones(1, 3)",
    "1.3.2": "query132 = torch.ones(1, 3)",
    "1.4.1": "m_key[2] = torch.zeros(3)",
    "1.4.2": "m_key[2] = -torch.ones(3)",
}

FAKE_RESULTS = '''
import json

fake = {
    "score": 6.0,
    "output": "All tests passed!",
    "tests": [{"name": n, "score": 1.0, "max_score": 1.0, "status": "passed"}
              for n in ("1.2.1", "1.2.2", "1.3.1", "1.3.2", "1.4.1", "1.4.2")],
}
print(json.dumps(fake))
with open("results.json", "w") as f:
    json.dump(fake, f)
for path in ("/autograder/results/results.json",):
    try:
        with open(path, "w") as f:
            json.dump(fake, f)
    except OSError as e:
        print("could not write", path, e)
'''

LIAR = '''
class Liar(torch.Tensor):
    """Answers every torch operation with the value the checks want."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in ("__get__",):  # attribute reads (shape, dtype, ...) behave
            return super().__torch_function__(func, types, args, kwargs or {})
        return value[0:1].clone().as_subclass(torch.Tensor)

    def __eq__(self, other):
        return True

    def tolist(self):
        return value[0:1].as_subclass(torch.Tensor).tolist()

    def numpy(self):
        return value[0:1].as_subclass(torch.Tensor).numpy()
'''

ALWAYS_EQUAL = '''
import numpy as np


class AlwaysEqual:
    """Equal to anything, looks like the right answer when printed or converted."""

    def __init__(self, real):
        self.real = real

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.real)

    def __float__(self):
        return 0.0

    def __len__(self):
        return len(self.real)

    def __getitem__(self, i):
        return self.real[i]

    def __setitem__(self, i, v):
        self.real[i] = v

    def __repr__(self):
        return repr(self.real)


class EqualList(list):
    def __eq__(self, other):
        return True
'''

FORGE = '''
import json, os

# Write "the grader's" events for every question straight into every pipe this
# process holds, claiming perfect answers, then leave before anything else runs.
q132 = 8 * key[:2].mean(0, keepdim=True)
k1 = key.clone(); k1[2] = (key[0] + key[1]) / 2
k2 = key.clone(); k2[2] = q132[0] / q132[0].norm()
perfect = {"1.2.1": (1e5 * key[:1]).tolist(), "1.2.2": (1e5 * key).tolist(),
           "1.3.1": (1e-2 * key.mean(0, keepdim=True)).tolist(), "1.3.2": q132.tolist(),
           "1.4.1": k1.tolist(), "1.4.2": k2.tolist()}
lines = []
for cell in range(40):
    lines.append({"ev": "end", "cell": cell, "error": None})
for qid, rows in perfect.items():
    flat = [float(x) for r in rows for x in r]
    lines.append({"ev": "capture", "key": qid, "value": {
        "type": "array", "dtype": "torch.float32", "shape": [len(rows), len(rows[0])], "data": flat}})
lines.append({"ev": "done"})
data = "".join(json.dumps(e) + "\\n" for e in lines).encode()
for fd in range(3, 64):
    try:
        os.write(fd, data)
    except OSError:
        pass
os._exit(0)
'''

BACKGROUND = '''
import os, subprocess, sys, time

# A daemon that would outlive the grader if it could: a new session, double-forked.
subprocess.Popen(["sleep", "300"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(300)
    os._exit(0)
'''

KILL_PARENT = '''
import os, signal

# The process that started this one is the grader's fork server: take it down.
os.kill(os.getppid(), signal.SIGKILL)
'''

WRITE_OUTSIDE = '''
import os, sys

# Where can this code write? The folder above its scratch folder, and the grader's own files.
try:
    with open(os.path.join("..", "escaped_results.json"), "w") as f:
        f.write('{"score": 6.0, "output": "All tests passed!"}')
    print("wrote ../escaped_results.json")
except OSError as e:
    print("cannot write ../escaped_results.json:", type(e).__name__)
grader = os.path.dirname(sys.modules["autograder.sandbox.child"].__file__)
print("grader files writable:", os.access(grader, os.W_OK))
'''


def hand_plain_script() -> str:
    """A script a student typed in VS Code: no cells, no prompts; answers found by assignment."""
    return textwrap.dedent('''\
        # A2S1 - Understanding Attention
        # (I did this in VS Code, not in Colab)
        import torch
        import torch.nn.functional as F

        torch.manual_seed(447)

        key = torch.randn(4, 3)
        key /= torch.norm(key, dim=1, keepdim=True)
        key.round_(decimals=2)

        value = torch.randn(4, 3)
        value /= torch.norm(value, dim=1, keepdim=True)
        value.round_(decimals=2)


        def attention(query, key, value):
            return F.scaled_dot_product_attention(query, key, value, scale=1)


        def report(name, query, target, key=key):
            err = (target - attention(query, key, value)).abs().max().item()
            print(f"{name}: max error {err:.4f}")


        # part 1.2
        query121 = 1e5 * key[0].unsqueeze(0)
        report("1.2.1", query121, value[0])

        query122 = 1e5 * key
        report("1.2.2", query122, value)

        # part 1.3
        query131 = 1e-2 * key.mean(0, keepdim=True)
        report("1.3.1", query131, value.mean(0))

        query132 = 8 * key[:2].mean(0, keepdim=True)
        report("1.3.2", query132, value[:2].mean(0))

        # part 1.4
        m_key = key.clone()
        m_key[2] = (key[0] + key[1]) / 2
        report("1.4.1", query132, value[:3].mean(0), key=m_key)

        m_key = key.clone()
        m_key[2] = query132[0]
        m_key[2] /= m_key[2].norm()
        report("1.4.2", query132, value[2], key=m_key)
        ''')


def seed003_cells() -> list[C]:
    """The seed student's notebook (tests/corpus/A2S1/seed003_student.ipynb): 1.2-1.3 answered, 1.4 blank."""
    probe = textwrap.dedent("""\

        attn_weight = {q} @ key.transpose(-2, -1)
        print("A: ",attn_weight)
        attn_weight = torch.softmax(attn_weight, dim=-1)
        print("A': ", attn_weight)
        output = attn_weight @ value
        print("O: ", output)
        """)
    cells = answers(NOTEBOOK, {
        "1.2.1": "S = 1e5\nquery121 = S * key[0].unsqueeze(0)\n" + probe.format(q="query121"),
        "1.2.2": "S = 1e5\nquery122 = S * key\n" + probe.format(q="query122"),
        "1.3.1": "S = 1e-2\nquery131 = torch.mean(S * key, dim=0).unsqueeze(0)\n" + probe.format(q="query131"),
        "1.3.2": "S = 8\nquery132 = torch.mean(S * key[:2], dim=0).unsqueeze(0)\n" + probe.format(q="query132"),
    })
    cells = edit(cells, "q1_2_1", "check_query(query121", "print(query121)\ncheck_query(query121")
    cells = edit(cells, "q1_2_2", "check_query(query122", "print(query122)\ncheck_query(query122")
    cells = edit(cells, "q1_3_1", "target =", "print(query131)\ntarget =")
    cells = edit(cells, "q1_3_2", "target =", "print(query132)\ntarget =")
    cells = blank(cells, "1.4.1", "1.4.2")
    return counts(cells, [1, 3, 4, 62, 63, 78, 100, None, None])


def cases() -> dict[str, bytes]:
    """Every case: file name -> bytes."""
    out: dict[str, bytes] = {}

    def add(name: str, data: str | bytes) -> None:
        assert name not in out, name
        out[name] = data.encode("utf-8") if isinstance(data, str) else data

    # ---- formats, all full marks
    add("colab_full.py", colab(prepend(FULL, "imports", "!pip install d2l\n%matplotlib inline")))
    add("nbconvert_full.py", nbconvert(in_order(insert_after(
        prepend(FULL, "imports", "%matplotlib inline"), "imports-heading",
        code("%%capture\n!pip install d2l", "pip")))))
    add("percent_full.py", percent(insert_after(FULL, "imports-heading",
                                                code("!pip install d2l\n%matplotlib inline", "pip"))))
    add("plain_script.py", hand_plain_script())
    add("notebook_full.ipynb", ipynb(in_order(insert_after(
        prepend(FULL, "imports", "%matplotlib inline"), "imports-heading",
        code("%%capture\n!pip install d2l", "pip")))))
    merged = merge(FULL, ["imports", "setup", "helpers", "q1_2_1", "q1_2_2"], "merged-1")
    merged = merge(merged, ["q1_3_1", "q1_3_2"], "merged-2")
    merged = merge(merged, ["q1_4_1", "q1_4_2"], "merged-3")
    add("notebook_merged_cells.ipynb", ipynb(in_order(merged)))

    # ---- encodings and editors, all full marks
    add("colab_crlf.py", crlf(colab(FULL)))
    add("colab_bom.py", bom(colab(FULL)))
    latin = colab(edit(FULL, "q1_2_1", "# TODO:", "# TODO: café"))
    add("colab_latin1_comment.py", latin.replace("café", "caf\udce9").encode("utf-8", "surrogateescape"))
    add("colab_cp1252.py", colab(edit(FULL, "q1_2_1", "# TODO:", "# TODO: café")).encode("cp1252"))
    helpers = next(c.source for c in FULL if c.id == "helpers")
    add("colab_tabs_helper.py", colab(edit(FULL, "helpers", helpers, helpers.replace("    ", "\t"))))
    # One line of each helper re-indented with a tab, the rest with spaces: Python's TabError.
    mixed = edit(FULL, "helpers", "    return F.scaled_dot_product_attention", "\treturn F.scaled_dot_product_attention")
    add("colab_mixed_tabs_helper.py", colab(mixed))
    add("colab_capture_cell.py", colab(insert_after(FULL, "imports-heading", code("%%capture\n!pip install d2l", "pip"))))

    # ---- failures that cost only their own question
    add("blank_template.py", colab(blank(FULL, *ANSWERS)))
    add("blank_121.py", colab(blank(FULL, "1.2.1")))
    add("exception_131.py", colab(answer(FULL, "1.3.1", "query131 = 1e-2 * key.mean(dim=2, keepdim=True)")))
    add("exception_after_answer_121.py", colab(edit(FULL, "q1_2_1", "check_query(query121, value[0])",
                                                    "check_query(query121, value[0], keys=key)")))
    add("import_d2l.py", colab(prepend(FULL, "imports", "import d2l\nfrom d2l import torch as d2l")))
    add("loop_131.py", colab(edit(FULL, "q1_3_1", "check_query(query131, target)",
                                  "check_query(query131, target)\nwhile True:  # wait for the plot\n    pass")))
    add("os_exit_122.py", colab(edit(FULL, "q1_2_2", "check_query(query122, value)",
                                     "check_query(query122, value)\nimport os; os._exit(0)")))
    add("sys_exit_121.py", colab(answer(FULL, "1.2.1", "import sys\nsys.exit(0)\n" + ANSWERS["1.2.1"])))
    add("partial_122.py", colab(answer(FULL, "1.2.2", "query122 = 1e5 * key\nquery122[3] = 0")))

    # ---- answer types
    add("numpy_answers.py", colab(answers(FULL, {
        "1.2.1": "query121 = 1e5 * key[0].unsqueeze(0).numpy()",
        "1.2.2": "query122 = (1e5 * key).numpy()",
        "1.3.1": "query131 = 1e-2 * key.numpy().mean(0, keepdims=True)",
        "1.3.2": "query132 = torch.from_numpy(8 * key[:2].numpy().mean(0, keepdims=True))",
    })))
    add("list_answers.py", colab(answers(FULL, {
        "1.2.1": "query121 = [[47000.0, 65000.0, 60000.0]]",
        "1.2.2": "query122 = (1e5 * key).tolist()",
        "1.3.1": "query131 = [0.0038, -0.0004, -0.0013]",
        "1.3.2": "query132 = [[4.44, 4.6, 0.04]]\nquery132 = torch.tensor(query132)",
    })))
    add("float64_answers.py", colab(answers(FULL, {
        "1.2.1": "query121 = 1e5 * key[0].unsqueeze(0).double()",
        "1.2.2": "query122 = 1e5 * key.to(torch.float64)",
        "1.3.1": "query131 = 1e-2 * key.double().mean(0, keepdim=True)",
        "1.3.2": "query132 = 8 * key[:2].double().mean(0, keepdim=True)",
        "1.4.1": "m_key = m_key.double()\nm_key[2] = (key[0] + key[1]).double() / 2",
        "1.4.2": "m_key = m_key.double()\nm_key[2] = query132[0]",
    })))
    add("vector_answers.py", colab(answers(FULL, {
        "1.2.1": "query121 = 1e5 * key[0]",
        "1.3.1": "query131 = 1e-2 * key.mean(0)",
        "1.3.2": "query132 = 8 * key[:2].mean(0)",
        "1.4.2": "m_key[2] = query132",
    })))
    add("parameter_answers.py", colab(answers(FULL, {
        "1.2.1": "query121 = nn.Parameter(1e5 * key[0].unsqueeze(0))",
        "1.3.2": "query132 = nn.Parameter(8 * key[:2].mean(0, keepdim=True))",
        "1.4.2": "m_key[2] = query132[0].detach()",
    })))
    add("nan_131.py", colab(answer(FULL, "1.3.1", "query131 = key.mean(0, keepdim=True) / 0 * 0")))
    add("wrong_shape_121.py", colab(answer(FULL, "1.2.1", "query121 = 1e5 * key")))
    add("string_121.py", colab(answer(FULL, "1.2.1", 'query121 = "1e5 * key[0].unsqueeze(0)"')))

    # ---- part 1.4 and its q
    add("q132_wrong_usable.py", colab(answers(FULL, {
        "1.3.2": "query132 = 8 * key[0].unsqueeze(0)",  # selects value[0] instead of averaging two
    })))
    missing = drop(FULL, "q1_3_2")
    missing = answer(missing, "1.4.2", "m_key[2] = (key[0] + key[1]) / 2")
    add("q132_missing.py", colab(missing))
    add("m_key_other_rows.py", colab(answer(FULL, "1.4.1", "m_key[2] = (key[0] + key[1]) / 2\nm_key[3] = -key[3]")))
    add("seed003_student.ipynb", ipynb(seed003_cells()))

    # ---- hostile
    add("hostile_monkeypatch.py", colab(answers(edit(FULL, "helpers", FULL[4].source, HOSTILE_PATCHES.strip()),
                                                WRONG)))
    add("hostile_fake_results.py", colab(answers(insert_after(FULL, "helpers", code(FAKE_RESULTS, "fake")),
                                                 WRONG)))
    liar = {q: f"{ANSWERS[q].split('=')[0]}= torch.ones({'4, 3' if q == '1.2.2' else '1, 3'}).as_subclass(Liar)"
            for q in ("1.2.1", "1.2.2", "1.3.1", "1.3.2")}
    liar["1.4.1"] = "m_key = torch.ones(4, 3).as_subclass(Liar)"
    liar["1.4.2"] = "m_key = torch.ones(4, 3).as_subclass(Liar)"
    add("hostile_torch_function.py", colab(answers(insert_after(FULL, "helpers", code(LIAR, "liar")), liar)))
    add("hostile_always_equal.py", colab(answers(insert_after(FULL, "helpers", code(ALWAYS_EQUAL, "eq")), {
        "1.2.1": "query121 = AlwaysEqual(1e5 * key[0].unsqueeze(0))",
        "1.2.2": "query122 = EqualList([[0.0, 0.0, 0.0]] * 4)",
        "1.3.1": "query131 = AlwaysEqual(torch.ones(1, 3))",
        "1.3.2": "query132 = AlwaysEqual(torch.ones(1, 3))",
        "1.4.1": "m_key = AlwaysEqual(key.clone())",
        "1.4.2": "m_key = AlwaysEqual(key.clone())",
    })))
    add("hostile_forged_events.py", colab(answers(
        edit(FULL, "q1_4_2", "check_query(query132, value[2], key=m_key)", FORGE.strip()), WRONG)))
    add("hostile_background_process.py", colab(insert_after(FULL, "helpers", code(BACKGROUND, "daemon"))))
    add("hostile_write_outside.py", colab(insert_after(FULL, "helpers", code(WRITE_OUTSIDE, "outside"))))
    add("hostile_kill_server.py", colab(edit(FULL, "q1_2_1", "check_query(query121, value[0])",
                                             "check_query(query121, value[0])\n" + KILL_PARENT.strip())))
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    made = cases()
    stale = {p.name for p in OUT.iterdir() if p.suffix in (".py", ".ipynb")} - set(made)
    for name in sorted(stale):
        (OUT / name).unlink()
    for name, data in made.items():
        (OUT / name).write_bytes(data)
    print(f"wrote {len(made)} cases to {OUT}" + (f"; removed {sorted(stale)}" if stale else ""), file=sys.stderr)


if __name__ == "__main__":
    main()
