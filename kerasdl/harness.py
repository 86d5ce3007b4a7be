"""One fit/evaluate harness for every experiment: Experiment/Variant → folds → fit → metrics → run record.

An experiment script only declares *what* to compare (a dataset and a list of variants); this module
does the rest the same way for every variant, Keras model or scikit-learn baseline alike: same folds,
same preprocessing (fitted on training rows only), same metrics, same record. Keras is imported only
when a Keras variant is trained, so declaring experiments stays cheap.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from kerasdl import environment, runs
from kerasdl.data.dataset import Dataset
from kerasdl.errors import UserError
from kerasdl.folds import Fold, make_folds

__all__ = ["Experiment", "Variant", "RunRecord", "run"]


@dataclass
class Variant:
    """One contender: a registered Keras builder with its settings, or a scikit-learn estimator.

    Keras variants: `builder` + `hyperparameters` (passed to the builder) + compile/fit settings.
    Baselines: `estimator`, an unfitted scikit-learn estimator (cloned for every fold).
    """

    name: str
    builder: str | None = None
    api: str = "sequential"
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    estimator: Any = None
    label: str = ""
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    loss: str | None = None          # None: chosen from the task
    epochs: int = 50
    batch_size: int = 32
    patience: int | None = 10        # EarlyStopping on val_loss, best weights restored; None: off

    def __post_init__(self) -> None:
        if (self.builder is None) == (self.estimator is None):
            raise ValueError(f"Variant {self.name!r}: expected exactly one of builder= or estimator=")
        self.label = self.label or self.name

    @property
    def kind(self) -> str:
        return "keras" if self.builder else "sklearn"


@dataclass
class Experiment:
    """A comparison of variants on one dataset, evaluated by holdout or k-fold cross-validation."""

    name: str
    dataset: str | Dataset
    variants: list[Variant]
    title: str = ""
    description: str = ""
    notes_ref: str = ""
    dataset_options: dict[str, Any] = field(default_factory=dict)
    evaluation: str = "holdout"      # "holdout" | "cv"
    folds: int = 5
    validation_fraction: float = 0.2
    headline_metric: str | None = None
    references: list[dict[str, Any]] = field(default_factory=list)  # the notes' figures to show beside ours
    quick_samples: int = 300         # --quick: rows kept, epochs capped, folds reduced
    quick_epochs: int = 2
    quick_folds: int = 2

    def __post_init__(self) -> None:
        names = [v.name for v in self.variants]
        if len(set(names)) != len(names):
            raise ValueError(f"Experiment {self.name!r}: variant names must be unique. Received: {names}")


@dataclass(frozen=True)
class RunRecord:
    """A finished run: where it lives and what run.json says."""

    path: Path
    data: dict[str, Any]

    @property
    def status(self) -> str:
        return self.data["status"]

    def variant(self, name: str) -> dict[str, Any]:
        return next(v for v in self.data["variants"] if v["name"] == name)

    def metric(self, variant: str, name: str) -> float | None:
        return self.variant(variant)["metrics"].get(name, {}).get("mean")


class _Progress:
    """One line per variant and fold; Keras draws its own bar inside fit when attached to a terminal."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.keras_verbose = 0 if quiet or not sys.stdout.isatty() else 1

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)


def _validate(experiment: Experiment) -> None:
    """Catch user mistakes (unknown builder or hyperparameter) before anything is written."""
    from kerasdl import models

    for variant in experiment.variants:
        if variant.builder is None:
            continue
        info = models.get(variant.builder)
        if variant.api not in info.apis:
            raise UserError(f"builder {variant.builder!r} has no {variant.api!r} form; "
                            f"it supports: {', '.join(info.apis)}")
        accepted = models.hyperparameters(variant.builder)
        unknown = sorted(set(variant.hyperparameters) - set(accepted))
        if unknown:
            raise UserError(f"builder {variant.builder!r} has no hyperparameter {', '.join(unknown)}; "
                            f"accepted: {', '.join(sorted(accepted))}")


def _load_dataset(experiment: Experiment, quick: bool, seed: int) -> Dataset:
    if isinstance(experiment.dataset, Dataset):
        dataset = experiment.dataset
    else:
        from kerasdl import data

        dataset = data.load(experiment.dataset, seed=seed, **experiment.dataset_options)
    return dataset.subsample(experiment.quick_samples, seed=seed) if quick else dataset


