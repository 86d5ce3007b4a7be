"""Report sections (docs/run-record.md "sections") that several training-technique studies build alike.

Plain dictionaries from the run record and history; no Keras here, so the analyze hooks can be tested
on a hand-made record.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["fold_probes", "labels", "metric", "number", "validation_curves"]


def labels(record: dict[str, Any]) -> dict[str, str]:
    """Variant name → its label, in the record's order."""
    return {v["name"]: v.get("label") or v["name"] for v in record.get("variants", [])}


def fold_probes(record: dict[str, Any], variant: str) -> list[dict[str, Any]]:
    """What the variant's probe measured in each fold that has a probe result."""
    entry = next((v for v in record.get("variants", []) if v["name"] == variant), None)
    if entry is None:
        return []
    return [f["probe"] for f in entry.get("folds", []) if isinstance(f.get("probe"), dict)]


def metric(record: dict[str, Any], variant: str, name: str) -> float:
    """Mean over folds of a held-out metric, NaN when the variant has none (failed, diverged)."""
    entry = next((v for v in record.get("variants", []) if v["name"] == variant), None)
    value = (entry or {}).get("metrics", {}).get(name, {}).get("mean")
    return float("nan") if value is None else float(value)


def number(value: float, digits: int = 3) -> str:
    """A number for prose: fixed decimals for ordinary sizes, scientific notation for tiny or huge ones."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if value != 0 and (abs(value) < 10 ** -digits or abs(value) >= 1e5):
        return f"{value:.{max(digits - 1, 1)}e}"
    return f"{value:.{digits}f}"


def validation_curves(analysis, *, title: str, key: str = "val_loss", y_label: str = "validation loss",
                      log_y: bool = False, caption: str = "", variants: list[str] | None = None) -> dict[str, Any]:
    """A `lines` section: `key` per epoch, one line per Keras variant, averaged over folds."""
    names = labels(analysis.record)
    series = []
    for name in variants or list(names):
        y = analysis.curve(name, key)
        if y:
            series.append({"label": names.get(name, name), "x": list(range(1, len(y) + 1)), "y": y})
    return {"kind": "lines", "title": title, "x_label": "epoch", "y_label": y_label, "log_y": log_y,
            "series": series, "caption": caption}
