"""The course report's pictures, drawn with matplotlib's object API (no pyplot state) and returned as
PNG data URIs, so that the page needs no other file."""
from __future__ import annotations

import base64
import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from autograder.course.stats import Histogram, QuestionStats

FULL, PARTIAL, ZERO, BARS = "#2e7d32", "#f9a825", "#c62828", "#5c6bc0"
DPI = 100
MAX_LABEL = 42  # characters of a question's label


def score_histogram_png(hist: Histogram, max_points: float, mean: float | None) -> str:
    """Submissions per total score: a bar per bin, full marks in a bar of their own, the mean marked."""
    fig = Figure(figsize=(6.4, 3.4), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    width = hist.edges[1] - hist.edges[0] if len(hist.edges) > 1 else 1.0
    bars = ax.bar(hist.edges[:-1], hist.counts, width=width, align="edge", color=BARS, edgecolor="white")
    full = ax.bar([max_points], [hist.full], width=width, align="edge", color=FULL, edgecolor="white",
                  label="full marks")
    for group in (bars, full):
        ax.bar_label(group, labels=[str(int(c)) if c else "" for c in group.datavalues], fontsize=8)
    if mean is not None:
        ax.axvline(mean, color="#333333", linestyle="--", linewidth=1, label=f"mean {mean:.2f}")
    ax.set_xlabel(f"Total score (out of {max_points:g})")
    ax.set_ylabel("Submissions")
    ax.set_xlim(0, max_points + width)
    ax.margins(y=0.15)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    return _data_uri(fig)


def questions_png(stats: list[QuestionStats]) -> str:
    """Per question, the share of submissions with full marks, some points and none (stacked bars)."""
    fig = Figure(figsize=(6.4, 1.0 + 0.42 * max(len(stats), 1)), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    labels = [_label(s) for s in stats]
    shares = [[getattr(s, kind) / s.graded if s.graded else 0.0 for s in stats] for kind in ("full", "partial", "zero")]
    left = [0.0] * len(stats)
    for values, colour, name in zip(shares, (FULL, PARTIAL, ZERO), ("full marks", "some points", "no points")):
        bars = ax.barh(range(len(stats)), values, left=left, color=colour, label=name, height=0.7)
        ax.bar_label(bars, labels=[f"{v:.0%}" if v >= 0.08 else "" for v in values], label_type="center",
                     fontsize=8, color="white" if colour != PARTIAL else "black")
        left = [a + b for a, b in zip(left, values)]
    ax.set_yticks(range(len(stats)), labels=labels, fontsize=8, parse_math=False)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter("{x:.0%}")
    ax.set_xlabel("Share of the submissions that could be read")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8, ncols=3, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return _data_uri(fig)


def _label(s: QuestionStats) -> str:
    text = s.info.name
    return text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1] + "…"


def _data_uri(fig: Figure) -> str:
    buf = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buf, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
