"""The matplotlib backend for student code: renders like Agg, shows nothing and says nothing."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BACKEND = "module://autograder.sandbox.mplbackend"
NOTEBOOK = """
import matplotlib.pyplot as plt
fig = plt.figure()
plt.plot([1, 2, 3])
fig.show()
plt.show()
print(plt.get_fignums())
fig.savefig({png!r})
"""


def _plot(backend: str, folder: Path) -> subprocess.CompletedProcess:
    """Run a plotting cell with `backend`, a fresh config folder and a $DISPLAY (with which Agg warns)."""
    env = {**os.environ, "MPLBACKEND": backend, "MPLCONFIGDIR": str(folder / "mpl"), "DISPLAY": ":0"}
    return subprocess.run([sys.executable, "-W", "default", "-c", NOTEBOOK.format(png=str(folder / "plot.png"))],
                          capture_output=True, text=True, env=env, cwd=folder)


def test_show_is_silent_closes_the_figures_and_savefig_writes_a_png(tmp_path):
    result = _plot(BACKEND, tmp_path)
    assert (result.returncode, result.stderr, result.stdout) == (0, "", "[]\n")
    assert (tmp_path / "plot.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_agg_would_warn_there(tmp_path):
    assert "FigureCanvasAgg is non-interactive" in _plot("Agg", tmp_path).stderr
