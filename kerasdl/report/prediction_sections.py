"""The run page's sections drawn from held-out predictions: confusion matrices, ROC/PR curves,
threshold sweep (classification) and predicted-vs-actual plots (regression).

Curves pool every fold's held-out predictions of a variant (each sample is predicted exactly once
across CV folds), giving one curve per variant; the metrics table keeps the per-fold mean ± std.
Multiclass ROC/PR curves are micro-averaged (every (sample, class) pair is one binary decision):
one curve per variant stays comparable across variants, whereas per-class curves multiply lines by
the number of classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kerasdl import metrics

from . import figures
from .formatting import number
from .ranking import best_variant_names, headline_metric
from .run_files import FoldPredictions, finite, fold_entries, pooled

__all__ = [
    "NO_PREDICTIONS",
    "class_names_of",
    "confusion_section",
    "curves_section",
    "regression_section",
    "threshold_section",
]

NO_PREDICTIONS = "no predictions recorded"
SWEEP_THRESHOLDS = tuple(round(0.1 * i, 1) for i in range(11))


def class_names_of(record: dict[str, Any], n_classes: int) -> list[str]:
    """The dataset's class names, or the class codes when the record has none (or the wrong count)."""
    names = (record.get("dataset") or {}).get("class_names") or []
    if isinstance(names, list) and len(names) == n_classes:
        return [str(n) for n in names]
    return [str(i) for i in range(n_classes)]


def n_classes_of(record: dict[str, Any], variants: Sequence[dict[str, Any]],
                 predictions: dict[str, list[FoldPredictions]] | None) -> int:
    names = (record.get("dataset") or {}).get("class_names") or []
    if isinstance(names, list) and len(names) >= 2:
        return len(names)
    for variant in variants:
        matrix = variant.get("confusion_matrix")
        if isinstance(matrix, list) and matrix:
            return len(matrix)
    for folds in (predictions or {}).values():
        for fold in folds:
            if np.ndim(fold.y_score) == 2:
                return int(np.shape(fold.y_score)[1])
    return 2


def _folds_text(used: int, total: int) -> str:
    if total <= 1 and used <= 1:
        return "the held-out split"
    return f"{used} of {total} folds" if used != total else f"all {total} folds"


def _valid_matrix(matrix: Any, k: int) -> bool:
    try:
        array = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError):
        return False
    return array.shape == (k, k) and bool(np.all(np.isfinite(array)))


def _usable(predictions: dict[str, list[FoldPredictions]] | None, name: str) -> tuple[list[FoldPredictions], str]:
    """The variant's prediction folds if they can be drawn, else ([], why not)."""
    if predictions is None:
        return [], NO_PREDICTIONS
    folds = predictions.get(name) or []
    if not folds:
        return [], NO_PREDICTIONS
    if not all(finite(f.y_score) for f in folds):
        return [], "predictions contain NaN or infinity (the model diverged)"
    try:
        y_true, y_score = pooled(folds)
    except ValueError:
        return [], "predictions of different folds have different shapes"
    if len(y_true) != len(y_score):
        return [], f"{len(y_true)} true values but {len(y_score)} predictions"
    return folds, ""


def confusion_section(record: dict[str, Any], variants: Sequence[dict[str, Any]],
                      predictions: dict[str, list[FoldPredictions]] | None) -> list[dict[str, Any]]:
    """One entry per variant: the recorded (fold-summed) matrix, else one computed from predictions."""
    k = n_classes_of(record, variants, predictions)
    names = class_names_of(record, k)
    items = []
    for position, variant in enumerate(variants):
        name = str(variant.get("name"))
        total = len(fold_entries(variant)) or 1
        matrix, source = variant.get("confusion_matrix"), "recorded"
        folds, why = _usable(predictions, name)
        if not _valid_matrix(matrix, k):
            matrix = None
            if folds:
                y_true, y_score = pooled(folds)
                predicted = y_score.argmax(axis=1) if y_score.ndim == 2 else (y_score >= 0.5).astype(int)
                try:
                    matrix = metrics.confusion_matrix(y_true, predicted, labels=list(range(k)))
                    source = "computed"
                except ValueError as exc:
                    why = f"no confusion matrix recorded, and predictions.npz does not give one ({exc})"
        if matrix is None:
            items.append({"variant": variant, "svg": None, "note": why or "no confusion matrix recorded"})
            continue
        used = len(folds) if folds else sum(1 for f in fold_entries(variant) if f.get("status") == "completed")
        svg = figures.confusion_figure(matrix, names, key=f"cm{position}")
        caption = (f"Summed over {_folds_text(used, total)}"
                   + (" (computed from predictions.npz; arg-max class)" if source == "computed" else "")
                   + ". Rows: actual class; columns: predicted class. Right: each row divided by its total, "
                     "so the diagonal is each class's recall.")
        items.append({"variant": variant, "svg": svg, "caption": caption, "note": "",
                      "wide": k > figures.ANNOTATED_CLASSES})
    return items


