"""The `Dataset` every loader returns and the harness consumes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

__all__ = ["Dataset", "n_rows", "take_rows"]


def n_rows(features: Any) -> int:
    """Number of samples in an array, a DataFrame, or a dict of named input arrays."""
    if isinstance(features, Mapping):
        lengths = {len(v) for v in features.values()}
        if len(lengths) != 1:
            raise ValueError(f"Expected every named input to have the same number of rows. Received: "
                             f"{ {k: len(v) for k, v in features.items()} }")
        return lengths.pop()
    return len(features)


def take_rows(features: Any, index: np.ndarray) -> Any:
    """The given rows of an array, a DataFrame (kept as one) or each input of a dict of arrays."""
    if isinstance(features, Mapping):
        return {k: np.asarray(v)[index] for k, v in features.items()}
    return features.iloc[index] if hasattr(features, "iloc") else features[index]


@dataclass(frozen=True)
class Dataset:
    """All samples of one dataset plus how to split and preprocess them.

    `features` is a pandas DataFrame for tabular data (so column names and kinds survive until the
    preprocessing pipeline, which is fitted on training rows only) and a NumPy array otherwise
    (images are (n, height, width, channels) float32 in [0, 1]; token sequences are padded int arrays).
    `features` may also be a dict of arrays for a model with several named inputs (each with one row
    per sample). `target` holds class codes 0..k-1 for classification (names in `class_names`), floats
    for regression, and whatever the task's layout says otherwise (kerasdl.tasks).
    `splits` maps split names ("train", "val", "test") to row indices for holdout evaluation.
    `pipeline`, when set, turns one split's (x, y) arrays into the `tf.data.Dataset` a model is fed
    (windowing, text vectorisation): `pipeline(x, y, batch_size=..., training=...)`; it must keep the
    rows' order when `training` is False, so predictions line up with the stored targets.
    """

    name: str
    task: str
    features: Any
    target: np.ndarray
    splits: Mapping[str, np.ndarray]
    class_names: tuple[str, ...] = ()
    provenance: str = ""
    license: str = ""
    description: str = ""
    origin: str = "embedded"  # embedded | sklearn | statsmodels | keras-cache | user | generated
    numeric_columns: tuple[str, ...] = ()
    categorical_columns: tuple[str, ...] = ()
    extras: Mapping[str, Any] = field(default_factory=dict)
    pipeline: Callable[..., Any] | None = None

    def __post_init__(self) -> None:
        from kerasdl import tasks  # the registry says which tasks exist

        if self.task not in tasks.names():
            raise ValueError(f"Dataset task must be one of {tasks.names()}. Received: task={self.task!r}")
        if n_rows(self.features) != len(self.target):
            raise ValueError(
                f"Dataset {self.name!r}: features and target differ in length "
                f"({n_rows(self.features)} vs {len(self.target)})"
            )

    @property
    def n_samples(self) -> int:
        return len(self.target)

    @property
    def stratified(self) -> bool:
        """Whether splits and subsamples keep the class proportions (the task says)."""
        from kerasdl import tasks

        return tasks.get(self.task).stratify

    @property
    def input_shape(self) -> Any:
        """Shape of one raw sample (tabular: number of columns before encoding); a dict of shapes for
        named inputs."""
        if isinstance(self.features, Mapping):
            return {k: tuple(int(d) for d in np.shape(v)[1:]) for k, v in self.features.items()}
        return tuple(int(d) for d in np.shape(self.features)[1:])

    @property
    def is_tabular(self) -> bool:
        return bool(self.numeric_columns or self.categorical_columns)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(str(c) for c in getattr(self.features, "columns", ()))

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def rows(self, index: np.ndarray) -> tuple[Any, np.ndarray]:
        """(features, target) of the given rows, keeping the DataFrame for tabular data."""
        return take_rows(self.features, index), self.target[index]

    def preprocessor(self):
        """A fresh, unfitted scikit-learn transformer for tabular data, or None.

        Numeric columns: median imputation, then standardisation. Categorical columns: most-frequent
        imputation, then one-hot encoding (codes are categories, never magnitudes). Fitting happens on
        the training rows of each fold, so no statistic of held-out rows leaks into training.
        """
        if not self.is_tabular:
            return None
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        parts = []
        if self.numeric_columns:
            parts.append(("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                          list(self.numeric_columns)))
        if self.categorical_columns:
            parts.append(("categorical", make_pipeline(
                SimpleImputer(strategy="most_frequent"),
                OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                list(self.categorical_columns)))
        return ColumnTransformer(parts, sparse_threshold=0.0)

    def summary(self) -> dict:
        """The JSON-able description stored in a run record."""
        return {
            "name": self.name, "task": self.task, "n_samples": self.n_samples,
            "input_shape": ({k: list(v) for k, v in self.input_shape.items()}
                            if isinstance(self.input_shape, dict) else list(self.input_shape)),
            "class_names": list(self.class_names),
            "feature_names": list(self.feature_names), "provenance": self.provenance,
            "license": self.license, "description": self.description, "origin": self.origin,
        }

    def subsample(self, n: int, *, seed: int = 0) -> "Dataset":
        """A smaller dataset of about n rows (stratified for classification) for --quick runs.

        Splits are remapped so that every split keeps its share of the kept rows. Extras that are NumPy
        arrays with one entry per row (a digit's class beside its pixels, a sequence's length) are cut
        to the same rows; any other extra (a vocabulary, a scale) describes the whole set and is kept.
        """
        if n >= self.n_samples:
            return self
        from sklearn.model_selection import train_test_split

        # Stratify on (split, class) so every split keeps its share of rows and of each class.
        key = np.zeros(self.n_samples, dtype=np.int64)
        for code, index in enumerate(self.splits.values(), start=1):
            key[np.asarray(index, dtype=int)] = code * 1_000_000
        if self.stratified:
            key = key + self.target.astype(np.int64)
        try:
            keep, _ = train_test_split(np.arange(self.n_samples), train_size=n, stratify=key,
                                       random_state=seed)
        except ValueError:  # a (split, class) cell too small to stratify: plain random rows are fine here
            keep = np.random.default_rng(seed).choice(self.n_samples, size=n, replace=False)
        keep = np.sort(keep)
        position = np.full(self.n_samples, -1)
        position[keep] = np.arange(len(keep))
        splits = {name: position[idx][position[idx] >= 0] for name, idx in self.splits.items()}
        feats, target = self.rows(keep)
        if hasattr(feats, "reset_index"):
            feats = feats.reset_index(drop=True)
        extras = {key: value[keep] if isinstance(value, np.ndarray) and value.ndim and len(value) == self.n_samples
                  else value for key, value in self.extras.items()}
        return replace(self, features=feats, target=target, splits=splits, extras=extras)
