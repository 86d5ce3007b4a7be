"""The run loop: validate, load the dataset once, fit every variant on every fold, score, write the record.

A variant that fails or diverges is recorded and the run goes on; Ctrl-C ends the run as
`interrupted` with a valid record of what finished. Everything task-specific is asked of the task
(kerasdl.tasks); everything about how a model trains is asked of the variant's trainer.
"""

from __future__ import annotations

import dataclasses

import inspect
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from kerasdl import environment, runs
from kerasdl.data.dataset import Dataset
from kerasdl.errors import UserError
from kerasdl.folds import Fold, make_folds

from .control import STOP_REQUESTED, Progress, check_stop, interruptible, stop_at_once_if_interruptible
from .distribute import PeerLost, chiefs_word, peers_watched, writes_output
from .distribute import prepare as distribute_prepare
from .fold import FoldFitter, FoldResult, dataset_task, resolve_monitor, resolve_trainer
from .fit_memory import GarbageBudget, released_custom_gradients
from .resume import Resumed, open_partial, splice_fit
from .spec import Analysis, Experiment, RunRecord, Variant

_INTERRUPTED = "interrupted (Ctrl-C or SIGTERM)"  # the error text of whatever a stop request ended

__all__ = ["run"]


def _validate(experiment: Experiment) -> None:
    """Catch user mistakes (unknown builder or hyperparameter, bad optimizer) before anything is written."""
    from kerasdl import models

    runs.check_name(experiment.name)  # it becomes a folder: nothing outside --out, nothing hidden
    for variant in experiment.variants:
        if variant.builder is None:
            continue
        if isinstance(variant.builder, str):
            models.check(variant.builder, variant.api, variant.hyperparameters)
        else:
            _check_callable_builder(variant)
        _check_optimizer(variant)


def _check_callable_builder(variant: Variant) -> None:
    """A user's builder function: (input_shape, outputs, **hyper) must accept the variant's hyperparameters."""
    parameters = inspect.signature(variant.builder).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    accepted = set(list(parameters)[2:]) - {"api"}
    unknown = sorted(set(variant.hyperparameters) - accepted)
    if unknown:
        raise UserError(f"builder {variant.builder_name!r} has no hyperparameter {', '.join(unknown)}; "
                        f"accepted: {', '.join(sorted(accepted)) or 'none'}")


def _check_optimizer(variant: Variant) -> None:
    from kerasdl.trainers import make_optimizer

    try:
        make_optimizer(variant.optimizer, variant.learning_rate, **variant.optimizer_options)
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


def headline_of(experiment: Experiment, dataset: Dataset | None) -> str:
    """The experiment's own headline metric, else its task's."""
    if experiment.headline_metric:
        return experiment.headline_metric
    return dataset_task(dataset).headline if dataset is not None else "loss"


