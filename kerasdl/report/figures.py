"""Report figures: matplotlib drawings returned as SVG text ready to inline in a page.

Figures are plain `matplotlib.figure.Figure` objects rendered by the SVG backend, never pyplot:
nothing is registered in pyplot's global figure list, so there is no GUI backend to pick, no
figure to leak, and the report never touches the caller's matplotlib state (the non-interactive
"Agg"-style use the design asks for, without a process-wide `matplotlib.use`). Where scikit-learn
already draws a chart (ConfusionMatrixDisplay, RocCurveDisplay, PrecisionRecallDisplay) its display
draws onto our axes through `.plot(ax=...)`; scikit-learn imports pyplot for that, but no figure is
made through it.

Text stays text (`svg.fonttype = "none"`), which matplotlib XML-escapes; every user string still
goes through `plain_text` so that a "$" is not read as mathtext and a leading "_" does not hide a
legend entry. Every id in a figure gets a figure-specific prefix so that many inline SVGs can share
one HTML document without clashing ids.

Drawing time is the report's cost (benchmarks/render_scaling.py), and it grows with the number of
axes, ticks and texts, so: axes are placed by hand (`Canvas`, no layout engine), every title is
given `y=1.0` (otherwise matplotlib measures each axis's tick labels at draw time to lift the title
above top tick labels these figures never have), and runs of many variants get small multiples on
one figure rather than a figure each.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

__all__ = [
    "ANNOTATED_CLASSES",
    "MAX_CURVE_POINTS",
    "MAX_SCATTER_POINTS",
    "STYLE",
    "Canvas",
    "Curve",
    "confusion_figure",
    "distribution_figure",
    "learning_curves_figure",
    "plain_text",
    "pr_figure",
    "regression_figure",
    "roc_figure",
    "svg_markup",
    "thin_curve",
    "variant_colour",
]

STYLE = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.dpi": 100,
}
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
            "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
_MAX_LABEL = 40
_MAX_TICK = 18
MAX_SCATTER_POINTS = 2000
MAX_CURVE_POINTS = 2000  # far more than a 5-inch chart can show; keeps micro-averaged curves light
_MAX_VECTOR_CLASSES = 30
ANNOTATED_CLASSES = 15
_MAX_TICKS = 30
_MAX_BINS = 60
_LC_COLUMNS = 5  # small multiples per row of a learning-curve figure

_BEFORE_SVG = re.compile(r"\A.*?(?=<svg[\s>])", re.DOTALL)  # <?xml ...?> and <!DOCTYPE ...>
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_ID = re.compile(r'\bid="([^"]+)"')
_URL_REF = re.compile(r"url\(#([^)]+)\)")
_HREF_REF = re.compile(r'href="#([^"]+)"')
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Curve:
    """One line of a ROC or PR chart."""

    label: str
    x: np.ndarray
    y: np.ndarray
    colour: str


def thin_curve(x: np.ndarray, y: np.ndarray, limit: int = MAX_CURVE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most `limit` points of a curve, evenly spaced along it, keeping both ends."""
    if len(x) <= limit:
        return x, y
    keep = np.unique(np.linspace(0, len(x) - 1, limit).round().astype(int))
    return x[keep], y[keep]


def variant_colour(position: int) -> str:
    """The same colour for a variant on every chart of a page."""
    return _PALETTE[position % len(_PALETTE)]


def plain_text(text: object, limit: int = _MAX_LABEL) -> str:
    """User text made safe for matplotlib: literal "$", visible legend entry, bounded length."""
    value = str(text)
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    value = value.replace("$", r"\$")
    if value.startswith("_"):
        value = "\u200b" + value  # matplotlib hides legend labels starting with "_"
    return value


