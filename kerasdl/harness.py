"""One fit/evaluate harness for every experiment: Experiment/Variant → folds → fit → metrics → run record.

An experiment script only declares *what* to compare (a dataset and a list of variants); this module
does the rest the same way for every variant, Keras model or scikit-learn baseline alike: same folds,
same preprocessing (fitted on training rows only), same metrics, same record. Keras is imported only
when a Keras variant is trained, so declaring experiments stays cheap.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


from kerasdl import environment, runs
from kerasdl.data.dataset import Dataset
from kerasdl.errors import UserError
from kerasdl.folds import make_folds
from kerasdl.training import STOP_REQUESTED, FoldArrays, Progress, Runner

__all__ = ["Analysis", "Experiment", "Variant", "FoldArrays", "RunRecord", "run"]


_OWNED_FIT_ARGUMENTS = {"x", "y", "epochs", "batch_size", "callbacks", "validation_data", "validation_split",
                        "validation_freq", "verbose", "initial_epoch"}


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
    optimizer_options: dict[str, Any] = field(default_factory=dict)  # e.g. {"momentum": 0.9, "nesterov": True}
    loss: str | None = None          # None: chosen from the task
    epochs: int = 50
    batch_size: int | str = 32       # "full": one batch of every training row (full-batch gradient descent)
    patience: int | None = 10        # EarlyStopping on val_loss, best weights restored; None: off
    callbacks: tuple[Callable[[], Any], ...] = ()  # factories: a fresh Keras callback per fold
    probe: Callable[[Any, FoldArrays], dict[str, Any]] | None = None  # measures the fitted model per fold
    fit_kwargs: dict[str, Any] = field(default_factory=dict)  # anything else for model.fit (e.g. shuffle)

    def __post_init__(self) -> None:
        if (self.builder is None) == (self.estimator is None):
            raise ValueError(f"Variant {self.name!r}: expected exactly one of builder= or estimator=")
        self.label = self.label or self.name
        # The harness owns these: it records one history row per epoch with val_loss, picks the best
        # epoch from it, and feeds the fold's arrays itself. validation_freq > 1 would leave epochs
        # without val_loss and silently misplace early stopping and the best epoch.
        owned = sorted(set(self.fit_kwargs) & _OWNED_FIT_ARGUMENTS)
        if owned:
            raise ValueError(f"Variant {self.name!r}: fit_kwargs may not set {', '.join(owned)}; "
                             "use the Variant's own fields (epochs, batch_size, callbacks, patience)")

    @property
    def kind(self) -> str:
        return "keras" if self.builder else "sklearn"


@dataclass(frozen=True)
class Analysis:
    """What an experiment's `analyze` hook sees once every variant has run."""

    record: dict[str, Any]              # run.json so far (variants with metrics, folds and probes)
    dataset: Dataset | None
    quick: bool
    history: list[dict[str, Any]]       # history.csv rows: variant, fold, epoch, loss, val_loss, ...
    predictions: dict[str, Any]         # predictions.npz arrays by key "<variant>/fold<k>/<what>"
    seed: int = 0

    def curve(self, variant: str, key: str = "val_loss") -> list[float]:
        """Per-epoch `key` of one variant averaged over its folds (folds that stopped early drop out)."""
        by_epoch: dict[int, list[float]] = {}
        for row in self.history:
            if row["variant"] == variant and key in row:
                by_epoch.setdefault(row["epoch"], []).append(row[key])
        return [sum(v) / len(v) for _, v in sorted(by_epoch.items())]


@dataclass
class Experiment:
    """A comparison of variants on one dataset, evaluated by holdout or k-fold cross-validation."""

    name: str
    dataset: str | Dataset | None
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
    # After every variant ran: analyze(Analysis) → extra report sections (docs/run-record.md).
    analyze: Callable[[Analysis], list[dict[str, Any]]] | None = None

    def __post_init__(self) -> None:
        if self.dataset is None and self.variants:
            raise ValueError(f"Experiment {self.name!r}: variants need a dataset")
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
        _check_optimizer(variant)


def _check_optimizer(variant: Variant) -> None:
    import keras

    try:
        keras.optimizers.get({"class_name": variant.optimizer, "config": {
            "learning_rate": variant.learning_rate, **variant.optimizer_options}})
    except (ValueError, TypeError) as error:
        raise UserError(f"variant {variant.name!r}: optimizer {variant.optimizer!r} with options "
                        f"{variant.optimizer_options} is not accepted by Keras ({str(error).splitlines()[0]})"
                        ) from None