def _scores_for_curves(task: str, y_true: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Binary: P(class 1). Multiclass: micro-average, one binary decision per (sample, class)."""
    if task == "binary":
        score = y_score[:, 1] if y_score.ndim == 2 and y_score.shape[1] == 2 else np.ravel(y_score)
        return y_true.astype(int), score
    k = y_score.shape[1]
    onehot = np.zeros((len(y_true), k), dtype=int)
    onehot[np.arange(len(y_true)), y_true.astype(int)] = 1
    return onehot.ravel(), y_score.ravel()


def curves_section(record: dict[str, Any], variants: Sequence[dict[str, Any]],
                   predictions: dict[str, list[FoldPredictions]] | None) -> dict[str, Any]:
    """ROC and PR charts with one pooled curve per variant; variants that cannot be drawn are listed."""
    task = (record.get("dataset") or {}).get("task")
    roc_curves, pr_curves, skipped = [], [], []
    prevalences: dict[float, list[str]] = {}
    for position, variant in enumerate(variants):
        label = str(variant.get("label") or variant.get("name"))
        folds, why = _usable(predictions, str(variant.get("name")))
        if not folds:
            skipped.append({"variant": variant, "reason": why})
            continue
        try:
            y_true, y_score = pooled(folds)
            y, s = _scores_for_curves(task, y_true, y_score)
            roc = metrics.roc_curve(y, s)
            pr = metrics.pr_curve(y, s)
        except (ValueError, IndexError) as exc:
            skipped.append({"variant": variant, "reason": f"curve undefined ({exc})"})
            continue
        if not roc["fpr"]:
            skipped.append({"variant": variant, "reason": "only one class among the held-out samples"})
            continue
        colour = figures.variant_colour(position)
        roc_curves.append(figures.Curve(f"{label} (AUC {number(roc['auc'])})",
                                        *figures.thin_curve(np.asarray(roc["fpr"]), np.asarray(roc["tpr"])),
                                        colour))
        pr_curves.append(figures.Curve(
            f"{label} (AP {number(pr['average_precision'])}, PR-AUC {number(pr['pr_auc'])})",
            *figures.thin_curve(np.asarray(pr["recall"]), np.asarray(pr["precision"])), colour))
        prevalences.setdefault(round(float(pr["prevalence"]), 3), []).append(label)
    if not roc_curves:
        return {"roc_svg": None, "pr_svg": None, "skipped": skipped,
                "note": NO_PREDICTIONS if all(s["reason"] == NO_PREDICTIONS for s in skipped) else
                "no variant has predictions that can be drawn"}
    return {
        "roc_svg": figures.roc_figure(roc_curves, key="roc"),
        "pr_svg": figures.pr_figure(pr_curves, _no_skill_lines(prevalences), key="pr"),
        "skipped": skipped, "note": "",
        "micro": task == "multiclass",
    }


def _no_skill_lines(prevalences: dict[float, list[str]]) -> list[tuple[float, str]]:
    if len(prevalences) == 1:
        value = next(iter(prevalences))
        return [(value, f"no skill (prevalence {value:.3f})")]
    return [(value, f"no skill {value:.3f}: " + ", ".join(labels)) for value, labels in sorted(prevalences.items())]


def threshold_section(record: dict[str, Any], variants: Sequence[dict[str, Any]],
                      predictions: dict[str, list[FoldPredictions]] | None) -> dict[str, Any]:
    """Sensitivity/specificity/precision/F1/accuracy at thresholds 0.0 … 1.0 for the best variant."""
    metric = headline_metric(record)
    ranked = list(variants)
    if metric:
        winners = best_variant_names(variants, metric)
        ranked.sort(key=lambda v: str(v.get("name")) not in winners)  # stable: winners first
    for variant in ranked:
        folds, _ = _usable(predictions, str(variant.get("name")))
        if not folds:
            continue
        y_true, y_score = pooled(folds)
        y, s = _scores_for_curves("binary", y_true, y_score)
        try:
            rows = metrics.threshold_sweep(y, s, thresholds=list(SWEEP_THRESHOLDS))
        except ValueError:
            continue
        table = [{"threshold": f"{row['threshold']:.1f}",
                  **{key: number(row[key]) for key in ("sensitivity", "specificity", "precision", "f1", "accuracy")},
                  "counts": f"{row['tp']} / {row['fp']} / {row['fn']} / {row['tn']}"}
                 for row in rows]
        return {"variant": variant, "rows": table, "metric": metric, "n": len(y), "note": ""}
    return {"variant": None, "rows": [], "metric": metric, "n": 0, "note": NO_PREDICTIONS}


def regression_section(variants: Sequence[dict[str, Any]],
                       predictions: dict[str, list[FoldPredictions]] | None) -> list[dict[str, Any]]:
    """Per variant: predicted-vs-actual scatter and residual histogram from pooled predictions."""
    items = []
    for position, variant in enumerate(variants):
        folds, why = _usable(predictions, str(variant.get("name")))
        if not folds:
            items.append({"variant": variant, "svg": None, "note": why})
            continue
        y_true, y_score = pooled(folds)
        y_pred = np.ravel(y_score)
        if len(y_pred) != len(y_true):
            items.append({"variant": variant, "svg": None,
                          "note": f"predictions have shape {y_score.shape}, expected one value per sample"})
            continue
        total = len(fold_entries(variant)) or 1
        shown = min(len(y_true), figures.MAX_SCATTER_POINTS)
        caption = (f"{len(y_true)} held-out predictions pooled over {_folds_text(len(folds), total)}"
                   + (f" (scatter shows a random {shown} of them)" if shown < len(y_true) else "")
                   + ". Dashed line: perfect prediction. Right: residuals, actual − predicted.")
        items.append({"variant": variant, "note": "", "caption": caption,
                      "svg": figures.regression_figure(y_true, y_pred, key=f"reg{position}")})
    return items
