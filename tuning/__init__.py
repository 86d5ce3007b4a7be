"""The search units, one per hypermodel family; installed as `kerasdl.search_units`.

Every module defines `NAME` (the registry name), `TITLE`, `DATASET`, `OBJECTIVE` (a metric and its
direction) and `build(hp, data)`; optionally `fit(hp, model, *args, **kwargs)` (batch size, epochs),
`MANUAL` (configurations for `--strategy manual`) and `variant(values)` (for `--retrain-best`).
`kerasdl.tuning.SearchUnit` documents the whole shape. Nothing happens at import and TensorFlow is
not imported, so `kerasdl tune --list` stays instant; each unit runs directly:
`python tuning/mlp_heart.py --strategy grid --quick` is `kerasdl tune mlp-heart --strategy grid --quick`.

Families without a unit yet: `rnn-polarity` (cell type, units, bidirectional, depth) and
`autoencoder-code-size` wait for the recurrent and autoencoder builders to exist in kerasdl.models.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from types import ModuleType

from kerasdl.discovery import scripts
from kerasdl.errors import UserError, closest_names

__all__ = ["UnitInfo", "available", "load_module"]


@dataclass(frozen=True)
class UnitInfo:
    name: str
    title: str
    module: str
    notes_ref: str

    def as_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "module": self.module, "notes_ref": self.notes_ref}


def _modules() -> dict[str, ModuleType]:
    return scripts(sys.modules[__name__], "build")


def available() -> list[UnitInfo]:
    return [UnitInfo(name, getattr(m, "TITLE", name), m.__name__.rsplit(".", 1)[-1], getattr(m, "NOTES_REF", ""))
            for name, m in sorted(_modules().items())]


def load_module(name: str) -> ModuleType:
    modules = _modules()
    if name not in modules:
        raise UserError(f"unknown search unit {name!r}; {closest_names(name, modules)} "
                        "(or pass the path of your own search file, e.g. my_search.py)")
    return modules[name]
