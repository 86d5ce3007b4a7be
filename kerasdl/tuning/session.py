"""One search session: dataset → folds → space → keras-tuner tuner, run here or served to workers.

`prepare` does everything that can fail because of the user (unknown hyperparameters in MANUAL, a
grid over a continuous range, impossible folds) before a file is written; `run_local` runs the
search in this process; `run_session` wraps any way of running it (local search, or the chief's
gRPC service) with the bookkeeping in `search.json`: what was searched, how, and each session's
start, end and outcome, so that a resumed or interrupted search stays explainable. `search` is the
public entry point (`kerasdl.tuning.search`). Importing this module imports neither TensorFlow nor
keras-tuner: `kerasdl.tuning` re-exports `search` from here.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kerasdl import locks, runs
from kerasdl.errors import UserError

from .data import SearchData
from .settings import SearchSettings, search_dir
from .unit import SearchUnit

if TYPE_CHECKING:
    from kerasdl.data.dataset import Dataset

__all__ = [
    "SEARCH_FILE",
    "Prepared",
    "exclusive_session",
    "link_retrained",
    "prepare",
    "read_record",
    "run_local",
    "run_session",
    "search",
    "search_dataset",
    "search_folds",
    "sigterm_as_ctrl_c",
]

SEARCH_FILE = "search.json"


@contextmanager
def exclusive_session(folder: Path) -> Iterator[None]:
    """Hold the search folder for one session: a local search, or the chief of a distributed one (workers
    only ask the chief for trials). Two sessions writing trial files and search.json into one folder at
    once would corrupt both, and `--overwrite` deletes the folder, so the lock file sits beside it
    (`.<strategy>.lock`), taken before keras-tuner touches the folder. flock: a killed session leaves no
    stale lock (kerasdl.locks)."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        held = locks.HeldLock(folder.parent / f".{folder.name}.lock")
    except BlockingIOError:
        raise UserError(f"the search folder {folder} is in use by another `kerasdl tune` (a local search or a "
                        "chief); wait for it to finish, or give this one another --out") from None
    try:
        yield
    finally:
        held.release()


def search_dataset(unit: SearchUnit, settings: SearchSettings) -> Dataset:
    """The unit's dataset, subsampled (stratified, splits kept) for --quick."""
    dataset = unit.load_dataset(settings.seed)
    return dataset.subsample(unit.quick_samples, seed=settings.seed) if settings.quick else dataset


def _fold(dataset: Dataset, index: int, fit_rows: np.ndarray, val_rows: np.ndarray, original: np.ndarray):
    from kerasdl import tasks
    from kerasdl.folds import encode

    from .tuner import FoldData

    (x_fit, y_fit), (x_val, y_val) = encode(dataset, fit_rows, val_rows)  # preprocessing fitted on fit_rows
    outputs = tasks.get(dataset.task).output_units(dataset)
    info = SearchData(tuple(int(d) for d in x_fit.shape[1:]), outputs, dataset.task, dataset.class_names)
    return FoldData(index, x_fit, np.asarray(y_fit), x_val, np.asarray(y_val), original[val_rows], info)


def search_folds(dataset: Dataset, cv: int, seed: int) -> list:
    """Holdout: the dataset's train rows vs its val rows. --cv K: stratified K-fold over train+val.

    The test split is never seen by a search; it is kept for `--retrain-best`.
    """
    from kerasdl.folds import make_folds

    if not cv:
        fold = make_folds(dataset, kind="holdout", seed=seed)[0]
        return [_fold(dataset, 0, fold.train, fold.val, np.arange(dataset.n_samples))]
    rows = np.sort(np.concatenate([dataset.splits["train"], dataset.splits.get("val", np.array([], dtype=int))]))
    features, target = dataset.rows(rows)
    if hasattr(features, "reset_index"):
        features = features.reset_index(drop=True)
    searched = replace(dataset, features=features, target=target, splits={"train": np.arange(len(rows))})
    folds = []
    for fold in make_folds(searched, kind="cv", folds=cv, seed=seed):
        # make_folds carves an early-stopping slice out of each training part; a search scores on the
        # held-out fold instead, so that slice goes back into training.
        fit_rows = np.sort(np.concatenate([fold.train, fold.val]))
        folds.append(_fold(searched, fold.index, fit_rows, fold.test, rows))
    return folds


