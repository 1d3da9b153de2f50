"""`placeholder_body`: is a function answer still a template's stub, from its cell's source alone."""
from __future__ import annotations

import pytest

from autograder.checks.placeholder import placeholder_body

DEF = "def f(q, K):\n"


@pytest.mark.parametrize("body, holds", [
    ('    """Docstring."""\n    # TODO:\n', "a docstring"),
    ("    pass\n", "`pass`"),
    ("    ...\n", "`...`"),
    ("    raise NotImplementedError\n", "`raise NotImplementedError`"),
    ('    raise NotImplementedError("write me")\n', "`raise NotImplementedError`"),
    ("    return None  # TODO\n", "`return None`"),
    ("    return\n", "`return None`"),
    ('    """Docstring."""\n    pass\n', "a docstring and `pass`"),
    ('    """Docstring."""\n    "TODO"\n    ...\n', "a docstring, a string and `...`"),
])
def test_a_body_of_placeholders_is_a_stub(body, holds):
    assert placeholder_body(DEF + body, "f") == holds


@pytest.mark.parametrize("body", [
    "    return K @ q\n",
    '    """Docstring."""\n    return torch.softmax(K @ q, dim=-1)\n',
    "    return 0\n",
    "    pass\n    return q\n",
    "    raise ValueError('not this one')\n",
    "    print('TODO')\n",
])
def test_a_body_that_does_something_is_written(body):
    assert placeholder_body(DEF + body, "f") is None


@pytest.mark.parametrize("source", [
    DEF + "    pass\nf = lambda q, K: K @ q\n",  # rebound after the stub: the lambda is called
    DEF + "    pass\nfrom helpers import f\n",
    DEF + "    pass\nfrom helpers import *\n",
    DEF + "    pass\nif True:\n    def f(q, K):\n        return K @ q\n",
    DEF + "    pass\nfor f in [abs]:\n    pass\n",
    DEF + "    pass\ndef g():\n    global f\n    f = abs\ng()\n",
    DEF + "    pass\ntry:\n    pass\nexcept ValueError as f:\n    pass\n",
    DEF + "    pass\nmatch abs:\n    case f:\n        pass\n",
    "@torch.no_grad()\n" + DEF + "    pass\n",  # a decorator may return anything
    "f = lambda q, K: None\n",
    "g = 1\n",  # the cell does not bind f
    DEF + "    pass\n%%%\n",  # does not parse: nothing is claimed
])
def test_only_a_stub_defined_last_in_the_cell_counts(source):
    assert placeholder_body(source, "f") is None


@pytest.mark.parametrize("source", [
    "def f(q, K):\n    return K @ q\n" + DEF + "    pass\n",  # the stub comes last: it is what runs
    DEF + "    pass\ndef g(f):\n    f = 1\n    return f\nprint(g(2), [f for _ in range(1)])\n",  # g's own f
    "async def f(q, K):\n    ...\n",
    "x = 1\n" + DEF + "    pass\nprint(f(1, 2))\n",
])
def test_a_stub_defined_last_in_the_cell_counts(source):
    assert placeholder_body(source, "f") is not None


def test_an_expression_deeper_than_the_recursion_limit_is_read():
    source = DEF + "    pass\nx = " + " + ".join(["1"] * 2_000) + "\n"  # parses, 2000 levels deep
    assert placeholder_body(source, "f") == "`pass`"
