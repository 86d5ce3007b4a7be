"""Datasets that need nothing outside the package: the vendored UCI heart-disease file and the logic gates.

These always load offline, on any fresh install, which is why the tests and `--quick` runs lean on them.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from kerasdl.data import _options
from kerasdl.data._splits import holdout_splits
from kerasdl.data.dataset import Dataset
from kerasdl.data.info import DatasetSpec

__all__ = ["SPECS", "HEART_DISEASE_FILE", "load_heart_disease"]

HEART_DISEASE_FILE = "processed.cleveland.data"
HEART_DISEASE_COLUMNS = ("age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach",
                         "exang", "oldpeak", "slope", "ca", "thal", "num")
HEART_DISEASE_CATEGORICAL = ("sex", "cp", "fbs", "restecg", "exang", "slope", "ca", "thal")
HEART_DISEASE_NUMERIC = ("age", "trestbps", "chol", "thalach", "oldpeak")


def load_heart_disease(*, seed: int = 0) -> Dataset:
    """The Cleveland subset of UCI Heart Disease, target `num > 0`, missing cells left as NaN.

    The categorical columns keep their integer codes (as floats, like the file); the preprocessing
    pipeline one-hot encodes them, because chest-pain type 4 is not "twice" type 2. Imputation also
    happens in the pipeline, fitted on training rows only.
    """
    import pandas as pd

    source = resources.files("kerasdl.data").joinpath("files", HEART_DISEASE_FILE)
    with source.open("r", encoding="ascii") as handle:
        frame = pd.read_csv(handle, header=None, names=list(HEART_DISEASE_COLUMNS), na_values="?")
    target = (frame.pop("num") > 0).to_numpy(dtype=np.int64)
    return HEART_DISEASE.dataset(
        features=frame, target=target, splits=holdout_splits(target, "binary", seed=seed),
        class_names=("no disease", "disease"), numeric_columns=HEART_DISEASE_NUMERIC,
        categorical_columns=HEART_DISEASE_CATEGORICAL)


HEART_DISEASE = DatasetSpec(
    name="heart-disease", task="binary", n_samples=303, origin="embedded",
    description=("UCI Heart Disease, Cleveland subset: 303 patients, 13 clinical features (5 numeric, "
                 "8 categorical codes), 6 missing cells (4 in ca, 2 in thal); target: num > 0 "
                 "(angiographic disease, 139 of 303)."),
    provenance=("Janosi, A., Steinbrunn, W., Pfisterer, M. and Detrano, R. (1988). Heart Disease [Dataset]. "
                "UCI Machine Learning Repository. https://doi.org/10.24432/C52P4X. "
                "File processed.cleveland.data (Cleveland Clinic Foundation), vendored unchanged "
                "(md5 2d91a8ff69cfd9616aa47b59d6f843db)."),
    license=("CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). Attribution: Heart Disease by "
             "A. Janosi, W. Steinbrunn, M. Pfisterer and R. Detrano, UCI Machine Learning Repository, "
             "DOI 10.24432/C52P4X."),
    loader=load_heart_disease,
)

# ---------------------------------------------------------------------------------------------------
# Logic gates: the perceptron study's toy problems. AND and OR are linearly separable, XOR is not,
# which is the whole point of putting them side by side.

_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_TRUTH_TABLES = {"xor": (0, 1, 1, 0), "logic-and": (0, 0, 0, 1), "logic-or": (0, 1, 1, 1)}
_GATE_WORDS = {"xor": "exclusive or", "logic-and": "and", "logic-or": "inclusive or"}


def _gate_loader(name: str):
    truth = np.array(_TRUTH_TABLES[name], dtype=np.int64)

    def load_gate(*, seed: int = 0, n_per_corner: int = 50, noise: float = 0.1) -> Dataset:
        import pandas as pd

        n_per_corner = _options.positive_int(name, "n_per_corner", n_per_corner, minimum=5)
        noise = _options.non_negative_float(name, "noise", noise)
        rng = np.random.default_rng(seed)
        points = np.repeat(_CORNERS, n_per_corner, axis=0)
        points = points + rng.normal(0.0, noise, size=points.shape)
        target = np.repeat(truth, n_per_corner)
        frame = pd.DataFrame(points, columns=["x1", "x2"])
        return SPECS_BY_NAME[name].dataset(
            features=frame, target=target, splits=holdout_splits(target, "binary", seed=seed),
            class_names=("false", "true"), numeric_columns=("x1", "x2"),
            description=_gate_description(name, n_per_corner, noise),
            extras={"n_per_corner": n_per_corner, "noise": noise})

    load_gate.__name__ = f"load_{name.replace('-', '_')}"
    load_gate.__doc__ = f"The {_GATE_WORDS[name]} truth table, each corner repeated with Gaussian jitter."
    return load_gate


def _gate_description(name: str, n_per_corner: int = 50, noise: float = 0.1) -> str:
    table = ", ".join(f"({int(a)},{int(b)})->{t}" for (a, b), t in zip(_CORNERS, _TRUTH_TABLES[name]))
    return (f"Truth table of {_GATE_WORDS[name]} [{table}]: each corner repeated {n_per_corner} times "
            f"({4 * n_per_corner} points) with Gaussian jitter of standard deviation {noise:g}; "
            "options n_per_corner, noise.")


def _gate_spec(name: str) -> DatasetSpec:
    return DatasetSpec(
        name=name, task="binary", n_samples=4 * 50, origin="generated",
        description=_gate_description(name),
        provenance=(f"generated by kerasdl: the 4 corners of the unit square labelled by {_GATE_WORDS[name]}, "
                    "repeated n_per_corner times, plus N(0, noise^2) jitter drawn with "
                    "numpy.random.default_rng(seed); deterministic for a given seed."),
        license="no third-party data: generated by kerasdl code (MIT License, like the package)",
        loader=_gate_loader(name),
    )


SPECS_BY_NAME = {spec.name: spec for spec in [HEART_DISEASE, *(_gate_spec(n) for n in _TRUTH_TABLES)]}
SPECS = tuple(SPECS_BY_NAME.values())
