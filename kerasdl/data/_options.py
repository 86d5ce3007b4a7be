"""Checks for dataset options, so that a bad value is one clear line instead of a traceback from NumPy or Keras.

Values may arrive as text from the command line (`--option limit=500`), so integers, floats and booleans
written as strings are accepted and converted here, once, instead of in every loader.
"""

from __future__ import annotations

from typing import Any

from kerasdl.errors import UserError

__all__ = ["positive_int", "optional_positive_int", "non_negative_float", "boolean"]

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def _fail(dataset: str, option: str, expected: str, value: Any) -> UserError:
    return UserError(f"dataset {dataset!r}: option {option} must be {expected}. Received: {option}={value!r}")


def positive_int(dataset: str, option: str, value: Any, *, minimum: int = 1) -> int:
    """`value` as an int >= minimum (bools are refused: `limit=True` is a mistake, not 1)."""
    number = value
    if isinstance(value, str) and value.strip().lstrip("+").isdigit():
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, int) or number < minimum:
        raise _fail(dataset, option, f"an integer >= {minimum}", value)
    return number


def optional_positive_int(dataset: str, option: str, value: Any, *, minimum: int = 1) -> int | None:
    """Like `positive_int`, but None (or the text 'none') means "not set"."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
        return None
    return positive_int(dataset, option, value, minimum=minimum)


def non_negative_float(dataset: str, option: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _fail(dataset, option, "a number >= 0", value) from None
    if isinstance(value, bool) or not number >= 0 or number == float("inf"):
        raise _fail(dataset, option, "a finite number >= 0", value)
    return number


def boolean(dataset: str, option: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _fail(dataset, option, "true or false", value)
