"""What every task kind says about itself: the `Task` base class and the task registry.

A task is everything that depends on the *kind* of problem rather than on the model: how many
output units a builder gets and with which activation, the default loss and compile metrics, how the
model's raw outputs become the scores stored in predictions.npz, which metrics those scores give, the
headline metric and its direction, the quantity early stopping watches, and which report sections
the stored predictions feed. The harness, the search and the report ask the task; none of them
branches on a task's name.

No TensorFlow here: the report and `kerasdl list` read tasks without starting it. Keras objects
(losses with options, metric instances) are made inside methods, when a model is compiled.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:
    from kerasdl.data.dataset import Dataset

__all__ = ["Task", "get", "names", "register"]

_REGISTRY: dict[str, Task] = {}


class Task(abc.ABC):
    """Defaults shared by every task; a subclass overrides what its kind of problem changes.

    Class attributes say what is fixed for the kind (`name`, `headline`, `monitor`, ...); methods
    compute what depends on a dataset or on predictions. Metric methods take NumPy arrays in the
    record's layout (what `scores` returned) and return a flat {name: float} dict, so every value
    can be averaged over folds.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: the metric an index shows and a study ranks by, and whether a smaller value is better
    headline: ClassVar[str] = "loss"
    headline_lower_is_better: ClassVar[bool] = True
    #: what early stopping, the best epoch and checkpoints watch; None: nothing is watched
    monitor: ClassVar[str | None] = "val_loss"
    #: the default Keras loss (a name Keras knows); `loss()` may build an object instead
    loss_name: ClassVar[str] = "mse"
    #: None: the builder's own output activation (sigmoid for one unit, softmax for several)
    output_activation: ClassVar[str | None] = None
    #: folds and --quick subsamples keep the class proportions of the target
    stratify: ClassVar[bool] = False
    #: targets are class codes 0..k-1 named by the dataset's class_names (k fixed when not None)
    has_classes: ClassVar[bool] = False
    fixed_classes: ClassVar[int | None] = None
    #: False: there is no target to learn (generation); the model sees its inputs only
    supervised: ClassVar[bool] = True
    #: section names the report draws from stored predictions (kerasdl.report.prediction_sections)
    report_sections: ClassVar[tuple[str, ...]] = ()
    #: held-out metrics where a smaller value is better (everything else: larger is better)
    lower_is_better: ClassVar[frozenset[str]] = frozenset()

    # -- building and compiling -------------------------------------------------------------------
    def output_units(self, dataset: Dataset) -> int:
        """Units of the model's last layer for this dataset."""
        return 1

    def builder_defaults(self) -> dict[str, Any]:
        """Hyperparameters a builder gets unless the variant sets them (its output activation)."""
        return {} if self.output_activation is None else {"output_activation": self.output_activation}

    def loss(self) -> Any:
        """The default loss given to `model.compile` when a variant names none."""
        return self.loss_name

    def compile_metrics(self) -> list[Any]:
        """Metrics Keras logs per epoch (history.csv, learning curves, search objectives)."""
        return []

    def default_trainer(self) -> Any:
        """The trainer a variant gets unless it names one: plain Keras compile / fit / predict."""
        from kerasdl.trainers import Trainer

        return Trainer()

    def dummy_estimator(self) -> Any:
        """The scikit-learn baseline every model should beat (`kerasdl fit` adds it): predicts the mean."""
        from sklearn.dummy import DummyRegressor

        return DummyRegressor(strategy="mean")

    def linear_estimator(self) -> Any:
        """The simplest real model of the task (`kerasdl fit` puts it beside the network, so a user sees
        whether the network earns its keep); None when the task has none."""
        return None

    def prepare_model(self, model: Any, y_train: Any) -> tuple[Any, dict[str, Any] | None]:
        """The model a Keras variant trains on one fold, given that fold's training targets, and a note
        for the fold's record of what was done (None: nothing). Default: the model as built."""
        return model, None

    # -- predictions and scores -------------------------------------------------------------------
    def fit_target(self, y: np.ndarray) -> np.ndarray | None:
        """The target as a model is fitted on it (None for unsupervised tasks)."""
        return y if self.supervised else None

    def scores(self, raw: Any) -> np.ndarray:
        """A model's raw outputs in the layout stored in predictions.npz and scored by `metrics`."""
        return np.asarray(raw, dtype=np.float64)

    def estimator_scores(self, estimator: Any, x_test: np.ndarray, dataset: Dataset) -> np.ndarray:
        """What a fitted scikit-learn baseline predicts for `x_test`, in the same layout as `scores`."""
        return self.scores(estimator.predict(x_test))

    def estimator_target(self, y: np.ndarray) -> np.ndarray:
        """The target as a scikit-learn estimator is fitted on it."""
        return y

    @abc.abstractmethod
    def metrics(self, y_true: Any, scores: Any, *, class_names: Sequence[str] = (),
                n_features: int | None = None) -> dict[str, float]:
        """Held-out metrics of `scores` against `y_true` (every task defines its own)."""

    def confusion(self, y_true: Any, scores: Any, n_classes: int) -> np.ndarray | None:
        """A confusion matrix (rows: true, columns: predicted) when the task has classes, else None."""
        return None

    # -- directions -------------------------------------------------------------------------------
    def is_lower_better(self, metric: str) -> bool:
        """Direction of a held-out or logged metric ('val_' prefixes and '_loss' suffixes included)."""
        bare = metric[4:] if metric.startswith("val_") else metric
        return bare in self.lower_is_better or bare == "loss" or bare.endswith("_loss")


def register(task: Task) -> Task:
    """Add a task to the registry under its name (a later registration of the same name replaces it)."""
    if not task.name:
        raise ValueError(f"Expected a task with a name. Received: {type(task).__name__} with name ''")
    _REGISTRY[task.name] = task
    return task


def names() -> tuple[str, ...]:
    return tuple(sorted(_REGISTRY))


def get(name: str) -> Task:
    """The registered task called `name` (a ValueError naming the known ones otherwise)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"Expected a task in {', '.join(names())}. Received: task={name!r}") from None
