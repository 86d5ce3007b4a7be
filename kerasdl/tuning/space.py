"""The search space as keras-tuner sees it: discovery, the grid's size, and continuous ranges on a grid.

Why a grid needs care: keras-tuner's GridSearch enumerates `hp.values`, and for a `Float` (or a log
`Int`) declared without `step` that is 10 values at the 5 %, 15 %, …, 95 % points of the range plus
the default — `max_value` is never tried. A user asking for a grid over [1e-4, 1e-2] would silently
get something else, so such a space is refused, or, on request, each continuous range is replaced by
an explicit `Choice` of N evenly spaced values from min_value to max_value (both included).
"""

from __future__ import annotations

import math
import os
import tempfile
from typing import Any

import numpy as np

from kerasdl.errors import UserError, closest_names

__all__ = ["check_manual", "continuous", "count_grid", "describe", "discover", "enumerated", "grid_overrides",
           "grid_values"]

_ROLE_ENV = ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT")


def discover(hypermodel, objective):
    """The full space (HyperParameters) the hypermodel declares, conditional branches included.

    A throwaway RandomSearch in a temporary folder runs keras-tuner's own discovery (every build
    and `declare_hyperparameters`, with each conditional scope activated once), so the count and the
    refusal below see exactly what the real tuner will.
    """
    import keras_tuner

    # keras-tuner picks its role from the environment; the probe must stay a plain local tuner even
    # inside a chief or worker process.
    saved = {name: os.environ.pop(name) for name in _ROLE_ENV if name in os.environ}
    try:
        with tempfile.TemporaryDirectory(prefix="kerasdl-space-") as folder:
            probe = keras_tuner.RandomSearch(hypermodel=hypermodel, objective=objective, max_trials=1,
                                             directory=folder, project_name="space", overwrite=True)
            return probe.oracle.get_space()
    finally:
        os.environ.update(saved)


def continuous(hp) -> bool:
    """True for ranges GridSearch would bin into 10 values: Float without step, log Int without step."""
    kind = type(hp).__name__
    if getattr(hp, "step", None) is not None:
        return False
    return kind == "Float" or (kind == "Int" and getattr(hp, "sampling", "linear") != "linear")


def grid_values(hp) -> list:
    values = list(hp.values)
    if hp.default not in values:  # GridSearchOracle tries the default first, then the rest
        values.insert(0, hp.default)
    return values


def count_grid(space) -> int:
    """Grid points keras-tuner's GridSearch will visit: every combination of active values.

    Walks the space in declaration order, branching on each hyperparameter whose conditions hold for
    the values chosen so far, so conditional hyperparameters count only where they are active.
    """
    hps = list(space.space)

    def walk(position: int, chosen: dict[str, Any]) -> int:
        if position == len(hps):
            return 1
        hp = hps[position]
        if not all(condition.is_active(chosen) for condition in hp.conditions):
            return walk(position + 1, chosen)
        return sum(walk(position + 1, {**chosen, hp.name: value}) for value in grid_values(hp))

    if math.prod(len(grid_values(hp)) for hp in hps) > 1_000_000:
        return math.prod(len(grid_values(hp)) for hp in hps)  # an upper bound; counting would take long
    return walk(0, {})


def enumerated(hp, n: int) -> list:
    """N evenly spaced values from min_value to max_value, geometric for log sampling."""
    low, high = hp.min_value, hp.max_value
    spaced = np.geomspace(low, high, n) if hp.sampling in ("log", "reverse_log") else np.linspace(low, high, n)
    if type(hp).__name__ == "Int":
        return sorted({int(np.rint(v)) for v in spaced})
    return [float(f"{v:.6g}") for v in spaced]


def grid_overrides(space, enumerate_continuous: int | None):
    """HyperParameters that replace every continuous range by an explicit Choice, or a UserError.

    Returns (overrides or None, {name: values} of what was enumerated).
    """
    import keras_tuner
    from keras_tuner.engine.hyperparameters import Choice

    ranges = [hp for hp in space.space if continuous(hp)]
    if not ranges:
        return None, {}
    if enumerate_continuous is None:
        hp = ranges[0]
        kind = type(hp).__name__
        others = f" (and {', '.join(h.name for h in ranges[1:])})" if len(ranges) > 1 else ""
        raise UserError(
            f"grid search over {hp.name} = {kind}({hp.min_value:g}..{hp.max_value:g}, sampling {hp.sampling}, "
            f"no step){others} is refused: keras-tuner's GridSearch would bin it into 10 values (at 5%, 15%, ..., "
            f"95% of the range) and never try max_value {hp.max_value:g}; give it a step, use hp.Choice, or pass "
            "--enumerate-continuous N to try N evenly spaced values from min_value to max_value")
    overrides = keras_tuner.HyperParameters()
    chosen = {}
    for hp in ranges:
        values = enumerated(hp, enumerate_continuous)
        default = hp.default if hp.default in values else values[0]
        overrides.merge([Choice(hp.name, values, ordered=True, default=default, conditions=hp.conditions)])
        chosen[hp.name] = values
    return overrides, chosen


def check_manual(space, configurations) -> None:
    """Every name in MANUAL must be a declared hyperparameter (a typo would silently use the default)."""
    names = {hp.name for hp in space.space}
    for position, configuration in enumerate(configurations):
        unknown = sorted(set(configuration) - names)
        if unknown:
            raise UserError(f"MANUAL[{position}] sets {unknown[0]!r}, which the hypermodel does not declare; "
                            f"{closest_names(unknown[0], names)}")


def describe(space) -> list[dict[str, Any]]:
    """The space as plain JSON for search.json and the report: one entry per hyperparameter."""
    out = []
    for hp in space.space:
        config = hp.get_config()
        kind = type(hp).__name__
        entry: dict[str, Any] = {"name": hp.name, "kind": kind, "default": _plain(hp.default),
                                 "conditions": [c.get_config() for c in hp.conditions]}
        if kind in ("Int", "Float"):
            entry.update(min_value=config["min_value"], max_value=config["max_value"], step=config.get("step"),
                         sampling=config.get("sampling", "linear"))
        if kind == "Choice":
            entry["values"] = [_plain(v) for v in config["values"]]
        if kind == "Fixed":
            entry["values"] = [_plain(config["value"])]
        if kind == "Boolean":
            entry["values"] = [True, False]
        if not continuous(hp):
            entry["grid_values"] = [_plain(v) for v in grid_values(hp)]
        out.append(entry)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, (np.generic,)):
        return value.item()
    return value
