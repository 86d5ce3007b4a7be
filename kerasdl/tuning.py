"""Hyperparameter search with keras-tuner: search units, strategies, resumable searches, retraining.

A search unit (`tuning/<name>.py`, or a user's own `PATH.py` of the same shape) declares *what* to
search — a dataset, a hypermodel `build(hp, data)`, optionally `fit(hp, model, *args, **kwargs)` for
batch size and epochs, and an objective that names its direction. keras-tuner does the searching
(GridSearch, RandomSearch, BayesianOptimization, Hyperband; `manual` replays a list of configurations
through an Oracle of ours) into `reports/tuning/<name>/<strategy>/`, and results are read back from
keras-tuner's own files (`oracle.json`, `trial_*/trial.json`) plus a small sidecar per trial.

Modules: `tuning` (units, settings, one search, retraining), `tuning_space` (space discovery, grid
size and refusal), `tuning_tuner` (the HyperModel and the run_trial that adds --cv, stored validation
predictions and progress), `tuning_session` (preparing and running one search, search.json),
`tuning_results` (reading a search folder without TensorFlow, CSV export), `tuning_distributed`
(chief/worker over keras-tuner's gRPC service, the one-machine launcher). Importing this module
imports neither TensorFlow nor keras-tuner, so `kerasdl tune --list` stays instant.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from kerasdl.errors import UserError, closest_names

__all__ = [
    "STRATEGIES", "SearchData", "SearchSettings", "SearchUnit", "available", "compiled_model", "load_unit",
    "replay", "retrain_best", "search", "search_dir", "variant_from",
]

STRATEGIES = ("grid", "random", "bayesian", "hyperband", "manual")
COMPARED = ("grid", "random", "bayesian", "hyperband")  # --compare: keras-tuner's four searchers
_COMPILE_KEYS = ("optimizer", "learning_rate", "batch_size")


# -- what a model is built for ------------------------------------------------------------------------
@dataclass(frozen=True)
class SearchData:
    """What `build(hp, data)` needs to know about the data: shapes and the task, never the rows."""

    input_shape: tuple[int, ...]
    outputs: int
    task: str
    class_names: tuple[str, ...] = ()

    @property
    def loss(self) -> str:
        return {"binary": "binary_crossentropy", "multiclass": "sparse_categorical_crossentropy"}.get(self.task, "mse")

    def metrics(self) -> list:
        """Accuracy (+ exact-named AUC for binary tasks, so `val_auc` can be an objective), or MAE."""
        import keras

        if self.task == "binary":
            return ["accuracy", keras.metrics.AUC(name="auc")]
        if self.task == "multiclass":
            return ["accuracy"]
        return ["mae"]


def compiled_model(builder: str, data: SearchData, *, optimizer: str = "adam", learning_rate: float = 1e-3,
                   api: str = "sequential", **hyper: Any):
    """A registered kerasdl builder, built for `data` and compiled with the task's loss and metrics."""
    import keras

    from kerasdl import models

    if data.task == "regression":
        hyper.setdefault("output_activation", "linear")
    model = models.build(builder, data.input_shape, data.outputs, api=api, **hyper)
    model.compile(optimizer=keras.optimizers.get({"class_name": optimizer, "config": {"learning_rate": learning_rate}}),
                  loss=data.loss, metrics=data.metrics())
    return model


def replay(declare: Callable[[Any], dict], values: Mapping[str, Any]) -> dict:
    """What `declare(hp)` returns when every hyperparameter holds its recorded value (retraining a trial)."""
    import keras_tuner

    hp = keras_tuner.HyperParameters()
    hp.values = dict(values)  # a declared hyperparameter keeps a value already present
    return declare(hp)


def variant_from(builder: str, settings: Mapping[str, Any], **fit: Any):
    """A harness Variant from a unit's settings: optimizer/learning rate/batch size go to compile/fit."""
    from kerasdl.harness import Variant

    settings = dict(settings)
    compile_settings = {key: settings.pop(key) for key in _COMPILE_KEYS if key in settings}
    return Variant("best", builder=builder, hyperparameters=settings, **compile_settings, **fit)


