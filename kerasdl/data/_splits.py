"""Holdout splits: which rows train, which select hyperparameters (val) and which are reported (test).

Every loader uses these two functions so that all datasets split the same way: stratified by class
for classification (so a 45/55 dataset stays 45/55 in every split), deterministic for a given seed,
and returned as sorted row indices into the full dataset.
"""

from __future__ import annotations

import numpy as np

__all__ = ["holdout_splits", "splits_with_given_test"]


def holdout_splits(target: np.ndarray, task: str, *, seed: int, val_fraction: float = 0.2,
                   test_fraction: float = 0.2) -> dict[str, np.ndarray]:
    """About 60/20/20 train/val/test of all rows, for sources that have no split of their own."""
    rows = np.arange(len(target))
    rest, test = _split(rows, target, task, test_fraction, seed)
    # val is taken from what is left, so its share of the *whole* dataset is val_fraction
    train, val = _split(rest, target[rest], task, val_fraction / (1.0 - test_fraction), seed)
    return {"train": np.sort(train), "val": np.sort(val), "test": np.sort(test)}


def splits_with_given_test(target: np.ndarray, task: str, n_train: int, *, seed: int,
                           val_fraction: float = 0.2) -> dict[str, np.ndarray]:
    """Keep the source's own test set (rows n_train..end) and take val from its training rows.

    Published train/test splits (MNIST, IMDB, ...) are what results in the literature are measured on,
    so they are kept as they are rather than reshuffled.
    """
    rows = np.arange(n_train)
    train, val = _split(rows, target[:n_train], task, val_fraction, seed)
    return {"train": np.sort(train), "val": np.sort(val), "test": np.arange(n_train, len(target))}


def _split_seed(seed: int) -> int:
    """The random_state for splitting, derived from `seed` rather than equal to it.

    Other steps seed scikit-learn with the raw seed too (`Dataset.subsample` for `limit`); with the
    same random_state and the same labels, train_test_split draws the same per-class permutation, so a
    subsample would take exactly the rows the split had left out of test, and leave test empty.
    """
    return int(np.random.SeedSequence([seed, 0x5B1175]).generate_state(1)[0])


def _split(rows: np.ndarray, labels: np.ndarray, task: str, fraction: float, seed: int):
    from sklearn.model_selection import train_test_split

    from kerasdl import tasks

    seed = _split_seed(seed)
    if not tasks.get(task).stratify:
        return train_test_split(rows, test_size=fraction, random_state=seed)
    try:
        return train_test_split(rows, test_size=fraction, random_state=seed, stratify=labels)
    except ValueError:
        # Stratifying is impossible when a class has a single row or the held-out part is smaller
        # than the number of classes (tiny user files, rare Reuters topics); a plain random split
        # is then the best that can be done.
        return train_test_split(rows, test_size=fraction, random_state=seed)
