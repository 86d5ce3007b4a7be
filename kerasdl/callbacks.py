"""Keras callbacks the harness adds to every fit, and the recorders the studies' probes read (imports
Keras: load it only when a model trains, e.g. inside an experiment's `experiment()`)."""

from __future__ import annotations

import math
import threading
import time

import keras
import numpy as np

__all__ = ["EpochTensorBoard", "StopOnNonFiniteLoss", "StopOnRequest", "EpochClock", "InitialWeights",
           "StartIsACandidate"]


class StopOnRequest(keras.callbacks.Callback):
    """Ends training after the current batch once `flag` is set (the harness's Ctrl-C handler sets it).

    A KeyboardInterrupt raised inside TensorFlow's C++ surfaces as an unrelated error, so the first
    Ctrl-C only sets the flag and training stops here, between batches.
    """

    def __init__(self, flag: threading.Event) -> None:
        super().__init__()
        self.flag = flag

    def on_train_batch_end(self, batch, logs=None):
        if self.flag.is_set():
            self.model.stop_training = True


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Ends training at the first batch where any logged loss is NaN or infinite.

    Keras's TerminateOnNaN watches `loss` only; a GAN logs `d_loss` and `g_loss` instead, and either
    one blowing up means the run diverged. The harness reads which key and epoch from the history.
    """

    def on_train_batch_end(self, batch, logs=None):
        for key, value in (logs or {}).items():
            if key.endswith("loss") and not math.isfinite(float(np.asarray(value))):
                self.model.stop_training = True
                return


class EpochTensorBoard(keras.callbacks.TensorBoard):
    """TensorBoard at epoch frequency without per-batch cost.

    Keras 3's TensorBoard calls `summary.scalar` for every batch log even with update_freq="epoch"
    (recording is switched off, the call is not): ~7 % of a small model's fit time, measured with
    benchmarks/harness_overhead.py. With update_freq="epoch" the batch logs are not passed on.
    """

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs if self.update_freq != "epoch" else None)


# -- recorders for the studies' probes ----------------------------------------------------------------
# What happens *during* fit (the weights before the first update, the time of each epoch) is caught by
# a callback and handed to the probe of the same fold through a recorder: the harness calls a
# Variant's callback factories once per fold and folds run one after another, so "the last thing
# recorded" is always this fold's.

class EpochClock:
    """Times the training part of every epoch (from epoch start to the start of the validation pass).

    The validation pass is left out on purpose: it costs the same for every batch size, so including
    it would hide the difference the batch-size study is about.
    """

    def __init__(self) -> None:
        self._seconds: list[float] = []

    def callback(self) -> keras.callbacks.Callback:
        """A fresh Keras callback (the harness calls this factory once per fold)."""
        self._seconds = []
        return _EpochTimer(self._seconds)

    def take(self) -> list[float]:
        """Seconds per epoch of the fold that just ended."""
        return list(self._seconds)


class _EpochTimer(keras.callbacks.Callback):
    def __init__(self, seconds: list[float]) -> None:
        super().__init__()
        self.seconds = seconds

    def on_epoch_begin(self, epoch, logs=None):
        self._start, self._stop = time.perf_counter(), None

    def on_test_begin(self, logs=None):  # fit's validation pass starts: training part is over
        if getattr(self, "_stop", 0.0) is None:
            self._stop = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append((self._stop or time.perf_counter()) - self._start)


class InitialWeights:
    """Keeps the weights a model had when fit started, i.e. exactly its initialisation."""

    def __init__(self) -> None:
        self._weights: list[np.ndarray] | None = None

    def callback(self) -> keras.callbacks.Callback:
        """A fresh Keras callback that records the weights at the start of fit."""
        return _WeightSnapshot(self)

    def model_at_start(self, fitted: keras.Model) -> keras.Model:
        """A copy of `fitted` carrying the weights recorded before its first update."""
        if self._weights is None:
            raise RuntimeError("InitialWeights.model_at_start: no weights recorded; was callback() passed "
                               "to the Variant's callbacks?")
        clone = keras.models.clone_model(fitted)
        clone.set_weights(self._weights)
        return clone


class _WeightSnapshot(keras.callbacks.Callback):
    def __init__(self, recorder: InitialWeights) -> None:
        super().__init__()
        self.recorder = recorder

    def on_train_begin(self, logs=None):
        self.recorder._weights = [np.array(w) for w in self.model.get_weights()]


class StartIsACandidate(keras.callbacks.Callback):
    """Early stopping's pick, with the weights the fit started from as one more candidate ("epoch 0",
    which Keras's EarlyStopping never weighs): when the start scores at least as well on the validation
    rows as the weights training ended with, the start is kept. A network started as a fitted model
    (`kerasdl.trainers.LinearStartTrainer`) is thus never left worse on its validation rows by training.

    Goes after EarlyStopping in the callback list, so its `on_train_end` sees the restored best epoch.
    Both sides are scored on the validation arrays by the monitored quantity without the weight
    penalty: Keras's `val_loss` adds the regularization losses, which at the start are those of the
    randomly initialised hidden layers, however little they contribute (nothing, when their output
    weights are zero), so it would always call the start worse. Scoring at the start and at the end
    (not per epoch) also holds across a resumed fit. `note` (the fold's record) gets both scores and
    which was kept.
    """

    def __init__(self, validation: tuple, monitor: str, lower_is_better: bool, note: dict) -> None:
        super().__init__()
        self.validation, self.key, self.lower_is_better, self.note = validation, monitor[4:], lower_is_better, note

    def _score(self) -> float:
        x, y = self.validation
        if self.key == "loss":  # the data term alone: the compiled loss on the predictions
            predicted = self.model.predict(x, batch_size=1024, verbose=0)
            if np.size(y) == np.size(predicted):  # one output per row: (n,) targets against (n, 1) outputs
                y = np.reshape(y, np.shape(predicted))
            return float(keras.ops.mean(keras.losses.get(self.model.loss)(y, predicted)))
        return float(self.model.evaluate(x, y, batch_size=1024, verbose=0, return_dict=True)[self.key])

    def on_train_begin(self, logs=None):
        self.start_weights, self.start_score = self.model.get_weights(), self._score()

    def on_train_end(self, logs=None):
        trained = self._score()
        kept = self.start_score <= trained if self.lower_is_better else self.start_score >= trained
        if kept:
            self.model.set_weights(self.start_weights)
        self.note["validation"] = {"monitor": f"val_{self.key}", "start": self.start_score, "trained": trained,
                                   "kept": "start" if kept else "trained"}
