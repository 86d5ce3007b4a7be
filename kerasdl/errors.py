"""Errors a user can cause.

The CLI turns a :class:`UserError` into one line on stderr and exit status 2. Anything else that
escapes is a bug in kerasdl and keeps its traceback, so that it gets reported and fixed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["ConfigurationError", "UserError", "DatasetUnavailable", "closest_names"]


class UserError(Exception):
    """Something the user asked for cannot be done; the message says what and how to fix it."""

    exit_status = 2


class ConfigurationError(UserError, ValueError):
    """A misdeclared Experiment, Variant or search unit ("Expected ... Received ...").

    A user error (one line, exit 2 from the CLI) that is also a ValueError, as a bad argument is in
    Python, so code that already catches ValueError keeps working.
    """


class DatasetUnavailable(UserError):
    """A real dataset is not in the local cache and this machine must not download it."""


def closest_names(name: str, choices: Iterable[str], n: int = 3) -> str:
    """'did you mean' text for an unknown name: the closest choices, else all of them."""
    choices = sorted(choices)
    close = difflib.get_close_matches(name, choices, n=n, cutoff=0.5)
    if close:
        return "closest: " + ", ".join(close)
    return "available: " + ", ".join(choices)
