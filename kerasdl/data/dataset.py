"""The `Dataset` every loader returns and the harness consumes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

__all__ = ["Dataset", "TASKS"]

TASKS = (
    "binary", "multiclass", "regression", "reconstruction", "generation",
    "sequence", "seq2seq", "detection", "segmentation", "ranking",
)


@dataclass(frozen=True)
class Dataset:
    """All samples of one dataset plus how to split and preprocess them.

    `features` is a pandas DataFrame for tabular data (so column names and kinds survive until the
    preprocessing pipeline, which is fitted on training rows only) and a NumPy array otherwise
    (images are (n, height, width, channels) float32 in [0, 1]; token sequences are padded int arrays).
    `target` holds class codes 0..k-1 for classification (names in `class_names`) and floats for regression.
    `splits` maps split names ("train", "val", "test") to row indices for holdout evaluation.
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
    origin: str = "embedded"  # embedded | sklearn | keras-cache | user | generated
    numeric_columns: tuple[str, ...] = ()
    categorical_columns: tuple[str, ...] = ()
    extras: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"Dataset task must be one of {TASKS}. Received: task={self.task!r}")
        if len(self.features) != len(self.target):
            raise ValueError(
                f"Dataset {self.name!r}: features and target differ in length "
                f"({len(self.features)} vs {len(self.target)})"
            )

    @property
    def n_samples(self) -> int:
        return len(self.target)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one raw sample (tabular: number of columns before encoding)."""
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
        feats = self.features.iloc[index] if hasattr(self.features, "iloc") else self.features[index]
        return feats, self.target[index]

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
            "input_shape": list(self.input_shape), "class_names": list(self.class_names),
            "feature_names": list(self.feature_names), "provenance": self.provenance,
            "license": self.license, "description": self.description, "origin": self.origin,
        }

    def subsample(self, n: int, *, seed: int = 0) -> "Dataset":
        """A smaller dataset of about n rows (stratified for classification) for --quick runs.

        Splits are remapped so that every split keeps its share of the kept rows.
        """
        if n >= self.n_samples:
            return self
        from sklearn.model_selection import train_test_split

        # Stratify on (split, class) so every split keeps its share of rows and of each class.
        key = np.zeros(self.n_samples, dtype=np.int64)
        for code, index in enumerate(self.splits.values(), start=1):
            key[np.asarray(index, dtype=int)] = code * 1_000_000
        if self.task in ("binary", "multiclass"):
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
        return replace(self, features=feats, target=target, splits=splits)
