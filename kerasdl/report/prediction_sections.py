"""The run page's sections drawn from held-out predictions, registered by section name.

A task names the sections its predictions feed (`kerasdl.tasks.Task.report_sections`); `SECTIONS`
maps each name to its anchor, heading and builder, so the run page never asks which task it shows.
Registered: confusion matrices, ROC/PR curves, threshold sweep (two classes), predicted vs actual
(one real value per sample) and generated vs real samples (generation). What differs inside a
section (micro-averaged curves for more than two classes) is read from the scores themselves.

Curves pool every fold's held-out predictions of a variant (each sample is predicted exactly once
across CV folds), giving one curve per variant; the metrics table keeps the per-fold mean ± std.
Multiclass ROC/PR curves are micro-averaged (every (sample, class) pair is one binary decision):
one curve per variant stays comparable across variants, whereas per-class curves multiply lines by
the number of classes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kerasdl import metrics, tasks

from . import figures, section_figures
from .confusion_table import confusion_table
from .formatting import number
from .ranking import best_variant_names, headline_metric
from .run_files import FoldPredictions, finite, fold_entries, pooled

HALF_WIDTH_CLASSES = 6  # a 1,180 px page holds two tables of 6 classes (count + share cells) side by side

__all__ = [
    "NO_PREDICTIONS",
    "SECTIONS",
    "Section",
    "class_names_of",
    "confusion_section",
    "curves_section",
    "regression_section",
    "samples_section",
    "task_sections",
    "threshold_section",
]

Predictions = dict[str, list[FoldPredictions]] | None

NO_PREDICTIONS = "no predictions recorded"
SWEEP_THRESHOLDS = tuple(round(0.1 * i, 1) for i in range(11))


def class_names_of(record: dict[str, Any], n_classes: int) -> list[str]:
    """The dataset's class names, or the class codes when the record has none (or the wrong count)."""
    names = (record.get("dataset") or {}).get("class_names") or []
    if isinstance(names, list) and len(names) == n_classes:
        return [str(n) for n in names]
    return [str(i) for i in range(n_classes)]


def n_classes_of(record: dict[str, Any], variants: Sequence[dict[str, Any]], predictions: Predictions) -> int:
    names = (record.get("dataset") or {}).get("class_names") or []
    if isinstance(names, list) and len(names) >= 2:
        return len(names)
    for variant in variants:
        matrix = variant.get("confusion_matrix")
        if isinstance(matrix, list) and matrix:
            return len(matrix)
    for folds in (predictions or {}).values():
        for fold in folds:
            if np.ndim(fold.y_score) >= 2:  # (n, classes) or per token (n, T, tags): the last axis
                return int(np.shape(fold.y_score)[-1])
    return 2


def _task_of(record: dict[str, Any]) -> tasks.Task | None:
    """The record's registered task, or None (no dataset, or a task this version does not know)."""
    name = (record.get("dataset") or {}).get("task")
    try:
        return tasks.get(name) if isinstance(name, str) and name else None
    except ValueError:
        return None


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


def _usable(predictions: Predictions, name: str, *, paired: bool = True) -> tuple[list[FoldPredictions], str]:
    """The variant's prediction folds if they can be drawn, else ([], why not).

    `paired`: every score belongs to one true value (not so for generated samples, which are only
    compared as a set with the real ones)."""
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
    if paired and len(y_true) != len(y_score):
        return [], f"{len(y_true)} true values but {len(y_score)} predictions"
    return folds, ""


# --------------------------------------------------------------------------- confusion matrices
def _computed_confusion(task: tasks.Task | None, folds: list[FoldPredictions], k: int) -> np.ndarray | None:
    """The task's confusion matrix of every fold, summed (None when the task has no classes)."""
    if task is None:
        return None
    matrix = None
    for fold in folds:
        found = task.confusion(fold.y_true, fold.y_score, k)
        if found is None:
            return None
        matrix = np.asarray(found) if matrix is None else matrix + np.asarray(found)
    return matrix


