"""What a search file calls to declare its hypermodel: a compiled kerasdl builder, and the way back
from a trial's recorded values to the harness Variant that `--retrain-best` runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .data import SearchData

__all__ = ["compiled_model", "replay", "variant_from"]

_COMPILE_KEYS = ("optimizer", "learning_rate", "batch_size")


def compiled_model(builder: str, data: SearchData, *, optimizer: str = "adam", learning_rate: float = 1e-3,
                   api: str = "sequential", **hyper: Any):
    """A registered kerasdl builder, built for `data` and compiled with the task's loss and metrics.

    The task's builder defaults (e.g. a linear output for regression) apply unless `hyper` sets them,
    as in the harness, so a searched model and its retrained Variant are the same model.
    """
    from kerasdl import models
    from kerasdl.trainers import make_optimizer

    task = data.kind
    model = models.build(builder, data.input_shape, data.outputs, api=api, **{**task.builder_defaults(), **hyper})
    model.compile(optimizer=make_optimizer(optimizer, learning_rate), loss=task.loss(),
                  metrics=task.compile_metrics())
    return model


def replay(declare: Callable[[Any], dict], values: Mapping[str, Any]) -> dict:
    """What `declare(hp)` returns when every hyperparameter holds its recorded value (retraining a trial)."""
    import keras_tuner

    hp = keras_tuner.HyperParameters()
    hp.values = dict(values)  # a declared hyperparameter keeps a value already present
    return declare(hp)


def variant_from(builder: str, settings: Mapping[str, Any], **fit: Any):
    """A harness Variant from a unit's settings: optimizer/learning rate/batch size go to compile/fit."""
    from kerasdl.harness import Variant

    settings = dict(settings)
    compile_settings = {key: settings.pop(key) for key in _COMPILE_KEYS if key in settings}
    return Variant("best", builder=builder, hyperparameters=settings, **compile_settings, **fit)
