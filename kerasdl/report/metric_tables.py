"""The run page's metrics table (one row per variant, best value per column highlighted) and the
"notes vs ours" table of the experiment's references."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .formatting import duration, mean_std, metric_title, number, signed_number
from .ranking import best_variant_names, lower_is_better, metric_mean

__all__ = ["metric_columns", "metrics_table", "references_table"]

# Columns in reading order; unknown metrics follow alphabetically.
_ORDER = (
    "roc_auc", "average_precision", "pr_auc", "accuracy", "log_loss", "brier",
    "sensitivity", "specificity", "fpr", "precision", "npv", "f1", "detection_rate",
    "macro_f1", "macro_precision", "macro_recall", "micro_f1",
    "rmse", "mse", "mae", "msle", "r2", "adjusted_r2",
)
# Per-fold counts and the decision threshold are not scores (the confusion matrices show the counts).
_NOT_SCORES = ("tp", "fp", "fn", "tn", "n", "threshold")
# Second names of one number: shown once, under the first name, when both are recorded.
_ALIASES = {"tpr": "sensitivity", "recall": "sensitivity", "ppv": "precision"}


def metric_columns(variants: Sequence[dict[str, Any]], headline: str | None) -> tuple[list[str], list[str]]:
    """(shown metric keys, hidden keys): headline first, then the usual order, then the rest."""
    keys: list[str] = []
    for variant in variants:
        for key in variant.get("metrics") or {}:
            if key not in keys:
                keys.append(str(key))
    hidden = [k for k in keys if k in _NOT_SCORES or (k in _ALIASES and _ALIASES[k] in keys)]
    shown = [k for k in keys if k not in hidden]
    rank = {key: i for i, key in enumerate(_ORDER)}
    shown.sort(key=lambda k: (k != headline, rank.get(k, len(rank)), k))
    return shown, hidden


def metrics_table(variants: Sequence[dict[str, Any]], headline: str | None) -> dict[str, Any]:
    shown, hidden = metric_columns(variants, headline)
    columns = [{"key": key, "title": metric_title(key), "lower": lower_is_better(key), "headline": key == headline}
               for key in shown]
    winners = {key: best_variant_names(variants, key) for key in shown}
    rows = []
    for variant in variants:
        name = str(variant.get("name"))
        found = variant.get("metrics") or {}
        params = variant.get("parameter_count")
        rows.append({
            "variant": variant,
            "parameters": f"{params:,}" if isinstance(params, int) and not isinstance(params, bool) else "—",
            "cells": [{"text": mean_std(found.get(key)) if key in found else "—",
                       "best": name in winners[key]} for key in shown],
            "fit": duration((variant.get("timings") or {}).get("fit_s")),
        })
    return {"columns": columns, "rows": rows, "hidden": hidden}


def references_table(record: dict[str, Any], variants: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The notes' own figures beside ours: notes value, our mean ± std, ours − notes."""
    references = (record.get("experiment") or {}).get("references") or []
    by_name = {str(v.get("name")): v for v in variants}
    rows = []
    for reference in references:
        if not isinstance(reference, dict):
            continue
        variant = by_name.get(str(reference.get("variant")))
        metric = str(reference.get("metric", ""))
        ours = metric_mean(variant, metric) if variant else None
        notes_value = reference.get("notes_value")
        entry = ((variant or {}).get("metrics") or {}).get(metric)
        difference = None
        if ours is not None and isinstance(notes_value, (int, float)) and not isinstance(notes_value, bool):
            difference = ours - float(notes_value)
        rows.append({
            "variant": variant, "variant_name": str(reference.get("variant", "")),
            "metric": metric_title(metric), "notes": number(notes_value),
            "ours": mean_std(entry) if entry is not None else "n/a",
            "difference": signed_number(difference),
            "source": str(reference.get("source") or ""), "comment": str(reference.get("comment") or ""),
        })
    return rows