@dataclass
class Prepared:
    """Everything a tuner for this search needs, checked and ready."""

    unit: SearchUnit
    settings: SearchSettings
    folder: Path
    dataset: Dataset
    folds: list
    hypermodel: Any
    space: Any
    epochs: int
    max_trials: int | None
    overrides: Any = None
    enumerated: dict[str, list] = field(default_factory=dict)
    grid_points: int | None = None

    def tuner(self, *, overwrite: bool, quiet: bool | None = None):
        from .strategies import make_tuner
        from .tuner import TrialContext

        settings = self.settings
        context = TrialContext(self.folds, settings.seed, self.epochs if settings.quick else None,
                               settings.quiet if quiet is None else quiet, self.max_trials)
        tuner = make_tuner(settings.strategy, self.hypermodel, objective=self.unit.objective,
                           max_trials=self.max_trials, epochs=self.epochs, seed=settings.seed,
                           directory=self.folder.parent, project_name=self.folder.name, overwrite=overwrite,
                           executions_per_trial=settings.executions_per_trial, context=context,
                           hyperparameters=self.overrides, manual=self.unit.manual,
                           hyperband_factor=settings.hyperband_factor)
        tuner.oracle.verbose = 0  # our own progress lines replace keras-tuner's tables
        return tuner


def _space_summary(space, grid_points: int | None) -> str:
    from .space import grid_values

    parts = [f"{hp.name} {len(grid_values(hp))}" for hp in space.space]
    return f"{grid_points} grid point(s) ({' × '.join(parts)})"


def prepare(unit: SearchUnit, settings: SearchSettings, *, announce: Callable[[str], None] | None = None) -> Prepared:
    """Load and fold the data, discover the space, refuse what a strategy cannot do; write nothing."""
    import keras_tuner

    from . import space as tuning_space
    from .tuner import UnitHyperModel

    say = announce or (lambda text: None)
    dataset = search_dataset(unit, settings)
    folds = search_folds(dataset, settings.cv, settings.seed)
    hypermodel = UnitHyperModel(unit, folds[0].info)
    space = tuning_space.discover(hypermodel, keras_tuner.Objective(*unit.objective))
    prepared = Prepared(unit, settings, search_dir(unit, settings), dataset, folds, hypermodel, space,
                        settings.effective_epochs(unit), settings.effective_max_trials(unit))
    if settings.strategy == "grid":
        prepared.overrides, prepared.enumerated = tuning_space.grid_overrides(space, settings.enumerate_continuous)
        counted = space.copy()
        if prepared.overrides is not None:
            counted = keras_tuner.HyperParameters()
            counted.merge(list(prepared.overrides.space))
            counted.merge([hp for hp in space.space if hp.name not in prepared.enumerated])
        prepared.grid_points = tuning_space.count_grid(counted)
        budget = prepared.max_trials
        say(f"grid: {_space_summary(counted, prepared.grid_points)}"
            + (f"; the budget of {budget} trial(s) covers the first {budget} in keras-tuner's order"
               if budget and budget < prepared.grid_points else ""))
        for name, values in prepared.enumerated.items():
            say(f"grid: {name} enumerated as {len(values)} values: {', '.join(f'{v:g}' for v in values)}")
    if settings.strategy == "manual":
        tuning_space.check_manual(space, unit.manual)
    return prepared


