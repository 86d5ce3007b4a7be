"""Image datasets recast for autoencoders: the target is the input itself (task `reconstruction`).

`digits-reconstruction`: every image of a labelled image set, features = target. The class of each
image is kept in `extras["label"]` (with `extras["class_names"]`) so a study can colour a latent
space by digit; the autoencoder never sees it.

`digits-anomaly`: the same images split for novelty detection (notes 001:3252-3283, 3627: "train a
model to reconstruct normal data and then flag challenging inputs as potentially abnormal").
The training and validation splits hold only the "normal" classes; the test split holds the normal
test images plus every image of `anomaly_class`, which no model saw. `extras["anomaly"]` is 1 for
those rows, so reconstruction error can be scored as an anomaly score with ROC AUC.

`source` picks the images: "digits" (scikit-learn's bundled 8x8 digits, the default, always offline)
or "mnist" / "fashion-mnist" (28x28, read from the local Keras cache only — never downloaded;
`limit` subsamples them while still uint8). Labels stay aligned with rows because this module
subsamples itself (the `limit` option), before the splits are made.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from kerasdl.data import _options
from kerasdl.data.dataset import Dataset
from kerasdl.data.info import DatasetSpec
from kerasdl.errors import UserError

__all__ = ["SPECS", "load_digits_anomaly", "load_digits_reconstruction"]

SOURCES = ("digits", "mnist", "fashion-mnist")


def _labelled_images(name: str, *, source: str, seed: int, flatten, limit) -> Dataset:
    """The classification dataset `source` (images in [0, 1], (n, h, w, 1) or flattened)."""
    from kerasdl.data import keras_sets, sklearn_sets

    if source not in SOURCES:
        raise UserError(f"dataset {name!r}: expected source in {', '.join(SOURCES)}. Received: source={source!r}")
    flatten = _options.boolean(name, "flatten", flatten)
    limit = _options.optional_positive_int(name, "limit", limit, minimum=10)
    if source == "digits":
        labelled = sklearn_sets.load_digits(seed=seed, flatten=flatten)
        return labelled if limit is None else labelled.subsample(limit, seed=seed)
    loader = keras_sets.load_mnist if source == "mnist" else keras_sets.load_fashion_mnist
    return loader(seed=seed, flatten=flatten, limit=limit)  # cache only: DatasetUnavailable when missing


def _is_offline() -> bool:
    return True  # the default source is bundled with scikit-learn; MNIST says so itself when missing


def load_digits_reconstruction(*, seed: int = 0, source: str = "digits", flatten: bool = False,
                               limit: int | None = None) -> Dataset:
    """features = target = the images; splits are the source's (stratified by class)."""
    labelled = _labelled_images(RECONSTRUCTION.name, source=source, seed=seed, flatten=flatten, limit=limit)
    images = np.asarray(labelled.features, dtype=np.float32)
    dataset = RECONSTRUCTION.dataset(features=images, target=images, splits=labelled.splits,
                                     extras={"label": labelled.target, "class_names": labelled.class_names,
                                             "source": source})
    return replace(dataset, provenance=f"{RECONSTRUCTION.provenance} Source: {labelled.provenance}")


def load_digits_anomaly(*, seed: int = 0, source: str = "digits", anomaly_class: int = 7, flatten: bool = False,
                        limit: int | None = None) -> Dataset:
    """Train/val: normal classes only; test: normal test images + every image of `anomaly_class`."""
    labelled = _labelled_images(ANOMALY.name, source=source, seed=seed, flatten=flatten, limit=limit)
    classes = labelled.n_classes
    if not (isinstance(anomaly_class, int) and 0 <= anomaly_class < classes):
        raise UserError(f"dataset {ANOMALY.name!r}: expected anomaly_class in 0..{classes - 1}. "
                        f"Received: anomaly_class={anomaly_class!r}")
    label = np.asarray(labelled.target)
    anomaly = (label == anomaly_class).astype(np.int64)
    normal = np.flatnonzero(anomaly == 0)
    splits = {"train": np.intersect1d(labelled.splits["train"], normal),
              "val": np.intersect1d(labelled.splits["val"], normal),
              "test": np.union1d(np.intersect1d(labelled.splits["test"], normal), np.flatnonzero(anomaly))}
    images = np.asarray(labelled.features, dtype=np.float32)
    dataset = ANOMALY.dataset(features=images, target=images, splits=splits,
                              extras={"label": label, "anomaly": anomaly, "anomaly_class": anomaly_class,
                                      "class_names": labelled.class_names, "source": source})
    return replace(dataset, provenance=f"{ANOMALY.provenance} Source: {labelled.provenance}")


_PROVENANCE = "Derived in kerasdl.data.autoencoder_sets from a labelled image set (option source)."
_LICENSE = ("That of the source: digits CC BY 4.0 (UCI), MNIST CC BY-SA 3.0 (LeCun, Cortes, Burges), "
            "Fashion-MNIST MIT (Zalando Research).")

RECONSTRUCTION = DatasetSpec(
    name="digits-reconstruction", task="reconstruction", n_samples=1797, origin="sklearn",
    description=("Images as their own target for autoencoders: the 1797 scikit-learn 8x8 digits (n, 8, 8, 1) "
                 "in [0, 1] by default; source=mnist|fashion-mnist reads the cached 28x28 sets; class labels "
                 "kept aside in extras; flatten gives (n, pixels)."),
    provenance=_PROVENANCE, license=_LICENSE, loader=load_digits_reconstruction, is_offline=_is_offline)

ANOMALY = DatasetSpec(
    name="digits-anomaly", task="reconstruction", n_samples=1797, origin="sklearn",
    description=("Novelty detection by reconstruction: train and validate on every digit but anomaly_class "
                 "(default 7), test on the normal test digits plus every image of anomaly_class (extras "
                 "'anomaly' = 1); same sources and options as digits-reconstruction."),
    provenance=_PROVENANCE, license=_LICENSE, loader=load_digits_anomaly, is_offline=_is_offline)

SPECS = (RECONSTRUCTION, ANOMALY)
