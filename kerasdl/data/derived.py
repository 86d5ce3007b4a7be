"""Datasets computed from a bundled one by a fixed, documented transformation (no download, no randomness).

`digits-upsample`: the scikit-learn 8×8 digits reduced to 4×4 by 2×2 average pooling, paired with the
original 8×8 image as the target — an image-to-image ("reconstruction") task for upsampling models
such as the transposed-convolution decoder (notes 001:2131-2159). Average pooling is what a
stride-2, 2×2 box filter does, so the input is exactly what a convolutional encoder could have
produced and the task asks for the inverse the notes say a transposed convolution learns.
"""

from __future__ import annotations

import numpy as np

from kerasdl.data._splits import holdout_splits
from kerasdl.data.dataset import Dataset
from kerasdl.data.info import DatasetSpec

__all__ = ["SPECS", "average_pool", "load_digits_upsample"]

FACTOR = 2  # 8×8 → 4×4


def average_pool(images: np.ndarray, factor: int = FACTOR) -> np.ndarray:
    """(n, h, w, c) images averaged over non-overlapping factor×factor blocks → (n, h/f, w/f, c)."""
    n, h, w, c = images.shape
    if h % factor or w % factor:
        raise ValueError(f"average_pool: expected height and width divisible by {factor}. Received: {images.shape}")
    return images.reshape(n, h // factor, factor, w // factor, factor, c).mean(axis=(2, 4))


def load_digits_upsample(*, seed: int = 0) -> Dataset:
    """Inputs (1797, 4, 4, 1) and targets (1797, 8, 8, 1), float32 in [0, 1].

    Splits are 60/20/20 stratified by the digit's class (kept in `extras["digit"]`), so every
    digit is in every split even though the task itself has no classes.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    targets = (bunch.images / 16.0).astype(np.float32)[..., np.newaxis]
    inputs = average_pool(targets).astype(np.float32)
    digit = bunch.target.astype(np.int64)
    return DIGITS_UPSAMPLE.dataset(features=inputs, target=targets,
                                   splits=holdout_splits(digit, "multiclass", seed=seed),
                                   extras={"digit": digit})


DIGITS_UPSAMPLE = DatasetSpec(
    name="digits-upsample", task="reconstruction", n_samples=1797, origin="sklearn",
    description=("The 1797 scikit-learn digits as an upsampling task: input the 4x4 image from 2x2 average "
                 "pooling of each 8x8 digit (n, 4, 4, 1), target the original 8x8 image (n, 8, 8, 1); "
                 "float32 in [0, 1]."),
    provenance=("Derived in kerasdl.data.derived from E. Alpaydin, C. Kaynak (1998), Optical Recognition of "
                "Handwritten Digits, UCI Machine Learning Repository, as bundled with scikit-learn "
                "(sklearn.datasets.load_digits): pixel counts 0..16 divided by 16, then each input pixel "
                "is the mean of a 2x2 block of the target."),
    license=("CC BY 4.0, as listed for this dataset by the UCI Machine Learning Repository; the "
             "scikit-learn package is BSD-3-Clause."),
    loader=load_digits_upsample)

SPECS = (DIGITS_UPSAMPLE,)
