"""The notes' evaluation metrics (CATALOG.md §3), computed the same way for every experiment.

Reports read these numbers from run records and must render without TensorFlow, so this module
imports only NumPy and scikit-learn (SciPy lazily) and never Keras.

Two rules hold everywhere:

* A ratio whose denominator is zero is *undefined* and comes back as ``float('nan')``, never as an
  exception, a ``ZeroDivisionError`` or a warning. A degenerate fold (one class only, a class never
  predicted) is normal in cross-validation, and a silent 0 would look like a real, bad score.
* Anything scikit-learn has (AUC, average precision, log loss, R², ...) comes from scikit-learn so
  the values match what readers can reproduce. Only the notes' confusion-table ratios are written
  by hand, because they are a few divisions and scikit-learn has no NPV, specificity or
  detection rate.

Erratum (notes 000): the notes label specificity "false positive rate". Specificity is
TN/(TN+FP), the true negative rate; FPR = FP/(FP+TN) = 1 − specificity. Both are returned.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from sklearn import metrics as _skm
from sklearn.exceptions import UndefinedMetricWarning

from kerasdl.vision_metrics import (COCO_IOU_THRESHOLDS, COCO_RECALL_POINTS, box_iou, mask_iou,
                                    mean_average_precision, segmentation_metrics)

__all__ = [
    "COCO_IOU_THRESHOLDS",
    "COCO_RECALL_POINTS",
    "LOWER_IS_BETTER",
    "binary_metrics",
    "box_iou",
    "confusion_matrix",
    "confusion_metrics",
    "ks_statistic",
    "mask_iou",
    "mean_average_precision",
    "multiclass_metrics",
    "pr_curve",
    "reconstruction_error",
    "regression_metrics",
    "roc_curve",
    "scalars",
    "segmentation_metrics",
    "summarize_folds",
    "threshold_sweep",
]

#: Metric names where a smaller value is better (everything else: larger is better).
LOWER_IS_BETTER = frozenset({"log_loss", "mse", "mae", "rmse", "msle", "fpr", "brier",
                             "reconstruction_error_max"})

_NAN = float("nan")
# Probabilities are clipped to [eps, 1 - eps] before log loss so a confident 0/1 score costs
# -log(1e-15) ≈ 34.5 instead of infinity, which would poison a mean over folds.
_EPS = 1e-15
_SWEEP = tuple(round(i * 0.05, 2) for i in range(21))


# --------------------------------------------------------------------------- helpers
def _ratio(num: float, den: float) -> float:
    """num/den, or nan when the denominator is zero (the ratio is undefined)."""
    return float(num) / float(den) if den else _NAN


def _nanmean(values: Sequence[float]) -> float:
    """Mean of the defined entries; nan (without NumPy's empty-slice warning) if none are."""
    finite = [float(v) for v in values if not math.isnan(float(v))]
    return float(np.mean(finite)) if finite else _NAN


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence scikit-learn's undefined-metric and NumPy's 0/0 warnings: we return nan instead."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _array(fn: str, name: str, x: Any, *, ndim: tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim == 2 and arr.shape[1] == 1 and 1 in ndim:
        arr = arr[:, 0]  # a (n, 1) column, e.g. a sigmoid output, is a vector
    if arr.ndim not in ndim:
        raise ValueError(f"{fn}: expected {name} with {' or '.join(map(str, ndim))} dimension(s). "
                         f"Received: shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{fn}: expected at least one sample in {name}. Received: 0")
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{fn}: expected numeric {name}. Received: dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{fn}: expected finite values in {name}. Received: nan or inf")
    return arr


def _same_length(fn: str, names: str, a: np.ndarray, b: np.ndarray) -> None:
    if len(a) != len(b):
        raise ValueError(f"{fn}: expected {names} of the same length. Received: {len(a)} and {len(b)}")


def _binary_inputs(fn: str, y_true: Any, y_score: Any) -> tuple[np.ndarray, np.ndarray]:
    """0/1 labels and the positive-class score; a (n, 2) probability array gives its column 1."""
    y = _array(fn, "y_true", y_true, ndim=(1,))
    if not np.all((y == 0) | (y == 1)):
        raise ValueError(f"{fn}: expected y_true in {{0, 1}}. Received: values {np.unique(y)[:10].tolist()}")
    s = _array(fn, "y_score", y_score, ndim=(1, 2))
    if s.ndim == 2:
        if s.shape[1] != 2:
            raise ValueError(f"{fn}: expected y_score of shape (n,), (n, 1) or (n, 2). Received: {s.shape}")
        s = s[:, 1]
    _same_length(fn, "y_true and y_score", y, s)
    return y.astype(int), s.astype(float)


def _ranking(y: np.ndarray, s: np.ndarray) -> dict[str, float]:
    """ROC AUC, average precision and trapezoidal PR area; nan when y has one class only.

    With one class there is no positive/negative pair to rank, so every ranking is equally good
    and the areas say nothing (scikit-learn would warn and return nan or a misleading 0 or 1).
    """
    if len(np.unique(y)) < 2:
        return {"roc_auc": _NAN, "average_precision": _NAN, "pr_auc": _NAN}
    with _quiet():
        precision, recall, _ = _skm.precision_recall_curve(y, s)
        return {"roc_auc": float(_skm.roc_auc_score(y, s)),
                "average_precision": float(_skm.average_precision_score(y, s)),
                "pr_auc": float(_skm.auc(recall, precision))}


# --------------------------------------------------------------------------- confusion tables
def confusion_metrics(tp: float, fp: float, fn: float, tn: float) -> dict[str, float]:
    """The notes' table of ratios from one 2×2 confusion matrix (written by hand: see module doc).

    ``detection_rate`` is TP/N as in notes 000 (correct positive calls among *all* predictions).
    ``tpr``/``ppv`` alias ``sensitivity``/``precision`` so either vocabulary works. F1 is
    2TP/(2TP+FP+FN), which is the harmonic mean of precision and recall whenever both are defined
    and stays defined (0.0) when one of them is undefined but there were positives to find or
    false alarms, the same as scikit-learn; it is nan only when TP = FP = FN = 0.
    """
    counts = {"tp": tp, "fp": fp, "fn": fn, "tn": tn}
    for name, value in counts.items():
        if not (isinstance(value, (int, float, np.integer, np.floating)) and math.isfinite(value) and value >= 0):
            raise ValueError(f"confusion_metrics: expected a finite count >= 0 for {name}. Received: {value!r}")
    counts = {k: int(v) if float(v).is_integer() else float(v) for k, v in counts.items()}
    tp, fp, fn, tn = counts["tp"], counts["fp"], counts["fn"], counts["tn"]
    n = tp + fp + fn + tn
    sensitivity, precision, specificity = _ratio(tp, tp + fn), _ratio(tp, tp + fp), _ratio(tn, tn + fp)
    return {
        "accuracy": _ratio(tp + tn, n), "detection_rate": _ratio(tp, n),
        "sensitivity": sensitivity, "recall": sensitivity, "tpr": sensitivity,
        "specificity": specificity, "fpr": _ratio(fp, fp + tn),
        "precision": precision, "ppv": precision, "npv": _ratio(tn, tn + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn), **counts, "n": n,
    }


def confusion_matrix(y_true: Any, y_pred: Any, *, labels: Sequence[Any] | None = None) -> np.ndarray:
    """Counts with rows = actual class and columns = predicted class (scikit-learn's layout).

    ``labels`` fixes the row/column order and keeps classes that a fold happens to lack.
    """
    y = _array("confusion_matrix", "y_true", y_true, ndim=(1,))
    p = _array("confusion_matrix", "y_pred", y_pred, ndim=(1,))
    _same_length("confusion_matrix", "y_true and y_pred", y, p)
    return _skm.confusion_matrix(y, p, labels=None if labels is None else list(labels))


# --------------------------------------------------------------------------- classification
def binary_metrics(y_true: Any, y_score: Any, threshold: float = 0.5) -> dict[str, float]:
    """Everything in :func:`confusion_metrics` at ``threshold`` plus threshold-free scores.

    ``y_score`` is P(class 1), shape (n,), (n, 1) or (n, 2). A sample is called positive when
    ``score >= threshold``. ``roc_auc`` is exact (scikit-learn, all pairs); ``pr_auc`` is the
    trapezoidal area under the PR curve (the kind of number the notes' "PR AUC 0.8957" is) and
    ``average_precision`` the step-wise one; they differ, so both are kept.
    """
    y, s = _binary_inputs("binary_metrics", y_true, y_score)
    if np.any((s < 0) | (s > 1)):
        raise ValueError("binary_metrics: expected y_score to be probabilities in [0, 1]. "
                         f"Received: range [{s.min():g}, {s.max():g}] (apply a sigmoid first)")
    pred = s >= threshold
    out = confusion_metrics(int(np.sum(pred & (y == 1))), int(np.sum(pred & (y == 0))),
                            int(np.sum(~pred & (y == 1))), int(np.sum(~pred & (y == 0))))
    p = np.clip(s, _EPS, 1 - _EPS)
    with _quiet():
        out["log_loss"] = float(_skm.log_loss(y, np.column_stack([1 - p, p]), labels=[0, 1]))
        out["brier"] = float(_skm.brier_score_loss(y, s, pos_label=1))
    out.update(_ranking(y, s))
    out["threshold"] = float(threshold)
    return out


def multiclass_metrics(y_true: Any, y_proba: Any, *, class_names: Sequence[str] | None = None) -> dict[str, Any]:
    """Accuracy, log loss, confusion matrix, per-class table, micro and macro averages.

    The predicted class is the arg-max column. Per class, the problem is read one-vs-rest and fed
    to :func:`confusion_metrics`, so a class never predicted has precision nan and a class absent
    from ``y_true`` has recall and ROC AUC nan. Macro averages skip nan entries (scikit-learn's
    ``zero_division=np.nan`` behaviour) instead of counting an undefined value as 0. Micro
    precision = recall = F1 = accuracy for single-label data.
    """
    fn = "multiclass_metrics"
    y = _array(fn, "y_true", y_true, ndim=(1,))
    proba = _array(fn, "y_proba", y_proba, ndim=(2,)).astype(float)
    _same_length(fn, "y_true and y_proba", y, proba)
    k = proba.shape[1]
    if k < 2:
        raise ValueError(f"{fn}: expected y_proba with at least 2 columns (one per class). Received: {k}")
    if not np.all((y == np.round(y)) & (y >= 0) & (y < k)):
        raise ValueError(f"{fn}: expected y_true as integer class codes in 0..{k - 1} "
                         f"(for one-hot labels pass y.argmax(axis=1)). Received: values {np.unique(y)[:10].tolist()}")
    if np.any(proba < 0) or not np.allclose(proba.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError(f"{fn}: expected y_proba rows to be probabilities summing to 1 (apply a softmax first). "
                         f"Received: row sums in [{proba.sum(axis=1).min():g}, {proba.sum(axis=1).max():g}]")
    names = [str(c) for c in (range(k) if class_names is None else class_names)]
    if len(names) != k or len(set(names)) != k:
        raise ValueError(f"{fn}: expected {k} distinct class_names (one per y_proba column). Received: {names}")
    y = y.astype(int)
    pred = proba.argmax(axis=1)
    cm = _skm.confusion_matrix(y, pred, labels=list(range(k)))
    total = int(cm.sum())
    per_class: dict[str, dict[str, float]] = {}
    pooled_counts = np.zeros(4, dtype=np.int64)  # tp, fp, fn, tn summed over classes
    for i, name in enumerate(names):
        tp = int(cm[i, i])
        fp, fn_ = int(cm[:, i].sum()) - tp, int(cm[i, :].sum()) - tp
        row = confusion_metrics(tp, fp, fn_, total - tp - fp - fn_)
        pooled_counts += [tp, fp, fn_, total - tp - fp - fn_]
        one_vs_rest = _ranking((y == i).astype(int), proba[:, i])
        per_class[name] = {key: row[key] for key in ("precision", "recall", "sensitivity", "specificity",
                                                     "fpr", "npv", "f1")}
        per_class[name].update(support=tp + fn_, roc_auc=one_vs_rest["roc_auc"])
    macro = {key: _nanmean([c[key] for c in per_class.values()]) for key in ("precision", "recall", "f1", "roc_auc")}
    # Micro: pool the one-vs-rest tables, then take the ratios once.
    pooled = confusion_metrics(*(int(c) for c in pooled_counts))
    micro = {key: pooled[key] for key in ("precision", "recall", "f1")}
    p = np.clip(proba, _EPS, 1.0)
    with _quiet():
        loss = float(_skm.log_loss(y, p / p.sum(axis=1, keepdims=True), labels=list(range(k))))
    return {
        "accuracy": _ratio(np.trace(cm), total), "log_loss": loss, "confusion_matrix": cm.tolist(),
        "class_names": names, "per_class": per_class, "micro": micro, "macro": macro,
        "macro_f1": macro["f1"], "macro_precision": macro["precision"], "macro_recall": macro["recall"],
        "micro_f1": micro["f1"], "roc_auc": macro["roc_auc"],
    }


# --------------------------------------------------------------------------- regression
def regression_metrics(y_true: Any, y_pred: Any, *, n_features: int | None = None) -> dict[str, float]:
    """MSE, MAE, RMSE, MSLE, R² and adjusted R² (notes 001), multi-output averaged uniformly.

    Undefined values are nan: MSLE when any value is negative (its log is undefined), R² when
    ``y_true`` is constant (no variance to explain) or n < 2, adjusted R² when ``n_features`` is
    unknown or n − k − 1 <= 0. Adjusted R² = 1 − (1 − R²)(n − 1)/(n − k − 1) is hand-written:
    scikit-learn has no such function.
    """
    fn = "regression_metrics"
    y = _array(fn, "y_true", y_true, ndim=(1, 2)).astype(float)
    p = _array(fn, "y_pred", y_pred, ndim=(1, 2)).astype(float)
    if y.shape != p.shape:
        raise ValueError(f"{fn}: expected y_true and y_pred of the same shape. Received: {y.shape} and {p.shape}")
    if n_features is not None and (isinstance(n_features, bool) or not isinstance(n_features, (int, np.integer))
                                   or n_features < 0):
        raise ValueError(f"{fn}: expected n_features as an integer >= 0 or None. Received: {n_features!r}")
    n = y.shape[0]
    mse = float(_skm.mean_squared_error(y, p))
    msle = _NAN if (np.any(y < 0) or np.any(p < 0)) else float(_skm.mean_squared_log_error(y, p))
    constant = n < 2 or bool(np.any(np.ptp(y, axis=0) == 0))
    r2 = _NAN if constant else float(_skm.r2_score(y, p))
    dof = n - (n_features or 0) - 1
    adjusted = _NAN if (n_features is None or dof <= 0 or math.isnan(r2)) else 1 - (1 - r2) * (n - 1) / dof
    # RMSE as sqrt(MSE): sklearn's root_mean_squared_error needs >= 1.4 and pyproject allows 1.3.
    return {"mse": mse, "mae": float(_skm.mean_absolute_error(y, p)), "rmse": math.sqrt(mse),
            "msle": msle, "r2": r2, "adjusted_r2": float(adjusted)}


# --------------------------------------------------------------------------- curves
def roc_curve(y_true: Any, y_score: Any) -> dict[str, Any]:
    """ROC points as JSON-able lists, for the report's figure.

    scikit-learn's first threshold is +inf (the (0, 0) corner); JSON has no infinity, so it is
    replaced by the next float above the highest score, which still calls nothing positive under
    ``score >= threshold``. With one class only, the curve is empty and ``auc`` is nan.
    """
    y, s = _binary_inputs("roc_curve", y_true, y_score)
    if len(np.unique(y)) < 2:
        return {"fpr": [], "tpr": [], "thresholds": [], "auc": _NAN}
    fpr, tpr, thresholds = _skm.roc_curve(y, s)
    thresholds = np.where(np.isinf(thresholds), np.nextafter(s.max(), np.inf), thresholds)
    return {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thresholds.tolist(),
            "auc": float(_skm.roc_auc_score(y, s))}


def pr_curve(y_true: Any, y_score: Any) -> dict[str, Any]:
    """Precision-recall points as JSON-able lists, with the no-skill line.

    As in scikit-learn, ``precision`` and ``recall`` have one more entry than ``thresholds``: the
    final (recall 0, precision 1) point has no threshold. ``prevalence`` (share of positives) is
    the precision of a no-skill classifier. With one class only the curve is empty.
    """
    y, s = _binary_inputs("pr_curve", y_true, y_score)
    areas = _ranking(y, s)
    out = {"precision": [], "recall": [], "thresholds": [], "average_precision": areas["average_precision"],
           "pr_auc": areas["pr_auc"], "prevalence": float(y.mean())}
    if len(np.unique(y)) == 2:
        precision, recall, thresholds = _skm.precision_recall_curve(y, s)
        out.update(precision=precision.tolist(), recall=recall.tolist(), thresholds=thresholds.tolist())
    return out


def threshold_sweep(y_true: Any, y_score: Any, thresholds: Sequence[float] | None = None) -> list[dict[str, float]]:
    """One confusion-table row per threshold (default 0.00, 0.05, ..., 1.00), for the report's table.

    Shows the trade-off the notes describe under "ROC curve": lowering the threshold buys
    sensitivity with specificity.
    """
    y, s = _binary_inputs("threshold_sweep", y_true, y_score)
    ts = _array("threshold_sweep", "thresholds", _SWEEP if thresholds is None else thresholds, ndim=(1,))
    keys = ("tp", "fp", "fn", "tn", "sensitivity", "specificity", "fpr", "precision", "npv", "f1", "accuracy")
    rows = []
    for t in ts.astype(float):
        pred = s >= t
        row = confusion_metrics(int(np.sum(pred & (y == 1))), int(np.sum(pred & (y == 0))),
                                int(np.sum(~pred & (y == 1))), int(np.sum(~pred & (y == 0))))
        rows.append({"threshold": float(t), **{k: row[k] for k in keys}})
    return rows


# --------------------------------------------------------------------------- other families
def reconstruction_error(x: Any, x_hat: Any) -> np.ndarray:
    """Per-sample mean squared error over all non-batch axes (autoencoders, anomaly scores)."""
    a = _array("reconstruction_error", "x", x, ndim=tuple(range(1, 8))).astype(float)
    b = _array("reconstruction_error", "x_hat", x_hat, ndim=tuple(range(1, 8))).astype(float)
    if a.shape != b.shape:
        raise ValueError("reconstruction_error: expected x and x_hat of the same shape. "
                         f"Received: {a.shape} and {b.shape}")
    return np.mean((a - b).reshape(len(a), -1) ** 2, axis=1)


def ks_statistic(samples: Any, reference: Any | Callable[[np.ndarray], np.ndarray]) -> float:
    """Kolmogorov-Smirnov distance of 1-D generated samples from a reference (0 = same distribution).

    ``reference`` is either samples (two-sample test, ``scipy.stats.ks_2samp``) or a CDF callable
    such as ``scipy.stats.norm(150, 30).cdf`` (one-sample test, ``scipy.stats.kstest``), so the
    notes' 1-D GAN on heights can be judged against the true N(150, 30).
    """
    from scipy import stats  # only the generative experiments need SciPy's start-up cost

    x = _array("ks_statistic", "samples", np.ravel(samples), ndim=(1,)).astype(float)
    if callable(reference):
        return float(stats.kstest(x, reference).statistic)
    ref = _array("ks_statistic", "reference", np.ravel(reference), ndim=(1,)).astype(float)
    return float(stats.ks_2samp(x, ref).statistic)


# --------------------------------------------------------------------------- harness glue
def summarize_folds(values: Sequence[float]) -> dict[str, Any]:
    """Mean ± std of one metric across CV folds, skipping folds where it was undefined (nan).

    ``std`` is the population standard deviation (ddof=0), the same as scikit-learn's
    ``cv_results_['std_test_score']``, so our numbers line up with scikit-learn baselines.
    ``n`` counts the folds that had a defined value.
    """
    folds = [float(v) for v in values]
    if not folds:
        raise ValueError("summarize_folds: expected at least one fold value. Received: []")
    finite = [v for v in folds if not math.isnan(v)]
    mean = float(np.mean(finite)) if finite else _NAN
    std = float(np.std(finite, ddof=0)) if finite else _NAN
    return {"mean": mean, "std": std, "folds": folds, "n": len(finite)}


def scalars(found: dict[str, Any]) -> dict[str, float]:
    """Only the scalar entries of a metrics dict, as floats (counts too), so every value can be
    averaged over folds by :func:`summarize_folds`; nested tables stay with the metric functions."""
    return {k: float(v) for k, v in found.items()
            if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)}
