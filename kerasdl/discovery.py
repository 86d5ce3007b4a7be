"""Find the runnable scripts of a folder-package (experiments/, tuning/) by the names they declare.

Both folders hold one script per topic that declares `NAME` and a factory; the CLI lists and loads
them by that name. Importing a script must stay cheap (no TensorFlow at module top), which the tests
check, so listing them all is instant.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from kerasdl.errors import UserError, closest_names

__all__ = ["is_path", "load_file", "load_script", "scripts"]


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


def is_path(reference: str) -> bool:
    """Whether a command-line reference names a file (`my_study.py`, `dir/x`) rather than a registered name."""
    return reference.endswith(".py") or "/" in reference or "\\" in reference


def load_file(kind: str, path: str | Path, factory: str) -> ModuleType:
    """A user's own script of the same shape as the registered ones, loaded from its file."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise UserError(f"no {kind} file at {path}; pass a registered {kind} name or an existing .py file")
    module_name = f"kerasdl_user_{kind}_" + re.sub(r"\W", "_", path.stem)
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look modules up by name
    spec.loader.exec_module(module)
    if not callable(getattr(module, factory, None)):
        raise UserError(f"{path}: a {kind} file needs a function {factory}(); see the scripts in experiments/")
    return module
