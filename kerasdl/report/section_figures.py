"""Figures for the study sections an experiment's `analyze` hook adds to run.json (docs/run-record.md):
line charts, grouped bars, image grids (with boxes), 2-D decision boundaries, heat maps, scatter plots and
histograms.

Inputs are plain JSON lists (NaN arrives as null); every function returns inline SVG markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy as np

from .figures import STYLE, Canvas, plain_text, svg_markup, variant_colour

__all__ = ["bars_figure", "boundaries_figure", "heatmap_figure", "histogram_figure", "images_figure", "lines_figure",
           "scatter_figure"]

# How a box on an image is drawn, by its kind: ground truth solid green, detections dashed red.
_BOX_STYLE = {"true": {"edgecolor": "#1a9850", "linestyle": "-"},
              "predicted": {"edgecolor": "#d73027", "linestyle": "--"}}

_LEGEND_LINE = 0.17  # inches per legend entry at 8 pt


def _numbers(values: Any) -> np.ndarray:
    """A JSON list of numbers as floats; null (the record's NaN) becomes NaN, a gap in a line."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _legend_below(canvas: Canvas, ax, left: float) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        canvas.figure.legend(handles, labels, loc="lower left", frameon=False,
                             bbox_to_anchor=(left / canvas.width, 0.02), borderaxespad=0.0)


def lines_figure(series: Sequence[dict[str, Any]], *, x_label: str, y_label: str, log_y: bool, key: str,
                 log_x: bool = False) -> str:
    """One chart, one line per series ({label, x, y}); a log axis only where every value is positive."""
    legend = (0.12 + _LEGEND_LINE * len(series)) if len(series) > 1 else 0.0
    with matplotlib.rc_context(STYLE):
        canvas = Canvas(6.0, 3.4 + legend)
        ax = canvas.axes(0.75, 0.5 + legend, 5.05, 2.7)
        positive, positive_x = True, True
        for position, line in enumerate(series):
            x, y = _numbers(line["x"]), _numbers(line["y"])
            if len(x) != len(y):
                raise ValueError(f"series {line.get('label')!r} has {len(x)} x values and {len(y)} y values")
            positive &= bool(np.all(y[np.isfinite(y)] > 0))
            positive_x &= bool(np.all(x[np.isfinite(x)] > 0))
            ax.plot(x, y, color=variant_colour(position), linewidth=1.5, marker="o" if len(x) <= 12 else None,
                    markersize=3.5, label=plain_text(line.get("label", f"series {position + 1}"), 60))
        if log_y and positive:
            ax.set_yscale("log")
        if log_x and positive_x:
            ax.set_xscale("log")
        ax.set_xlabel(plain_text(x_label, 80))
        ax.set_ylabel(plain_text(y_label, 60))
        if len(series) > 1:
            _legend_below(canvas, ax, 0.7)
        return svg_markup(canvas.figure, key)


def bars_figure(labels: Sequence[Any], series: Sequence[dict[str, Any]], *, y_label: str, key: str) -> str:
    """Grouped bars: one group per label, one bar per series ({label, values})."""
    names = [plain_text(label, 24) for label in labels]
    rotate = len(names) > 6 or max((len(n) for n in names), default=0) > 10
    bottom = 0.5 + (0.07 * max((len(n) for n in names), default=1) * 0.6 if rotate else 0.1)
    legend = (0.12 + _LEGEND_LINE * len(series)) if len(series) > 1 else 0.0
    width = min(max(4.5, 0.35 * len(names) * max(len(series), 1) + 1.5), 11.0)
    with matplotlib.rc_context(STYLE):
        canvas = Canvas(width, 3.0 + bottom + legend)
        ax = canvas.axes(0.75, bottom + legend, width - 0.95, 2.7)
        group = np.arange(len(names))
        bar = 0.8 / max(len(series), 1)
        for position, entry in enumerate(series):
            values = _numbers(entry["values"])
            if len(values) != len(names):
                raise ValueError(f"series {entry.get('label')!r} has {len(values)} values for {len(names)} labels")
            ax.bar(group - 0.4 + bar * (position + 0.5), values, width=bar, color=variant_colour(position),
                   label=plain_text(entry.get("label", f"series {position + 1}"), 60))
        ax.set_xticks(group, names, rotation=35 if rotate else 0, ha="right" if rotate else "center",
                      rotation_mode="anchor" if rotate else "default")
        ax.grid(axis="x", visible=False)
        ax.set_ylabel(plain_text(y_label, 60))
        if len(series) > 1:
            _legend_below(canvas, ax, 0.7)
        return svg_markup(canvas.figure, key)


