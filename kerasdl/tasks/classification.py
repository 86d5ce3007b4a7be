"""Classification tasks: one probability per class, scored by the notes' confusion-table metrics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kerasdl import metrics

from .base import Task

__all__ = ["BinaryTask", "MulticlassTask"]


class _Classification(Task):
    stratify = True
    has_classes = True
    headline_lower_is_better = False
    lower_is_better = metrics.LOWER_IS_BETTER

    def compile_metrics(self) -> list[Any]:
        return ["accuracy"]

    def dummy_estimator(self) -> Any:
        from sklearn.dummy import DummyClassifier

        return DummyClassifier(strategy="prior")  # the class prior: ROC AUC 0.5 by construction

    def linear_estimator(self) -> Any:
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(max_iter=1000)  # scikit-learn's defaults (L2, C = 1), enough iterations

    def estimator_scores(self, estimator: Any, x_test: np.ndarray, dataset) -> np.ndarray:
        proba = estimator.predict_proba(x_test)
        # A fold whose training rows miss a class yields fewer columns: put them where they belong.
        scores = np.zeros((len(x_test), dataset.n_classes))
        scores[:, np.asarray(estimator.classes_, dtype=int)] = proba
        return scores

    def confusion(self, y_true: Any, scores: Any, n_classes: int) -> np.ndarray:
        predicted = np.asarray(scores).argmax(axis=1)
        return metrics.confusion_matrix(y_true, predicted, labels=list(range(n_classes)))


class BinaryTask(_Classification):
    """Two classes, one sigmoid unit; stored as (n, 2) probabilities so every classifier looks alike."""

    name = "binary"
    description = "two classes; ROC AUC, PR AUC and the notes' confusion-table metrics"
    headline = "roc_auc"
    fixed_classes = 2
    loss_name = "binary_crossentropy"
    report_sections = ("confusion", "curves", "thresholds")

    def output_units(self, dataset) -> int:
        return 1

    def compile_metrics(self) -> list[Any]:
        import keras

        # named "auc" exactly, so a search can take `val_auc` as its objective
        return ["accuracy", keras.metrics.AUC(name="auc")]

    def scores(self, raw: Any) -> np.ndarray:
        raw = np.asarray(raw, dtype=np.float64)
        if raw.ndim == 1 or raw.shape[1] == 1:
            positive = raw.reshape(-1)
            return np.column_stack([1.0 - positive, positive])
        return raw

    def metrics(self, y_true, scores, *, class_names: Sequence[str] = (), n_features=None) -> dict[str, float]:
        return metrics.scalars(metrics.binary_metrics(y_true, scores))


class MulticlassTask(_Classification):
    """k classes, k softmax units, integer labels (sparse categorical cross-entropy)."""

    name = "multiclass"
    description = "k classes; accuracy, macro/weighted F1, log loss, micro-averaged ROC"
    headline = "accuracy"
    loss_name = "sparse_categorical_crossentropy"
    report_sections = ("confusion", "curves")

    def output_units(self, dataset) -> int:
        return dataset.n_classes

    def metrics(self, y_true, scores, *, class_names: Sequence[str] = (), n_features=None) -> dict[str, float]:
        return metrics.scalars(metrics.multiclass_metrics(y_true, scores, class_names=class_names or None))
