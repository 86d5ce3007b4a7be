"""Dataset names to loaders: `load(name)` and `available()`.

Experiments name their data ("heart-disease", "mnist", "my_data.csv"), so this is the one place where a
name is resolved, options are checked against what the loader accepts, and `limit` is applied. Importing
this module loads no data and no heavy library: the loader modules import pandas, scikit-learn and Keras
inside their functions.
"""

from __future__ import annotations

from typing import Any

from kerasdl.data import _options, derived, embedded, keras_sets, sklearn_sets
from kerasdl.data import series, text, translation  # recurrent and sequence family
from kerasdl.data import sequences  # recurrent and sequence family (part A: generated sequences, tiny corpora)
from kerasdl.data import autoencoder_sets  # autoencoder family
from kerasdl.data import generation_sets, ratings  # generative and Boltzmann family
from kerasdl.data import shapes  # vision family (segmentation, detection)
from kerasdl.data import digit_splits  # digits 0-4 / 5-9 (transfer learning)
from kerasdl.data.dataset import Dataset
from kerasdl.data.info import DatasetInfo, DatasetSpec
from kerasdl.errors import UserError, closest_names

__all__ = ["load", "available", "names", "spec"]

# One entry per loader module, in listing order (each module's SPECS tuple names its datasets).
_SPECS: dict[str, DatasetSpec] = {s.name: s for s in (
    *embedded.SPECS,
    *sklearn_sets.SPECS,
    *derived.SPECS,
    *digit_splits.SPECS,
    *autoencoder_sets.SPECS,
    *keras_sets.SPECS,
    *text.SPECS, *series.SPECS, *translation.SPECS,
    *sequences.SPECS,
    *generation_sets.SPECS, *ratings.SPECS,
    *shapes.SPECS,
)}
_CSV_OPTIONS = ("target", "task", "limit")


def names() -> list[str]:
    """Registered dataset names, in listing order."""
    return list(_SPECS)


def available() -> list[DatasetInfo]:
    """Every registered dataset with its card and whether it can be loaded offline right now."""
    return [s.info() for s in _SPECS.values()]


def spec(name: str) -> DatasetSpec:
    """The registered spec for `name` (case and '_' vs '-' do not matter), or a UserError naming the closest."""
    key = _normalise(name)
    if key not in _SPECS:
        raise UserError(f"unknown dataset {name!r}; {closest_names(key, _SPECS)}")
    return _SPECS[key]


def load(name: str, *, seed: int = 0, **options: Any) -> Dataset:
    """Load a registered dataset, or a user CSV when `name` ends in .csv (then `target=` is required).

    `limit=N` keeps a stratified subsample of about N rows (every split keeps its share), for quick runs.
    """
    seed = _options.positive_int(name, "seed", seed, minimum=0)
    if str(name).lower().endswith(".csv"):
        return _load_user_csv(name, seed, options)
    dataset_spec = spec(name)
    accepted = dataset_spec.options()
    unknown = sorted(set(options) - set(accepted) - {"limit"})
    if unknown:
        listing = ", ".join(f"{k}={v!r}" for k, v in {**accepted, "limit": None}.items())
        raise UserError(f"dataset {dataset_spec.name!r} does not accept option(s) {', '.join(unknown)}; "
                        f"accepted options: seed=0, {listing}")
    if "limit" in accepted:  # the loader subsamples early itself (e.g. before scaling 60,000 images)
        return dataset_spec.loader(seed=seed, **options)
    limit = _options.optional_positive_int(dataset_spec.name, "limit", options.pop("limit", None), minimum=10)
    dataset = dataset_spec.loader(seed=seed, **options)
    return dataset if limit is None else dataset.subsample(limit, seed=seed)


def _load_user_csv(path: str, seed: int, options: dict[str, Any]) -> Dataset:
    from kerasdl.data.user_csv import load_csv

    unknown = sorted(set(options) - set(_CSV_OPTIONS))
    if unknown:
        raise UserError(f"a CSV dataset does not accept option(s) {', '.join(unknown)}; accepted options: "
                        f"target (required), task, limit, seed")
    if "target" not in options:
        raise UserError(f"loading {path} needs the name of its target column: target=COLUMN")
    limit = _options.optional_positive_int(path, "limit", options.get("limit"), minimum=10)
    dataset = load_csv(path, options["target"], task=options.get("task"), seed=seed)
    return dataset if limit is None else dataset.subsample(limit, seed=seed)


def _normalise(name: Any) -> str:
    return str(name).strip().lower().replace("_", "-")
