"""Per-token tasks: a label for every position of a padded sequence (part-of-speech tags, named entities).

Layout: inputs (n, T) token ids with 0 for padding (so `Embedding(mask_zero=True)` masks them),
targets (n, T) tag ids with `PAD_TAG` (-1) at padded positions. The loss ignores -1 positions
(`ignore_class`), and every metric counts real tokens only, so padding never inflates accuracy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kerasdl import metrics

from .base import Task

__all__ = ["PAD_TAG", "TaggingTask"]

PAD_TAG = -1


def _tokens(fn: str, y_true: Any, scores: Any) -> tuple[np.ndarray, np.ndarray]:
    """The real tokens' true and predicted tags, as two flat arrays."""
    y = np.asarray(y_true)
    s = np.asarray(scores)
    if y.ndim != 2 or s.ndim != 3 or s.shape[:2] != y.shape:
        raise ValueError(f"{fn}: expected tags (n, T) and scores (n, T, n_tags). "
                         f"Received: {y.shape} and {s.shape}")
    mask = y != PAD_TAG
    return y[mask].astype(int), s.argmax(axis=-1)[mask]


class TaggingTask(Task):
    """One softmax over the tags at every position; scored on real (unpadded) tokens."""

    name = "tagging"
    description = "a tag per token of padded sequences; token accuracy, macro F1, whole-sequence exact match"
    headline = "token_accuracy"
    headline_lower_is_better = False
    has_classes = True
    report_sections = ("confusion",)

    def output_units(self, dataset) -> int:
        return dataset.n_classes

    def loss(self) -> Any:
        import keras

        return keras.losses.SparseCategoricalCrossentropy(ignore_class=PAD_TAG)

    @property
    def loss_name(self) -> str:  # what the record shows for the default loss
        return f"sparse_categorical_crossentropy(ignore_class={PAD_TAG})"

    def scores(self, raw: Any) -> np.ndarray:
        return np.asarray(raw, dtype=np.float32)  # (n, T, n_tags) probabilities

    def metrics(self, y_true, scores, *, class_names: Sequence[str] = (), n_features=None) -> dict[str, float]:
        from sklearn.metrics import f1_score

        true, predicted = _tokens("tagging metrics", y_true, scores)
        if true.size == 0:
            raise ValueError("tagging metrics: expected at least one unpadded token. Received: none")
        y = np.asarray(y_true)
        right = (np.asarray(scores).argmax(axis=-1) == y) | (y == PAD_TAG)
        labels = list(range(len(class_names))) if class_names else sorted(set(true) | set(predicted))
        return {
            "token_accuracy": float(np.mean(true == predicted)),
            "macro_f1": float(f1_score(true, predicted, labels=labels, average="macro", zero_division=0)),
            "exact_match": float(np.mean(right.all(axis=1))),
            "tokens": float(true.size),
        }

    def confusion(self, y_true: Any, scores: Any, n_classes: int) -> np.ndarray:
        true, predicted = _tokens("tagging confusion", y_true, scores)
        return metrics.confusion_matrix(true, predicted, labels=list(range(n_classes)))
