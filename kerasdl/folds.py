"""Which rows train, validate and test each fold (holdout or (stratified) k-fold cross-validation),
and those rows as the arrays a model sees, preprocessing fitted on the training rows only.

The harness and the hyperparameter search both take their folds and encoded arrays from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from kerasdl.data.dataset import Dataset
from kerasdl.errors import UserError

__all__ = ["Fold", "as_float32", "encode", "make_folds"]


@dataclass(frozen=True)
class Fold:
    index: int
    train: np.ndarray  # rows a model learns from
    val: np.ndarray    # rows Keras watches for early stopping (scikit-learn baselines learn from them too)
    test: np.ndarray   # held-out rows every variant is scored on


def _carve_validation(dataset: Dataset, train: np.ndarray, fraction: float, seed: int):
    from sklearn.model_selection import train_test_split

    stratify = dataset.target[train] if dataset.stratified else None
    try:
        return train_test_split(train, test_size=fraction, stratify=stratify, random_state=seed)
    except ValueError:  # a class with a single row cannot be stratified; a plain split still works
        return train_test_split(train, test_size=fraction, random_state=seed)


def make_folds(dataset: Dataset, *, kind: str, folds: int = 5, validation_fraction: float = 0.2,
               seed: int = 0) -> list[Fold]:
    """Holdout uses the dataset's own train/val/test splits; "cv" uses (stratified) k-fold.

    In cross-validation each fold's training rows are split again so that early stopping never
    looks at the test fold.
    """
    if kind == "holdout":
        missing = {"train", "test"} - set(dataset.splits)
        if missing:
            raise UserError(f"dataset {dataset.name!r} has no {'/'.join(sorted(missing))} split for holdout")
        train = np.asarray(dataset.splits["train"])
        val = np.asarray(dataset.splits.get("val", ()), dtype=int)
        if val.size == 0:
            train, val = _carve_validation(dataset, train, validation_fraction, seed)
        return [Fold(0, train, val, np.asarray(dataset.splits["test"]))]
    if kind != "cv":
        raise ValueError(f"Expected evaluation 'holdout' or 'cv'. Received: {kind!r}")

    from sklearn.model_selection import KFold, StratifiedKFold

    rows = np.arange(dataset.n_samples)
    if dataset.stratified:
        smallest = int(np.bincount(dataset.target.astype(int)).min())
        if smallest < folds:
            raise UserError(f"cannot make {folds} stratified folds: the rarest class of {dataset.name!r} "
                            f"has {smallest} rows; use --cv {max(smallest, 2)} or fewer")
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        pairs = splitter.split(rows, dataset.target)
    else:
        if dataset.n_samples < folds:
            raise UserError(f"cannot make {folds} folds from {dataset.n_samples} rows")
        pairs = KFold(n_splits=folds, shuffle=True, random_state=seed).split(rows)
    out = []
    for i, (train, test) in enumerate(pairs):
        fit_rows, val = _carve_validation(dataset, train, validation_fraction, seed + i)
        out.append(Fold(i, np.sort(fit_rows), np.sort(val), test))
    return out


def as_float32(array: Any) -> Any:
    """Floating arrays as float32 (what Keras computes in); integer token ids stay integers.
    A dict of named inputs is converted input by input."""
    if isinstance(array, Mapping):
        return {key: as_float32(value) for key, value in array.items()}
    array = np.asarray(array)
    return array.astype(np.float32) if array.dtype.kind in "fc" else array


def encode(dataset: Dataset, fit_rows: np.ndarray, *other_rows: np.ndarray) -> list[tuple[Any, np.ndarray]]:
    """(x, y) of `fit_rows` and then of each of `other_rows`, the preprocessing (tabular data only)
    fitted on `fit_rows` alone so that no statistic of held-out rows leaks into training."""
    parts = [dataset.rows(rows) for rows in (fit_rows, *other_rows)]
    pre = dataset.preprocessor()
    if pre is not None:
        first = pre.fit_transform(parts[0][0])
        parts = [(first, parts[0][1])] + [(pre.transform(x), y) for x, y in parts[1:]]
    return [(as_float32(x), y) for x, y in parts]
