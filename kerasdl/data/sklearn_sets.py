"""Small classic datasets that ship inside scikit-learn, so they load offline on any install.

Only the bundled `load_*` functions are used, never `fetch_*` (which downloads). The tabular ones stay
pandas DataFrames so the preprocessing pipeline (fitted on training rows only) sees column names.
"""

from __future__ import annotations

import numpy as np

from kerasdl.data import _options
from kerasdl.data._splits import holdout_splits
from kerasdl.data.dataset import Dataset
from kerasdl.data.info import DatasetSpec

__all__ = ["SPECS"]

_BUNDLED = "Bundled with scikit-learn (BSD-3-Clause package), loaded with sklearn.datasets.{}."
_UCI_LICENSE = ("CC BY 4.0, as listed for this dataset by the UCI Machine Learning Repository "
                "(see the scikit-learn documentation for its bundled copy); the scikit-learn package "
                "itself is BSD-3-Clause.")


def _tabular(spec: DatasetSpec, frame, target: np.ndarray, seed: int, class_names=()) -> Dataset:
    frame = frame.reset_index(drop=True)
    return spec.dataset(features=frame, target=target, splits=holdout_splits(target, spec.task, seed=seed),
                        class_names=tuple(str(c) for c in class_names),
                        numeric_columns=tuple(str(c) for c in frame.columns))


def load_breast_cancer(*, seed: int = 0) -> Dataset:
    """Wisconsin diagnostic breast cancer, recoded so that 1 = malignant.

    scikit-learn codes malignant as 0; recoding makes the positive class the disease, so sensitivity and
    detection rate mean what the notes mean by them (as for heart-disease).
    """
    from sklearn.datasets import load_breast_cancer as load

    bunch = load(as_frame=True)
    target = (bunch.target.to_numpy() == 0).astype(np.int64)
    return _tabular(BREAST_CANCER, bunch.data, target, seed, ("benign", "malignant"))


def load_iris(*, seed: int = 0) -> Dataset:
    from sklearn.datasets import load_iris as load

    bunch = load(as_frame=True)
    return _tabular(IRIS, bunch.data, bunch.target.to_numpy(dtype=np.int64), seed, bunch.target_names)


def load_wine(*, seed: int = 0) -> Dataset:
    from sklearn.datasets import load_wine as load

    bunch = load(as_frame=True)
    names = ("cultivar 1", "cultivar 2", "cultivar 3")  # scikit-learn's class_0..2 are UCI's cultivars 1..3
    return _tabular(WINE, bunch.data, bunch.target.to_numpy(dtype=np.int64), seed, names)


def load_diabetes(*, seed: int = 0) -> Dataset:
    """Diabetes progression one year after baseline, in original units.

    `scaled=False` on purpose: scikit-learn's default copy is centred and scaled with statistics of all
    442 rows, which would leak held-out rows into training; our pipeline scales on training rows only.
    """
    from sklearn.datasets import load_diabetes as load

    bunch = load(as_frame=True, scaled=False)
    return _tabular(DIABETES, bunch.data, bunch.target.to_numpy(dtype=np.float64), seed)


def load_digits(*, seed: int = 0, flatten: bool = False) -> Dataset:
    """8x8 handwritten digits as images (n, 8, 8, 1) in [0, 1] (pixel counts 0..16 divided by 16)."""
    from sklearn.datasets import load_digits as load

    flatten = _options.boolean("digits", "flatten", flatten)
    bunch = load()
    images = (bunch.images / 16.0).astype(np.float32)[..., np.newaxis]
    if flatten:
        images = images.reshape(len(images), -1)
    target = bunch.target.astype(np.int64)
    return DIGITS.dataset(features=images, target=target,
                          splits=holdout_splits(target, "multiclass", seed=seed),
                          class_names=tuple(str(d) for d in range(10)))


BREAST_CANCER = DatasetSpec(
    name="breast-cancer", task="binary", n_samples=569, origin="sklearn",
    description=("Wisconsin diagnostic breast cancer: 30 numeric features of cell nuclei in fine-needle "
                 "aspirate images; 212 malignant (coded 1) vs 357 benign."),
    provenance=("W. H. Wolberg, W. N. Street, O. L. Mangasarian (1995), Breast Cancer Wisconsin (Diagnostic), "
                "UCI Machine Learning Repository; W. N. Street, W. H. Wolberg, O. L. Mangasarian (1993), "
                "Nuclear feature extraction for breast tumor diagnosis, IS&T/SPIE 1905. "
                + _BUNDLED.format("load_breast_cancer")),
    license=_UCI_LICENSE, loader=load_breast_cancer)

IRIS = DatasetSpec(
    name="iris", task="multiclass", n_samples=150, origin="sklearn",
    description="Fisher's iris: 4 numeric measurements of 150 flowers, 3 species of 50.",
    provenance=("R. A. Fisher (1936), The use of multiple measurements in taxonomic problems, Annual "
                "Eugenics 7(2):179-188; Iris dataset of the UCI Machine Learning Repository. "
                + _BUNDLED.format("load_iris")),
    license=_UCI_LICENSE, loader=load_iris)

WINE = DatasetSpec(
    name="wine", task="multiclass", n_samples=178, origin="sklearn",
    description="Chemical analysis of 178 Italian wines: 13 numeric features, 3 cultivars (59/71/48).",
    provenance=("M. Forina et al., PARVUS (Genoa, 1988), donated by S. Aeberhard (1991) as the Wine dataset "
                "of the UCI Machine Learning Repository. " + _BUNDLED.format("load_wine")),
    license=_UCI_LICENSE, loader=load_wine)

DIABETES = DatasetSpec(
    name="diabetes", task="regression", n_samples=442, origin="sklearn",
    description=("442 diabetes patients: age, sex, BMI, blood pressure and 6 blood serum measurements "
                 "(original units); target: disease progression one year after baseline."),
    provenance=("B. Efron, T. Hastie, I. Johnstone, R. Tibshirani (2004), Least Angle Regression, Annals of "
                "Statistics 32(2):407-499; data from "
                "https://www4.stat.ncsu.edu/~boos/var.select/diabetes.html. "
                + _BUNDLED.format("load_diabetes")),
    license=("No licence is stated by the original source; see the scikit-learn documentation. "
             "The scikit-learn package is BSD-3-Clause."),
    loader=load_diabetes)

DIGITS = DatasetSpec(
    name="digits", task="multiclass", n_samples=1797, origin="sklearn",
    description=("1797 handwritten digits as 8x8 grayscale images (n, 8, 8, 1) float32 in [0, 1]; "
                 "10 classes; option flatten gives (n, 64)."),
    provenance=("E. Alpaydin, C. Kaynak (1998), Optical Recognition of Handwritten Digits, UCI Machine "
                "Learning Repository (scikit-learn ships its test part); E. Alpaydin, C. Kaynak (1998), "
                "Cascading Classifiers, Kybernetika. " + _BUNDLED.format("load_digits")),
    license=_UCI_LICENSE, loader=load_digits)

SPECS = (BREAST_CANCER, IRIS, WINE, DIABETES, DIGITS)