class _Runner:
    """Runs every variant of one experiment into one RunDir, collecting history and predictions."""

    def __init__(self, experiment: Experiment, dataset: Dataset, folds: list[Fold], run_dir: runs.RunDir, *,
                 quick: bool, seed: int, progress: Progress, tensorboard: bool, checkpoint: bool) -> None:
        self.experiment, self.dataset, self.folds, self.quick = experiment, dataset, folds, quick
        self.progress = progress
        self.headline = headline_of(experiment, dataset)
        self.history_rows: list[dict[str, Any]] = []
        self.predictions: dict[str, np.ndarray] = {}
        self.resume: Resumed | None = None  # set by run(resume=...): what an abandoned run already finished
        self.flush: Callable[[], None] = lambda: None
        if dataset is not None:
            self.task = dataset_task(dataset)
            self.fitter = FoldFitter(dataset, run_dir, seed=seed, epochs=self.epochs, progress=progress,
                                     tensorboard=tensorboard, checkpoint=checkpoint,
                                     last_fold=folds[-1].index if folds else -1, distribute=experiment.distribute)

    def epochs(self, variant: Variant) -> int:
        return min(variant.epochs, self.experiment.quick_epochs) if self.quick else variant.epochs

    def _entry(self, variant: Variant) -> dict[str, Any]:
        keras_variant = variant.builder is not None
        entry: dict[str, Any] = {
            "name": variant.name, "label": variant.label, "kind": variant.kind, "builder": variant.builder_name,
            "api": variant.api if keras_variant else None,
            "hyperparameters": dict(variant.hyperparameters) if keras_variant
            else variant.estimator.get_params(deep=False),
            "compile": None, "fit": None, "parameter_count": None, "status": "completed", "error": None,
            "metrics": {}, "confusion_matrix": None, "folds": [], "timings": {}, "model_summary": [],
            "artifacts": {},
        }
        if keras_variant:
            trainer = resolve_trainer(variant, self.task)
            entry["compile"] = {"optimizer": variant.optimizer, "learning_rate": variant.learning_rate,
                                **variant.optimizer_options,
                                "loss": _loss_name(variant.loss) if variant.loss else self.task.loss_name}
            entry["fit"] = {"epochs": self.epochs(variant), "batch_size": variant.batch_size,
                            "early_stopping_patience": variant.patience,
                            "monitor": resolve_monitor(variant, trainer, self.task)}
            if variant.trainer is not None:
                entry["fit"]["trainer"] = type(variant.trainer).__name__
        return entry

    def run_variant(self, position: int, variant: Variant, into: list[dict[str, Any]]) -> None:
        """Append the variant's entry to `into` first, then fill it, so an interrupt still records it."""
        if self.resume is not None and (done := self.resume.finished_variant(variant.name, self)) is not None:
            into.append(done)  # finished before the crash: kept as recorded (kerasdl/harness/resume.py)
            return
        entry = self._entry(variant)
        into.append(entry)
        fold_metrics: list[dict[str, float]] = []
        started = time.perf_counter()
        fit = self.fitter.keras if variant.builder is not None else self.fitter.sklearn
        try:
            for fold in self.folds:
                if self.resume is not None and (done := self.resume.finished_fold(variant.name, fold.index, self)):
                    entry["folds"].append(done)
                    fold_metrics.append(done["metrics"])
                    continue
                self.progress.fold_started(f"[{position}/{len(self.experiment.variants)}] {variant.label}: "
                                           f"fold {fold.index + 1}/{len(self.folds)}")
                check_stop()
                with released_custom_gradients():  # else TensorFlow keeps every fold's graphs (fit_memory.py)
                    with interruptible(), peers_watched(variant.distribute or self.experiment.distribute):
                        result = fit(variant, fold, entry)  # stoppable at once; a lost peer named (distribute.py)
                splice_fit(result, entry.get("_resume", {}).pop(fold.index, None), variant=variant.name,
                           fold=fold.index, monitor=result.entry.get("monitor"),
                           lower_is_better=self.task.is_lower_better(result.entry.get("monitor") or "loss"))
                self.history_rows.extend(result.history)
                check_stop()
                entry["folds"].append(result.entry)
                if result.entry["status"] == "diverged":
                    key, epoch = result.entry["diverged"]["key"], result.entry["diverged"]["epoch"]
                    entry["status"] = "diverged"
                    entry["error"] = (f"{key} became NaN/inf at epoch {epoch} of fold {fold.index + 1}; training "
                                      "stopped there (try a lower learning rate or gradient clipping)")
                    self.progress.say(f"    diverged: {entry['error']}")
                    break
                fold_metrics.append(self._score(variant, fold, result))
                self.flush()  # every finished fold on disk: a run killed hard resumes after it
        except KeyboardInterrupt:
            entry["status"] = "interrupted"
            entry["error"] = _INTERRUPTED
            raise
        except PeerLost as error:  # a multi-worker run's cluster is gone: every later fold would fail alike
            entry["status"], entry["error"] = "failed", str(error)
            raise
        except Exception:  # a bug or resource failure in this variant: record it, keep the others going
            if STOP_REQUESTED.is_set():  # Ctrl-C that TensorFlow turned into another exception
                entry["status"], entry["error"] = "interrupted", _INTERRUPTED
                raise KeyboardInterrupt from None
            entry["status"] = "failed"
            entry["error"] = traceback.format_exc()
            self.progress.say(f"    failed: {entry['error'].strip().splitlines()[-1]}")
        finally:
            entry.pop("_resume", None)
            self._summarise(entry, fold_metrics, time.perf_counter() - started)

    def _score(self, variant: Variant, fold: Fold, result: FoldResult) -> dict[str, float]:
        y_true = self.dataset.target[fold.test]
        key = f"{variant.name}/fold{fold.index}"
        self.predictions.update({f"{key}/y_true": y_true, f"{key}/y_score": result.scores,
                                 f"{key}/index": fold.test})
        t0 = time.perf_counter()
        found = self.task.metrics(y_true, result.scores, class_names=self.dataset.class_names,
                                  n_features=result.entry.pop("_n_features", None))
        result.entry["evaluate_s"] += time.perf_counter() - t0
        result.entry["metrics"] = found
        shown = f"{self.headline} {found[self.headline]:.4f}  " if self.headline in found else ""
        self.progress.fold_finished(f"{shown}({result.entry['fit_s']:.1f} s)")
        return found

    def _summarise(self, entry: dict[str, Any], fold_metrics: list[dict[str, float]], total_s: float) -> None:
        from kerasdl import metrics

        for fold in entry["folds"]:
            fold.pop("_n_features", None)
        names = sorted({k for m in fold_metrics for k in m})
        entry["metrics"] = {k: metrics.summarize_folds([m.get(k, float("nan")) for m in fold_metrics])
                            for k in names}
        entry["timings"] = {"fit_s": sum(f.get("fit_s", 0.0) for f in entry["folds"]),
                            "evaluate_s": sum(f.get("evaluate_s", 0.0) for f in entry["folds"]),
                            "total_s": total_s}
        if not fold_metrics:
            return
        matrix = None
        for fold in entry["folds"]:
            key = f"{entry['name']}/fold{fold['fold']}"
            if f"{key}/y_score" in self.predictions:
                found = self.task.confusion(self.predictions[f"{key}/y_true"], self.predictions[f"{key}/y_score"],
                                            self.dataset.n_classes)
                if found is not None:
                    matrix = found if matrix is None else matrix + found
        entry["confusion_matrix"] = matrix.astype(int).tolist() if matrix is not None else None