def _encode(dataset: Dataset, fold: Fold) -> tuple[np.ndarray, ...]:
    """Features of the fold's rows as float32 arrays, preprocessing fitted on training rows only."""
    x_train, y_train = dataset.rows(fold.train)
    x_val, y_val = dataset.rows(fold.val)
    x_test, y_test = dataset.rows(fold.test)
    pre = dataset.preprocessor()
    if pre is not None:
        x_train = pre.fit_transform(x_train)
        x_val, x_test = pre.transform(x_val), pre.transform(x_test)
    as32 = lambda a: np.asarray(a, dtype=np.float32) if np.asarray(a).dtype.kind == "f" else np.asarray(a)  # noqa: E731
    return as32(x_train), y_train, as32(x_val), y_val, as32(x_test), y_test


def _as_scores(task: str, raw: np.ndarray) -> np.ndarray:
    """Predictions in the record's layout: (n, n_classes) probabilities, or (n,) for regression."""
    raw = np.asarray(raw, dtype=np.float64)
    if task == "regression":
        return raw.reshape(-1)
    if task == "binary" and (raw.ndim == 1 or raw.shape[1] == 1):
        positive = raw.reshape(-1)
        return np.column_stack([1.0 - positive, positive])
    return raw


def _output_units(dataset: Dataset) -> int:
    return dataset.n_classes if dataset.task == "multiclass" else 1


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


class _Runner:
    """Runs every variant of one experiment into one RunDir."""

    def __init__(self, experiment: Experiment, dataset: Dataset, folds: list[Fold], run_dir: runs.RunDir,
                 *, quick: bool, seed: int, progress: _Progress, tensorboard: bool) -> None:
        self.experiment, self.dataset, self.folds = experiment, dataset, folds
        self.run_dir, self.quick, self.seed = run_dir, quick, seed
        self.progress, self.tensorboard = progress, tensorboard
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
                                "loss": variant.loss or _default_loss(self.dataset.task)}
            entry["fit"] = {"epochs": self._epochs(variant), "batch_size": variant.batch_size,
                            "early_stopping_patience": variant.patience}
        fold_metrics: list[dict[str, float]] = []
        started = time.perf_counter()
        try:
            for fold in self.folds:
                self.progress.say(f"[{position}/{len(self.experiment.variants)}] {variant.label}: "
                                  f"fold {fold.index + 1}/{len(self.folds)}")
                fold_entry, scores = (self._keras_fold if variant.builder else self._sklearn_fold)(
                    variant, fold, entry)
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
            entry["status"] = "failed"
            entry["error"] = traceback.format_exc()
            self.progress.say(f"    failed: {entry['error'].strip().splitlines()[-1]}")
        finally:
            self._summarise(entry, fold_metrics, time.perf_counter() - started)

    def _epochs(self, variant: Variant) -> int:
        return min(variant.epochs, self.experiment.quick_epochs) if self.quick else variant.epochs

    def _headline(self) -> str:
        from kerasdl import metrics

        return self.experiment.headline_metric or metrics.HEADLINE.get(self.dataset.task, "loss")

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
        model.fit(x_fit, y_fit)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        if self.dataset.task == "regression":
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

    # -- Keras models ----------------------------------------------------------------------------
    def _keras_fold(self, variant: Variant, fold: Fold, entry: dict[str, Any]):
        import keras

        from kerasdl import models

        x_train, y_train, x_val, y_val, x_test, _ = _encode(self.dataset, fold)
        keras.utils.set_random_seed(self.seed)  # same seed → same weights and shuffles → same metrics
        model = models.build(variant.builder, x_train.shape[1:], _output_units(self.dataset),
                             api=variant.api, **self._builder_hyper(variant))
        optimizer = keras.optimizers.get({"class_name": variant.optimizer,
                                          "config": {"learning_rate": variant.learning_rate}})
        task = self.dataset.task
        model.compile(optimizer=optimizer, loss=variant.loss or _default_loss(task),
                      metrics=["accuracy"] if task in ("binary", "multiclass") else ["mae"])
        entry["parameter_count"] = int(model.count_params())
        entry["model_summary"] = _model_summary(model)

        callbacks = [keras.callbacks.TerminateOnNaN()]
        if variant.patience is not None:
            callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=variant.patience,
                                                           restore_best_weights=True))
        log_dir = f"logs/{variant.name}/fold{fold.index}"
        callbacks.append(keras.callbacks.CSVLogger(str(self.run_dir.file(f"{log_dir}/history.csv"))))
        if self.tensorboard:
            callbacks.append(keras.callbacks.TensorBoard(log_dir=str(self.run_dir.path / log_dir),
                                                         histogram_freq=0, write_graph=False,
                                                         profile_batch=0))
        entry["artifacts"]["logs"] = f"logs/{variant.name}"
        t0 = time.perf_counter()
        history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=self._epochs(variant),
                            batch_size=variant.batch_size, callbacks=callbacks,
                            verbose=self.progress.keras_verbose)
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
        scores = _as_scores(task, model.predict(x_test, batch_size=1024, verbose=0))
        fold_entry["evaluate_s"] = time.perf_counter() - t0
        if fold.index == self.folds[-1].index:  # keep the last fold's model; every fold's would multiply disk use
            model.save(self.run_dir.file(f"models/{variant.name}.keras"))
            entry["artifacts"]["model"] = f"models/{variant.name}.keras"
        return fold_entry, scores

    def _builder_hyper(self, variant: Variant) -> dict[str, Any]:
        hyper = dict(variant.hyperparameters)
        if self.dataset.task == "regression":
            hyper.setdefault("output_activation", "linear")
        return hyper