# -- search units -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SearchUnit:
    """A search file read into one object: the module plus its declarations with defaults filled in.

    Module attributes: `build(hp, data)` or `build(hp)` (required: returns a compiled model),
    `DATASET` (a registered dataset name, or a function `dataset(seed) -> Dataset`; required),
    `OBJECTIVE` (`("val_auc", "max")` or a `keras_tuner.Objective`; required, the direction is never
    guessed), and optionally `NAME`, `TITLE`, `NOTES_REF`, `fit(hp, model, *args, **kwargs)`,
    `MAX_TRIALS` (10), `EPOCHS` (20), `BATCH_SIZE` (32, when there is no `fit`), `QUICK_SAMPLES` (300),
    `QUICK_EPOCHS` (2), `MANUAL` (list of {name: value} for `--strategy manual`) and
    `variant(values) -> kerasdl.harness.Variant` (for `--retrain-best`).
    """

    name: str
    title: str
    source: str                    # unit name for a registered unit, else the file path
    module: ModuleType
    objective: tuple[str, str]     # (metric name, "min" | "max")
    dataset: Any                   # name or loader
    max_trials: int = 10
    epochs: int = 20
    batch_size: int = 32
    quick_samples: int = 300
    quick_epochs: int = 2
    manual: tuple[dict, ...] = ()
    notes_ref: str = ""
    description: str = ""
    dataset_options: dict[str, Any] = field(default_factory=dict)

    @property
    def has_fit(self) -> bool:
        return callable(getattr(self.module, "fit", None))

    def build(self, hp, data: SearchData):
        build = self.module.build
        wants_data = len(inspect.signature(build).parameters) >= 2
        return build(hp, data) if wants_data else build(hp)

    def fit(self, hp, model, *args, **kwargs):
        return self.module.fit(hp, model, *args, **kwargs)

    def variant(self, values: Mapping[str, Any]):
        make = getattr(self.module, "variant", None)
        if not callable(make):
            raise UserError(f"search unit {self.name!r} has no variant(values) function, so its best trial "
                            "cannot be retrained as a run; add one that returns a kerasdl.harness.Variant")
        return make(dict(values))

    def load_dataset(self, seed: int):
        from kerasdl import data
        from kerasdl.data.dataset import Dataset

        if callable(self.dataset):
            loaded = self.dataset(seed)
            if not isinstance(loaded, Dataset):
                raise UserError(f"{self.source}: DATASET(seed) must return a kerasdl.data.Dataset. "
                                f"Received: {type(loaded).__name__}")
            return loaded
        return data.load(self.dataset, seed=seed, **self.dataset_options)


def _objective(module: ModuleType, where: str) -> tuple[str, str]:
    objective = getattr(module, "OBJECTIVE", None)
    if objective is None:
        raise UserError(f"{where}: no OBJECTIVE; declare the metric and its direction, e.g. "
                        "OBJECTIVE = ('val_auc', 'max')")
    if hasattr(objective, "name") and hasattr(objective, "direction"):  # a keras_tuner.Objective
        objective = (objective.name, objective.direction)
    if isinstance(objective, str) or len(objective) != 2 or objective[1] not in ("min", "max"):
        raise UserError(f"{where}: OBJECTIVE must name its direction, e.g. ('val_auc', 'max') or "
                        f"('val_loss', 'min'). Received: OBJECTIVE={objective!r}")
    return str(objective[0]), str(objective[1])


