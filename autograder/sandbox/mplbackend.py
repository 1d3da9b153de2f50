"""Matplotlib backend for student code: `MPLBACKEND=module://autograder.sandbox.mplbackend`.

It renders like Agg (`savefig` works). There is no screen, so showing does nothing, silently
(Agg warns "FigureCanvasAgg is non-interactive" when $DISPLAY is set, as do older matplotlibs
always), and `plt.show()` then closes every figure, as Colab's inline backend does after
displaying them: a notebook plotting in a loop does not pile up figures.
"""
from __future__ import annotations

from matplotlib.backend_bases import FigureManagerBase
from matplotlib.backends.backend_agg import FigureCanvasAgg


class FigureManager(FigureManagerBase):
    """Agg's manager with nothing to show on."""

    def show(self) -> None:
        """`fig.show()`: nothing to do."""

    @classmethod
    def pyplot_show(cls, *, block: bool | None = None) -> None:
        """`plt.show()`: close every figure, as Colab does once it has displayed them."""
        from matplotlib import pyplot

        pyplot.close("all")


class FigureCanvas(FigureCanvasAgg):
    manager_class = FigureManager
