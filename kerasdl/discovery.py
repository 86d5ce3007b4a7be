"""Find the runnable scripts of a folder-package (experiments/, tuning/) by the names they declare.

Both folders hold one script per topic that declares `NAME` and a factory; the CLI lists and loads
them by that name. Importing a script must stay cheap (no TensorFlow at module top), which the tests
check, so listing them all is instant.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from types import ModuleType

from kerasdl.errors import UserError, closest_names

__all__ = ["scripts", "load_script"]


def scripts(package: ModuleType, factory: str) -> dict[str, ModuleType]:
    """Modules of `package` (skipping `_private` ones) that define `NAME` and `factory`, by NAME."""
    found: dict[str, ModuleType] = {}
    for item in pkgutil.iter_modules(package.__path__):
        if item.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{item.name}")
        if hasattr(module, "NAME") and hasattr(module, factory):
            found[module.NAME] = module
    return found


def load_script(kind: str, name: str, found: dict[str, ModuleType] | Iterable[str]) -> ModuleType:
    """The script called `name`, or a user error naming the closest ones."""
    if name not in found:
        raise UserError(f"unknown {kind} {name!r}; {closest_names(name, found)}")
    return found[name]
