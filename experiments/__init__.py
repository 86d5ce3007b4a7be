"""The experiment scripts, one per notes topic; installed as `kerasdl.experiments`.

Every module defines `NAME` (the registry name), `TITLE` and `experiment() -> Experiment`, does its
work inside functions (nothing happens at import) and can be run directly:
`python experiments/heart_disease.py --quick` is `kerasdl run heart-disease --quick`.
Importing a module must not import TensorFlow, so `kerasdl list experiments` stays instant.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from types import ModuleType

from kerasdl.discovery import is_path, load_file, load_script, scripts

__all__ = ["ExperimentInfo", "available", "load_module"]


@dataclass(frozen=True)
class ExperimentInfo:
    name: str
    title: str
    module: str
    notes_ref: str

    def as_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "module": self.module, "notes_ref": self.notes_ref}


def available() -> list[ExperimentInfo]:
    return [ExperimentInfo(name, m.TITLE, m.__name__.rsplit(".", 1)[-1], getattr(m, "NOTES_REF", ""))
            for name, m in sorted(scripts(sys.modules[__name__], "experiment").items())]


def load_module(name: str) -> ModuleType:
    """A registered experiment by name, or a user's experiment script by path (anything ending in .py)."""
    if is_path(name):
        return load_file("experiment", name, "experiment")
    return load_script("experiment", name, scripts(sys.modules[__name__], "experiment"))
