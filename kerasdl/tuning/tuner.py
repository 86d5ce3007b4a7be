"""keras-tuner classes for a search unit: the HyperModel and our run_trial (strategies.py mixes it in).

keras-tuner decides *which* configurations to try; this module decides *how one is evaluated*, by
overriding `Tuner.run_trial` once; `strategies` mixes it under each of keras-tuner's tuners:

* `--cv K`: every trial trains one model per stratified fold and returns the K histories; keras-tuner
  averages their best-epoch metrics exactly as it averages `executions_per_trial`, so the score is the
  mean over folds (keras-tuner has no cross-validation of its own).
* The model of each fit is scored again at its best epoch on the validation rows and those
  predictions are kept (`trial_<id>/val_predictions.npz`, plain arrays, no pickle) so the report can
  recompute exact scikit-learn AUC; Keras's AUC metric interpolates over 200 thresholds.
* Every exception becomes keras-tuner's `FailedTrialError` (FAILED, not retried: re-running a bug
  wastes a trial), a NaN/inf objective too ("diverged"); the message goes to trial.json and to our
  sidecar `trial_<id>/kerasdl_trial.json`, because keras-tuner's gRPC messages drop it in distributed
  mode. INVALID (retried once) is left for trials whose worker was lost. When the oracle stops the
  search after `max_consecutive_failed_trials` failures in a row, `TooManyFailedTrials` says so.

keras-tuner internals this needs (the best-epoch checkpoint, its build-and-fit) come from
`_keras_tuner_private`, the one module that touches them.
"""

from __future__ import annotations

import copy
import io
import json
import math
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import keras_tuner
import numpy as np
from keras_tuner.engine.trial import TrialStatus

from kerasdl import runs
from kerasdl.harness.fit_memory import released_custom_gradients

from . import _keras_tuner_private as private
from . import hparams_log
from .data import SearchData
from .unit import SearchUnit

__all__ = ["PREDICTIONS", "SIDECAR", "FoldData", "SearchTuner", "TooManyFailedTrials", "TrialContext",
           "UnitHyperModel"]

SIDECAR = "kerasdl_trial.json"
PREDICTIONS = "val_predictions.npz"


@dataclass(frozen=True)
class FoldData:
    """One fold's arrays as a model sees them (preprocessing fitted on its training rows only)."""

    index: int
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    val_rows: np.ndarray   # row numbers of the validation rows in the (quick-subsampled) dataset
    info: SearchData


@dataclass
class TrialContext:
    folds: list[FoldData]
    seed: int
    epoch_cap: int | None    # --quick: no fit runs longer, even when epochs are a hyperparameter
    quiet: bool
    total: int | None        # the trial budget, for "trial 3/12" lines


class UnitHyperModel(keras_tuner.HyperModel):
    """A search unit as a keras-tuner HyperModel; `data` is set per fold before each build."""

    def __init__(self, unit: SearchUnit, data: SearchData) -> None:
        super().__init__(name=unit.name)
        self.unit, self.data = unit, data

    def build(self, hp):
        return self.unit.build(hp, self.data)

    def fit(self, hp, model, *args, **kwargs):
        if self.unit.has_fit:
            return self.unit.fit(hp, model, *args, **kwargs)
        if len(args) == 2 and "validation_data" in kwargs:  # a trial's fold arrays: the harness's fast feed
            from kerasdl.harness.feeding import fit_arrays

            return fit_arrays(model, *args, batch_size=self.unit.batch_size, **kwargs)
        return model.fit(*args, batch_size=self.unit.batch_size, **kwargs)

    def declare_hyperparameters(self, hp):
        """Declare what `fit` tunes (batch size, epochs) before the first trial, so the grid is counted
        whole: the unit's fit runs once against a stand-in model that records nothing and trains nothing."""
        if not self.unit.has_fit:
            return
        try:
            self.unit.fit(hp, _NoTraining(), None, None, epochs=1, verbose=0, callbacks=[])
        except Exception:  # noqa: BLE001, S110 - an unusual fit: its hyperparameters appear with the first trial
            pass


class _NoTraining:
    def fit(self, *args, **kwargs):
        return keras.callbacks.History()

    def __getattr__(self, name):
        raise AttributeError(name)


class _BestEpoch(keras.callbacks.Callback):
    """Remembers the objective's best epoch and its weights, so predictions match the trial's score."""

    def __init__(self, objective) -> None:
        super().__init__()
        self.objective = objective
        self.best_value: float | None = None
        self.best_epoch: int | None = None
        self.weights = None
        self.epochs_run = 0
        self.last_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_run += 1
        self.last_epoch = epoch + 1
        if not self.objective.has_value(logs or {}):
            return
        value = float(self.objective.get_value(logs))
        if math.isfinite(value) and (self.best_value is None or self.objective.better_than(value, self.best_value)):
            self.best_value, self.best_epoch = value, epoch + 1
            self.weights = self.model.get_weights()


