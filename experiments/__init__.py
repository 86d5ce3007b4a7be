"""The experiment scripts, one per notes topic; installed as `kerasdl.experiments`.

Every module defines `NAME` (the registry name), `TITLE` and `experiment() -> Experiment`, does its
work inside functions (nothing happens at import) and can be run directly:
`python experiments/heart_disease.py --quick` is `kerasdl run heart-disease --quick`.
Importing a module must not import TensorFlow, so `kerasdl list experiments` stays instant.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from types import ModuleType

from kerasdl.errors import UserError, closest_names

__all__ = ["ExperimentInfo", "available", "load_module"]


@dataclass(frozen=True)
class ExperimentInfo:
    name: str
    title: str
    module: str
    notes_ref: str

    def as_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "module": self.module, "notes_ref": self.notes_ref}


def _modules() -> dict[str, ModuleType]:
    found = {}
    for item in pkgutil.iter_modules(__path__):
        if item.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{item.name}")
        if hasattr(module, "NAME") and hasattr(module, "experiment"):
            found[module.NAME] = module
    return found


def available() -> list[ExperimentInfo]:
    return [ExperimentInfo(name, m.TITLE, m.__name__.rsplit(".", 1)[-1], getattr(m, "NOTES_REF", ""))
            for name, m in sorted(_modules().items())]


def load_module(name: str) -> ModuleType:
    modules = _modules()
    if name not in modules:
        raise UserError(f"unknown experiment {name!r}; {closest_names(name, modules)}")
    return modules[name]