def _loss_name(loss: Any) -> str:
    return loss if isinstance(loss, str) else getattr(loss, "name", None) or type(loss).__name__


def run(experiment: Experiment, *, quick: bool = False, seed: int = 0, out: str | Path = "reports",
        quiet: bool = False, tensorboard: bool = True, checkpoint: bool = False,
        resume: str | Path | None = None) -> RunRecord:
    """Run every variant of `experiment` and write its run record under `out/<experiment>/<run-id>/`.

    User errors (unknown dataset, builder or hyperparameter, impossible folds) are raised before any
    file is written. A variant that fails or diverges is recorded and the run goes on. Ctrl-C ends the
    run as `interrupted` with a valid record, then re-raises KeyboardInterrupt. `tensorboard` writes
    TensorBoard logs per fold; `checkpoint` adds ModelCheckpoint (best monitored value). `resume` (an
    abandoned `.partial` folder, an interrupted run, or "last") continues that run instead of starting
    one: same run id, seed and mode, finished variants and folds kept (kerasdl/harness/resume.py).
    """
    progress = Progress(quiet)
    # tf.distribute first (a multi-worker strategy must exist before TensorFlow runs anything); a
    # non-chief worker of a multi-worker run writes nothing to `out` (kerasdl/harness/distribute.py)
    shared, out = out, distribute_prepare(out, experiment)
    _validate(experiment)
    resumed = None
    if resume is not None:  # every host of a multi-worker run resumes the chief's partial run (resume.py)
        resumed = open_partial(resume, shared, experiment.name,
                               follow_into=None if writes_output(experiment) else Path(out),
                               agree=lambda decide: chiefs_word(experiment, decide, "which run to resume"))
        quick, seed = resumed.quick, resumed.seed  # the killed run's settings, whatever the command line says
    if quick and experiment.quick_variants:
        experiment = dataclasses.replace(
            experiment, variants=[v for v in experiment.variants if v.name in experiment.quick_variants])
    dataset = _load_dataset(experiment, quick, seed)
    n_folds = min(experiment.folds, experiment.quick_folds) if quick else experiment.folds
    folds = [] if dataset is None else make_folds(dataset, kind=experiment.evaluation, folds=n_folds,
                                                  validation_fraction=experiment.validation_fraction, seed=seed)

    run_dir = resumed.run_dir if resumed is not None else runs.RunDir(out, experiment.name)
    runner = _Runner(experiment, dataset, folds, run_dir, quick=quick, seed=seed, progress=progress,
                     tensorboard=tensorboard, checkpoint=checkpoint)
    record: dict[str, Any] = {
        "schema_version": runs.SCHEMA_VERSION, "run_id": run_dir.run_id, "status": "completed",
        "error": None, "started": runs.now(), "finished": None,
        "duration_s": None, "seed": seed, "quick": quick,
        "experiment": {
            "name": experiment.name, "title": experiment.title or experiment.name,
            "description": experiment.description, "notes_ref": experiment.notes_ref,
            "evaluation": _evaluation(experiment, dataset, len(folds)),
            "headline_metric": runner.headline, "references": experiment.references,
        },
        "dataset": dataset.summary() if dataset is not None else None,
        "environment": environment.describe(with_devices=False),
        "variants": [], "sections": [],
    }
    runner.flush = lambda: _flush(run_dir, record, runner)
    if resumed is not None:
        runner.resume = resumed
        record.update(started=resumed.started() or record["started"],
                      resumed=[*resumed.record.get("resumed", []), runs.now()])
        progress.say(f"resuming {run_dir.path} (seed {seed}{', quick' if quick else ''}): finished variants and "
                     "folds are kept, the rest runs now")
    else:  # on disk before the first fold ends: a run killed in its first fit still has a record to resume
        _flush(run_dir, record, runner)
    if dataset is not None:
        progress.begin(len(experiment.variants) * len(folds),
                       f"{experiment.name}: {dataset.name} ({dataset.n_samples} rows, {dataset.task}), "
                       f"{len(experiment.variants)} variants × {len(folds)} fold(s) → {run_dir.final}")
    t_start = time.perf_counter()
    restore = _handle_ctrl_c(progress)
    collect = GarbageBudget()
    try:
        for position, variant in enumerate(experiment.variants, start=1):
            try:
                runner.run_variant(position, variant, into=record["variants"])
            finally:
                _flush(run_dir, record, runner)
            collect()  # the finished variant's model is cyclic garbage; free it before the next (fit_memory.py)
    except KeyboardInterrupt:
        record["status"] = "interrupted"
        record["error"] = (f"{_INTERRUPTED}; variants finished before it are complete, and "
                           "`kerasdl run NAME --resume RUN_DIR` runs the rest")
        _close(run_dir, record, runner, t_start)
        raise
    finally:
        restore()
    record["status"] = runs.worst_status(v["status"] for v in record["variants"])
    failed = [v["name"] for v in record["variants"] if v["status"] == "failed"]
    if failed:
        record["error"] = f"variant(s) failed: {', '.join(failed)}"
    if experiment.analyze is not None:
        _analyze(experiment, Analysis(record, dataset, quick, runner.history_rows, runner.predictions, seed),
                 record, run_dir, runner, t_start)
    _close(run_dir, record, runner, t_start)
    return RunRecord(run_dir.final, record)


