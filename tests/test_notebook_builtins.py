"""`display` works in student code without an import, as in Jupyter."""
from __future__ import annotations

import sys

from autograder.sandbox.notebook_builtins import builtins_for_cells


def test_display_is_ipythons_which_outside_a_notebook_prints(capsys):
    display = builtins_for_cells()["display"]
    assert display("loss", 0.25, display_id=None) is None
    assert capsys.readouterr().out == "loss 0.25\n"


def test_without_ipython_display_prints_each_repr(monkeypatch, capsys):
    for name in ("IPython", "IPython.display"):  # as if not installed: importing them fails
        monkeypatch.setitem(sys.modules, name, None)
    display = builtins_for_cells()["display"]
    assert display("loss", [0.25], display_id=True) is None
    assert capsys.readouterr().out == "'loss'\n[0.25]\n"
