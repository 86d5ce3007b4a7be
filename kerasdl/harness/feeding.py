"""How the harness feeds arrays to Keras so small models train at the speed of their arithmetic.

The notes' studies train small networks on small data, where Keras's per-step Python loop, not the
arithmetic, sets the time: `model.fit(numpy arrays)` rebuilds its input pipeline every epoch and
returns to Python after every batch (callbacks, logs). Two library features remove most of that,
measured side by side by benchmarks/harness_overhead.py (about 2× on the studies' MLPs):

* a `tf.data` pipeline made once per fold — in memory, reshuffled every epoch (seeded, so the same
  seed still gives the same metrics), batched, prefetched — instead of NumPy arrays;
* `steps_per_execution`: several batches per call of the compiled train function. Keras then runs
  batch-level callbacks every N batches; the harness's own (Ctrl-C, divergence) only need to act
  "soon" and Keras's loss log is a running mean, so a NaN in any batch of the N still shows.

N > 1 only for fits long enough to pay back tracing the multi-step loop, and small enough that one
execution stays short (Ctrl-C answered within a fraction of a second): a rough multiply-accumulate
count per batch (parameters × positions of the input × batch × 3 for forward and backward) against
a budget. A large network or a short fit gets N = 1, i.e. plain Keras steps.

What keeps the plain path: a dataset with its own pipeline, a model or trainer with its own `fit`
(a detector that runs eagerly on small arrays, a deep belief net that pre-trains on the array),
fit arguments a pipeline cannot carry (sample weights), data too large to copy into a pipeline,
and a variant whose callbacks act on every batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["MAX_PIPELINE_BYTES", "can_feed", "fit_arrays", "pipeline", "steps_per_execution"]

#: Arrays beyond this are left to Keras's own adapter: the pipeline copies them once into tensors,
#: and a model on data this large is bound by its arithmetic anyway.
MAX_PIPELINE_BYTES = 128 * 2**20
#: Multiply-accumulates one execution may take (about 0.1 s on one slow core), and the cap on N.
_EXECUTION_BUDGET_MACS = 1e8
_MAX_STEPS_PER_EXECUTION = 32
#: Tracing the multi-step loop costs about a second more than one step (measured on 2 cores) and
#: saves about a millisecond per step, so a fit shorter than this many steps keeps one step per call
#: (the --quick runs of the test suite, for instance).
_AMORTIZED_AFTER_STEPS = 1000
#: Validation and prediction batches: larger than training batches (Keras averages the loss
#: weighted by batch size, so the logged value is the same up to rounding) — fewer steps per epoch.
EVALUATION_BATCH = 1024
#: fit keyword arguments a tf.data pipeline carries (others, e.g. sample_weight, keep the arrays).
_PIPELINE_FIT_KWARGS = frozenset({"shuffle"})


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, (tuple, list)):
        return list(value)
    return [value]


def _nbytes(*values: Any) -> int:
    return int(sum(np.asarray(leaf).nbytes for value in values if value is not None for leaf in _leaves(value)))


def can_feed(model: Any, trainer: Any, fit_kwargs: dict[str, Any], callbacks: list[Any], *arrays: Any) -> bool:
    """Whether this fit may take the fast pipeline (see the module docstring for what keeps plain Keras)."""
    import keras

    from kerasdl.trainers import Trainer

    if type(model).fit is not keras.Model.fit or type(trainer).fit is not Trainer.fit:
        return False
    if set(fit_kwargs) - _PIPELINE_FIT_KWARGS:
        return False
    for value in arrays:
        for leaf in _leaves(value) if value is not None else []:
            if not isinstance(leaf, np.ndarray) or leaf.dtype == object or leaf.dtype.kind in "USO":
                return False
    return _nbytes(*arrays) <= MAX_PIPELINE_BYTES


def pipeline(x: Any, y: Any, *, batch_size: int, training: bool, seed: int | None, shuffle: bool = True) -> Any:
    """A batched, prefetched `tf.data.Dataset` of (x, y) — or x alone when y is None —
    reshuffled every epoch from `seed` when `training` and `shuffle` (None: from the global seed
    that keras.utils.set_random_seed set)."""
    import tensorflow as tf

    rows = len(_leaves(x)[0])
    # No .cache(): from_tensor_slices already holds the rows in memory, and a cache would copy them
    # again (and warn when Ctrl-C or divergence stops an epoch part-way).
    data = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    if training and shuffle:
        data = data.shuffle(rows, seed=seed, reshuffle_each_iteration=True)
    return data.batch(batch_size if training else max(batch_size, EVALUATION_BATCH)).prefetch(tf.data.AUTOTUNE)


_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end")


def _acts_on_batches(callback: Any) -> bool:
    """A callback that overrides a batch hook, other than the harness's own, which only need to act soon
    after a batch (Ctrl-C, divergence) or act at epoch frequency (TensorBoard, checkpoints, backups)."""
    import keras

    from kerasdl.callbacks import EpochTensorBoard, StopOnNonFiniteLoss, StopOnRequest

    epoch_only = (StopOnRequest, StopOnNonFiniteLoss, EpochTensorBoard)
    if isinstance(callback, epoch_only):
        return False
    if isinstance(callback, (keras.callbacks.ModelCheckpoint, keras.callbacks.BackupAndRestore)):
        return getattr(callback, "save_freq", "epoch") != "epoch"
    return any(getattr(type(callback), hook, None) is not getattr(keras.callbacks.Callback, hook)
               for hook in _BATCH_HOOKS)


def _positions(shape: Any) -> int:
    """Positions a weight is applied at: the product of every input axis but the channels/features."""
    shapes = shape.values() if isinstance(shape, dict) else [shape]
    return int(sum(max(1, int(np.prod(s[:-1]))) if len(s) > 1 else 1 for s in shapes))


def steps_per_execution(parameters: int | None, input_shape: Any, batch_size: int, steps_per_epoch: int,
                        epochs: int, callbacks: list[Any]) -> int:
    """Batches per execution of the train function: as many as fit in the time budget (1 for a
    large network), at most one epoch; 1 for a short fit (tracing the multi-step loop costs more
    than it saves) and when a callback of the variant acts on every batch."""
    if steps_per_epoch * epochs < _AMORTIZED_AFTER_STEPS:
        return 1
    if any(_acts_on_batches(callback) for callback in callbacks):
        return 1
    if not parameters:
        return 1
    macs = 3.0 * parameters * _positions(input_shape) * batch_size
    return int(max(1, min(_MAX_STEPS_PER_EXECUTION, steps_per_epoch, _EXECUTION_BUDGET_MACS // max(macs, 1.0))))


def fit_arrays(model: Any, x: Any, y: Any, *, batch_size: int, validation_data: Any = None, epochs: int = 1,
               callbacks: list[Any] | None = None, **fit_kwargs: Any) -> Any:
    """`model.fit(x, y, batch_size=..., validation_data=(x_val, y_val), ...)` through the fast feed when it
    applies (what a search trial does with its fold's arrays), else exactly that call."""
    from kerasdl.trainers import Trainer

    callbacks = list(callbacks or [])
    x_val, y_val = validation_data if isinstance(validation_data, tuple) and len(validation_data) == 2 else (None, None)
    if (x_val is None or not can_feed(model, Trainer(), fit_kwargs, callbacks, x, y, x_val, y_val)
            or len(_leaves(x_val)[0]) == 0):
        return model.fit(x, y, batch_size=batch_size, validation_data=validation_data, epochs=epochs,
                         callbacks=callbacks, **fit_kwargs)
    shuffle = bool(fit_kwargs.pop("shuffle", True))
    rows = len(_leaves(x)[0])
    n_parameters = model.count_params() if model.built else None
    shape = {k: tuple(np.shape(v)[1:]) for k, v in x.items()} if isinstance(x, dict) else tuple(np.shape(x)[1:])
    model.steps_per_execution = steps_per_execution(n_parameters, shape, batch_size, -(-rows // batch_size), epochs,
                                                    callbacks)
    try:
        return model.fit(pipeline(x, y, batch_size=batch_size, training=True, seed=None, shuffle=shuffle),
                         validation_data=pipeline(x_val, y_val, batch_size=batch_size, training=False, seed=None),
                         epochs=epochs, callbacks=callbacks, shuffle=False, **fit_kwargs)
    finally:
        model.steps_per_execution = 1