def _load_dataset(experiment: Experiment, quick: bool, seed: int) -> Dataset | None:
    if experiment.dataset is None:
        return None
    if isinstance(experiment.dataset, Dataset):
        dataset = experiment.dataset
    else:
        from kerasdl import data

        dataset = data.load(experiment.dataset, seed=seed, **experiment.dataset_options)
    return dataset.subsample(experiment.quick_samples, seed=seed) if quick else dataset


def run(experiment: Experiment, *, quick: bool = False, seed: int = 0, out: str | Path = "reports",
        quiet: bool = False, tensorboard: bool = True, checkpoint: bool = False) -> RunRecord:
    """Run every variant of `experiment` and write its run record under `out/<experiment>/<run-id>/`.

    User errors (unknown dataset, builder or hyperparameter, impossible folds) are raised before any
    file is written. A variant that fails or diverges is recorded and the run goes on. Ctrl-C ends the
    run as `interrupted` with a valid record, then re-raises KeyboardInterrupt. `tensorboard` writes
    TensorBoard logs per fold; `checkpoint` adds ModelCheckpoint (best val_loss) and BackupAndRestore.
    """
    progress = Progress(quiet)
    _validate(experiment)
    dataset = _load_dataset(experiment, quick, seed)
    n_folds = min(experiment.folds, experiment.quick_folds) if quick else experiment.folds
    folds = [] if dataset is None else make_folds(dataset, kind=experiment.evaluation, folds=n_folds,
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
            "evaluation": _evaluation(experiment, dataset, len(folds)),
            "headline_metric": None, "references": experiment.references,
        },
        "dataset": dataset.summary() if dataset is not None else None,
        "environment": environment.describe(with_devices=False),
        "variants": [], "sections": [],
    }
    runner = Runner(experiment, dataset, folds, run_dir, quick=quick, seed=seed, progress=progress,
                     tensorboard=tensorboard, checkpoint=checkpoint)
    record["experiment"]["headline_metric"] = runner._headline()
    if dataset is not None:
        progress.say(f"{experiment.name}: {dataset.name} ({dataset.n_samples} rows, {dataset.task}), "
                     f"{len(experiment.variants)} variants × {len(folds)} fold(s) → {run_dir.final}")
    t_start = time.perf_counter()
    restore = _handle_ctrl_c(progress)
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
    finally:
        restore()
    record["status"] = runs.worst_status(v["status"] for v in record["variants"])
    failed = [v["name"] for v in record["variants"] if v["status"] == "failed"]
    if failed:
        record["error"] = f"variant(s) failed: {', '.join(failed)}"
    if experiment.analyze is not None:
        try:
            analysis = Analysis(record, dataset, quick, runner.history_rows, runner.predictions, seed)
            record["sections"] = runs.json_safe(experiment.analyze(analysis))
        except KeyboardInterrupt:
            record["status"], record["error"] = "interrupted", "interrupted by the user (Ctrl-C) during analysis"
            _close(run_dir, record, runner, t_start)
            raise
        except Exception:  # our bug: keep the record, mark it failed, show the traceback in the report
            record["status"] = "failed"
            record["error"] = "analysis failed:\n" + traceback.format_exc()
    _close(run_dir, record, runner, t_start)
    return RunRecord(run_dir.final, record)


def _handle_ctrl_c(progress: Progress) -> Callable[[], None]:
    """First Ctrl-C: stop at the next batch and record the run as interrupted; second: stop at once."""
    import signal
    import threading

    STOP_REQUESTED.clear()
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signal handlers belong to the main thread; plain KeyboardInterrupt elsewhere

    def on_ctrl_c(signum, frame):
        if STOP_REQUESTED.is_set():
            raise KeyboardInterrupt
        STOP_REQUESTED.set()
        progress.say("\nCtrl-C: stopping after the current batch (press again to stop at once)")

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    return lambda: signal.signal(signal.SIGINT, previous)


def _evaluation(experiment: Experiment, dataset: Dataset | None, n_folds: int) -> dict[str, Any]:
    if dataset is None:
        return {"kind": "none"}
    if experiment.evaluation == "cv":
        return {"kind": "cv", "folds": n_folds, "stratified": dataset.task in ("binary", "multiclass")}
    return {"kind": "holdout", "split": "test"}


def _flush(run_dir: runs.RunDir, record: Mapping[str, Any], runner: Runner) -> None:
    """Write what is known so far, so a later crash still leaves every finished variant on disk."""
    run_dir.write_history(runner.history_rows)
    run_dir.write_predictions(runner.predictions)
    run_dir.write_json("run.json", record)


def _close(run_dir: runs.RunDir, record: dict[str, Any], runner: Runner, t_start: float) -> None:
    record["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    record["duration_s"] = time.perf_counter() - t_start
    record["environment"] = environment.describe()
    _flush(run_dir, record, runner)
    run_dir.finish()
