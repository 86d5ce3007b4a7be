"""What the two loss studies need beyond Keras' built-ins: a regression set whose *training* targets
carry gross outliers, a Huber loss that reports its δ, and a hinge loss for a sigmoid-output model.

Imports Keras at the top (the loss classes subclass `keras.losses.Loss`), so experiment scripts import
this module inside `experiment()`, never at their own top. The classes keep their registered Keras
package name ("kerasdl_studies"), so models saved before they moved here still load.
"""

from __future__ import annotations

from dataclasses import replace

import keras
import numpy as np
from keras import ops

from kerasdl.data.dataset import Dataset

__all__ = ["with_training_outliers", "NamedHuber", "SigmoidHinge"]


def with_training_outliers(dataset: Dataset, *, fraction: float = 0.1, low: float = 4.0, high: float = 8.0,
                           seed: int = 0) -> Dataset:
    """A copy of a regression dataset whose train and validation targets contain gross outliers.

    A `fraction` of the train+validation rows (drawn with numpy.random.default_rng(seed)) get
    y ← y + u·σ, u ~ Uniform(low, high), σ the standard deviation of the train+validation targets:
    one-sided errors of 4-8 standard deviations, like a data-entry slip that multiplies a value.
    The test rows are left exactly as they were, so test metrics say how well each model learned
    the clean relationship. Validation rows are corrupted too: in practice a validation set is drawn
    from the same dirty data, and early stopping on a clean one would leak what the study measures.
    """
    from kerasdl import tasks

    if dataset.task != tasks.RegressionTask.name:  # one real target per row: the outliers are added to it
        raise ValueError(f"Expected a regression dataset. Received: {dataset.name!r} ({dataset.task})")
    rng = np.random.default_rng(seed)
    learning = np.concatenate([np.asarray(dataset.splits["train"]), np.asarray(dataset.splits.get("val", []))])
    learning = learning.astype(int)
    target = np.asarray(dataset.target, dtype=np.float64).copy()
    sigma = float(np.std(target[learning]))
    rows = np.sort(rng.choice(learning, size=int(round(fraction * len(learning))), replace=False))
    target[rows] += rng.uniform(low, high, size=len(rows)) * sigma
    note = (f" Outliers injected by kerasdl for the losses study: {len(rows)} of the {len(learning)} "
            f"train+validation targets ({fraction:.0%}) raised by Uniform({low:g}, {high:g}) × σ "
            f"(σ = {sigma:.1f}, the standard deviation of those targets; numpy.random.default_rng({seed})). "
            "Test targets are unchanged.")
    return replace(dataset, name=f"{dataset.name}+outliers", target=target, origin="generated",
                   description=dataset.description + note, provenance=dataset.provenance + note,
                   extras={**dataset.extras, "outlier_rows": rows, "outlier_sigma": sigma})


def _same_shape(y_true, y_pred):
    """Targets arrive as (batch,), outputs as (batch, 1): line them up instead of broadcasting."""
    y_pred = ops.convert_to_tensor(y_pred)
    return ops.reshape(ops.cast(y_true, y_pred.dtype), ops.shape(y_pred)), y_pred


@keras.saving.register_keras_serializable(package="kerasdl_studies")
class NamedHuber(keras.losses.Loss):
    """Huber loss with an explicit δ: squared for |error| ≤ δ, linear beyond (004:448).

    Keras' default δ = 1 is in target units; on targets that spread over hundreds it would make
    Huber indistinguishable from MAE, so the study sets δ on the target's scale. `str()` names δ,
    which is what the run record stores.
    """

    def __init__(self, delta: float = 1.0, name: str = "huber", **kwargs):
        super().__init__(name=name, **kwargs)
        self.delta = float(delta)

    def call(self, y_true, y_pred):
        y_true, y_pred = _same_shape(y_true, y_pred)
        return keras.losses.huber(y_true, y_pred, delta=self.delta)

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}

    def __str__(self) -> str:
        return f"huber (delta={self.delta:g})"


@keras.saving.register_keras_serializable(package="kerasdl_studies")
class SigmoidHinge(keras.losses.Loss):
    """Hinge loss max(0, 1 − t·z) for a model whose output is p = sigmoid(z), labels y ∈ {0, 1}.

    The notes: hinge "is intended for use with binary classification where the target values are in
    the set {-1, 1}" (003:337-339). Two things are mapped for that: the label, t = 2y − 1, and the
    score — hinge needs the unbounded margin z, not a probability, so z = log(p / (1 − p)) undoes
    the sigmoid. The network still ends in a sigmoid only because the harness scores every binary
    model from P(class 1): thresholding sigmoid(z) at 0.5 is exactly hinge's decision sign(z), and
    ROC curves only need the ranking. (sigmoid(z) of a hinge model is not a calibrated probability,
    so its log loss is not comparable with cross-entropy's.) p is clipped to [1e-7, 1 − 1e-7],
    i.e. |z| ≤ about 16, far beyond the margin of 1 where hinge stops pushing anyway.
    """

    def __init__(self, name: str = "sigmoid_hinge", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        y_true, p = _same_shape(y_true, y_pred)
        p = ops.clip(p, 1e-7, 1.0 - 1e-7)
        z = ops.log(p) - ops.log1p(-p)
        t = 2.0 * y_true - 1.0
        return ops.mean(ops.maximum(1.0 - t * z, 0.0), axis=-1)

    def __str__(self) -> str:
        return "hinge on the logit of the sigmoid output, labels {0,1} mapped to {-1,1}"