def _scaled(pixels: np.ndarray, value_range: Any) -> tuple[np.ndarray, float, float]:
    finite = pixels[np.isfinite(pixels)]
    if value_range is not None:
        low, high = float(value_range[0]), float(value_range[1])
    else:
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if high <= low:
        high = low + 1.0  # a constant image shows as flat dark instead of failing
    return pixels, low, high


def images_figure(images: Sequence[dict[str, Any]], *, columns: int | None, key: str) -> str:
    """A grid of small images ({label, pixels 2-D grey or H×W×3 RGB, optional range [lo, hi]})."""
    count = len(images)
    if not count:
        raise ValueError("no images to draw")
    boxed = any(image.get("boxes") for image in images)
    columns = max(1, min(int(columns or min(count, 5 if boxed else 8)), count or 1))
    rows = -(-count // columns)
    cell, title = (2.1 if boxed else 1.25), 0.28  # boxes and their labels need room
    with matplotlib.rc_context(STYLE):
        canvas = Canvas(columns * cell + 0.2, rows * (cell + title) + 0.1)
        for index, image in enumerate(images):
            pixels = np.array(image["pixels"], dtype=float)
            if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] != 3):
                raise ValueError(f"image {index + 1} has shape {pixels.shape}; expected H×W or H×W×3")
            pixels, low, high = _scaled(pixels, image.get("range"))
            row, column = divmod(index, columns)
            ax = canvas.axes(0.1 + column * cell + 0.05, canvas.height - (row + 1) * (cell + title),
                             cell - 0.1, cell - 0.1)
            if pixels.ndim == 2:
                ax.imshow(pixels, cmap="gray", vmin=low, vmax=high, interpolation="nearest")
            else:
                ax.imshow(np.clip((pixels - low) / (high - low), 0, 1), interpolation="nearest")
            for box in image.get("boxes") or []:
                _draw_box(ax, box)
            ax.set_axis_off()
            ax.set_title(plain_text(image.get("label", ""), 28 if boxed else 18), fontsize=8, pad=3, y=1.0)
        return svg_markup(canvas.figure, key)


def _draw_box(ax, box: dict[str, Any]) -> None:
    """A rectangle over pixel coordinates (imshow puts pixel i's centre at i, so edges sit at ±0.5)."""
    from matplotlib.patches import Rectangle

    x_min, y_min, x_max, y_max = (float(v) for v in box["box"])
    style = _BOX_STYLE[box.get("kind", "true")]
    ax.add_patch(Rectangle((x_min - 0.5, y_min - 0.5), x_max - x_min, y_max - y_min, fill=False, linewidth=1.2,
                           **style))
    label = plain_text(box.get("label", ""), 16)
    if label:
        ax.text(x_min - 0.5, y_min - 0.5 if box.get("kind", "true") == "true" else y_max - 0.5, label, fontsize=6,
                color="white", va="bottom" if box.get("kind", "true") == "true" else "top",
                bbox={"facecolor": style["edgecolor"], "edgecolor": "none", "pad": 0.6, "alpha": 0.85})


