"""Search units: a search file (`tuning/<name>.py` or a user's `PATH.py`) read into one `SearchUnit`.

A unit declares *what* to search: a dataset, a hypermodel `build(hp, data)`, optionally
`fit(hp, model, *args, **kwargs)` for batch size and epochs, and an objective that names its
direction. Nothing here imports TensorFlow or keras-tuner, so `kerasdl tune --list` stays instant.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from kerasdl.errors import UserError

if TYPE_CHECKING:
    from .data import SearchData

__all__ = ["SearchUnit", "available", "load_unit"]


@dataclass(frozen=True)
class SearchUnit:
    """A search file read into one object: the module plus its declarations with defaults filled in.

    Module attributes: `build(hp, data)` or `build(hp)` (required: returns a compiled model),
    `DATASET` (a registered dataset name, or a function `dataset(seed) -> Dataset`; required),
    `OBJECTIVE` (`("val_auc", "max")` or a `keras_tuner.Objective`; required, the direction is never
    guessed), and optionally `NAME`, `TITLE`, `NOTES_REF`, `fit(hp, model, *args, **kwargs)`,
    `MAX_TRIALS` (10), `EPOCHS` (20), `BATCH_SIZE` (32, when there is no `fit`), `QUICK_SAMPLES` (300),
    `QUICK_EPOCHS` (2), `MANUAL` (list of {name: value} for `--strategy manual`) and
    `variant(values) -> kerasdl.harness.Variant` (for `--retrain-best`).
    """

    name: str
    title: str
    source: str                    # unit name for a registered unit, else the file path
    module: ModuleType
    objective: tuple[str, str]     # (metric name, "min" | "max")
    dataset: Any                   # name or loader
    max_trials: int = 10
    epochs: int = 20
    batch_size: int = 32
    quick_samples: int = 300
    quick_epochs: int = 2
    manual: tuple[dict, ...] = ()
    notes_ref: str = ""
    description: str = ""
    dataset_options: dict[str, Any] = field(default_factory=dict)

    @property
    def has_fit(self) -> bool:
        return callable(getattr(self.module, "fit", None))

    def build(self, hp, data: SearchData):
        build = self.module.build
        wants_data = len(inspect.signature(build).parameters) >= 2
        return build(hp, data) if wants_data else build(hp)

    def fit(self, hp, model, *args, **kwargs):
        return self.module.fit(hp, model, *args, **kwargs)

    def variant(self, values: Mapping[str, Any]):
        make = getattr(self.module, "variant", None)
        if not callable(make):
            raise UserError(f"search unit {self.name!r} has no variant(values) function, so its best trial "
                            "cannot be retrained as a run; add one that returns a kerasdl.harness.Variant")
        return make(dict(values))

    def load_dataset(self, seed: int):
        from kerasdl import data
        from kerasdl.data.dataset import Dataset

        if callable(self.dataset):
            loaded = self.dataset(seed)
            if not isinstance(loaded, Dataset):
                raise UserError(f"{self.source}: DATASET(seed) must return a kerasdl.data.Dataset. "
                                f"Received: {type(loaded).__name__}")
            return loaded
        return data.load(self.dataset, seed=seed, **self.dataset_options)


def _objective(module: ModuleType, where: str) -> tuple[str, str]:
    objective = getattr(module, "OBJECTIVE", None)
    if objective is None:
        raise UserError(f"{where}: no OBJECTIVE; declare the metric and its direction, e.g. "
                        "OBJECTIVE = ('val_auc', 'max')")
    if hasattr(objective, "name") and hasattr(objective, "direction"):  # a keras_tuner.Objective
        objective = (objective.name, objective.direction)
    if isinstance(objective, str) or len(objective) != 2 or objective[1] not in ("min", "max"):
        raise UserError(f"{where}: OBJECTIVE must name its direction, e.g. ('val_auc', 'max') or "
                        f"('val_loss', 'min'). Received: OBJECTIVE={objective!r}")
    return str(objective[0]), str(objective[1])


def _from_module(module: ModuleType, source: str, default_name: str) -> SearchUnit:
    if not callable(getattr(module, "build", None)):
        raise UserError(f"{source}: a search file needs a function build(hp, data) (or build(hp)) that returns "
                        "a compiled Keras model; see tuning/mlp_heart.py for the whole shape")
    dataset = getattr(module, "DATASET", None) or getattr(module, "dataset", None)
    if dataset is None:
        raise UserError(f"{source}: no DATASET; name a dataset (see `kerasdl datasets`) or give a function "
                        "dataset(seed) returning a kerasdl.data.Dataset")
    manual = getattr(module, "MANUAL", ()) or ()
    if not all(isinstance(entry, Mapping) for entry in manual):
        raise UserError(f"{source}: MANUAL must be a list of {{hyperparameter: value}} dictionaries")
    doc = (module.__doc__ or "").strip()
    if doc.startswith("Title:") and "\n\n" in doc:  # keras-io style header: the prose follows it
        doc = doc.split("\n\n", 1)[1].strip()
    return SearchUnit(
        name=str(getattr(module, "NAME", default_name)), title=str(getattr(module, "TITLE", default_name)),
        source=source, module=module, objective=_objective(module, source), dataset=dataset,
        max_trials=int(getattr(module, "MAX_TRIALS", 10)), epochs=int(getattr(module, "EPOCHS", 20)),
        batch_size=int(getattr(module, "BATCH_SIZE", 32)), quick_samples=int(getattr(module, "QUICK_SAMPLES", 300)),
        quick_epochs=int(getattr(module, "QUICK_EPOCHS", 2)), manual=tuple(dict(m) for m in manual),
        notes_ref=str(getattr(module, "NOTES_REF", "")), description=doc,
        dataset_options=dict(getattr(module, "DATASET_OPTIONS", {}) or {}),
    )


def available() -> list:
    """The registered search units (tuning/), without importing TensorFlow."""
    from kerasdl import search_units

    return search_units.available()


def load_unit(reference: str) -> SearchUnit:
    """A registered unit by name, or a user's search file by path (anything ending in .py)."""
    reference = str(reference)
    if reference.endswith(".py") or "/" in reference or "\\" in reference:
        path = Path(reference).expanduser()
        if not path.is_file():
            raise UserError(f"no search file at {path}; pass a registered unit "
                            f"({', '.join(u.name for u in available())}) or an existing .py file")
        module_name = "kerasdl_user_search_" + re.sub(r"\W", "_", path.stem)
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # dataclasses and pickling look modules up by name
        try:
            spec.loader.exec_module(module)
        except SyntaxError as error:  # the file's shape is the user's to fix (their code's own errors keep a traceback)
            raise UserError(f"{error.filename or path}:{error.lineno}: {error.msg}; a search file defines DATASET, "
                            "OBJECTIVE and build(hp, data): see tuning/mlp_heart.py") from None
        return _from_module(module, str(path.resolve()), path.stem.replace("_", "-"))
    from kerasdl import search_units

    module = search_units.load_module(reference)
    return _from_module(module, reference, reference)
