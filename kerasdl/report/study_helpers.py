"""Section builders and record readers that the studies share (docs/run-record.md, "sections").

The standard report already has a metrics table and one learning curve per variant; a comparison
study also needs the variants *overlaid*, a compact "what did each cost and score" table, and
numbers read back from the run record for its prose. All of it is built here from what the harness
hands the `analyze` hook (`Analysis`): history rows and the run record, as typed sections
(kerasdl.report.sections). No TensorFlow, no matplotlib: these only reshape numbers, so experiment
scripts import them at their top and the analyze hooks can be tested on a hand-made record.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .sections import Lines, Table

__all__ = ["labels", "metric", "metric_mean", "fold_probes", "probe_values", "overlaid_curves",
           "comparison_table", "fmt", "number", "clearly_lower", "entry_metric", "probe_mean", "probe_value",
           "fit_seconds", "layer_params", "feature_shape", "val_loss_section", "still_improving",
           "accuracy_noise"]


# -- reading the record ------------------------------------------------------------------------------

def labels(record: dict[str, Any]) -> dict[str, str]:
    """Variant name → its label, in the record's order."""
    return {v["name"]: v.get("label") or v["name"] for v in record.get("variants", [])}


def metric_mean(variant: dict[str, Any], name: str) -> float | None:
    """The mean over folds of one metric of a recorded variant, or None when it was not measured."""
    value = (variant.get("metrics") or {}).get(name, {}).get("mean")
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def metric(record: dict[str, Any], variant: str, name: str) -> float:
    """Mean over folds of a held-out metric of the variant called `variant`, NaN when it has none
    (failed, diverged, or not in the record)."""
    entry = next((v for v in record.get("variants", []) if v["name"] == variant), None)
    return entry_metric(entry, name) if entry is not None else float("nan")


def fold_probes(record: dict[str, Any], variant: str) -> list[dict[str, Any]]:
    """What the variant's probe measured in each fold that has a probe result."""
    entry = next((v for v in record.get("variants", []) if v["name"] == variant), None)
    if entry is None:
        return []
    return [f["probe"] for f in entry.get("folds", []) if isinstance(f.get("probe"), dict)]


def probe_values(variant: dict[str, Any], key: str) -> list[Any]:
    """`key` of the probe result of every fold that has one (a failed fold has no probe)."""
    return [fold["probe"][key] for fold in variant.get("folds", []) if key in (fold.get("probe") or {})]


# -- sections ----------------------------------------------------------------------------------------

def overlaid_curves(analysis, key: str = "val_loss", *, title: str, y_label: str = "validation loss",
                    caption: str = "", log_y: bool = False,
                    variants: Sequence[str] | None = None) -> Lines:
    """A `lines` section: `key` per epoch (averaged over folds), one line per Keras variant.

    `variants` picks and orders the lines (default: every Keras variant in the record's order);
    a variant without that curve (a baseline, a failed fit) is left out.
    """
    names = labels(analysis.record)
    series = []
    for name in variants if variants is not None else list(names):
        values = analysis.curve(name, key)
        if values:
            series.append({"label": names.get(name, name), "x": list(range(1, len(values) + 1)), "y": values})
    return Lines(title, caption=caption, x_label="epoch", y_label=y_label, log_y=log_y, series=series)


def comparison_table(analysis, metrics: Sequence[str], *, title: str, caption: str = "",
                     extra: dict[str, dict[str, Any]] | None = None) -> Table:
    """A `table` section: variant, parameters, epochs run, fit time, then the chosen metrics.

    `extra` maps a column name to {variant name: value} for study-specific columns.
    """
    extra = extra or {}
    columns = ["variant", "parameters", "epochs run", "fit time (s)", *metrics, *extra]
    rows = []
    for variant in analysis.record["variants"]:
        epochs = [f.get("epochs_run") for f in variant.get("folds", []) if f.get("epochs_run") is not None]
        rows.append([variant["label"], variant.get("parameter_count"),
                     round(sum(epochs) / len(epochs), 1) if epochs else None,
                     round(variant.get("timings", {}).get("fit_s", 0.0), 2),
                     *(_rounded(metric_mean(variant, m)) for m in metrics),
                     *(column.get(variant["name"]) for column in extra.values())])
    return Table(title, caption=caption, columns=columns, rows=rows)


def _rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


# -- numbers in prose --------------------------------------------------------------------------------

