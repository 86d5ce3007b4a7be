"""Measurements the training-technique studies take on a fitted model (shared by several scripts).

The harness hands a Variant's `probe` the fitted model and the fold's arrays, and calls its callback
factories once per fold. What happens *during* fit (the weights before the first update, the time of
each epoch) is caught by a callback and handed to the probe of the same fold through a small recorder:
folds run one after another, so "the last thing recorded" is always this fold's.

Keras is imported inside the functions: experiment scripts import this module, and importing them
must not import TensorFlow (`kerasdl list experiments` stays instant).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

__all__ = ["EpochClock", "InitialWeights", "activation_statistics", "error_rates", "hidden_activation_layers"]


class EpochClock:
    """Times the training part of every epoch (from epoch start to the start of the validation pass).

    The validation pass is left out on purpose: it costs the same for every batch size, so including
    it would hide the difference the batch-size study is about.
    """

    def __init__(self) -> None:
        self._seconds: list[float] = []

    def callback(self):
        """A fresh Keras callback (the harness calls this factory once per fold)."""
        import keras

        self._seconds = []
        seconds = self._seconds

        class _Clock(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self._start, self._stop = time.perf_counter(), None

            def on_test_begin(self, logs=None):  # fit's validation pass starts: training part is over
                if getattr(self, "_stop", 0.0) is None:
                    self._stop = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                seconds.append((self._stop or time.perf_counter()) - self._start)

        return _Clock()

    def take(self) -> list[float]:
        """Seconds per epoch of the fold that just ended."""
        return list(self._seconds)


class InitialWeights:
    """Keeps the weights a model had when fit started, i.e. exactly its initialisation."""

    def __init__(self) -> None:
        self._weights: list[np.ndarray] | None = None

    def callback(self):
        import keras

        recorder = self

        class _Snapshot(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                recorder._weights = [np.array(w) for w in self.model.get_weights()]

        return _Snapshot()

    def model_at_start(self, fitted):
        """A copy of `fitted` carrying the weights recorded before its first update."""
        import keras

        if self._weights is None:
            raise RuntimeError("InitialWeights.model_at_start: no weights recorded; was callback() passed "
                               "to the Variant's callbacks?")
        clone = keras.models.clone_model(fitted)
        clone.set_weights(self._weights)
        return clone


def hidden_activation_layers(model) -> list:
    """The layers whose outputs are the hidden units' activations (Activation or PReLU layers).

    The output layer's activation lives inside its Dense layer, so it is not among them.
    """
    import keras

    return [layer for layer in model.layers
            if isinstance(layer, (keras.layers.Activation, keras.layers.PReLU))]


def activation_statistics(model, x: np.ndarray, *, saturation: float = 0.99) -> list[dict[str, Any]]:
    """Per hidden layer, on the batch `x`: std of its output, share of saturated and of exactly-zero
    outputs, and how many of its units are distinct.

    "Distinct units" counts columns (units) that differ anywhere on the batch (to 1e-6): a layer whose
    units all compute the same function has 1, the symmetry a constant initialisation leaves unbroken
    (notes 001:3119: weights set to zero).
    """
    import keras

    layers = hidden_activation_layers(model)
    if not layers:
        return []
    reader = keras.Model(model.inputs[0], [layer.output for layer in layers])
    # A direct (eager) call: predict() would trace a new graph for this throwaway model, which costs
    # far more than the forward pass on a few hundred rows.
    outputs = reader(np.asarray(x), training=False)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    stats = []
    for index, (layer, out) in enumerate(zip(layers, outputs), start=1):
        values = np.asarray(out, dtype=np.float64).reshape(len(x), -1)
        distinct = np.unique(np.round(values.T, 6), axis=0).shape[0]
        stats.append({"layer": index, "name": layer.name, "units": int(values.shape[1]),
                      "std": float(values.std()), "mean_abs": float(np.abs(values).mean()),
                      "saturated": float(np.mean(np.abs(values) > saturation)),
                      "zero": float(np.mean(values == 0.0)), "distinct_units": int(distinct)})
    return stats


def error_rates(model, arrays, *, per_example_val_loss: bool = False) -> dict[str, Any]:
    """Misclassification rate (1 − accuracy) and mean cross-entropy of the fitted model on the fold's
    train, val and test rows; optionally the validation rows' individual losses (for paired comparisons
    between models in an analyze hook)."""
    out: dict[str, Any] = {}
    for split in ("train", "val", "test"):
        x, y = getattr(arrays, f"x_{split}"), np.asarray(getattr(arrays, f"y_{split}")).reshape(-1)
        if len(x) == 0:
            continue
        scores = np.asarray(model(np.asarray(x), training=False), dtype=np.float64)  # eager: no tracing
        if scores.ndim == 1 or scores.shape[1] == 1:  # one sigmoid unit: P(class 1)
            positive = scores.reshape(-1)
            scores = np.column_stack([1.0 - positive, positive])
        losses = -np.log(np.clip(scores[np.arange(len(y)), y.astype(int)], 1e-7, 1.0))  # Keras's epsilon
        out[f"{split}_error"] = float(np.mean(scores.argmax(axis=1) != y))
        out[f"{split}_loss"] = float(losses.mean())
        if split == "val" and per_example_val_loss:
            out["val_losses"] = [round(float(v), 6) for v in losses]
    return out
