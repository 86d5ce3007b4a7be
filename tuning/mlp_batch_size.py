"""
Title: The notes' grid search — batch size from 10 to 100 in steps of 20
Description: one hyperparameter, five grid points, the one with the best validation accuracy wins.

Notes 001 (line 3139): "you can perform a grid search for the optimal batch size by automatically
training the model for batch sizes between 10-100 samples, in steps of 20. The model will run 5
times and the batch size selected will be the one which yields highest accuracy." In keras-tuner that
is `hp.Int("batch_size", 10, 100, step=20)` — 10, 30, 50, 70, 90 (100 is not on the grid: 10 + 5·20
would be 110) — declared in `fit`, because batch size is a training setting, not part of the model.
The model is fixed: the MLP of the heart-disease experiment.
"""

from __future__ import annotations

from kerasdl import tuning

NAME = "mlp-batch-size"
TITLE = "The notes' grid: batch size 10 to 100 in steps of 20 (5 trials)"
NOTES_REF = "001:3139"
DATASET = "heart-disease"
OBJECTIVE = ("val_accuracy", "max")  # the notes select the batch size "which yields highest accuracy"
MAX_TRIALS = 10                      # more than the grid holds: the grid itself stops at 5
EPOCHS = 40
QUICK_SAMPLES = 303
QUICK_EPOCHS = 2
MLP = {"units": [16, 8], "activation": "relu", "dropout": 0.3, "l2": 1e-3}
MANUAL = [{"batch_size": 32}, {"batch_size": 10}]


def build(hp, data):
    """The same MLP for every trial: only the batch size changes."""
    return tuning.compiled_model("mlp", data, **MLP, learning_rate=1e-3)


def fit(hp, model, *args, **kwargs):
    """Batch size is a fit setting, so it is declared here (keras-tuner's HyperModel.fit)."""
    return model.fit(*args, batch_size=hp.Int("batch_size", 10, 100, step=20), **kwargs)


def variant(values):
    return tuning.variant_from("mlp", {**MLP, "learning_rate": 1e-3}, batch_size=int(values["batch_size"]))


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["tune", NAME, *__import__("sys").argv[1:]]))
