"""How one variant is trained and scored on one fold: the work the harness repeats for every variant.

Keras variants: encode the fold (preprocessing fitted on training rows only), seed, build, compile,
fit with the shared callbacks, predict the test rows. scikit-learn baselines: the same rows through a
Pipeline. Both leave predictions in one layout, so every variant is scored by the same code.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from kerasdl import runs
from kerasdl.data.dataset import Dataset
from kerasdl.folds import Fold

if TYPE_CHECKING:
    from kerasdl.harness import Experiment, Variant

__all__ = ["FoldArrays", "Progress", "Runner", "STOP_REQUESTED"]

# Set by the harness's Ctrl-C handler. A KeyboardInterrupt raised inside TensorFlow's C++ code can
# surface as a SystemError, so the first Ctrl-C only asks training to stop at the next batch boundary,
# where Python raises KeyboardInterrupt cleanly.
STOP_REQUESTED = threading.Event()


def _check_stop() -> None:
    if STOP_REQUESTED.is_set():
        raise KeyboardInterrupt


class Progress:
    """One line per variant and fold; Keras draws its own bar inside fit when attached to a terminal."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.keras_verbose = 0 if quiet or not sys.stdout.isatty() else 1

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)


@dataclass(frozen=True)
class FoldArrays:
    """One fold's encoded arrays, as the model saw them; what a Variant's `probe` receives."""

    fold: int
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def _as_float32(array) -> np.ndarray:
    array = np.asarray(array)
    return array.astype(np.float32) if array.dtype.kind == "f" else array


def _encode(dataset: Dataset, fold: Fold) -> FoldArrays:
    """Features of the fold's rows as arrays, preprocessing fitted on training rows only."""
    x_train, y_train = dataset.rows(fold.train)
    x_val, y_val = dataset.rows(fold.val)
    x_test, y_test = dataset.rows(fold.test)
    pre = dataset.preprocessor()
    if pre is not None:
        x_train = pre.fit_transform(x_train)
        x_val, x_test = pre.transform(x_val), pre.transform(x_test)
    return FoldArrays(fold.index, _as_float32(x_train), y_train, _as_float32(x_val), y_val,
                      _as_float32(x_test), y_test)


def _as_scores(task: str, raw: np.ndarray) -> np.ndarray:
    """Predictions in the record's layout: (n, n_classes) probabilities, (n,) for regression, and
    outputs shaped like the targets for reconstruction (stored as float32: images are large)."""
    if task == "reconstruction":
        return np.asarray(raw, dtype=np.float32)
    raw = np.asarray(raw, dtype=np.float64)
    if task == "regression":
        return raw.reshape(-1)
    if task == "binary" and (raw.ndim == 1 or raw.shape[1] == 1):
        positive = raw.reshape(-1)
        return np.column_stack([1.0 - positive, positive])
    return raw


def _output_units(dataset: Dataset) -> int:
    """Output units: one per class, one for binary/regression, the target's last axis (pixels or
    channels) for reconstruction."""
    if dataset.task == "multiclass":
        return dataset.n_classes
    if dataset.task == "reconstruction":
        return int(np.shape(dataset.target)[-1])
    return 1


def _default_loss(task: str) -> str:
    return {"binary": "binary_crossentropy", "multiclass": "sparse_categorical_crossentropy"}.get(task, "mse")


def _model_summary(model) -> list[dict[str, Any]]:
    rows = []
    for layer in model.layers:
        try:
            shape = str(tuple(layer.output.shape))
        except (AttributeError, ValueError):
            shape = "?"
        rows.append({"name": layer.name, "type": type(layer).__name__, "output_shape": shape,
                     "params": int(layer.count_params())})
    return rows


