"""Which rows train, validate and test each fold: holdout or (stratified) k-fold cross-validation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kerasdl.data.dataset import Dataset
from kerasdl.errors import UserError

__all__ = ["Fold", "make_folds"]

_CLASSIFICATION = ("binary", "multiclass")


@dataclass(frozen=True)
class Fold:
    index: int
    train: np.ndarray  # rows a model learns from
    val: np.ndarray    # rows Keras watches for early stopping (scikit-learn baselines learn from them too)
    test: np.ndarray   # held-out rows every variant is scored on


def _carve_validation(dataset: Dataset, train: np.ndarray, fraction: float, seed: int):
    from sklearn.model_selection import train_test_split

    stratify = dataset.target[train] if dataset.task in _CLASSIFICATION else None
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
    if dataset.task in _CLASSIFICATION:
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
