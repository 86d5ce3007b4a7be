"""How one variant is trained and scored on one fold: the work the harness repeats for every variant.

Keras variants: encode the fold (preprocessing fitted on training rows only), seed, build, then the
variant's trainer compiles, fits with the shared callbacks and produces the held-out outputs, which
the task turns into scores. scikit-learn baselines: the same rows through a Pipeline. Both leave
predictions in the task's layout, so every variant is scored by the same code.
"""

from __future__ import annotations

import inspect
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from kerasdl import runs
from kerasdl.data.dataset import Dataset
from kerasdl.folds import Fold, encode
from kerasdl.trainers import make_optimizer

from . import distribute
from .control import STOP_REQUESTED, Progress
from .spec import FoldArrays, Variant

if TYPE_CHECKING:  # the task registry imports scikit-learn; declaring an experiment must not
    from kerasdl.tasks import Task

__all__ = ["FoldResult", "FoldFitter", "encode_fold", "resolve_trainer"]


@dataclass
class FoldResult:
    """What one fold of one variant left behind: its record entry, held-out scores (None when it
    diverged) and its per-epoch history rows."""

    entry: dict[str, Any]
    scores: np.ndarray | None
    history: list[dict[str, Any]]


def encode_fold(dataset: Dataset, fold: Fold) -> FoldArrays:
    """The fold's rows as the model sees them (targets dropped for a task without targets)."""
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = encode(dataset, fold.train, fold.val, fold.test)
    task = dataset_task(dataset)
    return FoldArrays(fold.index, x_train, task.fit_target(y_train), x_val, task.fit_target(y_val),
                      x_test, task.fit_target(y_test))


def dataset_task(dataset: Dataset) -> Task:
    from kerasdl import tasks

    return tasks.get(dataset.task)


def resolve_trainer(variant: Variant, task: Task) -> Any:
    return variant.trainer if variant.trainer is not None else task.default_trainer()


def optional_step(trainer: Any, name: str) -> Any:
    """A trainer's optional step (`initialize`, `fit_callbacks`), or None when a duck-typed trainer has
    none. An attribute of that name that is not a method is a mistake, not a missing step (DecodingTrainer
    once kept its START token id under a step's name, and every seq2seq fit broke), so it is an error."""
    step = getattr(trainer, name, None)
    if step is not None and not callable(step):
        raise TypeError(f"{type(trainer).__name__}.{name} must be a method: the harness calls it for every fold. "
                        f"Received: {type(step).__name__} {step!r:.40}")
    return step


def resolve_monitor(variant: Variant, trainer: Any, task: Task) -> str | None:
    return variant.monitor or getattr(trainer, "monitor", None) or task.monitor


def fold_rows(x: Any) -> int:
    """Rows of one split (arrays, or a dict of arrays for a model with several inputs)."""
    first = next(iter(x.values())) if isinstance(x, dict) else x
    return 0 if first is None else len(first)


def _n_features(x: Any) -> int:
    if isinstance(x, dict):
        return int(sum(np.prod(np.shape(v)[1:]) for v in x.values()))
    return int(np.prod(np.shape(x)[1:]))


def _input_shape(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: tuple(np.shape(v)[1:]) for k, v in x.items()}
    return tuple(np.shape(x)[1:])


def _model_summary(model) -> list[dict[str, Any]]:
    rows = []
    for layer in model.layers:
        try:
            shape = str(tuple(layer.output.shape))
        except (AttributeError, ValueError):
            # a sub-model never called inside the outer model's graph (a GAN's generator) still
            # knows its own outputs
            outputs = getattr(layer, "outputs", None)
            shape = str(tuple(outputs[0].shape)) if outputs else "?"
        try:
            params = int(layer.count_params())
        except ValueError:  # a sub-model that is not built
            params = 0
        rows.append({"name": layer.name, "type": type(layer).__name__, "output_shape": shape, "params": params})
    return rows


def _parameter_count(model) -> int | None:
    """All weights of the model; for a subclassed model that is never called as a whole (a GAN whose
    train_step calls its generator and discriminator), the sum over its built sub-models."""
    try:
        return int(model.count_params())
    except ValueError:
        built = [layer for layer in model.layers if layer.built]
        return int(sum(layer.count_params() for layer in built)) if built else None


