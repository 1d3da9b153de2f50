"""Attention weights as pictures: a `Heatmap` drawn the way D2L's `show_heatmaps` draws them
(`imshow` in 'Reds', keys across, queries down, a colorbar), as a PNG data URI for HTML.

The student's weights and the weights that pass are drawn side by side, with the value in each
cell. Images are cached by content, values rounded to CACHE_DECIMALS: the many near-identical
correct answers of a batch share one image (it is drawn from the rounded values, so a cached image
is exactly what its key describes). Rendering holds a lock: a batch renders from several threads.
"""
from __future__ import annotations

import base64
import io
import math
import threading
from functools import lru_cache

from autograder.checks.parts import Heatmap, Numbers

CACHE_DECIMALS = 2
CACHE_SIZE = 512  # distinct images kept (a few KB each)
MAX_LABELLED = 144  # cells with their value written in them (a 12 x 12 matrix)
MAX_CELLS = 10_000  # a larger matrix is not drawn
CELL_INCHES = 0.5
LEFT, GAP, BAR_GAP, BAR, RIGHT, TOP, BOTTOM = 0.75, 0.45, 0.2, 0.15, 0.45, 0.35, 0.6  # margins, in inches
DPI = 100
NAN_COLOUR = "#c8c8c8"  # a NaN cell is grey, not white (as a zero weight)
PANEL_TITLES = ("your weights", "weights that pass")

Matrix = tuple[tuple[float, ...], ...]
_LOCK = threading.Lock()


def heatmap_uri(figure: Heatmap) -> str | None:
    """The figure as a `data:image/png;base64,...` URI; None if it holds no drawable matrix."""
    panels = tuple((title, m) for title, m in zip(PANEL_TITLES, map(_matrix, (figure.got, figure.expected)))
                   if m is not None)
    if not panels:
        return None
    return _render(panels, figure.xlabel, figure.ylabel)


def _matrix(data: Numbers | None) -> Matrix | None:
    """`data` as a rounded rows x columns tuple (a vector is one row); None if it is not one."""
    if data is None:
        return None
    rows = data if data and all(isinstance(r, list) for r in data) else [data]
    try:
        matrix = tuple(tuple(_rounded(float(v)) for v in row) for row in rows)
    except (TypeError, ValueError):
        return None
    width = len(matrix[0]) if matrix else 0
    if not width or any(len(r) != width for r in matrix) or len(matrix) * width > MAX_CELLS:
        return None
    return matrix


def _rounded(v: float) -> float:
    """`v` to CACHE_DECIMALS; every NaN as one object (NaN equals nothing, not even itself, so a key
    holding one finds its cached image only by identity)."""
    return math.nan if math.isnan(v) else round(v, CACHE_DECIMALS)


@lru_cache(maxsize=CACHE_SIZE)
def _render(panels: tuple[tuple[str, Matrix], ...], xlabel: str, ylabel: str) -> str:
    with _LOCK:
        png = _draw(panels, xlabel, ylabel)
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _draw(panels: tuple[tuple[str, Matrix], ...], xlabel: str, ylabel: str) -> bytes:
    """The PNG bytes: one panel per matrix, sharing one colour scale and one colorbar."""
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = max(len(m) for _, m in panels)
    cols = max(len(m[0]) for _, m in panels)
    low, high = _scale(panels)
    width, height = cols * CELL_INCHES, rows * CELL_INCHES  # of one panel
    fig_w = LEFT + len(panels) * width + (len(panels) - 1) * GAP + BAR_GAP + BAR + RIGHT
    fig_h = BOTTOM + height + TOP
    fig = Figure(figsize=(fig_w, fig_h), dpi=DPI)
    FigureCanvasAgg(fig)
    cmap = colormaps["Reds"].with_extremes(bad=NAN_COLOUR)
    image = None
    for i, (title, matrix) in enumerate(panels):
        ax = fig.add_axes(((LEFT + i * (width + GAP)) / fig_w, BOTTOM / fig_h, width / fig_w, height / fig_h))
        image = ax.imshow(matrix, cmap=cmap, vmin=low, vmax=high, aspect="auto")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel)
        if i == 0:
            ax.set_ylabel(ylabel)
        ax.set_xticks(range(len(matrix[0])))
        ax.set_yticks(range(len(matrix)))
        if len(matrix) * len(matrix[0]) <= MAX_LABELLED:
            _label_cells(ax, matrix, low, high)
    bar = fig.add_axes(((fig_w - RIGHT - BAR) / fig_w, BOTTOM / fig_h, BAR / fig_w, height / fig_h))
    fig.colorbar(image, cax=bar)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _scale(panels: tuple[tuple[str, Matrix], ...]) -> tuple[float, float]:
    """0 to 1 (attention weights), widened to every finite value drawn."""
    finite = [v for _, m in panels for row in m for v in row if math.isfinite(v)]
    return min([0.0, *finite]), max([1.0, *finite])


def _label_cells(ax: object, matrix: Matrix, low: float, high: float) -> None:
    """The value in each cell, white on dark cells."""
    for r, row in enumerate(matrix):
        for c, v in enumerate(row):
            dark = math.isfinite(v) and (v - low) / (high - low) > 0.6
            ax.text(c, r, f"{v:.2f}" if math.isfinite(v) else str(v), ha="center", va="center", fontsize=8,
                    color="white" if dark else "black")