def run(experiment: Experiment, *, quick: bool = False, seed: int = 0, out: str | Path = "reports",
        quiet: bool = False, tensorboard: bool = True) -> RunRecord:
    """Run every variant of `experiment` and write its run record under `out/<experiment>/<run-id>/`.

    User errors (unknown dataset, builder or hyperparameter, impossible folds) are raised before any
    file is written. A variant that fails or diverges is recorded and the run goes on. Ctrl-C ends the
    run as `interrupted` with a valid record, then re-raises KeyboardInterrupt.
    """
    progress = _Progress(quiet)
    _validate(experiment)
    dataset = _load_dataset(experiment, quick, seed)
    n_folds = min(experiment.folds, experiment.quick_folds) if quick else experiment.folds
    folds = make_folds(dataset, kind=experiment.evaluation, folds=n_folds,
                       validation_fraction=experiment.validation_fraction, seed=seed)

    run_dir = runs.RunDir(out, experiment.name)
    started = datetime.now(timezone.utc)
    record: dict[str, Any] = {
        "schema_version": runs.SCHEMA_VERSION, "run_id": run_dir.run_id, "status": "completed",
        "error": None, "started": started.isoformat(timespec="seconds"), "finished": None,
        "duration_s": None, "seed": seed, "quick": quick,
        "experiment": {
            "name": experiment.name, "title": experiment.title or experiment.name,
            "description": experiment.description, "notes_ref": experiment.notes_ref,
            "evaluation": ({"kind": "cv", "folds": len(folds),
                            "stratified": dataset.task in ("binary", "multiclass")}
                           if experiment.evaluation == "cv" else {"kind": "holdout", "split": "test"}),
            "headline_metric": None, "references": experiment.references,
        },
        "dataset": dataset.summary(), "environment": environment.describe(with_devices=False),
        "variants": [],
    }
    runner = _Runner(experiment, dataset, folds, run_dir, quick=quick, seed=seed, progress=progress,
                     tensorboard=tensorboard)
    record["experiment"]["headline_metric"] = runner._headline()
    progress.say(f"{experiment.name}: {dataset.name} ({dataset.n_samples} rows, {dataset.task}), "
                 f"{len(experiment.variants)} variants × {len(folds)} fold(s) → {run_dir.final}")
    t_start = time.perf_counter()
    try:
        for position, variant in enumerate(experiment.variants, start=1):
            try:
                runner.run_variant(position, variant, into=record["variants"])
            finally:
                _flush(run_dir, record, runner)
    except KeyboardInterrupt:
        record["status"] = "interrupted"
        record["error"] = "interrupted by the user (Ctrl-C); variants finished before it are complete"
        _close(run_dir, record, runner, t_start)
        raise
    record["status"] = runs.worst_status(v["status"] for v in record["variants"])
    failed = [v["name"] for v in record["variants"] if v["status"] == "failed"]
    if failed:
        record["error"] = f"variant(s) failed: {', '.join(failed)}"
    _close(run_dir, record, runner, t_start)
    return RunRecord(run_dir.final, record)


def _flush(run_dir: runs.RunDir, record: Mapping[str, Any], runner: _Runner) -> None:
    """Write what is known so far, so a later crash still leaves every finished variant on disk."""
    run_dir.write_history(runner.history_rows)
    run_dir.write_predictions(runner.predictions)
    run_dir.write_json("run.json", record)


def _close(run_dir: runs.RunDir, record: dict[str, Any], runner: _Runner, t_start: float) -> None:
    record["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    record["duration_s"] = time.perf_counter() - t_start
    record["environment"] = environment.describe()
    _flush(run_dir, record, runner)
    run_dir.finish()