def _non_finite_loss(logs: dict[str, list[float]]) -> tuple[str, int] | None:
    """The first logged loss (any key ending in 'loss': loss, val_loss, d_loss, g_loss, ...) that is
    NaN or infinite, with its 1-based epoch; None when every loss stayed finite."""
    first = None
    for key, values in logs.items():
        if not key.endswith("loss"):
            continue
        bad = np.flatnonzero(~np.isfinite(np.asarray(values, dtype=float)))
        if bad.size and (first is None or bad[0] + 1 < first[1]):
            first = (key, int(bad[0]) + 1)
    return first


def build_model(variant: Variant, input_shape: Any, outputs: int, task: Task) -> Any:
    """The variant's model: a registered builder by name, or the user's callable with the same contract."""
    hyper = {**task.builder_defaults(), **variant.hyperparameters}
    if isinstance(variant.builder, str):
        from kerasdl import models

        return models.build(variant.builder, input_shape, outputs, api=variant.api, **hyper)
    parameters = inspect.signature(variant.builder).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    if "api" in parameters or takes_any:
        hyper["api"] = variant.api
    # A task default (output_activation) the user's function does not accept is not forced on it.
    hyper = {k: v for k, v in hyper.items() if takes_any or k in parameters or k in variant.hyperparameters}
    return variant.builder(input_shape, outputs, **hyper)


