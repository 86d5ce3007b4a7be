"""Recommendation: predict the ratings a user gave but the model was not shown.

Layout (kerasdl.data.ratings): `features` is (users, items) with 1 = liked, 0 = not liked and −1 = no
rating shown (the notes' "give yet unrated movies a value, e.g. −1.0", 003:1437); `target` has the
same shape and holds each user's held-out ratings, −1 where there is nothing to predict. A model
outputs P(liked) for every item; only the held-out entries are scored, so a user is judged on movies
they rated but the model did not see. The baseline to beat recommends by popularity: P(liked) of an
item is the share of training users who liked it, the same for everyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import Task

__all__ = ["PopularityBaseline", "RecommendationTask", "held_out_metrics", "masked_binary_crossentropy"]


def held_out_metrics(y_true: Any, scores: Any) -> dict[str, float]:
    """Accuracy (liked at P ≥ 0.5), log loss, ROC AUC and Brier score over the entries with y_true ≥ 0."""
    from sklearn.metrics import log_loss, roc_auc_score

    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(scores, dtype=np.float64)
    if y.shape != p.shape:
        raise ValueError(f"held_out_metrics: expected scores shaped like the target. Received: {p.shape} vs {y.shape}")
    held = y >= 0
    if not held.any():
        raise ValueError("held_out_metrics: expected at least one held-out rating (target ≥ 0). Received: none")
    truth, prob = y[held], np.clip(p[held], 1e-7, 1 - 1e-7)
    out = {"accuracy": float(np.mean((prob >= 0.5) == (truth == 1))),
           "log_loss": float(log_loss(truth, prob, labels=[0, 1])),
           "brier": float(np.mean((prob - truth) ** 2)),
           "liked_share": float(truth.mean()), "n_ratings": float(held.sum())}
    out["roc_auc"] = float(roc_auc_score(truth, prob)) if len(np.unique(truth)) == 2 else float("nan")
    return out


def masked_binary_crossentropy(y_true: Any, y_pred: Any) -> Any:
    """Binary cross-entropy over the entries with y_true ≥ 0 only (the default loss for a model trained
    by gradient descent on this task: unrated entries must not count as "not liked")."""
    import keras

    ops = keras.ops
    y_true = ops.cast(y_true, y_pred.dtype)
    held = ops.cast(y_true >= 0, y_pred.dtype)
    p = ops.clip(y_pred, 1e-7, 1 - 1e-7)
    target = y_true * held
    bce = -(target * ops.log(p) + (1 - target) * ops.log(1 - p))
    return ops.sum(held * bce, axis=-1) / ops.maximum(ops.sum(held, axis=-1), 1.0)


class PopularityBaseline:
    """P(liked) of each item = (likes + 1) / (ratings + 2) over the training users' shown and held-out
    ratings (Laplace smoothing keeps rarely rated items away from 0 and 1); the same for every user."""

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {}

    def set_params(self, **params: Any) -> PopularityBaseline:
        return self

    def fit(self, x: np.ndarray, y: np.ndarray | None = None) -> PopularityBaseline:
        ratings = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        if y is not None:
            held = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
            ratings = np.where(held >= 0, held, ratings)
        rated = ratings >= 0
        self.liked_share_ = ((ratings == 1).sum(axis=0) + 1.0) / (rated.sum(axis=0) + 2.0)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.tile(self.liked_share_, (len(x), 1))


class RecommendationTask(Task):
    """Held-out rating prediction with unrated items masked (−1)."""

    name = "recommendation"
    description = "P(liked) for every item; accuracy, log loss and ROC AUC on each user's held-out ratings"
    headline = "accuracy"
    headline_lower_is_better = False
    loss_name = "masked_binary_crossentropy"
    lower_is_better = frozenset({"log_loss", "brier"})

    def output_units(self, dataset) -> int:
        return int(np.shape(dataset.target)[1])

    def loss(self) -> Any:
        return masked_binary_crossentropy

    def dummy_estimator(self) -> Any:
        return PopularityBaseline()

    def scores(self, raw: Any) -> np.ndarray:
        return np.asarray(raw, dtype=np.float32)

    def metrics(self, y_true, scores, *, class_names: Sequence[str] = (), n_features=None) -> dict[str, float]:
        return held_out_metrics(y_true, scores)