class _TunerHooks(keras.callbacks.Callback):
    """Calls the tuner's public per-epoch and per-batch hooks, as keras-tuner's own run_trial does."""

    def __init__(self, tuner, trial) -> None:
        super().__init__()
        self.tuner, self.trial = tuner, trial

    def on_epoch_begin(self, epoch, logs=None):
        self.tuner.on_epoch_begin(self.trial, self.model, epoch, logs=logs)

    def on_batch_begin(self, batch, logs=None):
        self.tuner.on_batch_begin(self.trial, self.model, batch, logs)

    def on_batch_end(self, batch, logs=None):
        self.tuner.on_batch_end(self.trial, self.model, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self.tuner.on_epoch_end(self.trial, self.model, epoch, logs=logs)


class _EpochCap(keras.callbacks.Callback):
    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap, self.seen = cap, 0

    def on_epoch_end(self, epoch, logs=None):
        self.seen += 1
        if self.seen >= self.cap:
            self.model.stop_training = True


def _predict(model, x: np.ndarray) -> np.ndarray:
    """Direct calls instead of `predict`: no tf.function tracing for a few hundred rows."""
    parts = [np.asarray(model(x[i:i + 1024], training=False)) for i in range(0, len(x), 1024)]
    return np.concatenate(parts) if parts else np.zeros((0,))


class TooManyFailedTrials(RuntimeError):
    """keras-tuner's oracle stopped the search: its last `max_consecutive_failed_trials` trials failed."""


def _failure_limit_reached(oracle) -> bool:
    """Whether the trials the oracle ended last are `max_consecutive_failed_trials` failures in a row."""
    limit = getattr(oracle, "max_consecutive_failed_trials", None)
    ended = list(getattr(oracle, "end_order", []))[-limit:] if limit else []
    return bool(ended) and len(ended) == limit and all(
        oracle.get_trial(trial_id).status == TrialStatus.FAILED for trial_id in ended)


def _short(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[-1] if lines else str(text)


class SearchTuner(keras_tuner.Tuner):
    """Our `run_trial`; placed after a keras-tuner tuner in the bases, so its own run_trial (Hyperband's
    epochs and warm start) still runs first and then calls this one through `super()`."""

    def __init__(self, oracle, hypermodel=None, *, context: TrialContext, **kwargs) -> None:
        self.context = context
        self._waiting = False
        self._outcome: dict[str, Any] = {}
        super().__init__(oracle, hypermodel, **kwargs)

    # -- keras-tuner hooks ----------------------------------------------------------------------
    def pre_create_trial(self):
        # keras-tuner asks again at once when the oracle answers IDLE (waiting for other workers);
        # a short pause keeps a waiting worker from spinning a CPU core.
        if self._waiting:
            time.sleep(0.3)
        self._waiting = True

    def on_trial_begin(self, trial):
        self._waiting = False
        super().on_trial_begin(trial)
        values = trial.hyperparameters.values
        names = [hp.name for hp in trial.hyperparameters.space if hp.name in values]  # declaration order
        names += [n for n in values if n not in names]
        shown = ", ".join(f"{n}={_format(values[n])}" for n in names if not n.startswith("tuner/"))
        extra = ""
        if "tuner/epochs" in trial.hyperparameters.values:
            extra = f" [hyperband: epochs {trial.hyperparameters.values.get('tuner/initial_epoch', 0)}→" \
                    f"{trial.hyperparameters.values['tuner/epochs']}]"
        self._say(f"trial {trial.trial_id}{self._of(trial.trial_id)} started by {self.tuner_id}: {shown}{extra}")

    def on_trial_end(self, trial):
        try:
            super().on_trial_end(trial)
        except RuntimeError as error:
            if not _failure_limit_reached(self.oracle):
                raise
            raise TooManyFailedTrials(str(error).strip().splitlines()[0]) from error
        outcome = self._outcome
        hparams_log.record_trial(self.project_dir, self.oracle, trial, outcome)  # TensorBoard's HParams dashboard
        if outcome.get("status") == "completed":
            self._say(f"trial {trial.trial_id} completed: {self.oracle.objective.name} {outcome['objective']:.4f} "
                      f"(best epoch {outcome.get('best_epoch')}, {outcome['duration_s']:.1f} s){self._best_so_far()}")
        else:
            self._say(f"trial {trial.trial_id} {outcome.get('status', 'failed').upper()}: "
                      f"{_short(outcome.get('error') or trial.message or 'no message')}")

    def _best_so_far(self) -> str:
        """'; best so far 0.8123 (trial 2)': the oracle's best finished trial, this one included."""
        best = self.oracle.get_best_trials(1)
        if not best or best[0].score is None:
            return ""
        return f"; best so far {best[0].score:.4f} (trial {best[0].trial_id})"

    def _of(self, trial_id: str) -> str:
        """The "[3/12]" after a trial id: keras-tuner numbers trials from 0 in the order it creates them."""
        if self.context.total and str(trial_id).isdigit():
            return f" [{int(trial_id) + 1}/{self.context.total}]"
        return ""

    def _say(self, text: str) -> None:
        if not self.context.quiet:
            print(text, flush=True)

    # -- one trial ------------------------------------------------------------------------------
    def run_trial(self, trial, *args, **kwargs):
        """Fit once per fold (and per execution), keep best-epoch predictions, return the histories."""
        started = time.perf_counter()
        folder = Path(self.get_trial_dir(trial.trial_id))
        sidecar: dict[str, Any] = {"trial_id": trial.trial_id, "tuner_id": self.tuner_id, "status": "running",
                                   "started": runs.now("milliseconds"), "finished": None, "duration_s": None,
                                   "folds": [], "error": None}
        self._outcome = {}
        _write_json(folder / SIDECAR, sidecar)
        objective = self.oracle.objective
        checkpoint = private.best_epoch_checkpoint(self, trial)
        original_callbacks = kwargs.pop("callbacks", [])
        initial_epoch = int(kwargs.get("initial_epoch", 0))
        results, arrays = [], {"y_true": [], "y_score": [], "row": [], "fold": [], "execution": []}
        try:
            for fold in self.context.folds:
                self.hypermodel.data = fold.info
                for execution in range(self.executions_per_trial):
                    keras.utils.set_random_seed(self.context.seed + execution)
                    best = _BestEpoch(objective)
                    callbacks = copy.deepcopy(original_callbacks)
                    callbacks += [_TunerHooks(self, trial), checkpoint, best]
                    if self.context.epoch_cap:
                        callbacks.append(_EpochCap(self.context.epoch_cap))
                    with released_custom_gradients():  # else TensorFlow keeps every trial's graphs
                        result = private.build_and_fit(self, trial, fold.x_train, fold.y_train,
                                                       validation_data=(fold.x_val, fold.y_val),
                                                       **{**kwargs, "callbacks": callbacks})
                    if isinstance(result, keras.callbacks.History) and objective.name not in result.history:
                        raise ValueError(f"the objective {objective.name!r} is not among the metrics Keras logged "
                                         f"({', '.join(sorted(result.history)) or 'none'}); compile the model with "
                                         "a metric of that name, or change OBJECTIVE")
                    value = best.best_value
                    if value is None:  # fit returned a float or a dict of metrics instead of a History
                        value = float(result if isinstance(result, (int, float, np.floating))
                                      else objective.get_value(result))
                    sidecar["folds"].append({"fold": fold.index, "execution": execution, "objective": value,
                                             "best_epoch": None if best.best_epoch is None
                                             else initial_epoch + best.best_epoch,
                                             "epochs_run": best.epochs_run, "n_train": len(fold.y_train),
                                             "n_val": len(fold.y_val)})
                    if not math.isfinite(value):
                        raise keras_tuner.errors.FailedTrialError(
                            f"diverged: {objective.name} is {value} in fold {fold.index}")
                    if best.model is not None:
                        if best.weights is not None:
                            best.model.set_weights(best.weights)
                        scores = _predict(best.model, fold.x_val)
                        arrays["y_true"].append(np.asarray(fold.y_val))
                        arrays["y_score"].append(scores.reshape(len(fold.y_val), -1))
                        arrays["row"].append(fold.val_rows)
                        arrays["fold"].append(np.full(len(fold.y_val), fold.index))
                        arrays["execution"].append(np.full(len(fold.y_val), execution))
                    results.append(result)
        except Exception as error:
            diverged = isinstance(error, keras_tuner.errors.FailedTrialError) and str(error).startswith("diverged")
            sidecar.update(status="diverged" if diverged else "failed", error=traceback.format_exc())
            self._finish(folder, sidecar, started)
            if isinstance(error, keras_tuner.errors.FatalError):
                raise
            raise keras_tuner.errors.FailedTrialError(f"{type(error).__name__}: {error}") from error
        if arrays["y_true"]:
            _write_npz(folder / PREDICTIONS, {k: np.concatenate(v) for k, v in arrays.items()})
        values = [f["objective"] for f in sidecar["folds"]]
        epochs = [f["best_epoch"] for f in sidecar["folds"] if f["best_epoch"] is not None]
        sidecar.update(status="completed", objective=float(np.mean(values)),
                       best_epoch=round(float(np.mean(epochs))) if epochs else None,
                       epochs_run=int(sum(f["epochs_run"] for f in sidecar["folds"])),
                       predictions=PREDICTIONS if arrays["y_true"] else None)
        self._finish(folder, sidecar, started)
        return results

    def _finish(self, folder: Path, sidecar: dict[str, Any], started: float) -> None:
        sidecar.update(finished=runs.now("milliseconds"), duration_s=time.perf_counter() - started)
        _write_json(folder / SIDECAR, sidecar)
        self._outcome = dict(sidecar)


def _format(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    runs.atomic_write(path, json.dumps(runs.json_safe(data), indent=2) + "\n")


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    runs.atomic_write(path, buffer.getvalue())