def svg_markup(fig: Figure, key: str) -> str:
    """Render `fig` to SVG markup for inlining: no XML preamble, no metadata, page-unique ids."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": key}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = _METADATA.sub("", _BEFORE_SVG.sub("", buffer.getvalue(), count=1), count=1)
    prefix = "f" + re.sub(r"[^A-Za-z0-9_-]", "-", key) + "-"

    def prefixed(tag: re.Match) -> str:  # inside tags only: a label reading id="x" stays as written
        markup = _ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', tag.group(0))
        markup = _URL_REF.sub(lambda m: f"url(#{prefix}{m.group(1)})", markup)
        return _HREF_REF.sub(lambda m: f'href="#{prefix}{m.group(1)}"', markup)

    # matplotlib escapes "<" and ">" in text and attributes, so every "<...>" here is a tag
    return _TAG.sub(prefixed, text).replace("<svg ", '<svg role="img" ', 1)


class Canvas:
    """A figure laid out by hand in inches.

    Fixed margins instead of matplotlib's constrained layout: our figures have known content
    (labels are truncated), and skipping the layout engine halves the time to draw a page.
    """

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self.figure = Figure(figsize=(width, height))

    def axes(self, left: float, bottom: float, width: float, height: float):
        return self.figure.add_axes((left / self.width, bottom / self.height, width / self.width,
                                     height / self.height))


# --------------------------------------------------------------------------- confusion matrices
def _confusion_panel(ax, values: np.ndarray, names: Sequence[str], *, title: str, fmt: str, top: float,
                     annotated: bool, rotate: bool, first: bool):
    """One heatmap drawn by scikit-learn's ConfusionMatrixDisplay, then given the report's look.

    The display draws the cells (`imshow` without resampling: one pixel per cell, scaled by the
    browser, so it stays crisp) and their numbers; we set the colour scale, the empty-row dash,
    white cell borders, truncated tick labels and our axis titles.
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    k = values.shape[0]
    display = ConfusionMatrixDisplay(values, display_labels=list(names)).plot(
        ax=ax, cmap="Blues", colorbar=False, include_values=annotated, values_format=fmt,
        im_kw={"vmin": 0, "vmax": top, "interpolation": "none", "aspect": "auto"},
        text_kw={"fontsize": 9 if k <= 6 else 7})
    if annotated:
        for (i, j), text in np.ndenumerate(display.text_):
            value = values[i, j]
            dark = not np.isnan(value) and value > 0.6 * top
            text.set_text("–" if np.isnan(value) else format(value, fmt))
            text.set_color("white" if dark else "#222222")
    ax.grid(False)
    if k <= _MAX_VECTOR_CLASSES:  # white borders between cells, as a printed table has
        ax.set_xticks(np.arange(k + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(k + 1) - 0.5, minor=True)
        ax.grid(which="minor", color="white", linewidth=0.5, alpha=1.0)
        ax.tick_params(which="minor", length=0)
    ax.set_title(title, y=1.0)
    ax.set_xlabel("Predicted class")
    shown = np.arange(0, k, max(1, -(-k // _MAX_TICKS)))  # every class, or every n-th of many
    tick_names = [names[i] for i in shown]
    ax.set_xticks(shown, tick_names, rotation=30 if rotate else 0, ha="right" if rotate else "center",
                  rotation_mode="anchor" if rotate else "default")
    if first:  # both panels share the rows; label them once
        ax.set_ylabel("Actual class")
        ax.set_yticks(shown, tick_names)
    else:
        ax.set_ylabel("")
        ax.set_yticks(shown, [""] * len(shown))
        ax.tick_params(axis="y", which="major", length=0)
    return display


def confusion_figure(matrix: Sequence[Sequence[float]], class_names: Sequence[str], *, key: str) -> str:
    """Counts and row-normalized heatmaps side by side; rows actual, columns predicted.

    Up to ANNOTATED_CLASSES classes every cell carries its number (so no colour bar is needed and
    the figure fits two to a row); beyond that, colour bars stand in for the numbers.
    """
    counts = np.asarray(matrix, dtype=float)
    k = counts.shape[0]
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(totals > 0, counts / np.where(totals > 0, totals, 1), np.nan)
    names = [plain_text(n, _MAX_TICK) for n in class_names]
    rotate = k > 2
    annotated = k <= ANNOTATED_CLASSES
    side = min(1.6 + 0.3 * k, 6.5)
    label_width = 0.1 + 0.068 * max((len(n) for n in names), default=1)  # 9 pt text ≈ 0.068 in per character
    left = 0.4 + label_width
    bottom = 0.5 + (0.5 * label_width if rotate else 0.15)
    colourbar = 0.15 if annotated else 0.65  # gap, bar and its tick labels
    width = left + side + colourbar + 0.35 + side + colourbar
    with matplotlib.rc_context(STYLE):
        canvas = Canvas(width, bottom + side + 0.35)
        x = left
        for first, values, title, fmt, top in (
            (True, counts, "Counts", ".0f", max(counts.max(), 1.0)),
            (False, shares, "Row-normalized", ".2f", 1.0),
        ):
            display = _confusion_panel(canvas.axes(x, bottom, side, side), values, names, title=title, fmt=fmt,
                                       top=top, annotated=annotated, rotate=rotate, first=first)
            if not annotated:
                bar = canvas.figure.colorbar(display.im_, cax=canvas.axes(x + side + 0.1, bottom, 0.12, side))
                bar.solids.set_rasterized(False)  # vector, not an embedded PNG: crisp at any zoom
                bar.solids.set_edgecolor("face")  # no hairline seams between the bar's segments
                if first:
                    bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts are whole numbers
            x += side + colourbar + 0.35
        return svg_markup(canvas.figure, key)


# --------------------------------------------------------------------------- ROC and PR
def _curve_axes(entries: int) -> tuple[Canvas, object, float]:
    """A square-ish chart with room below it for a one-column legend of `entries` lines."""
    legend = 0.12 + 0.17 * entries
    canvas = Canvas(5.2, 3.3 + legend)
    ax = canvas.axes(0.6, 0.5 + legend, 4.4, 2.65)
    return canvas, ax, legend


def _finish_curve_axes(canvas: Canvas, ax, legend: float, *, x_label: str, y_label: str) -> None:
    """Undo what a scikit-learn display sets that our layout does differently, then add the legend.

    The displays draw a square plot area with their own axis titles and a legend inside the axes;
    ours is wider, titled in the notes' words, with the legend below it, so no curve is ever hidden
    behind the legend whatever its shape.
    """
    ax.set_aspect("auto")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    canvas.figure.legend(*ax.get_legend_handles_labels(), loc="lower left", frameon=False,
                         bbox_to_anchor=(0.55 / canvas.width, 0.02), borderaxespad=0.0)


def roc_figure(curves: Sequence[Curve], *, key: str) -> str:
    """Every variant's ROC curve on one chart (scikit-learn's RocCurveDisplay), with the no-skill diagonal.

    Each curve comes already computed (fpr, tpr) with its label holding the AUC as the report prints
    it, so the display is given the label as its name and no AUC of its own to format.
    """
    from sklearn.metrics import RocCurveDisplay

    with matplotlib.rc_context(STYLE):
        canvas, ax, legend = _curve_axes(len(curves) + 1)
        for position, curve in enumerate(curves):
            last = position == len(curves) - 1
            display = RocCurveDisplay(fpr=curve.x, tpr=curve.y, name=plain_text(curve.label, 60)).plot(
                ax=ax, plot_chance_level=last,
                chance_level_kw={"label": "no skill (AUC 0.5)", "color": "#888888", "linestyle": "--",
                                 "linewidth": 1})
            display.line_.set(color=curve.colour, linewidth=1.6)
        if not curves:
            ax.plot([0, 1], [0, 1], linestyle="--", color="#888888", linewidth=1, label="no skill (AUC 0.5)")
        _finish_curve_axes(canvas, ax, legend, x_label="False positive rate (1 − specificity)",
                           y_label="True positive rate (sensitivity)")
        return svg_markup(canvas.figure, key)


def pr_figure(curves: Sequence[Curve], prevalences: Sequence[tuple[float, str]], *, key: str) -> str:
    """Every variant's precision-recall curve (scikit-learn's PrecisionRecallDisplay, step-wise), with
    the no-skill line at the positive prevalence.

    `prevalences` holds (prevalence, legend text); there is more than one only when variants were
    scored on different rows (e.g. one stopped early and lacks a fold).
    """
    from sklearn.metrics import PrecisionRecallDisplay

    with matplotlib.rc_context(STYLE):
        canvas, ax, legend = _curve_axes(len(curves) + len(prevalences))
        for curve in curves:
            display = PrecisionRecallDisplay(precision=curve.y, recall=curve.x,
                                             name=plain_text(curve.label, 60)).plot(ax=ax)
            display.line_.set(color=curve.colour, linewidth=1.6)
        for prevalence, text in prevalences:
            ax.axhline(prevalence, linestyle="--", color="#888888", linewidth=1, label=plain_text(text, 80))
        _finish_curve_axes(canvas, ax, legend, x_label="Recall (sensitivity)", y_label="Precision")
        return svg_markup(canvas.figure, key)


def _two_panels(height: float = 2.9) -> tuple[Canvas, list]:
    """Two side-by-side charts with room for titles, axis labels and tick labels."""
    canvas = Canvas(7.4, height)
    panel_height = height - 0.85
    return canvas, [canvas.axes(0.65, 0.5, 2.95, panel_height), canvas.axes(4.3, 0.5, 2.95, panel_height)]


# --------------------------------------------------------------------------- learning curves
def _finite(values: np.ndarray) -> np.ndarray:
    out = np.asarray(values, dtype=float).copy()
    out[~np.isfinite(out)] = np.nan  # matplotlib cannot place inf; a gap shows the divergence
    return out


def _log_scale_fits(values: list[np.ndarray]) -> bool:
    """A log axis when every value is positive and they span more than a factor of 100 (a diverging loss
    would otherwise flatten everything else)."""
    found = np.concatenate(values) if values else np.array([])
    return bool(found.size and found.min() > 0 and found.max() / found.min() > 100)


def learning_curves_figure(panels: Sequence[tuple[str, Sequence[dict[str, np.ndarray]]]], metric: str,
                           *, key: str) -> str:
    """Small multiples of one metric: a panel per variant on shared axes, train vs validation, a thin
    line per fold.

    `panels` holds (variant label, folds) where each fold's columns are "epoch", `metric` and optionally
    "val_<metric>". Shared axes make the variants comparable at a glance, and one figure instead of one
    per variant draws the page several times faster (tick labels only on the outer panels).
    """
    count = len(panels)
    if not count:
        raise ValueError("no panels to draw")
    columns = min(count, _LC_COLUMNS)
    rows = -(-count // columns)
    wide = count > 2
    panel_w, panel_h = (1.5, 1.3) if wide else (2.6, 2.0)
    left, right, top, bottom, gap_x, gap_y = 0.6, 0.15, 0.62, 0.45, 0.14, 0.42
    width = left + columns * panel_w + (columns - 1) * gap_x + right
    height = top + rows * panel_h + (rows - 1) * gap_y + bottom
    with matplotlib.rc_context(STYLE):
        canvas = Canvas(width, height)
        seen: list[np.ndarray] = []
        axes = []
        for index, (label, folds) in enumerate(panels):
            row, column = divmod(index, columns)
            ax = canvas.axes(left + column * (panel_w + gap_x), height - top - (row + 1) * panel_h - row * gap_y,
                             panel_w, panel_h)
            if axes:
                ax.sharex(axes[0])
                ax.sharey(axes[0])
            axes.append(ax)
            for columns_of_fold in folds:
                for name, colour, style in ((metric, "#1f77b4", "-"), (f"val_{metric}", "#ff7f0e", "--")):
                    if name in columns_of_fold:
                        values = _finite(columns_of_fold[name])
                        seen.append(values[np.isfinite(values)])
                        ax.plot(columns_of_fold["epoch"], values, color=colour, linestyle=style, linewidth=1,
                                alpha=0.8)
            ax.set_title(plain_text(label, 24 if wide else 48), fontsize=8.5, loc="left", pad=3, y=1.0)
            ax.tick_params(labelsize=7.5, labelleft=column == 0, labelbottom=index + columns >= count)
        if _log_scale_fits(seen):
            axes[0].set_yscale("log")
        else:
            axes[0].yaxis.set_major_locator(MaxNLocator(nbins=4))
        axes[0].xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        canvas.figure.text(left / width, 1 - 0.28 / height, plain_text(metric), fontsize=10, fontweight="bold")
        middle = left + (columns * panel_w + (columns - 1) * gap_x) / 2
        canvas.figure.text(middle / width, 0.04 / height, "Epoch", ha="center", va="bottom")
        canvas.figure.legend(handles=[Line2D([], [], color="#1f77b4", label="train"),
                                      Line2D([], [], color="#ff7f0e", linestyle="--", label="validation")],
                             loc="upper right", ncol=2, frameon=False, borderaxespad=0.2)
        return svg_markup(canvas.figure, key)


# --------------------------------------------------------------------------- regression
def regression_figure(y_true: np.ndarray, y_pred: np.ndarray, *, key: str) -> str:
    """Predicted vs actual (with the y = x line) and a histogram of residuals (actual − predicted)."""
    y_true = np.ravel(np.asarray(y_true, dtype=float))
    y_pred = np.ravel(np.asarray(y_pred, dtype=float))
    shown = np.arange(len(y_true))
    if len(shown) > MAX_SCATTER_POINTS:  # thousands of SVG markers would make the page heavy
        shown = np.sort(np.random.default_rng(0).choice(len(shown), MAX_SCATTER_POINTS, replace=False))
    with matplotlib.rc_context(STYLE):
        canvas, (scatter, histogram) = _two_panels(3.3)
        scatter.scatter(y_true[shown], y_pred[shown], s=8, alpha=0.5, color="#1f77b4", linewidths=0)
        low = float(min(y_true.min(), y_pred.min()))
        high = float(max(y_true.max(), y_pred.max()))
        scatter.plot([low, high], [low, high], linestyle="--", color="#888888", linewidth=1, label="y = x")
        scatter.set_xlabel("Actual")
        scatter.set_ylabel("Predicted")
        scatter.set_title("Predicted vs actual", y=1.0)
        scatter.legend(loc="upper left")
        histogram.hist(y_true - y_pred, bins=30, color="#2ca02c", alpha=0.8)
        histogram.axvline(0, color="#888888", linestyle="--", linewidth=1)
        histogram.set_xlabel("Residual (actual − predicted)")
        histogram.set_ylabel("Samples")
        histogram.set_title("Residuals", y=1.0)
        return svg_markup(canvas.figure, key)


# --------------------------------------------------------------------------- generated samples
def distribution_figure(real: np.ndarray, generated: np.ndarray, *, key: str) -> str:
    """Real and generated values of a 1-D distribution as densities over shared bins, with their means."""
    real = np.ravel(np.asarray(real, dtype=float))
    generated = np.ravel(np.asarray(generated, dtype=float))
    bins = np.histogram_bin_edges(np.concatenate([real, generated]), bins="auto")
    if len(bins) > _MAX_BINS + 1:  # "auto" follows the sample size; a few thousand bins draw nothing more
        bins = np.linspace(bins[0], bins[-1], _MAX_BINS + 1)
    with matplotlib.rc_context(STYLE):
        canvas = Canvas(6.0, 3.4)
        ax = canvas.axes(0.75, 0.5, 5.05, 2.7)
        for values, label, colour in ((real, "real (held out)", variant_colour(0)),
                                      (generated, "generated", variant_colour(1))):
            ax.hist(values, bins=bins, density=True, histtype="stepfilled", alpha=0.35, color=colour)
            ax.hist(values, bins=bins, density=True, histtype="step", linewidth=1.4, color=colour,
                    label=f"{label}: mean {values.mean():.4g}, std {values.std():.4g}")
            ax.axvline(values.mean(), color=colour, linestyle="--", linewidth=1)
        ax.set_xlabel("Value")
        ax.set_ylabel("Density")
        ax.legend(loc="upper right")
        return svg_markup(canvas.figure, key)
