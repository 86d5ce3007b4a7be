"""A registered kerasdl builder as a scikit-learn classifier, so scikit-learn's meta-estimators
(BaggingClassifier, cross_validate, pipelines) can train and combine Keras networks.

Written by hand because scikeras, the library made for this, is not a dependency; this is the small
part of it the ensembling study needs: `fit(X, y)` trains a fresh network for a fixed number of epochs
(no validation split: a bootstrap sample has no held-out rows of its own), `predict_proba` returns one
column per class, and `random_state` seeds the initial weights and the shuffling, which is how
BaggingClassifier gives each member its own start. There is deliberately no `sample_weight` in `fit`:
BaggingClassifier then draws real bootstrap samples (rows repeated or left out) instead of weights.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

__all__ = ["KerasClassifier"]


class KerasClassifier(ClassifierMixin, BaseEstimator):
    """`builder` (a registered name) with `hyperparameters`, trained by Adam on sparse cross-entropy."""

    def __init__(self, builder: str = "mlp", hyperparameters: dict[str, Any] | None = None, *, epochs: int = 40,
                 batch_size: int = 32, learning_rate: float = 1e-3, random_state: int | None = None) -> None:
        self.builder = builder
        self.hyperparameters = hyperparameters
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.random_state = random_state

    def fit(self, X, y):
        import keras

        from kerasdl import models

        X = np.asarray(X, dtype=np.float32)
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        self.n_features_in_ = X.shape[1]
        # random_state may be a NumPy RandomState (what BaggingClassifier hands over is an int, but
        # sklearn's check_random_state convention allows both); Keras needs an int seed.
        seed = self.random_state if isinstance(self.random_state, (int, np.integer)) else 0
        keras.utils.set_random_seed(int(seed) % 2**31)
        # Always a softmax over the classes (also for two): one code path for binary and multiclass.
        self.model_ = models.build(self.builder, (X.shape[1],), len(self.classes_),
                                   **{"output_activation": "softmax", **(self.hyperparameters or {})})
        self.model_.compile(optimizer=keras.optimizers.Adam(self.learning_rate),
                            loss="sparse_categorical_crossentropy")
        self.model_.fit(X, codes, epochs=self.epochs, batch_size=self.batch_size, verbose=0)
        return self

    def predict_proba(self, X) -> np.ndarray:
        return np.asarray(self.model_.predict(np.asarray(X, dtype=np.float32), batch_size=1024, verbose=0),
                          dtype=np.float64)

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
