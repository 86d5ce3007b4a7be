"""
Title: Heart disease — searching an MLP's width, depth, activation, dropout and optimizer
Description: every search strategy of the notes (manual, grid, random, Bayesian, Hyperband) on one
small tabular problem, scored by validation ROC AUC.

Notes 001 (lines 3133-3172) list the knobs worth searching — hidden layers, dropout, activation,
learning rate, optimizer — and four ways to search them. This unit declares that space once; the
strategy is chosen on the command line, so their results can be compared on the same budget
(`kerasdl tune mlp-heart --compare`). Every range has a step, so the grid is well defined:
3 widths × 3 depths × 2 activations × 3 dropout rates × 3 learning rates × 3 optimizers = 486 points.
"""

from __future__ import annotations

from kerasdl import tuning

NAME = "mlp-heart"
TITLE = "Heart disease: MLP width, depth, activation, dropout, learning rate and optimizer"
NOTES_REF = "001:3133-3172"
DATASET = "heart-disease"
OBJECTIVE = ("val_auc", "max")   # Keras's AUC on the validation rows; higher is better
MAX_TRIALS = 12
EPOCHS = 40
BATCH_SIZE = 16
QUICK_SAMPLES = 303              # the whole file is small; quick mode only cuts epochs
QUICK_EPOCHS = 2

## The manual search: configurations a person would try first, run through the same machinery.
MANUAL = [
    {"units": 16, "layers": 2, "activation": "relu", "dropout": 0.2, "learning_rate": 1e-3, "optimizer": "adam"},
    {"units": 32, "layers": 1, "activation": "tanh", "dropout": 0.0, "learning_rate": 1e-2, "optimizer": "sgd"},
    {"units": 8, "layers": 3, "activation": "relu", "dropout": 0.4, "learning_rate": 1e-3, "optimizer": "rmsprop"},
]


def settings(hp) -> dict:
    """The searched settings: the `mlp` builder's hyperparameters plus optimizer and learning rate."""
    return {
        "units": hp.Choice("units", [8, 16, 32]),
        "depth": hp.Int("layers", 1, 3),
        "activation": hp.Choice("activation", ["relu", "tanh"]),
        "dropout": hp.Float("dropout", 0.0, 0.4, step=0.2),
        "learning_rate": hp.Float("learning_rate", 1e-4, 1e-2, step=10, sampling="log"),
        "optimizer": hp.Choice("optimizer", ["adam", "sgd", "rmsprop"]),
    }


def build(hp, data):
    """The hypermodel: one compiled MLP per configuration (binary output, accuracy and AUC metrics)."""
    return tuning.compiled_model("mlp", data, **settings(hp))


def variant(values):
    """The best configuration as a harness Variant, for `--retrain-best`."""
    return tuning.variant_from("mlp", tuning.replay(settings, values), batch_size=BATCH_SIZE)


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["tune", NAME, *__import__("sys").argv[1:]]))
