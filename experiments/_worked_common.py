"""The registry behind `worked-examples`: one small function per row of the notes-vs-Keras table.

Each worked number of the notes is a function that returns ``(notes_value, computed_value)``; the
decorator holds the rest of the row (what the example is, where it is in the notes, how close
"agrees" must be, and — where the notes are wrong — the correct value and the erratum text).
Keeping one row per function makes every row its own unit test (tests/test_worked_examples.py
parametrizes over :func:`Registry.examples`) without running Keras at collection time.

No TensorFlow here: this module is imported by `kerasdl list experiments` through the script.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Example", "Registry", "digits", "format_value", "matches"]


def digits(decimals: int) -> float:
    """Tolerance for a value the notes print with `decimals` decimals: half a unit of the last digit.

    "Agrees" then means: our value rounded to the notes' precision is the notes' value (the 1e-9
    only absorbs binary floating point at exact halves such as 0.035).
    """
    return 0.5 * 10.0 ** -decimals + 1e-9


def matches(expected: Any, computed: Any, tolerance: float) -> bool:
    """Element-wise |expected − computed| ≤ tolerance (a number, or one per element) for numbers of any
    nesting; equality for text."""
    if isinstance(expected, str) or isinstance(computed, str):
        return str(expected) == str(computed)
    a, b = np.asarray(expected, dtype=float), np.asarray(computed, dtype=float)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= np.asarray(tolerance, dtype=float)))


def format_value(value: Any) -> str:
    """Readable cell text: 8 significant digits; vectors as [a, b]; matrices as [row; row]."""
    if isinstance(value, str):
        return value
    arr = np.asarray(value, dtype=float)

    def number(x: float) -> str:
        return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:.8g}"

    if arr.ndim == 0:
        return number(float(arr))
    if arr.ndim == 1:
        return "[" + ", ".join(number(x) for x in arr) + "]"
    return "[" + "; ".join(", ".join(number(x) for x in row) for row in arr.reshape(arr.shape[0], -1)) + "]"


@dataclass(frozen=True)
class Example:
    """One row: `compute()` gives (notes' value, our value); the rest is fixed metadata."""

    key: str
    title: str
    source: str                    # notes file:lines, e.g. "000:590-634"
    compute: Callable[[], tuple[Any, Any]]
    tolerance: Any = 0.0           # a number, or one per element of the value
    expected: Any = None           # the correct value where the notes are wrong (erratum rows)
    erratum: str = ""
    catalog: bool = False          # the erratum is listed in CATALOG.md §6 (else found by this study)

    def row(self) -> dict[str, Any]:
        """Run the computation and judge it: status ok, erratum, or mismatch (must never happen)."""
        notes_value, computed = self.compute()
        expected = notes_value if self.expected is None else self.expected
        agrees = matches(notes_value, computed, self.tolerance)
        correct = matches(expected, computed, self.tolerance)
        if agrees and not self.erratum:
            status = "ok"
        elif self.erratum and not agrees and correct:
            status = "erratum"
        else:
            status = "mismatch"
        return {"key": self.key, "example": self.title, "source": self.source,
                "notes_value": notes_value, "computed_value": computed, "expected": expected,
                "tolerance": self.tolerance, "agrees": agrees, "erratum": self.erratum,
                "catalog": self.catalog, "status": status}


class Registry:
    """An ordered list of examples, filled by the `add` decorator in definition order."""

    def __init__(self) -> None:
        self.examples: list[Example] = []

    def add(self, key: str, title: str, source: str, *, tolerance: Any = 0.0, expected: Any = None,
            erratum: str = "", catalog: bool = False) -> Callable[[Callable[[], tuple[Any, Any]]], Callable]:
        if any(e.key == key for e in self.examples):
            raise ValueError(f"Registry.add: expected a unique example key. Received: {key!r} twice")

        def register(fn: Callable[[], tuple[Any, Any]]) -> Callable[[], tuple[Any, Any]]:
            self.examples.append(Example(key, title, source, fn, tolerance, expected, erratum, catalog))
            return fn

        return register