class Runner:
    """Runs every variant of one experiment into one RunDir."""

    def __init__(self, experiment: Experiment, dataset: Dataset, folds: list[Fold], run_dir: runs.RunDir,
                 *, quick: bool, seed: int, progress: Progress, tensorboard: bool,
                 checkpoint: bool = False) -> None:
        self.experiment, self.dataset, self.folds = experiment, dataset, folds
        self.run_dir, self.quick, self.seed = run_dir, quick, seed
        self.progress, self.tensorboard, self.checkpoint = progress, tensorboard, checkpoint
        self.history_rows: list[dict[str, Any]] = []
        self.predictions: dict[str, np.ndarray] = {}

    # -- one variant ---------------------------------------------------------------------------
    def run_variant(self, position: int, variant: Variant, into: list[dict[str, Any]]) -> None:
        """Append the variant's entry to `into` first, then fill it, so an interrupt still records it."""
        from kerasdl import metrics

        entry: dict[str, Any] = {
            "name": variant.name, "label": variant.label, "kind": variant.kind,
            "builder": variant.builder or type(variant.estimator).__name__,
            "api": variant.api if variant.builder else None,
            "hyperparameters": dict(variant.hyperparameters) if variant.builder
            else variant.estimator.get_params(deep=False),
            "compile": None, "fit": None, "parameter_count": None, "status": "completed", "error": None,
            "metrics": {}, "confusion_matrix": None, "folds": [], "timings": {}, "model_summary": [],
            "artifacts": {},
        }
        into.append(entry)
        if variant.builder:
            entry["compile"] = {"optimizer": variant.optimizer, "learning_rate": variant.learning_rate,
                                **variant.optimizer_options,
                                "loss": variant.loss or _default_loss(self.dataset.task)}
            entry["fit"] = {"epochs": self._epochs(variant), "batch_size": variant.batch_size,
                            "early_stopping_patience": variant.patience}
        fold_metrics: list[dict[str, float]] = []
        started = time.perf_counter()
        try:
            for fold in self.folds:
                self.progress.say(f"[{position}/{len(self.experiment.variants)}] {variant.label}: "
                                  f"fold {fold.index + 1}/{len(self.folds)}")
                _check_stop()
                fold_entry, scores = (self._keras_fold if variant.builder else self._sklearn_fold)(
                    variant, fold, entry)
                _check_stop()
                entry["folds"].append(fold_entry)
                if fold_entry["status"] == "diverged":
                    entry["status"] = "diverged"
                    entry["error"] = f"loss became NaN/inf in fold {fold.index + 1}; TerminateOnNaN stopped it"
                    self.progress.say(f"    diverged: {entry['error']}")
                    break
                y_true = self.dataset.target[fold.test]
                key = f"{variant.name}/fold{fold.index}"
                self.predictions.update({f"{key}/y_true": y_true, f"{key}/y_score": scores,
                                         f"{key}/index": fold.test})
                t0 = time.perf_counter()
                found = metrics.metrics_for_task(self.dataset.task, y_true, scores,
                                                 class_names=self.dataset.class_names,
                                                 n_features=fold_entry.pop("_n_features", None))
                fold_entry["evaluate_s"] += time.perf_counter() - t0
                fold_entry["metrics"] = found
                fold_metrics.append(found)
                headline = self._headline()
                if headline in found:
                    self.progress.say(f"    {headline} {found[headline]:.4f}  ({fold_entry['fit_s']:.1f} s)")
        except KeyboardInterrupt:
            entry["status"] = "interrupted"
            entry["error"] = "interrupted by the user (Ctrl-C)"
            raise
        except Exception:  # a bug or resource failure in this variant: record it, keep the others going
            if STOP_REQUESTED.is_set():  # Ctrl-C that TensorFlow turned into another exception
                entry["status"], entry["error"] = "interrupted", "interrupted by the user (Ctrl-C)"
                raise KeyboardInterrupt from None
            entry["status"] = "failed"
            entry["error"] = traceback.format_exc()
            self.progress.say(f"    failed: {entry['error'].strip().splitlines()[-1]}")
        finally:
            self._summarise(entry, fold_metrics, time.perf_counter() - started)

    def _epochs(self, variant: Variant) -> int:
        return min(variant.epochs, self.experiment.quick_epochs) if self.quick else variant.epochs

    def _headline(self) -> str:
        from kerasdl import metrics

        task = self.dataset.task if self.dataset is not None else None
        return self.experiment.headline_metric or metrics.HEADLINE.get(task, "loss")

    def _summarise(self, entry: dict[str, Any], fold_metrics: list[dict[str, float]], total_s: float) -> None:
        from kerasdl import metrics

        names = sorted({k for m in fold_metrics for k in m})
        entry["metrics"] = {k: metrics.summarize_folds([m.get(k, float("nan")) for m in fold_metrics])
                            for k in names}
        entry["timings"] = {"fit_s": sum(f.get("fit_s", 0.0) for f in entry["folds"]),
                            "evaluate_s": sum(f.get("evaluate_s", 0.0) for f in entry["folds"]),
                            "total_s": total_s}
        if self.dataset.task in ("binary", "multiclass") and fold_metrics:
            labels = list(range(self.dataset.n_classes))
            matrix = np.zeros((len(labels), len(labels)), dtype=int)
            for fold in entry["folds"]:
                key = f"{entry['name']}/fold{fold['fold']}"
                if f"{key}/y_score" in self.predictions:
                    predicted = self.predictions[f"{key}/y_score"].argmax(axis=1)
                    matrix += metrics.confusion_matrix(self.predictions[f"{key}/y_true"], predicted,
                                                       labels=labels)
            entry["confusion_matrix"] = matrix.tolist()

    # -- scikit-learn baselines ----------------------------------------------------------------------
    def _sklearn_fold(self, variant: Variant, fold: Fold, entry: dict[str, Any]):
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
        if self.dataset.task == "reconstruction":  # targets are images too: flatten them for scikit-learn
            y_fit = np.asarray(y_fit).reshape(len(y_fit), -1)
        model.fit(x_fit, y_fit)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        if self.dataset.task == "reconstruction":
            scores = self._sklearn_reconstruct(model, x_fit, y_fit, x_test, fold)
        elif self.dataset.task == "regression":
            scores = _as_scores("regression", model.predict(x_test))
        else:
            proba = model.predict_proba(x_test)
            # A fold whose training rows miss a class yields fewer columns: put them where they belong.
            scores = np.zeros((len(x_test), self.dataset.n_classes))
            scores[:, np.asarray(model.classes_, dtype=int)] = proba
        n_features = model[:-1].transform(x_fit[:1]).shape[1] if pre is not None else x_fit.shape[1]
        return ({"fold": fold.index, "status": "completed", "fit_s": fit_s,
                 "evaluate_s": time.perf_counter() - t0, "n_train": len(fit_rows), "n_val": 0,
                 "n_test": len(fold.test), "_n_features": n_features}, scores)

    def _sklearn_reconstruct(self, model, x_fit, y_fit, x_test, fold: Fold) -> np.ndarray:
        """A regressor predicts the flattened target; a decomposition (PCA) maps test rows to its
        components and back, which is a reconstruction when target and input are the same images."""
        shape = (len(x_test), *np.shape(self.dataset.target)[1:])
        if hasattr(model, "predict"):
            return _as_scores("reconstruction", np.asarray(model.predict(x_test)).reshape(shape))
        return _as_scores("reconstruction", model.inverse_transform(model.transform(x_test)).reshape(shape))

    # -- Keras models ----------------------------------------------------------------------------
    def _keras_fold(self, variant: Variant, fold: Fold, entry: dict[str, Any]):
        import keras

        from kerasdl import models
        from kerasdl.callbacks import EpochTensorBoard, StopOnRequest

        arrays = _encode(self.dataset, fold)
        x_train, y_train = arrays.x_train, arrays.y_train
        keras.utils.set_random_seed(self.seed)  # same seed → same weights and shuffles → same metrics
        model = models.build(variant.builder, x_train.shape[1:], _output_units(self.dataset),
                             api=variant.api, **self._builder_hyper(variant))
        optimizer = keras.optimizers.get({"class_name": variant.optimizer, "config": {
            "learning_rate": variant.learning_rate, **variant.optimizer_options}})
        task = self.dataset.task
        model.compile(optimizer=optimizer, loss=variant.loss or _default_loss(task),
                      metrics=["accuracy"] if task in ("binary", "multiclass") else ["mae"])
        entry["parameter_count"] = int(model.count_params())
        entry["model_summary"] = _model_summary(model)

        callbacks = [StopOnRequest(STOP_REQUESTED), keras.callbacks.TerminateOnNaN(),
                     *(make() for make in variant.callbacks)]
        if variant.patience is not None:
            callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=variant.patience,
                                                           restore_best_weights=True))
        log_dir = f"logs/{variant.name}/fold{fold.index}"
        callbacks.append(keras.callbacks.CSVLogger(str(self.run_dir.file(f"{log_dir}/history.csv"))))
        if self.tensorboard:
            callbacks.append(EpochTensorBoard(log_dir=str(self.run_dir.path / log_dir), histogram_freq=0,
                                              write_graph=False, profile_batch=0))
        if self.checkpoint:
            # Best-so-far model per fold, and Keras's own mid-fit backup (removed when fit ends cleanly).
            best = f"checkpoints/{variant.name}/fold{fold.index}.keras"
            callbacks.append(keras.callbacks.ModelCheckpoint(str(self.run_dir.file(best)), monitor="val_loss",
                                                             save_best_only=True))
            callbacks.append(keras.callbacks.BackupAndRestore(str(self.run_dir.path / log_dir / "backup")))
            entry["artifacts"]["checkpoints"] = f"checkpoints/{variant.name}"
        entry["artifacts"]["logs"] = f"logs/{variant.name}"
        t0 = time.perf_counter()
        batch_size = len(x_train) if variant.batch_size == "full" else int(variant.batch_size)
        history = model.fit(x_train, y_train, validation_data=(arrays.x_val, arrays.y_val),
                            epochs=self._epochs(variant), batch_size=batch_size, callbacks=callbacks,
                            verbose=self.progress.keras_verbose, **variant.fit_kwargs)
        fit_s = time.perf_counter() - t0
        logs = history.history
        for epoch in range(len(logs.get("loss", []))):
            self.history_rows.append({"variant": variant.name, "fold": fold.index, "epoch": epoch + 1,
                                      **{k: float(v[epoch]) for k, v in logs.items()}})
        losses = np.asarray(logs.get("loss", []), dtype=float)
        diverged = losses.size > 0 and not np.all(np.isfinite(losses))
        fold_entry = {"fold": fold.index, "status": "diverged" if diverged else "completed",
                      "epochs_run": int(losses.size), "best_epoch": None, "fit_s": fit_s, "evaluate_s": 0.0,
                      "n_train": len(fold.train), "n_val": len(fold.val), "n_test": len(fold.test),
                      "_n_features": int(np.prod(x_train.shape[1:]))}
        if diverged:
            return fold_entry, None
        if "val_loss" in logs:
            fold_entry["best_epoch"] = int(np.nanargmin(logs["val_loss"])) + 1
        t0 = time.perf_counter()
        scores = _as_scores(task, model.predict(arrays.x_test, batch_size=1024, verbose=0))
        fold_entry["evaluate_s"] = time.perf_counter() - t0
        if variant.probe is not None:
            fold_entry["probe"] = variant.probe(model, arrays)
        if fold.index == self.folds[-1].index:  # keep the last fold's model; every fold's would multiply disk use
            model.save(self.run_dir.file(f"models/{variant.name}.keras"))
            entry["artifacts"]["model"] = f"models/{variant.name}.keras"
        return fold_entry, scores

    def _builder_hyper(self, variant: Variant) -> dict[str, Any]:
        hyper = dict(variant.hyperparameters)
        if self.dataset.task == "regression":
            hyper.setdefault("output_activation", "linear")
        elif self.dataset.task == "reconstruction":  # pixels live in [0, 1]
            hyper.setdefault("output_activation", "sigmoid")
        return hyper


