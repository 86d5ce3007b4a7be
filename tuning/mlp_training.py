"""
Title: Heart disease — searching the training hyperparameters: initialization, momentum, L2 constant, epochs
Description: the hyperparameters of the notes' lists that no other unit searches, on a fixed MLP trained
by SGD, scored by the lowest validation loss.

The notes list as hyperparameters "weights initialization" (001:3119), "momentum" (001:3130; and 001:1165),
the "regularization constant" (001:1166) and the "number of epochs" (001:1164, 001:3124; 001:1210: "The
number of epochs is increased until there is a reduction in a validation error"). The network is fixed
(the 16-8 ReLU MLP of the heart-disease experiment) and trained by SGD at learning rate 0.01, so only
these four change: the kernel initializer (Xavier/Glorot uniform — the notes' heuristic —, He normal,
Keras's plain random normal of σ 0.05, and all zeros, which leaves every unit of a layer identical), SGD
momentum (0, 0.5, 0.9), the L2 constant on every kernel (0, 1e-4, 1e-3, 1e-2) and the epoch budget (10,
20, 40). Grid: 4 × 3 × 4 × 3 = 144 points.

Scoring note: every trial is scored by its best epoch's validation loss (the way every unit here is
scored), and a trial's first epochs are the same as a shorter trial's (same seed), so a longer budget can
only tie or win; two budgets that tie show that the epochs past the best one bought nothing — which is
the notes' rule for choosing the number of epochs, read off the search.
"""

from __future__ import annotations

NAME = "mlp-training"
TITLE = "Heart disease: weight initialization, momentum, L2 constant and epochs of an SGD-trained MLP"
NOTES_REF = "001:1119-1182, 001:3114-3130"
DATASET = "heart-disease"
OBJECTIVE = ("val_loss", "min")
MAX_TRIALS = 12
EPOCHS = 40                      # the cap: the largest epoch budget searched
BATCH_SIZE = 16
QUICK_SAMPLES = 303
QUICK_EPOCHS = 2
LEARNING_RATE = 0.01
MLP = {"units": [16, 8], "activation": "relu"}
INITIALIZERS = {"glorot_uniform": "glorot_uniform", "he_normal": "he_normal",
                "random_normal": {"class_name": "RandomNormal", "config": {"stddev": 0.05}}, "zeros": "zeros"}
MANUAL = [
    {"initializer": "glorot_uniform", "momentum": 0.9, "l2": 1e-3, "epochs": 40},
    {"initializer": "zeros", "momentum": 0.0, "l2": 0.0, "epochs": 10},
]


def settings(hp) -> dict:
    """The searched model and optimizer settings (the epoch budget is declared in `fit`)."""
    return {
        "initializer": INITIALIZERS[hp.Choice("initializer", list(INITIALIZERS))],
        "l2": hp.Choice("l2", [0.0, 1e-4, 1e-3, 1e-2]),
        "momentum": hp.Choice("momentum", [0.0, 0.5, 0.9]),
    }


def build(hp, data):
    """The fixed MLP with the trial's initializer and L2 constant, compiled with SGD at the trial's momentum.

    Compiled here rather than through `tuning.compiled_model`, which takes no optimizer options."""
    from kerasdl import models
    from kerasdl.trainers import make_optimizer

    chosen = settings(hp)
    task = data.kind
    model = models.build("mlp", data.input_shape, data.outputs,
                         **{**task.builder_defaults(), **MLP, "initializer": chosen["initializer"], "l2": chosen["l2"]})
    model.compile(optimizer=make_optimizer("sgd", LEARNING_RATE, momentum=chosen["momentum"]), loss=task.loss(),
                  metrics=task.compile_metrics())
    return model


def fit(hp, model, *args, **kwargs):
    """The epoch budget is a fit setting (keras-tuner's HyperModel.fit); --quick caps it through its own callback."""
    return model.fit(*args, **{"batch_size": BATCH_SIZE, **kwargs, "epochs": hp.Choice("epochs", [10, 20, 40])})


def variant(values):
    """The best trial as a harness Variant (`--retrain-best`)."""
    from kerasdl import tuning
    from kerasdl.harness import Variant

    chosen = tuning.replay(settings, values)
    return Variant("best", builder="mlp", hyperparameters={**MLP, "initializer": chosen["initializer"],
                                                           "l2": chosen["l2"]},
                   optimizer="sgd", learning_rate=LEARNING_RATE, optimizer_options={"momentum": chosen["momentum"]},
                   epochs=int(values["epochs"]), batch_size=BATCH_SIZE, patience=None)


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["tune", NAME, *__import__("sys").argv[1:]]))
