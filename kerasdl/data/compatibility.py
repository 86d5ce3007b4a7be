"""Which datasets can stand in for a study's own: the same kind of input and a task that fits.

A study written for the 8×8 digits compares image classifiers; it can run unchanged on any other
image classification set (MNIST, Fashion-MNIST, CIFAR-10), because every builder takes the input
shape and the number of classes from the dataset. Likewise a text study on the generated reviews
runs on IMDB or Reuters (word indices, the vocabulary size from the dataset), and a tabular study on
any tabular set or a user's CSV file. What does not fit (images into a text model, a regression set
into a classifier's study) is refused before anything loads, with the datasets that would fit.

The input kind of a registered dataset is listed here, so the check needs no loading (MNIST is 70,000
images); a loaded `Dataset` (a user CSV, a study's own derived set) is classified by its contents,
and `tests/test_dataset_override.py` checks that the two agree for every set that loads offline.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from kerasdl.data.dataset import Dataset

__all__ = ["IMAGES", "TABULAR", "TOKENS", "input_kind", "kind_of_name", "task_family", "fits", "compatible"]

IMAGES, TOKENS, TABULAR, SERIES = "images", "word indices", "tabular data", "time series"

# Registered datasets by input kind (anything else only runs the studies written for it).
_KINDS = {
    # digits-anomaly and digits-upsample are left out on purpose: their splits and targets mean something
    # else (a held-out class; low-resolution inputs), so no other set can stand in for them.
    IMAGES: ("digits", "mnist", "fashion-mnist", "cifar10", "digits-reconstruction", "digits-generation"),
    TOKENS: ("reviews", "imdb", "reuters"),
    TABULAR: ("heart-disease", "breast-cancer", "iris", "wine", "diabetes", "xor", "logic-and", "logic-or"),
    SERIES: ("sunspots", "weather"),
}
_KIND_OF = {name: kind for kind, names in _KINDS.items() for name in names}


def input_kind(dataset: Dataset) -> str | None:
    """The kind of input a loaded dataset holds, judged by its contents (None: none of the above)."""
    features = dataset.features
    if dataset.is_tabular:
        return TABULAR
    if isinstance(features, Mapping) or not hasattr(features, "ndim"):
        return None
    if features.ndim == 4:  # (n, height, width, channels): the Dataset contract for images
        return IMAGES
    if features.ndim == 2 and "vocabulary_size" in dataset.extras and np.issubdtype(features.dtype, np.integer):
        return TOKENS
    if "window" in dataset.extras or "horizon" in dataset.extras:
        return SERIES
    return None


def kind_of_name(name: str) -> str | None:
    """The input kind of a registered dataset or a CSV path, without loading it."""
    if str(name).lower().endswith(".csv"):
        return TABULAR
    return _KIND_OF.get(name)


def task_family(task: str) -> str:
    """Binary and multiclass classification are one family (a study's models take the number of classes
    from the data); every other task is its own."""
    from kerasdl import tasks

    found = tasks.get(task)
    return "classification" if found.has_classes and found.stratify else task


def fits(kind: str | None, task: str, other_kind: str | None, other_task: str) -> bool:
    """Whether data of (other_kind, other_task) can replace data of (kind, task)."""
    return kind is not None and kind == other_kind and task_family(task) == task_family(other_task)


def compatible(kind: str | None, task: str) -> list[str]:
    """Registered datasets a study on (kind, task) data can run on."""
    from kerasdl.data import registry

    return [name for name in registry.names()
            if fits(kind, task, kind_of_name(name), registry.spec(name).task)]