def confusion_section(record: dict[str, Any], variants: Sequence[dict[str, Any]],
                      predictions: Predictions) -> list[dict[str, Any]]:
    """One entry per variant: the recorded (fold-summed) matrix, else the task's from predictions.npz.

    The harness records `task.confusion` of every fold (rows and columns are classes, or tags for a
    per-token task), so the report only computes one itself for records written without it."""
    k = n_classes_of(record, variants, predictions)
    names = class_names_of(record, k)
    task = _task_of(record)
    items = []
    for position, variant in enumerate(variants):
        name = str(variant.get("name"))
        total = len(fold_entries(variant)) or 1
        matrix, source = variant.get("confusion_matrix"), "recorded"
        folds, why = _usable(predictions, name)
        if not _valid_matrix(matrix, k):
            matrix = None
            if folds:
                try:
                    matrix = _computed_confusion(task, folds, k)
                    source = "computed"
                except ValueError as exc:
                    why = f"no confusion matrix recorded, and predictions.npz does not give one ({exc})"
        if matrix is None:
            items.append({"variant": variant, "svg": None, "table": None,
                          "note": why or "no confusion matrix recorded"})
            continue
        used = len(folds) if folds else sum(1 for f in fold_entries(variant) if f.get("status") == "completed")
        caption = (f"Summed over {_folds_text(used, total)}"
                   + (" (computed from predictions.npz; arg-max class)" if source == "computed" else "") + ".")
        if k <= figures.ANNOTATED_CLASSES:  # few classes: a table of numbers, shaded (confusion_table.py)
            # how to read it: said once, above the tables. Two tables side by side fit up to
            # HALF_WIDTH_CLASSES classes; more take the full width, else their last columns scroll out of view.
            items.append({"variant": variant, "svg": None, "table": confusion_table(matrix, names),
                          "caption": caption, "note": "", "wide": k > HALF_WIDTH_CLASSES})
            continue
        caption += (" Rows: actual class; columns: predicted class. Right: each row divided by its total, "
                    "so the diagonal is each class's recall.")
        items.append({"variant": variant, "svg": figures.confusion_figure(matrix, names, key=f"cm{position}"),
                      "table": None, "caption": caption, "note": "", "wide": True})
    return items


# --------------------------------------------------------------------------- ROC, PR, thresholds
def _is_micro(y_score: np.ndarray) -> bool:
    """More than two score columns: curves are micro-averaged over the classes."""
    return y_score.ndim == 2 and y_score.shape[1] > 2


