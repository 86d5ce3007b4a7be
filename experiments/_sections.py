"""Report sections and record readers that the studies share (docs/run-record.md, "sections").

The standard report already has a metrics table and one learning curve per variant; a comparison
study also needs the variants *overlaid*, a compact "what did each cost and score" table, and
numbers read back from the run record for its prose. All of it is built here from what the harness
hands the `analyze` hook (`Analysis`): history rows and the run record. No TensorFlow: these only
reshape numbers, so the analyze hooks can be tested on a hand-made record.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["labels", "metric", "metric_mean", "fold_probes", "probe_values", "overlaid_curves",
           "comparison_table", "fmt", "number", "clearly_lower"]


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
    value = metric_mean(entry, name) if entry is not None else None
    return float("nan") if value is None else value


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
                    variants: Sequence[str] | None = None) -> dict[str, Any]:
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
    return {"kind": "lines", "title": title, "caption": caption, "x_label": "epoch", "y_label": y_label,
            "log_y": log_y, "series": series}


def comparison_table(analysis, metrics: Sequence[str], *, title: str, caption: str = "",
                     extra: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
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
    return {"kind": "table", "title": title, "caption": caption, "columns": columns, "rows": rows}


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
