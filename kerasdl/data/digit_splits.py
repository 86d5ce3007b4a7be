"""The scikit-learn digits split by class into two tasks: 0-4 (a source to pre-train on) and 5-9 (the target).

Transfer learning (notes 001:1448, 001:1470) needs two related tasks: features learnt on one are
reused on the other. Offline, the closest honest pair is the bundled digits themselves, cut by label:
`digits-0-4` holds the 901 images of zeros to fours, `digits-5-9` the 896 of fives to nines with
their labels recoded 0..4 (class names keep the real digits). The two sets share no image and no
class, so nothing learnt from the source rows can leak a target test label: the source is a
different task drawn with the same pen, as an ImageNet network is for a new photo task.
Splits are each set's own stratified 60/20/20 holdout.
"""

from __future__ import annotations

import numpy as np

from kerasdl.data._splits import holdout_splits
from kerasdl.data.dataset import Dataset
from kerasdl.data.info import DatasetSpec

__all__ = ["SPECS", "load_digits_0_4", "load_digits_5_9"]


def _digits_of(classes: tuple[int, ...], spec: DatasetSpec, seed: int) -> Dataset:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    keep = np.isin(bunch.target, classes)
    images = (bunch.images[keep] / 16.0).astype(np.float32)[..., np.newaxis]
    # Codes 0..k-1 in the order of `classes`, so a 5-class network fits either half.
    target = np.searchsorted(np.asarray(classes), bunch.target[keep]).astype(np.int64)
    return spec.dataset(features=images, target=target, splits=holdout_splits(target, "multiclass", seed=seed),
                        class_names=tuple(str(c) for c in classes), extras={"digit": bunch.target[keep]})


def load_digits_0_4(*, seed: int = 0) -> Dataset:
    """The 901 digits 0-4 as (n, 8, 8, 1) images in [0, 1], labels 0..4."""
    return _digits_of((0, 1, 2, 3, 4), DIGITS_0_4, seed)


def load_digits_5_9(*, seed: int = 0) -> Dataset:
    """The 896 digits 5-9 as (n, 8, 8, 1) images in [0, 1], labels recoded 0..4 (class names '5'..'9')."""
    return _digits_of((5, 6, 7, 8, 9), DIGITS_5_9, seed)


_PROVENANCE = ("Derived in kerasdl.data.digit_splits from E. Alpaydin, C. Kaynak (1998), Optical Recognition of "
               "Handwritten Digits, UCI Machine Learning Repository, as bundled with scikit-learn "
               "(sklearn.datasets.load_digits): the rows of the named classes, pixel counts 0..16 divided by 16.")
_LICENSE = ("CC BY 4.0, as listed for this dataset by the UCI Machine Learning Repository; the scikit-learn "
            "package is BSD-3-Clause.")

DIGITS_0_4 = DatasetSpec(
    name="digits-0-4", task="multiclass", n_samples=901, origin="sklearn",
    description=("The 901 scikit-learn 8x8 digits of classes 0-4 (n, 8, 8, 1) float32 in [0, 1]: the source "
                 "task for transfer learning to digits-5-9 (no image or class in common)."),
    provenance=_PROVENANCE, license=_LICENSE, loader=load_digits_0_4)

DIGITS_5_9 = DatasetSpec(
    name="digits-5-9", task="multiclass", n_samples=896, origin="sklearn",
    description=("The 896 scikit-learn 8x8 digits of classes 5-9 (n, 8, 8, 1) float32 in [0, 1], labels "
                 "recoded 0..4 (class names '5'..'9'): the target task for transfer from digits-0-4."),
    provenance=_PROVENANCE, license=_LICENSE, loader=load_digits_5_9)

SPECS = (DIGITS_0_4, DIGITS_5_9)