def _analyze(experiment: Experiment, analysis: Analysis, record: dict[str, Any], run_dir: runs.RunDir,
             runner: _Runner, t_start: float) -> None:
    from kerasdl.report.sections import as_record

    try:
        record["sections"] = runs.json_safe([as_record(section) for section in experiment.analyze(analysis)])
    except KeyboardInterrupt:
        record["status"], record["error"] = "interrupted", f"{_INTERRUPTED} during analysis"
        _close(run_dir, record, runner, t_start)
        raise
    except Exception:  # our bug: keep the record, mark it failed, show the traceback in the report
        record["status"] = "failed"
        record["error"] = "analysis failed:\n" + traceback.format_exc()


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
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        progress.say(f"\n{name}: stopping after the current batch (press Ctrl-C again to stop at once)")
        stop_at_once_if_interruptible(frame)  # inside a fold: now, not after its validation, evaluation, saving

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    # SIGTERM (`kill`, a scheduler, a container stopping) ends the run the same way: an interrupted record
    previous_term = signal.signal(signal.SIGTERM, on_ctrl_c)
    return lambda: (signal.signal(signal.SIGINT, previous), signal.signal(signal.SIGTERM, previous_term))


def _evaluation(experiment: Experiment, dataset: Dataset | None, n_folds: int) -> dict[str, Any]:
    if dataset is None:
        return {"kind": "none"}
    if experiment.evaluation == "cv":
        return {"kind": "cv", "folds": n_folds, "stratified": dataset.stratified}
    return {"kind": "holdout", "split": "test"}


def _flush(run_dir: runs.RunDir, record: dict[str, Any], runner: _Runner) -> None:
    """Write what is known so far, so a later crash still leaves every finished variant on disk."""
    run_dir.write_history(runner.history_rows)
    run_dir.write_predictions(runner.predictions)
    run_dir.write_json("run.json", record)


def _close(run_dir: runs.RunDir, record: dict[str, Any], runner: _Runner, t_start: float) -> None:
    record["finished"] = runs.now()
    record["duration_s"] = time.perf_counter() - t_start
    record["environment"] = environment.describe()
    _flush(run_dir, record, runner)
    record["disk_bytes"] = runs.disk_bytes(run_dir.path)  # what the run folder costs, shown by the report
    run_dir.write_json("run.json", record)
    run_dir.finish()