def boundaries_figure(panels: Sequence[dict[str, Any]], *, key: str) -> str:
    """Decision regions (P(class 1) over a grid) with the data points on top, one panel per model."""
    count = len(panels)
    if not count:
        raise ValueError("no panels to draw")
    columns = min(count, 3)
    rows = -(-count // columns)
    side, gap = 2.5, 0.55
    with matplotlib.rc_context(STYLE):
        canvas = Canvas(columns * (side + gap) + 0.9, rows * (side + 0.75) + 0.1)
        for index, panel in enumerate(panels):
            xs, ys = _numbers(panel["xs"]), _numbers(panel["ys"])
            z = np.array([[np.nan if v is None else v for v in row] for row in panel["z"]], dtype=float)
            if z.shape != (len(ys), len(xs)):
                raise ValueError(f"panel {index + 1}: z has shape {z.shape}, expected ({len(ys)}, {len(xs)})")
            row, column = divmod(index, columns)
            ax = canvas.axes(0.5 + column * (side + gap), canvas.height - (row + 1) * (side + 0.75) + 0.45,
                             side, side)
            regions = ax.contourf(xs, ys, np.ma.masked_invalid(z), levels=np.linspace(0, 1, 11),
                                  cmap="RdBu_r", alpha=0.75)
            if np.nanmin(z) < 0.5 < np.nanmax(z):
                ax.contour(xs, ys, np.ma.masked_invalid(z), levels=[0.5], colors="#222222", linewidths=1)
            points = panel.get("points") or {}
            if points.get("x") is not None:
                labels = _numbers(points.get("label") or [0] * len(points["x"]))
                ax.scatter(_numbers(points["x"]), _numbers(points["y"]), c=labels, cmap="RdBu_r", vmin=0, vmax=1,
                           s=14, edgecolors="white", linewidths=0.5)
            ax.set_xlim(np.nanmin(xs), np.nanmax(xs))  # the grid the probabilities were computed on
            ax.set_ylim(np.nanmin(ys), np.nanmax(ys))
            ax.set_title(plain_text(panel.get("label", f"panel {index + 1}"), 40), y=1.0)
            ax.grid(False)
        colourbar = canvas.axes(canvas.width - 0.45, canvas.height - side - 0.3, 0.12, side)
        bar = canvas.figure.colorbar(regions, cax=colourbar)
        bar.set_label("P(class 1)")
        return svg_markup(canvas.figure, key)


def heatmap_figure(panels: Sequence[dict[str, Any]], *, x_label: str, y_label: str, value_range: Any,
                   key: str) -> str:
    """Matrices as coloured cells, one panel each; cells carry their values when a matrix is small."""
    count = len(panels)
    if not count:
        raise ValueError("no panels to draw")
    matrices = [np.array([[np.nan if v is None else v for v in row] for row in panel["matrix"]], dtype=float)
                for panel in panels]
    # Panels are sized by their matrix, within bounds, so a 3×2 table and a 20×20 map both read well.
    sides = [(min(5.0, max(1.6, 0.3 * m.shape[1])), min(5.0, max(1.2, 0.3 * m.shape[0]))) for m in matrices]
    columns = min(count, 3 if max(w for w, _ in sides) < 3 else 1)
    rows = -(-count // columns)
    width = max(w for w, _ in sides)
    height = max(h for _, h in sides)
    label_room = 1.1  # tick labels (tokens, states) on the left and bottom
    with matplotlib.rc_context(STYLE):
        canvas = Canvas(columns * (width + label_room + 0.3) + 0.6, rows * (height + label_room + 0.35) + 0.1)
        image = None
        for index, (panel, matrix) in enumerate(zip(panels, matrices)):
            row, column = divmod(index, columns)
            w, h = sides[index]
            ax = canvas.axes(label_room + column * (width + label_room + 0.3),
                             canvas.height - (row + 1) * (height + label_room + 0.35) + label_room, w, h)
            finite = matrix[np.isfinite(matrix)]
            low, high = ((float(value_range[0]), float(value_range[1])) if value_range is not None else
                         ((float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)))
            image = ax.imshow(np.ma.masked_invalid(matrix), cmap="viridis", vmin=low, vmax=high if high > low else low + 1,
                              aspect="auto", interpolation="nearest")
            for axis, labels_key, size in (("x", "column_labels", matrix.shape[1]), ("y", "row_labels", matrix.shape[0])):
                labels = panel.get(labels_key)
                ticks = np.arange(size)
                getattr(ax, f"set_{axis}ticks")(ticks)
                getattr(ax, f"set_{axis}ticklabels")([plain_text(v, 14) for v in labels] if labels is not None
                                                      else [str(i) for i in ticks], fontsize=7,
                                                      rotation=90 if axis == "x" else 0)
            if matrix.size <= 144:
                middle = (low + high) / 2
                for (i, j), value in np.ndenumerate(matrix):
                    if np.isfinite(value):
                        ax.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=6,
                                color="black" if value > middle else "white")
            ax.set_xlabel(plain_text(x_label, 60))
            ax.set_ylabel(plain_text(y_label, 40))
            ax.set_title(plain_text(panel.get("label", ""), 50), y=1.0)
            ax.grid(False)
        bar = canvas.figure.colorbar(image, cax=canvas.axes(canvas.width - 0.45, canvas.height - height - 0.3,
                                                            0.12, height))
        bar.ax.tick_params(labelsize=7)
        return svg_markup(canvas.figure, key)


def scatter_figure(series: Sequence[dict[str, Any]], *, x_label: str, y_label: str, diagonal: bool, key: str) -> str:
    """Points, one colour per series; `diagonal` adds y = x over the shared range."""
    legend = (0.12 + _LEGEND_LINE * len(series)) if len(series) > 1 else 0.0
    with matplotlib.rc_context(STYLE):
        canvas = Canvas(6.0, 3.8 + legend)
        ax = canvas.axes(0.75, 0.5 + legend, 5.05, 3.1)
        for position, points in enumerate(series):
            x, y = _numbers(points["x"]), _numbers(points["y"])
            ax.scatter(x, y, s=9, alpha=0.75, color=variant_colour(position), linewidths=0,
                       label=plain_text(points.get("label", f"series {position + 1}"), 60))
        if diagonal:
            values = np.concatenate([np.r_[_numbers(p["x"]), _numbers(p["y"])] for p in series])
            values = values[np.isfinite(values)]
            if values.size:
                ax.plot([values.min(), values.max()], [values.min(), values.max()], color="#555555",
                        linestyle="--", linewidth=1, label="y = x")
        ax.set_xlabel(plain_text(x_label, 80))
        ax.set_ylabel(plain_text(y_label, 60))
        if len(series) > 1:
            _legend_below(canvas, ax, 0.7)
        return svg_markup(canvas.figure, key)


def histogram_figure(series: Sequence[dict[str, Any]], *, bins: int, x_label: str, density: bool,
                     curves: Sequence[dict[str, Any]], key: str) -> str:
    """Distributions over shared bins (outlines over light fills) with optional reference curves."""
    values = [_numbers(entry["values"]) for entry in series]
    pooled = np.concatenate(values)
    pooled = pooled[np.isfinite(pooled)]
    if not pooled.size:
        raise ValueError("no finite values to draw")
    edges = np.histogram_bin_edges(pooled, bins=int(bins))
    entries = len(series) + len(curves)
    legend = (0.12 + _LEGEND_LINE * entries) if entries > 1 else 0.0
    with matplotlib.rc_context(STYLE):
        canvas = Canvas(6.0, 3.4 + legend)
        ax = canvas.axes(0.75, 0.5 + legend, 5.05, 2.7)
        for position, (entry, data) in enumerate(zip(series, values)):
            data = data[np.isfinite(data)]
            colour = variant_colour(position)
            label = plain_text(entry.get("label", f"series {position + 1}"), 60)
            ax.hist(data, bins=edges, density=density, histtype="stepfilled", alpha=0.3, color=colour)
            ax.hist(data, bins=edges, density=density, histtype="step", linewidth=1.3, color=colour, label=label)
        for position, curve in enumerate(curves):
            ax.plot(_numbers(curve["x"]), _numbers(curve["y"]), color="#222222", linewidth=1.4,
                    linestyle=("-", "--", ":")[position % 3],
                    label=plain_text(curve.get("label", f"curve {position + 1}"), 60))
        ax.set_xlabel(plain_text(x_label, 80))
        ax.set_ylabel("Density" if density else "Count")
        if entries > 1:
            _legend_below(canvas, ax, 0.7)
        return svg_markup(canvas.figure, key)
