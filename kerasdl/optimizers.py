"""Update rules the notes write down that Keras does not ship, as `keras.optimizers.Optimizer`s, and a
callback that logs the learning rate a schedule reached in each epoch.

Importing this module imports Keras; studies import it inside `experiment()` only. Each class is
registered with Keras (`register_keras_serializable`), so a Variant names it by its registered name
(`optimizer="kerasdl>NotesMomentum"`), the run record stays JSON, and a saved model reloads.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

__all__ = ["NOTES_MOMENTUM", "LearningRateLog", "NotesMomentum", "effective_step_factor"]

#: The registered name a Variant's `optimizer=` uses.
NOTES_MOMENTUM = "kerasdl>NotesMomentum"


@keras.saving.register_keras_serializable(package="kerasdl")
class NotesMomentum(keras.optimizers.Optimizer):
    """The momentum loop of notes 003:218-242, exactly as written:

        velocity = past_velocity * momentum + learning_rate * gradient
        w = w + momentum * velocity - learning_rate * gradient
        past_velocity = velocity

    Written by hand because no Keras optimizer applies this rule: it is Keras's Nesterov update
    (`SGD(nesterov=True)`: v ← μv − ηg; w ← w + μv − ηg) with the sign of the velocity flipped, so
    the velocity accumulates *uphill* (+ηg) and `momentum * velocity` pushes the weights up the
    gradient. Under a constant gradient g the velocity settles at ηg/(1 − μ) and each step is
    −ηg·(1 − 2μ)/(1 − μ): 0.889·ηg at the notes' μ = 0.1 (a slightly slower plain SGD) and an uphill
    step for every μ > 0.5 (8·ηg at μ = 0.9). `effective_step_factor` gives that factor.
    """

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.1, name: str = "notes_momentum",
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if not isinstance(momentum, (int, float)) or isinstance(momentum, bool) or not 0 <= momentum <= 1:
            raise ValueError(f"NotesMomentum: expected momentum in [0, 1]. Received: momentum={momentum!r}")
        self.momentum = float(momentum)

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self.velocities = self.add_optimizer_variables(variables, "velocity")

    def update_step(self, gradient, variable, learning_rate) -> None:
        learning_rate = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        momentum = ops.cast(self.momentum, variable.dtype)
        velocity = self.velocities[self._get_variable_index(variable)]
        step = ops.multiply(gradient, learning_rate)
        # velocity = past_velocity * momentum + learning_rate * gradient   (003:234)
        self.assign(velocity, ops.add(ops.multiply(velocity, momentum), step))
        # w = w + momentum * velocity - learning_rate * gradient           (003:238)
        self.assign_add(variable, ops.subtract(ops.multiply(velocity, momentum), step))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum}


def effective_step_factor(momentum: float) -> float:
    """Steady-state step of the notes' rule under a constant gradient, in units of −η·g (plain SGD = 1)."""
    return (1 - 2 * momentum) / (1 - momentum)


class LearningRateLog(keras.callbacks.Callback):
    """Adds the optimizer's current learning rate to each epoch's logs (so to history.csv).

    Keras logs `learning_rate` only from the callbacks that set it (ReduceLROnPlateau,
    LearningRateScheduler); a rate decayed by a `keras.optimizers.schedules` schedule inside the
    optimizer is never logged, yet it is what a schedule study has to show. `optimizer.learning_rate`
    evaluates the schedule at the optimizer's current step, i.e. the rate of the epoch's last update.
    """

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and "learning_rate" not in logs:
            logs["learning_rate"] = float(ops.convert_to_numpy(self.model.optimizer.learning_rate))