def _from_module(module: ModuleType, source: str, default_name: str) -> SearchUnit:
    if not callable(getattr(module, "build", None)):
        raise UserError(f"{source}: a search file needs a function build(hp, data) (or build(hp)) that returns "
                        "a compiled Keras model; see tuning/mlp_heart.py for the whole shape")
    dataset = getattr(module, "DATASET", None) or getattr(module, "dataset", None)
    if dataset is None:
        raise UserError(f"{source}: no DATASET; name a dataset (see `kerasdl datasets`) or give a function "
                        "dataset(seed) returning a kerasdl.data.Dataset")
    manual = getattr(module, "MANUAL", ()) or ()
    if not all(isinstance(entry, Mapping) for entry in manual):
        raise UserError(f"{source}: MANUAL must be a list of {{hyperparameter: value}} dictionaries")
    doc = (module.__doc__ or "").strip()
    if doc.startswith("Title:") and "\n\n" in doc:  # keras-io style header: the prose follows it
        doc = doc.split("\n\n", 1)[1].strip()
    return SearchUnit(
        name=str(getattr(module, "NAME", default_name)), title=str(getattr(module, "TITLE", default_name)),
        source=source, module=module, objective=_objective(module, source), dataset=dataset,
        max_trials=int(getattr(module, "MAX_TRIALS", 10)), epochs=int(getattr(module, "EPOCHS", 20)),
        batch_size=int(getattr(module, "BATCH_SIZE", 32)), quick_samples=int(getattr(module, "QUICK_SAMPLES", 300)),
        quick_epochs=int(getattr(module, "QUICK_EPOCHS", 2)), manual=tuple(dict(m) for m in manual),
        notes_ref=str(getattr(module, "NOTES_REF", "")), description=doc,
        dataset_options=dict(getattr(module, "DATASET_OPTIONS", {}) or {}),
    )


def available() -> list:
    """The registered search units (tuning/), without importing TensorFlow."""
    from kerasdl import search_units

    return search_units.available()


def load_unit(reference: str) -> SearchUnit:
    """A registered unit by name, or a user's search file by path (anything ending in .py)."""
    reference = str(reference)
    if reference.endswith(".py") or "/" in reference or "\\" in reference:
        path = Path(reference).expanduser()
        if not path.is_file():
            raise UserError(f"no search file at {path}; pass a registered unit "
                            f"({', '.join(u.name for u in available())}) or an existing .py file")
        module_name = "kerasdl_user_search_" + re.sub(r"\W", "_", path.stem)
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # dataclasses and pickling look modules up by name
        spec.loader.exec_module(module)
        return _from_module(module, str(path.resolve()), path.stem.replace("_", "-"))
    from kerasdl import search_units

    module = search_units.load_module(reference)
    return _from_module(module, reference, reference)


# -- settings -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SearchSettings:
    """How to search: strategy and budget. None means "the unit's default"."""

    strategy: str = "random"
    max_trials: int | None = None
    epochs: int | None = None
    executions_per_trial: int = 1
    cv: int = 0                          # 0: the unit's train/val split; K >= 2: stratified K-fold on train+val
    seed: int = 0
    quick: bool = False
    overwrite: bool = False
    enumerate_continuous: int | None = None  # grid: try N evenly spaced values of each continuous range
    out: Path = Path("reports")
    quiet: bool = False
    hyperband_factor: int = 3

    def checked(self, unit: SearchUnit) -> SearchSettings:
        """Every user mistake in the settings, as a UserError, before anything is built or written."""
        if self.strategy not in STRATEGIES:
            raise UserError(f"unknown strategy {self.strategy!r}; {closest_names(self.strategy, STRATEGIES)}")
        for name, value, least in (("--max-trials", self.max_trials, 1), ("--epochs", self.epochs, 1),
                                   ("--executions-per-trial", self.executions_per_trial, 1),
                                   ("--enumerate-continuous", self.enumerate_continuous, 2)):
            if value is not None and value < least:
                raise UserError(f"{name} must be at least {least}. Received: {value}")
        if self.cv == 1 or self.cv < 0:
            raise UserError(f"--cv needs at least 2 folds (or 0 for the unit's validation split). Received: {self.cv}")
        if self.cv and self.strategy == "hyperband":
            raise UserError("--cv cannot be combined with hyperband: Hyperband continues a trial from the previous "
                            "round's checkpoint, which was trained on the other folds' validation rows; use grid, "
                            "random or bayesian with --cv")
        if self.strategy == "manual" and not unit.manual:
            raise UserError(f"search unit {unit.name!r} has no MANUAL list of configurations for --strategy manual")
        return self

    def effective_epochs(self, unit: SearchUnit) -> int:
        epochs = self.epochs or unit.epochs
        return min(epochs, unit.quick_epochs) if self.quick else epochs

    def effective_max_trials(self, unit: SearchUnit) -> int | None:
        if self.strategy == "manual":
            return min(len(unit.manual), self.max_trials or len(unit.manual))
        return self.max_trials or unit.max_trials