class FoldFitter:
    """Fits variants fold by fold for one run: the run-wide settings, then one method per kind."""

    def __init__(self, dataset: Dataset, run_dir: runs.RunDir, *, seed: int, epochs: Any, progress: Progress,
                 tensorboard: bool, checkpoint: bool, last_fold: int, fast: bool | None = None,
                 distribute: str | None = None) -> None:
        self.dataset, self.run_dir, self.seed, self.epochs = dataset, run_dir, seed, epochs
        self.distribute = distribute  # the experiment's tf.distribute strategy kind; a Variant's own wins
        # False (or KERASDL_PLAIN_FEED=1): arrays to plain model.fit, as before; benchmarks compare the two
        self.fast = os.environ.get("KERASDL_PLAIN_FEED") != "1" if fast is None else fast
        self.progress, self.tensorboard, self.checkpoint, self.last_fold = progress, tensorboard, checkpoint, last_fold
        self.task = dataset_task(dataset)

    # -- scikit-learn baselines ----------------------------------------------------------------------
    def sklearn(self, variant: Variant, fold: Fold, entry: dict[str, Any]) -> FoldResult:
        from sklearn.base import clone
        from sklearn.pipeline import make_pipeline

        # Baselines have no use for a validation set, so they learn from every non-test row.
        fit_rows = np.concatenate([fold.train, fold.val])
        x_fit, y_fit = self.dataset.rows(fit_rows)
        x_test, _ = self.dataset.rows(fold.test)
        if not self.dataset.is_tabular:
            x_fit, x_test = (np.asarray(a).reshape(len(a), -1) for a in (x_fit, x_test))
        pre = self.dataset.preprocessor()
        model = make_pipeline(pre, clone(variant.estimator)) if pre is not None else clone(variant.estimator)
        t0 = time.perf_counter()
        model.fit(x_fit, self.task.estimator_target(y_fit))
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        scores = self.task.estimator_scores(model, x_test, self.dataset)
        n_features = model[:-1].transform(x_fit[:1]).shape[1] if pre is not None else x_fit.shape[1]
        return FoldResult({"fold": fold.index, "status": "completed", "fit_s": fit_s,
                           "evaluate_s": time.perf_counter() - t0, "n_train": len(fit_rows), "n_val": 0,
                           "n_test": len(fold.test), "_n_features": n_features}, scores, [])

    # -- Keras models ----------------------------------------------------------------------------
    def _inputs(self, x: Any, y: Any, *, batch_size: int, training: bool) -> Any:
        """One split as a trainer gets it: (x, y), or the dataset's tf.data pipeline over them."""
        if self.dataset.pipeline is None:
            return (x, y)
        return self.dataset.pipeline(x, y, batch_size=batch_size, training=training)

    def _feed(self, model: Any, trainer: Any, variant: Variant, arrays: FoldArrays, batch_size: int,
              callbacks: list[Any], *, distributed: bool = False) -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
        """The training and validation inputs, the fit arguments left for Keras, and what the record
        says about the feed: the fast tf.data pipeline + steps_per_execution where it applies
        (kerasdl/harness/feeding.py says when and why), else what the trainer got before."""
        from . import feeding

        fit_kwargs = dict(variant.fit_kwargs)
        plain = (self._inputs(arrays.x_train, arrays.y_train, batch_size=batch_size, training=True),
                 self._inputs(arrays.x_val, arrays.y_val, batch_size=batch_size, training=False), fit_kwargs)
        if self.dataset.pipeline is not None:
            return (*plain, {"feed": "dataset pipeline", "steps_per_execution": 1})
        sets = (arrays.x_train, arrays.y_train, arrays.x_val, arrays.y_val)
        if not self.fast or not fold_rows(arrays.x_val) or not feeding.can_feed(
                model, trainer, fit_kwargs, callbacks, *sets):
            return (*plain, {"feed": "arrays", "steps_per_execution": 1})
        shuffle = bool(fit_kwargs.pop("shuffle", True))
        n_train = fold_rows(arrays.x_train)
        steps = feeding.steps_per_execution(_parameter_count(model), _input_shape(arrays.x_train), batch_size,
                                            -(-n_train // batch_size), self.epochs(variant), callbacks)
        # Set after the trainer compiled (a trainer's own compile, e.g. a GAN's, has no such argument);
        # Keras reads it when it first builds the train function, inside fit.
        model.steps_per_execution = steps
        train = feeding.pipeline(arrays.x_train, arrays.y_train, batch_size=batch_size, training=True,
                                 seed=self.seed, shuffle=shuffle)
        validation = feeding.pipeline(arrays.x_val, arrays.y_val, batch_size=batch_size, training=False,
                                      seed=self.seed)
        if distributed:  # rows in memory, no files: workers split the batches
            train, validation = distribute.shard_by_rows(train), distribute.shard_by_rows(validation)
        return train, validation, fit_kwargs, {"feed": "tf.data", "steps_per_execution": steps}

    def _callbacks(self, variant: Variant, trainer: Any, fold: Fold, entry: dict[str, Any], monitor: str | None,
                   validation: tuple[Any, Any], start_note: dict[str, Any] | None) -> list[Any]:
        import keras

        from kerasdl.callbacks import EpochTensorBoard, StopOnNonFiniteLoss, StopOnRequest

        callbacks = [StopOnRequest(STOP_REQUESTED), StopOnNonFiniteLoss(), *(make() for make in variant.callbacks)]
        callbacks += self.progress.epoch_callbacks()  # the epoch bar in a terminal (control.Progress)
        mode = "min" if monitor is None or self.task.is_lower_better(monitor) else "max"
        if variant.patience is not None and monitor is not None:
            callbacks.append(keras.callbacks.EarlyStopping(monitor=monitor, mode=mode, patience=variant.patience,
                                                           restore_best_weights=True))
        own = optional_step(trainer, "fit_callbacks")
        callbacks += own(monitor, mode == "min", validation=validation, start=start_note) if own else []
        log_dir = f"logs/{variant.name}/fold{fold.index}"
        from .resume import backup_callback  # always: a fit killed hard goes on from its last epoch (--resume)

        callbacks.append(backup_callback(self.run_dir.path / log_dir / "backup", self.run_dir.file(
            f"{log_dir}/history.csv"), entry.setdefault("_resume", {}).setdefault(fold.index, {}), siblings=callbacks))
        callbacks.append(keras.callbacks.CSVLogger(str(self.run_dir.file(f"{log_dir}/history.csv"))))
        if self.tensorboard:
            callbacks.append(EpochTensorBoard(log_dir=str(self.run_dir.path / log_dir), histogram_freq=0,
                                              write_graph=False, profile_batch=0))
        if self.checkpoint:
            # Best-so-far model per fold (the mid-fit backup above is always there, and removed when fit ends).
            best = f"checkpoints/{variant.name}/fold{fold.index}.keras"
            callbacks.append(keras.callbacks.ModelCheckpoint(
                str(self.run_dir.file(best)), monitor=monitor or "loss", mode=mode, save_best_only=monitor is not None))
            entry["artifacts"]["checkpoints"] = f"checkpoints/{variant.name}"
        entry["artifacts"]["logs"] = f"logs/{variant.name}"
        return callbacks

    def keras(self, variant: Variant, fold: Fold, entry: dict[str, Any]) -> FoldResult:
        import keras

        arrays = encode_fold(self.dataset, fold)
        trainer = resolve_trainer(variant, self.task)
        monitor = resolve_monitor(variant, trainer, self.task)
        kind = variant.distribute or self.distribute
        strategy = distribute.strategy(kind)
        if strategy is None:  # as keras-tuner does per trial: Keras's global state must not grow over a long run
            policy = keras.config.dtype_policy()
            keras.backend.clear_session(free_memory=False)
            keras.config.set_dtype_policy(policy)  # a user's mixed precision survives the reset
        keras.utils.set_random_seed(self.seed)  # same seed → same weights and shuffles → same metrics
        with distribute.scope(strategy):  # tf.distribute mirrors the variables made here (build and compile)
            model = build_model(variant, _input_shape(arrays.x_train), self.task.output_units(self.dataset), self.task)
            model, target_scaling = self.task.prepare_model(model, arrays.y_train)  # regression: standardized target
            initialize = optional_step(trainer, "initialize")  # none: the weights as built
            start_note = initialize(model, (arrays.x_train, arrays.y_train), (arrays.x_val, arrays.y_val),
                                    task=self.task, target_scaling=target_scaling) if initialize else None
            optimizer = make_optimizer(variant.optimizer, variant.learning_rate, **variant.optimizer_options)
            trainer.compile(model, optimizer=optimizer, loss=variant.loss or self.task.loss(),
                            metrics=self.task.compile_metrics())
        entry["parameter_count"] = _parameter_count(model)
        entry["model_summary"] = _model_summary(model)
        callbacks = self._callbacks(variant, trainer, fold, entry, monitor, (arrays.x_val, arrays.y_val), start_note)

        n_train = len(fold.train)
        batch_size = n_train if variant.batch_size == "full" else int(variant.batch_size)
        train, validation, fit_kwargs, feed = self._feed(model, trainer, variant, arrays, batch_size, callbacks,
                                                         distributed=strategy is not None and kind == "multiworker")
        feed.update(distribute.describe(kind, strategy, batch_size))
        if strategy is not None:
            model.steps_per_execution = feed["steps_per_execution"] = 1  # one step per call under tf.distribute
            if kind == "multiworker":
                distribute.build_before_fit(model, train, batch_size)
        t0 = time.perf_counter()
        history = trainer.fit(model, train, validation, epochs=self.epochs(variant), batch_size=batch_size,
                              callbacks=callbacks, verbose=self.progress.keras_verbose, **fit_kwargs)
        fit_s = time.perf_counter() - t0
        model.steps_per_execution = 1  # predictions and probes below: one batch per call, as plain Keras
        if entry["parameter_count"] is None:  # built by fitting
            entry["parameter_count"] = _parameter_count(model)
            entry["model_summary"] = _model_summary(model)
        logs = history.history
        n_epochs = max((len(v) for v in logs.values()), default=0)
        rows = [{"variant": variant.name, "fold": fold.index, "epoch": epoch + 1,
                 **{k: float(v[epoch]) for k, v in logs.items() if epoch < len(v)}} for epoch in range(n_epochs)]
        bad = _non_finite_loss(logs)
        fold_entry = {"fold": fold.index, "status": "diverged" if bad else "completed",
                      "epochs_run": n_epochs, "best_epoch": None, "fit_s": fit_s, "evaluate_s": 0.0,
                      "n_train": n_train, "n_val": len(fold.val), "n_test": len(fold.test),
                      "_n_features": _n_features(arrays.x_train), **feed}
        if target_scaling is not None:
            fold_entry["target_scaling"] = target_scaling
        if start_note is not None:
            fold_entry["start"] = start_note
        if bad:
            fold_entry["diverged"] = {"key": bad[0], "epoch": bad[1]}
            return FoldResult(fold_entry, None, rows)
        if monitor in logs:
            values = np.asarray(logs[monitor], dtype=float)
            pick = np.nanargmin if self.task.is_lower_better(monitor) else np.nanargmax
            fold_entry["best_epoch"] = int(pick(values)) + 1
        fold_entry["monitor"] = monitor
        t0 = time.perf_counter()
        test = self._inputs(arrays.x_test, arrays.y_test, batch_size=1024, training=False)
        scores = self.task.scores(trainer.evaluate(model, test, n=len(fold.test)))
        fold_entry["evaluate_s"] = time.perf_counter() - t0
        if variant.probe is not None:
            fold_entry["probe"] = variant.probe(model, arrays)
        if fold.index == self.last_fold:  # keep the last fold's model; every fold's would multiply disk use
            self._save(model, variant, entry)
        return FoldResult(fold_entry, scores, rows)

    def _save(self, model: Any, variant: Variant, entry: dict[str, Any]) -> None:
        path = f"models/{variant.name}.keras"
        try:
            model.save(self.run_dir.file(path))
        except (NotImplementedError, TypeError, ValueError) as error:
            # A subclassed model without get_config cannot be saved whole; the run is still valid.
            entry["artifacts"]["model_error"] = f"not saved: {type(error).__name__}: {str(error).splitlines()[0]}"
            self.progress.say(f"    model not saved ({type(error).__name__}); see the record's artifacts")
            return
        entry["artifacts"]["model"] = path
