"""Figures of a hyperparameter search: best-so-far curves, parallel coordinates, score vs value.

Same rules as `figures`: plain matplotlib Figure objects rendered to SVG (never pyplot), user text
through `plain_text`, page-unique ids through `svg_markup`. The page module prepares the numbers
(normalised axis positions, category codes); these functions only draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize

from .figures import STYLE, Canvas, plain_text, svg_markup, variant_colour

__all__ = ["Axis", "Line", "best_so_far_figure", "compare_figure", "parallel_figure", "scatter_figure"]

_FAILED = "#c62828"
_STYLES = ("-", "--", "-.", ":")


def _better(direction: str) -> str:
    return "higher is better" if direction == "max" else "lower is better"


def best_so_far_figure(points: Sequence[tuple[int, float | None, float | None]], failed: Sequence[int],
                       objective: str, direction: str, *, key: str) -> str:
    """Each completed trial's score (dots), the best so far (line) and failed trials (crosses)."""
    with matplotlib.rc_context(STYLE):
        canvas = Canvas(6.4, 3.2)
        ax = canvas.axes(0.75, 0.55, 5.45, 2.35)
        done = [(n, s) for n, s, _ in points if s is not None]
        best = [(n, b) for n, _, b in points if b is not None]
        if done:
            ax.scatter(*zip(*done), s=16, color="#8aa4c8", zorder=2, label="trial score")
        if best:
            ax.plot(*zip(*best), drawstyle="steps-post", color="#1f5fae", linewidth=1.8, zorder=3, label="best so far")
        if failed:
            low = min((s for _, s in done), default=0.0)
            ax.scatter(failed, [low] * len(failed), marker="x", s=30, color=_FAILED, zorder=4,
                       label="failed / not scored")
        ax.set_xlabel("Trial (in the order keras-tuner started them)")
        ax.set_ylabel(plain_text(f"{objective} ({_better(direction)})", 45))
        ax.xaxis.get_major_locator().set_params(integer=True)
        if done or failed:
            ax.legend(loc="lower right" if direction == "max" else "upper right")
        return svg_markup(canvas.figure, key)


@dataclass(frozen=True)
class Axis:
    """One vertical axis of the parallel-coordinates plot: a name and its tick labels at [0, 1] positions."""

    name: str
    ticks: tuple[tuple[float, str], ...]


@dataclass(frozen=True)
class Line:
    ys: tuple[float | None, ...]    # one position in [0, 1] per axis, None where inactive
    score: float | None
    failed: bool = False


def parallel_figure(axes: Sequence[Axis], lines: Sequence[Line], objective: str, direction: str, *, key: str) -> str:
    """Every trial as one line across its hyperparameters; colour = score, failed trials dashed red."""
    count = len(axes)
    with matplotlib.rc_context(STYLE):
        width = max(5.5, 1.25 * count + 1.6)
        canvas = Canvas(width, 3.6)
        ax = canvas.axes(0.5, 0.75, width - 1.75, 2.45)
        scores = [line.score for line in lines if line.score is not None]
        norm = Normalize(min(scores), max(scores)) if scores else Normalize(0, 1)
        if norm.vmin == norm.vmax:
            norm = Normalize(norm.vmin - 0.5, norm.vmax + 0.5)
        cmap = matplotlib.colormaps["viridis" if direction == "max" else "viridis_r"]
        ordered = sorted(lines, key=lambda line: (line.score is not None, line.score if line.score is not None
                                                  else 0.0) if direction == "max" else
                         (line.score is not None, -(line.score or 0.0)))
        for line in ordered:  # best trials drawn last, on top
            xs = [i for i, y in enumerate(line.ys) if y is not None]
            ys = [line.ys[i] for i in xs]
            if line.failed or line.score is None:
                ax.plot(xs, ys, color=_FAILED, linestyle="--", linewidth=0.9, alpha=0.7)
            else:
                ax.plot(xs, ys, color=cmap(norm(line.score)), linewidth=1.4, alpha=0.85)
        for i, axis in enumerate(axes):
            ax.axvline(i, color="#444444", linewidth=0.8)
            for position, text in axis.ticks:
                ax.text(i + 0.04, position, plain_text(text, 12), fontsize=7, va="center", ha="left", color="#333333")
        ax.set_xlim(-0.15, max(count - 1, 1) + 0.6)
        ax.set_ylim(-0.06, 1.06)
        ax.set_xticks(range(count), [plain_text(a.name, 16) for a in axes], rotation=20, ha="right",
                      rotation_mode="anchor")
        ax.set_yticks([])
        ax.grid(False)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        bar = canvas.figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=canvas.axes(width - 1.0, 0.75, 0.13, 2.45))
        bar.set_label(plain_text(objective, 30))
        bar.solids.set_rasterized(False)
        bar.solids.set_edgecolor("face")
        return svg_markup(canvas.figure, key)


def scatter_figure(name: str, xs: Sequence[float], ys: Sequence[float], *, categories: Sequence[str] | None,
                   log_x: bool, objective: str, direction: str, key: str) -> str:
    """Score against one hyperparameter's value; categories are spread a little so dots do not hide."""
    with matplotlib.rc_context(STYLE):
        canvas = Canvas(3.5, 2.7)
        ax = canvas.axes(0.7, 0.6, 2.6, 1.8)
        x = np.asarray(xs, dtype=float)
        if categories is not None and len(x):
            x = x + np.random.default_rng(0).uniform(-0.12, 0.12, len(x))
            ax.set_xticks(range(len(categories)), [plain_text(c, 10) for c in categories])
            ax.set_xlim(-0.5, len(categories) - 0.5)
        elif log_x:
            ax.set_xscale("log")
        ax.scatter(x, ys, s=18, color=variant_colour(0), alpha=0.8)
        ax.set_title(plain_text(name, 30), y=1.0)
        ax.set_xlabel(plain_text(name, 30))
        ax.set_ylabel(plain_text(objective, 25))
        return svg_markup(canvas.figure, key)


def compare_figure(series: Sequence[tuple[str, Sequence[tuple[int, float]], Sequence[tuple[float, float]]]],
                   objective: str, direction: str, *, key: str) -> str:
    """Best-so-far of each strategy: by trial number (left) and by epochs trained so far (right).

    The right panel is the fairer budget when strategies train trials for different epoch counts
    (Hyperband's early rounds are short).
    """
    with matplotlib.rc_context(STYLE):
        canvas = Canvas(7.6, 3.5)
        left = canvas.axes(0.7, 0.55, 2.95, 2.5)
        right = canvas.axes(4.45, 0.55, 2.95, 2.5)
        for position, (label, by_trial, by_epochs) in enumerate(series):
            # Strategies often share their first trials (same seed): a line style each keeps both visible.
            style = {"color": variant_colour(position), "linestyle": _STYLES[position % len(_STYLES)],
                     "linewidth": 2.4 - 0.4 * (position % len(_STYLES)), "drawstyle": "steps-post",
                     "marker": "o", "markersize": 3}
            if by_trial:
                left.plot(*zip(*by_trial), label=plain_text(label, 20), **style)
            if by_epochs:
                right.plot(*zip(*by_epochs), **style)
        left.set_xlabel("Trial")
        right.set_xlabel("Epochs trained so far")
        left.set_ylabel(plain_text(f"best {objective}", 40))
        left.set_title(plain_text(f"Best so far ({_better(direction)})", 50), y=1.0)
        right.set_title("Same, against training budget", y=1.0)
        left.xaxis.get_major_locator().set_params(integer=True)
        if series:
            left.legend(loc="lower right" if direction == "max" else "upper right")
        return svg_markup(canvas.figure, key)
