"""`kerasdl run path/to/my_study.py`: a user's own experiment file, loaded and checked.

The file has the shape of the scripts in experiments/: a function `experiment()` returning a
`kerasdl.harness.Experiment` (NAME, TITLE and `analyze` are optional). Whatever is wrong with the
file's shape — it does not parse, has no `experiment()`, or `experiment()` returns something else —
ends in one line naming the file and what it needs (a `UserError`: exit status 2), never a traceback
from deep inside the harness. An exception raised by the user's own code while it runs keeps its
traceback: that is where the user needs to look.
"""

from __future__ import annotations

import functools
from pathlib import Path
from types import ModuleType

from kerasdl.errors import UserError

__all__ = ["load"]

_SHAPE = ("an experiment file defines experiment() returning a kerasdl.harness.Experiment "
          "(see experiments/pooling.py for one)")


def load(path: str | Path) -> ModuleType:
    """The module of the experiment file at `path`, its `experiment()` checked when called."""
    from kerasdl.discovery import load_file

    path = Path(path)
    try:
        module = load_file("experiment", path, "experiment")
    except SyntaxError as error:
        raise UserError(f"{error.filename or path}:{error.lineno}: {error.msg}; {_SHAPE}") from None
    except UserError as error:
        if not Path(path).expanduser().is_file():
            raise
        raise UserError(f"{path} does not define an experiment: {_SHAPE}") from error
    module.experiment = _checked(module.experiment, path)
    return module


def _checked(factory, path: Path):
    """`factory` that refuses to return anything but an Experiment."""

    @functools.wraps(factory)
    def experiment(*args, **kwargs):
        from kerasdl.harness import Experiment

        made = factory(*args, **kwargs)
        if not isinstance(made, Experiment):
            raise UserError(f"{path}: experiment() returned {type(made).__name__}, not an Experiment; {_SHAPE}")
        return made

    return experiment