def search_dir(unit: SearchUnit, settings: SearchSettings) -> Path:
    """reports/tuning/<unit>/<strategy>/: keras-tuner's project folder and our files."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", unit.name).strip("-.") or "search"
    return Path(settings.out) / "tuning" / safe / settings.strategy


# -- running ------------------------------------------------------------------------------------------
def search(unit: SearchUnit, settings: SearchSettings, *, announce: Callable[[str], None] | None = None):
    """Run (or continue) one search in this process; returns `tuning_results.SearchFiles`.

    Continues an existing search in the same folder unless `settings.overwrite`. User errors (grid over
    a continuous range, unknown manual hyperparameters, impossible folds) are raised before anything
    is written. Ctrl-C leaves a consistent folder (keras-tuner retries the interrupted trial on resume).
    """
    from kerasdl import tuning_session

    return tuning_session.run_local(unit, settings.checked(unit), announce=announce)


def retrain_best(unit: SearchUnit, settings: SearchSettings):
    """Retrain the best trial on train+validation and score it on the test split as a normal run.

    The model trains for the best trial's best epoch (no early stopping: the validation rows are now
    training rows; their curve is still drawn but is no longer held out). Returns the harness RunRecord
    and links it from the search's search.json, so the search report can point at it.
    """
    import numpy as np

    from kerasdl import harness, tuning_results, tuning_session

    folder = search_dir(unit, settings)
    found = tuning_results.load_search(folder)
    best = found.best()
    if best is None:
        raise UserError(f"no completed trial in {folder} to retrain; run the search first")
    dataset = tuning_session.search_dataset(unit, settings)
    train = np.union1d(dataset.splits["train"], dataset.splits.get("val", np.array([], dtype=int)))
    retrain_set = replace(dataset, splits={"train": np.asarray(train), "val": np.asarray(dataset.splits["val"]),
                                           "test": np.asarray(dataset.splits["test"])})
    values = {k: v for k, v in best.values.items() if not k.startswith("tuner/")}
    variant = unit.variant(values)
    epochs = best.best_epoch or settings.effective_epochs(unit)
    variant = replace(variant, name="best", label=f"best of {settings.strategy} search (trial {best.trial_id})",
                      epochs=int(epochs), patience=None)
    experiment = harness.Experiment(
        name=f"tune-{folder.parent.name}", dataset=retrain_set, variants=[variant],
        title=f"{unit.title}: best {settings.strategy} configuration retrained",
        description=(f"Trial {best.trial_id} of the {settings.strategy} search in {folder}, retrained on the train "
                     f"and validation rows together for {epochs} epoch(s) (its best epoch in the search) and "
                     "evaluated once on the untouched test split. The validation curve is drawn for reference "
                     "only: those rows are training rows here."),
        notes_ref=unit.notes_ref, evaluation="holdout",
        quick_samples=max(len(retrain_set.target), 1), quick_epochs=settings.effective_epochs(unit),
    )
    record = harness.run(experiment, quick=settings.quick, seed=settings.seed, out=settings.out,
                         quiet=settings.quiet, tensorboard=False)
    tuning_session.link_retrained(folder, record, best)
    return record