def fmt(value: float | None, digits: int = 3) -> str:
    """`digits` significant digits, scientific when tiny or huge, "n/a" when missing (gradient
    norms, ratios: quantities whose scale varies)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if value != 0 and (abs(value) < 1e-2 or abs(value) >= 1e5):
        return f"{value:.{digits - 1}e}"
    return f"{value:.{digits}g}"


def number(value: float | None, digits: int = 3) -> str:
    """`digits` fixed decimals for ordinary sizes (accuracies, losses: comparable side by side),
    scientific notation for tiny or huge ones, "n/a" when missing."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if value != 0 and (abs(value) < 10 ** -digits or abs(value) >= 1e5):
        return f"{value:.{max(digits - 1, 1)}e}"
    return f"{value:.{digits}f}"


def clearly_lower(a: float | None, b: float | None, margin: float = 0.02) -> bool:
    """a < b by more than `margin` (relative): prose says "better" only past run-to-run jitter."""
    return a is not None and b is not None and a < b * (1 - margin)


# -- reading a variant's record entry (the digit studies) ----------------------------------------------

def probe_mean(entry: dict[str, Any], key: str) -> float:
    """A probe value averaged over a variant's folds (NaN when no fold measured it)."""
    values = [f["probe"][key] for f in entry.get("folds", []) if (f.get("probe") or {}).get(key) is not None]
    return float(np.mean(values)) if values else float("nan")


def probe_value(entry: dict[str, Any], key: str) -> Any:
    """A probe value of the variant's first fold that measured it (e.g. the receptive field)."""
    return next((f["probe"][key] for f in entry.get("folds", []) if key in (f.get("probe") or {})), None)


def entry_metric(entry: dict[str, Any], name: str = "accuracy") -> float:
    """Mean over folds of one metric of a variant's record entry (NaN when absent, so it sorts and
    formats as a number)."""
    value = metric_mean(entry, name)
    return float("nan") if value is None else value


def fit_seconds(entry: dict[str, Any]) -> float:
    return float(entry.get("timings", {}).get("fit_s") or 0.0)


def layer_params(entry: dict[str, Any], *, types: Sequence[str] = (), names: Sequence[str] = ()) -> int:
    """Parameters of the layers of `types` (class names) or `names` in a variant's model summary."""
    return sum(int(row["params"]) for row in entry.get("model_summary", [])
               if row["type"] in types or row["name"] in names)


def feature_shape(entry: dict[str, Any]) -> str:
    """Output shape of the last layer before the flatten / global pool: what the dense head reads."""
    rows = entry.get("model_summary", [])
    for index, row in enumerate(rows):
        if row["type"] in ("Flatten", "GlobalMaxPooling2D", "GlobalAveragePooling2D"):
            shape = rows[index - 1]["output_shape"] if index else "?"
            return shape.replace("(None, ", "").rstrip(")").replace(", ", "×")
    return "?"


def val_loss_section(analysis, variants: Sequence[dict[str, Any]], *, title: str,
                     caption: str = "") -> Lines:
    """Validation loss per epoch, one line per Keras variant (averaged over folds)."""
    return overlaid_curves(
        analysis, title=title, y_label="validation loss (cross-entropy)", log_y=True,
        variants=[entry["name"] for entry in variants],
        caption=caption or "Each line ends where early stopping ended that variant's training; the weights "
                           "kept are those of its lowest point.")


def still_improving(entries: Sequence[dict[str, Any]]) -> str:
    """A sentence naming the Keras variants whose best validation epoch was their last one, or "".

    Early stopping never fired for them: the epoch budget ended their training, so their accuracy
    is what that budget buys, not what the architecture can reach.
    """
    names = [e["label"] for e in entries if e.get("kind") == "keras" and e.get("folds")
             and all(f.get("best_epoch") and f.get("best_epoch") == f.get("epochs_run") for f in e["folds"])]
    if not names:
        return ""
    return ("Still improving when the epoch budget ran out (validation loss lowest at the last epoch), so "
            f"their accuracy is a lower bound: {', '.join(names)}.")


def accuracy_noise(accuracy: float, n_test: int) -> float:
    """Binomial standard error of an accuracy measured on n_test images, √(p(1−p)/n).

    Two variants whose accuracies differ by less than about two of these are not distinguishable on
    this test set; the studies' texts say so instead of ranking them.
    """
    if n_test <= 0 or not math.isfinite(accuracy):
        return float("nan")
    return math.sqrt(accuracy * (1 - accuracy) / n_test)

