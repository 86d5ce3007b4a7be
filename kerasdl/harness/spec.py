"""What an experiment script declares (Experiment, Variant) and what hooks receive (Analysis,
FoldArrays), plus the finished RunRecord. Types only: declaring an experiment imports no TensorFlow.

Every field is checked when the object is made, so a misdeclared experiment fails on the line that
declares it with a `ConfigurationError` (one line and exit status 2 from the CLI), not halfway
through a run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kerasdl.data.dataset import Dataset
from kerasdl.errors import ConfigurationError

__all__ = ["Analysis", "Experiment", "FoldArrays", "RunRecord", "Variant"]

# The harness owns these: it records one history row per epoch with the monitored quantity, picks
# the best epoch from it, and feeds the fold's data itself. validation_freq > 1 would leave epochs
# without it and silently misplace early stopping and the best epoch.
_OWNED_FIT_ARGUMENTS = frozenset({"x", "y", "epochs", "batch_size", "callbacks", "validation_data",
                                  "validation_split", "validation_freq", "verbose", "initial_epoch"})
_APIS = ("sequential", "functional")
_EVALUATIONS = ("holdout", "cv")
_DISTRIBUTE = (None, "mirrored", "multiworker")  # kerasdl/harness/distribute.py


def _expect(ok: bool, where: str, expected: str, received: str) -> None:
    if not ok:
        raise ConfigurationError(f"{where}: expected {expected}. Received: {received}")


def _is_count(value: Any, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


@dataclass(frozen=True)
class FoldArrays:
    """One fold's encoded data, as the model saw it; what a Variant's `probe` receives.

    x_* are arrays, or dicts of arrays for a model with several named inputs; y_* are None for a task
    without targets (generation).
    """

    fold: int
    x_train: Any
    y_train: Any
    x_val: Any
    y_val: Any
    x_test: Any
    y_test: Any


@dataclass
class Variant:
    """One contender: a Keras builder with its settings, or a scikit-learn estimator.

    Keras variants: `builder` — a registered builder's name or any callable with the builder contract
    `build(input_shape, outputs, **hyper) -> keras.Model` — plus `hyperparameters` (passed to it) and
    compile/fit settings. `trainer` (default: the task's, plain Keras for most) owns compile, fit and
    evaluate; `monitor` (default: the trainer's, else the task's) is what early stopping and the best
    epoch watch. Baselines: `estimator`, an unfitted scikit-learn estimator (cloned for every fold).
    """

    name: str
    builder: str | Callable[..., Any] | None = None
    api: str = "sequential"
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    estimator: Any = None
    label: str = ""
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    optimizer_options: dict[str, Any] = field(default_factory=dict)  # e.g. {"momentum": 0.9, "nesterov": True}
    loss: Any = None                 # None: the task's default loss
    epochs: int = 50
    batch_size: int | str = 32       # "full": one batch of every training row (full-batch gradient descent)
    patience: int | None = 10        # early stopping on the monitored quantity, best weights restored; None: off
    callbacks: tuple[Callable[[], Any], ...] = ()  # factories: a fresh Keras callback per fold
    probe: Callable[[Any, FoldArrays], dict[str, Any]] | None = None  # measures the fitted model per fold
    fit_kwargs: dict[str, Any] = field(default_factory=dict)  # anything else for model.fit (e.g. shuffle)
    trainer: Any = None              # a kerasdl.trainers.Trainer; None: the task's default
    monitor: str | None = None       # None: the trainer's, else the task's (e.g. "val_loss")
    distribute: str | None = None    # "mirrored" | "multiworker" (tf.distribute); None: the experiment's

    def __post_init__(self) -> None:
        where = f"Variant {self.name!r}"
        _expect(isinstance(self.name, str) and bool(self.name.strip()), "Variant", "a non-empty name",
                f"name={self.name!r}")
        _expect((self.builder is None) != (self.estimator is None), where, "exactly one of builder= or estimator=",
                f"builder={self.builder!r}, estimator={self.estimator!r}")
        _expect(self.builder is None or isinstance(self.builder, str) or callable(self.builder), where,
                "builder= as a registered name or a callable", f"builder={self.builder!r}")
        _expect(self.estimator is None or hasattr(self.estimator, "fit"), where,
                "estimator= as an unfitted scikit-learn estimator", f"estimator={self.estimator!r}")
        _expect(self.api in _APIS, where, f"api in {_APIS}", f"api={self.api!r}")
        _expect(isinstance(self.hyperparameters, Mapping), where, "hyperparameters= as a dict",
                f"hyperparameters={self.hyperparameters!r}")
        _expect(_is_count(self.epochs, 1), where, "epochs= as an integer ≥ 1", f"epochs={self.epochs!r}")
        _expect(self.batch_size == "full" or _is_count(self.batch_size, 1), where,
                "batch_size= as an integer ≥ 1 or 'full'", f"batch_size={self.batch_size!r}")
        _expect(self.patience is None or _is_count(self.patience, 0), where, "patience= as None or an integer ≥ 0",
                f"patience={self.patience!r}")
        _expect(isinstance(self.learning_rate, (int, float)) and not isinstance(self.learning_rate, bool)
                and self.learning_rate > 0, where, "learning_rate= > 0", f"learning_rate={self.learning_rate!r}")
        _expect(isinstance(self.callbacks, (tuple, list)) and all(callable(c) for c in self.callbacks), where,
                "callbacks= as a tuple of factories (callables returning a fresh Keras callback)",
                f"callbacks={self.callbacks!r}")
        _expect(self.probe is None or callable(self.probe), where, "probe= as a callable", f"probe={self.probe!r}")
        _expect(self.distribute in _DISTRIBUTE, where, f"distribute in {_DISTRIBUTE}",
                f"distribute={self.distribute!r}")
        for step in ("compile", "fit", "evaluate"):
            _expect(self.trainer is None or callable(getattr(self.trainer, step, None)), where,
                    "trainer= with compile, fit and evaluate methods (a kerasdl.trainers.Trainer)",
                    f"trainer={self.trainer!r}")
        owned = sorted(set(self.fit_kwargs) & _OWNED_FIT_ARGUMENTS)
        _expect(not owned, where, "fit_kwargs= without the arguments the harness owns (use the Variant's own "
                "fields: epochs, batch_size, callbacks, patience)", f"fit_kwargs with {', '.join(owned)}")
        self.callbacks = tuple(self.callbacks)
        self.hyperparameters = dict(self.hyperparameters)
        self.label = self.label or self.name

    @property
    def kind(self) -> str:
        return "keras" if self.builder is not None else "sklearn"

    @property
    def builder_name(self) -> str:
        """What the record calls the builder: its registered name, or the user function's name."""
        if isinstance(self.builder, str):
            return self.builder
        if self.builder is not None:
            return getattr(self.builder, "__qualname__", None) or type(self.builder).__name__
        return type(self.estimator).__name__


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
    headline_metric: str | None = None  # None: the task's headline
    references: list[dict[str, Any]] = field(default_factory=list)  # the notes' figures to show beside ours
    quick_samples: int = 300         # --quick: rows kept, epochs capped, folds reduced
    quick_epochs: int = 2
    quick_folds: int = 2
    # --quick runs only these variants (None: all). For studies whose full comparison is long: the
    # quick run proves the path through the harness and the analysis, the full run gives the result.
    quick_variants: tuple[str, ...] | None = None
    # After every variant ran: analyze(Analysis) → extra report sections (kerasdl.report.sections).
    analyze: Callable[[Analysis], list[Any]] | None = None
    # "mirrored" | "multiworker": train every Keras variant with tf.distribute (a Variant's own wins); None: one process
    distribute: str | None = None

    def __post_init__(self) -> None:
        where = f"Experiment {self.name!r}"
        _expect(isinstance(self.name, str) and bool(self.name.strip()), "Experiment", "a non-empty name",
                f"name={self.name!r}")
        _expect(isinstance(self.variants, (list, tuple)) and all(isinstance(v, Variant) for v in self.variants),
                where, "variants= as a list of kerasdl.harness.Variant", f"variants={self.variants!r}")
        self.variants = list(self.variants)
        _expect(self.dataset is not None or not self.variants, where, "a dataset for its variants",
                "dataset=None")
        _expect(self.dataset is None or isinstance(self.dataset, (str, Dataset)), where,
                "dataset= as a registered name or a kerasdl.data.Dataset", f"dataset={self.dataset!r}")
        names = [v.name for v in self.variants]
        _expect(len(set(names)) == len(names), where, "unique variant names", str(names))
        _expect(self.evaluation in _EVALUATIONS, where, f"evaluation in {_EVALUATIONS}",
                f"evaluation={self.evaluation!r}")
        _expect(_is_count(self.folds, 2) or self.evaluation == "holdout", where, "folds= ≥ 2 for cross-validation",
                f"folds={self.folds!r}")
        _expect(isinstance(self.validation_fraction, float) and 0 < self.validation_fraction < 1, where,
                "validation_fraction= strictly between 0 and 1", f"validation_fraction={self.validation_fraction!r}")
        for name in ("quick_samples", "quick_epochs", "quick_folds"):
            _expect(_is_count(getattr(self, name), 1), where, f"{name}= as an integer ≥ 1",
                    f"{name}={getattr(self, name)!r}")
        if self.quick_variants is not None:
            kept = tuple(self.quick_variants) if isinstance(self.quick_variants, (list, tuple)) else ()
            unknown = [n for n in kept if n not in names]
            _expect(bool(kept) and not unknown, where, f"quick_variants= as a non-empty list of variant names "
                    f"({', '.join(names)})", f"quick_variants={self.quick_variants!r}")
            self.quick_variants = kept
        _expect(self.distribute in _DISTRIBUTE, where, f"distribute in {_DISTRIBUTE}",
                f"distribute={self.distribute!r}")
        _expect(self.analyze is None or callable(self.analyze), where, "analyze= as a callable",
                f"analyze={self.analyze!r}")


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

    @property
    def metrics(self) -> Any:
        """A pandas DataFrame, variants × (metric, mean|std): `record.metrics["rmse"]["mean"]`."""
        from .record_display import metrics_frame

        return metrics_frame(self.data)

    def _repr_html_(self) -> str:
        """What Jupyter shows for a run: its headline table and a link to report.html."""
        from .record_display import record_html

        return record_html(self.path, self.data)
