"""Which variant is best, by which metric, in which direction.

Shared by the run page (highlighted cells, threshold sweep) and the index (best variant column),
so both name the same winner.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kerasdl import tasks

from .formatting import as_float

__all__ = [
    "best_variant",
    "best_variant_names",
    "headline_metric",
    "lower_is_better",
    "metric_mean",
    "variants_of",
]


def headline_metric(record: dict[str, Any]) -> str | None:
    """The experiment's own headline metric, else the task's default, else the first metric recorded."""
    experiment = record.get("experiment") or {}
    chosen = experiment.get("headline_metric") if isinstance(experiment, dict) else None
    if isinstance(chosen, str) and chosen:
        return chosen
    dataset = record.get("dataset") or {}
    task = dataset.get("task") if isinstance(dataset, dict) else None
    if tasks.headline_of(task):
        return tasks.headline_of(task)
    for variant in _variants(record):
        for key in variant.get("metrics") or {}:
            return str(key)
    return None


def lower_is_better(metric: str, task: str | None = None) -> bool:
    return tasks.is_lower_better(metric, task)


def metric_mean(variant: dict[str, Any], metric: str) -> float | None:
    entry = (variant.get("metrics") or {}).get(metric)
    if isinstance(entry, dict):
        return as_float(entry.get("mean"))
    return as_float(entry)


def _variants(record: dict[str, Any]) -> list[dict[str, Any]]:
    variants = record.get("variants")
    return [v for v in variants if isinstance(v, dict)] if isinstance(variants, list) else []


def best_variant_names(variants: Sequence[dict[str, Any]], metric: str) -> set[str]:
    """Names of the variants with the best mean of `metric` (ties all win).

    Completed variants compete among themselves; a diverged or failed variant only counts when no
    completed variant has a value, so a half-finished variant never takes the highlight.
    """
    scored = [(v, metric_mean(v, metric)) for v in variants]
    scored = [(v, m) for v, m in scored if m is not None]
    completed = [(v, m) for v, m in scored if v.get("status") == "completed"]
    pool = completed or scored
    if not pool:
        return set()
    pick = min if lower_is_better(metric) else max
    target = pick(m for _, m in pool)
    return {str(v.get("name")) for v, m in pool if m == target}


def best_variant(variants: Sequence[dict[str, Any]], metric: str | None) -> dict[str, Any] | None:
    """The first-listed best variant, or None when no variant has the metric."""
    if not metric:
        return None
    names = best_variant_names(variants, metric)
    for variant in variants:
        if str(variant.get("name")) in names:
            return variant
    return None


def variants_of(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The record's variant entries (malformed entries are skipped)."""
    return _variants(record)