def _scores_for_curves(y_true: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two classes (one or two score columns): P(class 1). More: the micro-average, one binary
    decision per (sample, class)."""
    if not _is_micro(y_score):
        score = y_score[:, -1] if y_score.ndim == 2 else np.ravel(y_score)
        return y_true.astype(int), score
    k = y_score.shape[1]
    onehot = np.zeros((len(y_true), k), dtype=int)
    onehot[np.arange(len(y_true)), y_true.astype(int)] = 1
    return onehot.ravel(), y_score.ravel()


def curves_section(record: dict[str, Any], variants: Sequence[dict[str, Any]],
                   predictions: Predictions) -> dict[str, Any]:
    """ROC and PR charts with one pooled curve per variant; variants that cannot be drawn are listed."""
    roc_curves, pr_curves, skipped = [], [], []
    prevalences: dict[float, list[str]] = {}
    micro = False
    for position, variant in enumerate(variants):
        label = str(variant.get("label") or variant.get("name"))
        folds, why = _usable(predictions, str(variant.get("name")))
        if not folds:
            skipped.append({"variant": variant, "reason": why})
            continue
        try:
            y_true, y_score = pooled(folds)
            y, s = _scores_for_curves(y_true, y_score)
            roc = metrics.roc_curve(y, s)
            pr = metrics.pr_curve(y, s)
        except (ValueError, IndexError) as exc:
            skipped.append({"variant": variant, "reason": f"curve undefined ({exc})"})
            continue
        if not roc["fpr"]:
            skipped.append({"variant": variant, "reason": "only one class among the held-out samples"})
            continue
        micro |= _is_micro(y_score)
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
        "skipped": skipped, "note": "", "micro": micro,
    }


def _no_skill_lines(prevalences: dict[float, list[str]]) -> list[tuple[float, str]]:
    if len(prevalences) == 1:
        value = next(iter(prevalences))
        return [(value, f"no skill (prevalence {value:.3f})")]
    return [(value, f"no skill {value:.3f}: " + ", ".join(labels)) for value, labels in sorted(prevalences.items())]


def threshold_section(record: dict[str, Any], variants: Sequence[dict[str, Any]],
                      predictions: Predictions) -> dict[str, Any]:
    """Sensitivity/specificity/precision/F1/accuracy at thresholds 0.0 … 1.0 for the best variant
    (two classes only: with more, a single threshold on one column decides nothing)."""
    metric = headline_metric(record)
    ranked = list(variants)
    if metric:
        winners = best_variant_names(variants, metric)
        ranked.sort(key=lambda v: str(v.get("name")) not in winners)  # stable: winners first
    note = NO_PREDICTIONS
    for variant in ranked:
        folds, _ = _usable(predictions, str(variant.get("name")))
        if not folds:
            continue
        y_true, y_score = pooled(folds)
        if _is_micro(y_score):
            note = f"scores have {y_score.shape[1]} columns: a threshold sweep needs two classes"
            continue
        y, s = _scores_for_curves(y_true, y_score)
        try:
            rows = metrics.threshold_sweep(y, s, thresholds=list(SWEEP_THRESHOLDS))
        except ValueError:
            continue
        table = [{"threshold": f"{row['threshold']:.1f}",
                  **{key: number(row[key]) for key in ("sensitivity", "specificity", "precision", "f1", "accuracy")},
                  "counts": f"{row['tp']} / {row['fp']} / {row['fn']} / {row['tn']}"}
                 for row in rows]
        return {"variant": variant, "rows": table, "metric": metric, "n": len(y), "note": ""}
    return {"variant": None, "rows": [], "metric": metric, "n": 0, "note": note}


# --------------------------------------------------------------------------- regression
def regression_section(record: dict[str, Any], variants: Sequence[dict[str, Any]],
                       predictions: Predictions) -> list[dict[str, Any]]:
    """Per variant: predicted-vs-actual scatter and residual histogram from pooled predictions."""
    items = []
    for position, variant in enumerate(variants):
        folds, why = _usable(predictions, str(variant.get("name")))
        if not folds:
            items.append({"variant": variant, "svg": None, "note": why})
            continue
        y_true, y_score = pooled(folds)
        if np.shape(y_score) != np.shape(y_true) and np.size(y_score) == np.size(y_true):
            y_score = np.reshape(y_score, np.shape(y_true))  # (n, 1) outputs for (n,) targets
        if np.shape(y_score) != np.shape(y_true):
            items.append({"variant": variant, "svg": None,
                          "note": f"predictions have shape {np.shape(y_score)} for targets of shape "
                                  f"{np.shape(y_true)}"})
            continue
        # Several values per sample (a multi-step forecast): every (sample, step) pair is one point.
        outputs = int(np.prod(np.shape(y_true)[1:], dtype=int))
        y_true, y_pred = np.ravel(y_true), np.ravel(y_score)
        total = len(fold_entries(variant)) or 1
        shown = min(len(y_true), figures.MAX_SCATTER_POINTS)
        per_sample = f" ({outputs} per sample, pooled)" if outputs > 1 else ""
        caption = (f"{len(y_true)} held-out predictions{per_sample} pooled over {_folds_text(len(folds), total)}"
                   + (f" (scatter shows a random {shown} of them)" if shown < len(y_true) else "")
                   + ". Dashed line: perfect prediction. Right: residuals, actual − predicted.")
        items.append({"variant": variant, "note": "", "caption": caption,
                      "svg": figures.regression_figure(y_true, y_pred, key=f"reg{position}")})
    return items


# --------------------------------------------------------------------------- generated samples
_GRID_COLUMNS = 8


def _as_images(samples: np.ndarray) -> np.ndarray | None:
    """Samples as (n, h, w) grey or (n, h, w, 3) colour images, or None when they are not images.

    Image-shaped samples (n, h, w[, 1 or 3]) are drawn as they are; flat rows (n, d) when d is a
    square number above 1 (a flattened 28×28 digit is 784 values)."""
    if samples.ndim == 4 and samples.shape[-1] in (1, 3):
        return samples[..., 0] if samples.shape[-1] == 1 else samples
    if samples.ndim == 3:
        return samples
    if samples.ndim == 2 and samples.shape[1] > 1:
        side = int(round(np.sqrt(samples.shape[1])))
        if side * side == samples.shape[1]:
            return samples.reshape(len(samples), side, side)
    return None


def _sample_grid(real: np.ndarray, generated: np.ndarray, *, key: str) -> tuple[str, str]:
    """The first real and generated images, one row each, on the real images' grey scale."""
    count = min(_GRID_COLUMNS, len(real), len(generated))
    low, high = float(np.min(real)), float(np.max(real))
    images = ([{"label": f"real {i + 1}", "pixels": real[i], "range": [low, high]} for i in range(count)]
              + [{"label": f"generated {i + 1}", "pixels": generated[i], "range": [low, high]}
                 for i in range(count)])
    svg = section_figures.images_figure(images, columns=count, key=key)
    caption = (f"Top row: the first {count} held-out real samples; bottom row: the first {count} generated ones, "
               f"drawn on the real samples' value range [{number(low)}, {number(high)}].")
    return svg, caption


def samples_section(record: dict[str, Any], variants: Sequence[dict[str, Any]],
                    predictions: Predictions) -> list[dict[str, Any]]:
    """Per variant: generated samples beside held-out real ones (y_true: real, y_score: generated).

    One value per sample: the two distributions as overlaid histograms. Images: a row of real and a
    row of generated samples. Other shapes are left to the distance metrics in the table."""
    items = []
    for position, variant in enumerate(variants):
        folds, why = _usable(predictions, str(variant.get("name")), paired=False)
        if not folds:
            items.append({"variant": variant, "svg": None, "note": why})
            continue
        real, generated = (values[:, None] if values.ndim == 1 else values for values in pooled(folds))
        if real.shape[1:] != generated.shape[1:]:
            items.append({"variant": variant, "svg": None, "note": f"real samples have shape {real.shape[1:]} "
                          f"but generated ones {generated.shape[1:]}"})
            continue
        real_images, generated_images = _as_images(real), _as_images(generated)
        if real.ndim == 2 and real.shape[1] == 1:
            svg = figures.distribution_figure(np.ravel(real), np.ravel(generated), key=f"gen{position}")
            caption = (f"{len(real)} held-out real values and {len(generated)} generated ones, as densities "
                       "over the same bins; the dashed lines mark each set's mean.")
        elif real_images is not None:
            svg, caption = _sample_grid(real_images, generated_images, key=f"gen{position}")
        else:
            items.append({"variant": variant, "svg": None,
                          "note": f"samples of shape {real.shape[1:]} are neither single values nor images; "
                                  "the distance metrics above compare them"})
            continue
        items.append({"variant": variant, "svg": svg, "caption": caption, "note": ""})
    return items


# --------------------------------------------------------------------------- the registry
Builder = Callable[[dict[str, Any], Sequence[dict[str, Any]], Predictions], Any]


@dataclass(frozen=True)
class Section:
    """A run-page section drawn from stored predictions: where it lands, its heading, how it is built."""

    anchor: str
    title: str
    build: Builder


SECTIONS: dict[str, Section] = {
    "confusion": Section("confusion", "Confusion matrices", confusion_section),
    "curves": Section("curves", "ROC and PR curves", curves_section),
    "thresholds": Section("thresholds", "Threshold sweep", threshold_section),
    "regression": Section("regression", "Predicted vs actual", regression_section),
    "samples": Section("samples", "Generated vs real samples", samples_section),
}


def task_sections(record: dict[str, Any], variants: Sequence[dict[str, Any]],
                  predictions: Predictions) -> tuple[list[dict[str, Any]], list[str]]:
    """The sections the record's task asks for, built, in the task's order; and notes on what is left out.

    Each built section is {name, anchor, title, data}: the template lays `data` out by `name`. An
    old record may name a task this version does not know (e.g. "sequence"): the page is still
    drawn, without these sections, and a note says why."""
    name = (record.get("dataset") or {}).get("task")
    if not name:
        return [], []
    task = _task_of(record)
    if task is None:
        return [], [f"task {name!r} is not one this version of kerasdl knows ({', '.join(tasks.names())}); "
                    "the sections drawn from predictions are left out"]
    built, notes = [], []
    for section_name in task.report_sections:
        section = SECTIONS.get(section_name)
        if section is None:
            notes.append(f"task {name!r} asks for a report section {section_name!r} that this report does not draw")
            continue
        built.append({"name": section_name, "anchor": section.anchor, "title": section.title,
                      "data": section.build(record, variants, predictions)})
    return built, notes
