"""Keras callbacks the harness adds to every fit (imports Keras: load it only when a model trains)."""

from __future__ import annotations

import threading

import keras

__all__ = ["EpochTensorBoard", "StopOnRequest"]


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


class EpochTensorBoard(keras.callbacks.TensorBoard):
    """TensorBoard at epoch frequency without per-batch cost.

    Keras 3's TensorBoard calls `summary.scalar` for every batch log even with update_freq="epoch"
    (recording is switched off, the call is not): ~7 % of a small model's fit time, measured with
    benchmarks/harness_overhead.py. With update_freq="epoch" the batch logs are not passed on.
    """

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs if self.update_freq != "epoch" else None)
