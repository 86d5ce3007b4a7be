"""The builder registry: names, families and notes references, importable without TensorFlow.

Each row points at a builder function by module and name; the module (and with it Keras) is imported
only when that builder is built. That keeps `kerasdl list builders` instant.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Any

from kerasdl.errors import UserError, closest_names

__all__ = ["BuilderInfo", "available", "build", "get", "hyperparameters"]


@dataclass(frozen=True)
class BuilderInfo:
    name: str
    family: str
    apis: tuple[str, ...]  # "sequential" and/or "functional" (also used for Model subclasses)
    notes_ref: str
    module: str            # module under kerasdl.models
    function: str
    description: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "family": self.family, "apis": list(self.apis),
                "notes_ref": self.notes_ref, "description": self.description}


_BOTH = ("sequential", "functional")
_FUNCTIONAL = ("functional",)

# One row per registered builder. Families and notes references follow ../shared/CATALOG.md §1.
_BUILDERS: tuple[BuilderInfo, ...] = (
    BuilderInfo("mlp", "feedforward", _BOTH, "001:280-345, 004:142-229, 003:362-383",
                "feedforward", "build_mlp",
                "Deep feedforward network: Dense layers with activation, initializer, L1/L2, dropout "
                "and batch norm before or after the activation"),
)


def available() -> list[BuilderInfo]:
    """Every registered builder, sorted by family then name."""
    return sorted(_BUILDERS, key=lambda b: (b.family, b.name))


def get(name: str) -> BuilderInfo:
    for info in _BUILDERS:
        if info.name == name:
            return info
    raise UserError(f"unknown builder {name!r}; {closest_names(name, [b.name for b in _BUILDERS])}")


def _function(info: BuilderInfo):
    module = importlib.import_module(f"kerasdl.models.{info.module}")
    return getattr(module, info.function)


def hyperparameters(name: str) -> dict[str, Any]:
    """The builder's tunable keyword arguments and their defaults."""
    signature = inspect.signature(_function(get(name)))
    return {p.name: p.default for p in signature.parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "api"}


def build(name: str, input_shape, outputs: int, *, api: str = "sequential", **hyper):
    """Build the registered model `name` (uncompiled) for `input_shape` with `outputs` output units.

    Unknown hyperparameters and unsupported APIs are user errors naming what is accepted.
    """
    info = get(name)
    if api not in info.apis:
        raise UserError(f"builder {name!r} has no {api!r} form; it supports: {', '.join(info.apis)}")
    accepted = hyperparameters(name)
    unknown = sorted(set(hyper) - set(accepted))
    if unknown:
        raise UserError(f"builder {name!r} has no hyperparameter {', '.join(unknown)}; "
                        f"accepted: {', '.join(sorted(accepted))}")
    return _function(info)(tuple(int(d) for d in input_shape), int(outputs), api=api, **hyper)