# -- search.json --------------------------------------------------------------------------------------
def read_record(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((Path(folder) / SEARCH_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_record(folder: Path, record: dict[str, Any]) -> None:
    runs.atomic_write(Path(folder) / SEARCH_FILE, runs.dumps(runs.json_safe(record)) + "\n")


def _trial_count(folder: Path) -> int:
    return len(list(Path(folder).glob("trial_*/trial.json")))


def _describe(prepared: Prepared, previous: dict[str, Any]) -> dict[str, Any]:
    from kerasdl import environment

    from . import space as tuning_space

    unit, settings = prepared.unit, prepared.settings
    fold = prepared.folds[0]
    record = dict(previous)
    record.update({
        "schema_version": 1, "kind": "kerasdl-search",
        "unit": {"name": unit.name, "title": unit.title, "source": unit.source, "notes_ref": unit.notes_ref,
                 "description": unit.description},
        "strategy": settings.strategy,
        "objective": {"name": unit.objective[0], "direction": unit.objective[1]},
        "budget": {"max_trials": prepared.max_trials, "epochs": prepared.epochs,
                   "executions_per_trial": settings.executions_per_trial, "cv": settings.cv,
                   "hyperband_factor": settings.hyperband_factor if settings.strategy == "hyperband" else None},
        "seed": settings.seed, "quick": settings.quick,
        "dataset": {**prepared.dataset.summary(), "search_rows": {
            "folds": len(prepared.folds), "fit": len(fold.y_train), "validation": len(fold.y_val)}},
        "space": tuning_space.describe(prepared.space),
        "grid_points": prepared.grid_points, "enumerated": prepared.enumerated,
        "manual": list(unit.manual) if settings.strategy == "manual" else [],
        "environment": environment.describe(),
    })
    record.setdefault("sessions", [])
    record.setdefault("retrained", [])
    record.setdefault("started", runs.now())
    return record


def run_session(prepared: Prepared, work: Callable[[], None], *, role: str = "local", workers: int = 0,
                overwrite: bool = False) -> dict[str, Any]:
    """Run `work()` (the search, or serving it) between two writes of search.json; returns the record.

    The status ends as completed, failed (an exception, or keras-tuner stopping after consecutive
    failed trials) or interrupted (Ctrl-C, re-raised after the record is written).
    """
    from .tuner import TooManyFailedTrials  # keras-tuner is loaded by now: `prepared` holds a hypermodel

    folder = prepared.folder
    record = _describe(prepared, {} if overwrite else read_record(folder))
    _close_killed_sessions(record)
    session = {"started": runs.now(), "finished": None, "status": "running", "role": role, "workers": workers,
               "trials_at_start": _trial_count(folder), "trials_at_end": None, "error": None,
               "pid": os.getpid(), "host": socket.gethostname()}
    record["sessions"].append(session)
    record.update(status="running", error=None, finished=None)
    _write_record(folder, record)
    t0 = time.perf_counter()

    def close(status: str, error: str | None) -> None:
        if status == "completed" and prepared.settings.keep_checkpoints is not None:
            record["pruned_checkpoints"] = prune_checkpoints(folder, prepared.settings.keep_checkpoints)
        session.update(finished=runs.now(), status=status, error=error, trials_at_end=_trial_count(folder),
                       duration_s=time.perf_counter() - t0)
        record.update(status=status, error=error, finished=session["finished"],
                      disk_bytes=runs.disk_bytes(folder))  # what the search folder costs, for its report
        _write_record(folder, record)

    try:
        work()
    except KeyboardInterrupt:
        close("interrupted", "interrupted by the user (Ctrl-C); re-run the same command to continue the search")
        raise
    except TooManyFailedTrials as error:
        close("failed", f"keras-tuner stopped the search: {error}")
        return record
    except BaseException:
        close("failed", traceback.format_exc())
        raise
    close("completed", None)
    return record


def run_local(unit: SearchUnit, settings: SearchSettings, *, announce: Callable[[str], None] | None = None):
    """Prepare, then run keras-tuner's search in this process; returns the folder's SearchFiles."""
    from .results import load_search

    say = announce or (lambda text: None)
    prepared = prepare(unit, settings, announce=say)
    existing = 0 if settings.overwrite else _trial_count(prepared.folder)
    fold = prepared.folds[0]
    rows = (f"{settings.cv}-fold CV over {len(fold.y_train) + len(fold.y_val)} rows" if settings.cv
            else f"{len(fold.y_train)} train / {len(fold.y_val)} validation rows")
    say(f"search {unit.name} · {settings.strategy}: {prepared.dataset.name} ({rows}), objective "
        f"{unit.objective[0]} ({unit.objective[1]}), budget {prepared.max_trials or 'whole space'} trial(s) × "
        f"{prepared.epochs} epoch(s) → {prepared.folder}"
        + (f"; continuing after {existing} trial(s) already there" if existing else ""))
    with exclusive_session(prepared.folder):
        tuner = prepared.tuner(overwrite=settings.overwrite)
        run_session(prepared, lambda: tuner.search(epochs=prepared.epochs, verbose=0), overwrite=settings.overwrite)
    return load_search(prepared.folder)


def search(unit: SearchUnit, settings: SearchSettings, *, announce: Callable[[str], None] | None = None):
    """Run (or continue) one search in this process; returns `kerasdl.tuning.results.SearchFiles`.

    Continues an existing search in the same folder unless `settings.overwrite`. User errors (grid over
    a continuous range, unknown manual hyperparameters, impossible folds) are raised before anything
    is written. Ctrl-C leaves a consistent folder (keras-tuner retries the interrupted trial on resume).
    """
    return run_local(unit, settings.checked(unit), announce=announce)


def link_retrained(folder: Path, run_record, best) -> None:
    """Remember a retrained run in search.json, so the search report links to it."""
    import os

    record = read_record(folder)
    headline = run_record.data.get("experiment", {}).get("headline_metric")
    variant = run_record.data["variants"][0] if run_record.data.get("variants") else {}
    value = (variant.get("metrics") or {}).get(headline, {}).get("mean") if headline else None
    record.setdefault("retrained", []).append({
        "run": os.path.relpath(run_record.path, folder), "trial_id": best.trial_id, "status": run_record.status,
        "metric": headline, "value": value, "created": runs.now(),
    })
    _write_record(folder, record)


def _alive(pid: Any) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, TypeError, ValueError):
        return False
    return True


def _close_killed_sessions(record: dict[str, Any]) -> None:
    """A session still "running" in search.json whose process is gone was killed hard (kill -9, power
    loss): say so. keras-tuner's own oracle.json lets the new session continue where it stopped."""
    here = socket.gethostname()
    for session in record.get("sessions", []):
        if session.get("status") == "running" and session.get("host", here) == here and not _alive(
                session.get("pid")):
            session.update(status="killed", error="the process ended without closing its session (killed hard); "
                           "the next session continued the search")


def prune_checkpoints(folder: Path, keep: int) -> list[str]:
    """Delete the saved weights of every trial but the `keep` best completed ones; returns the trials pruned.

    keras-tuner keeps each trial's best-epoch weights (`trial_*/checkpoint.weights.h5`); on a long search
    they are most of the folder. The best trials' weights stay for `--retrain-best` and `Tuner.load_model`.
    """
    from .results import load_search

    ranked = [t.trial_id for t in load_search(folder).ranked() if t.status == "completed"]
    kept = set(ranked[:keep])
    pruned = []
    for trial_dir in sorted(Path(folder).glob("trial_*")):
        files = [p for p in trial_dir.glob("checkpoint*") if p.is_file()]
        if files and trial_dir.name.removeprefix("trial_") not in kept:
            for path in files:
                path.unlink(missing_ok=True)
            pruned.append(trial_dir.name.removeprefix("trial_"))
    return pruned


@contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt (as Ctrl-C does) inside the block, in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
