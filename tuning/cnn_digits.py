"""
Title: Handwritten digits — searching a small CNN's filters, kernel, downsampling and dropout
Description: convolution hyperparameters of notes 001 (filters, kernel size, stride vs pooling,
dropout) and the learning rate, scored by validation accuracy on the 8x8 digits.

Downsampling is one choice with three answers, because the notes present them as alternatives:
max pooling, average pooling (001:2006-2072), or a stride-2 convolution that skips positions instead
(001:2079-2117). Grid size: 3 filter counts × 2 kernels × 3 downsamplings × 3 dropout rates ×
3 learning rates = 162 points.
"""

from __future__ import annotations

from kerasdl import tuning

NAME = "cnn-digits"
TITLE = "Digits: CNN filters, kernel size, stride or pooling, dropout and learning rate"
NOTES_REF = "001:1789-1803, 001:2006-2117, 001:3133-3172"
DATASET = "digits"
OBJECTIVE = ("val_accuracy", "max")
MAX_TRIALS = 10
EPOCHS = 20
BATCH_SIZE = 32
QUICK_SAMPLES = 400
QUICK_EPOCHS = 2
MANUAL = [
    {"filters": 16, "kernel_size": 3, "downsampling": "max_pool", "dropout": 0.2, "learning_rate": 1e-3},
    {"filters": 8, "kernel_size": 5, "downsampling": "stride_2", "dropout": 0.0, "learning_rate": 1e-2},
]
_DOWNSAMPLING = {"max_pool": {"pool": "max", "strides": 1}, "avg_pool": {"pool": "avg", "strides": 1},
                 "stride_2": {"pool": None, "strides": 2}}


def settings(hp) -> dict:
    """The `cnn` builder's hyperparameters (two conv blocks, the second twice as wide) and the learning rate."""
    filters = hp.Choice("filters", [8, 16, 32])
    return {
        "filters": [filters, 2 * filters],
        "kernel_size": hp.Choice("kernel_size", [3, 5]),
        **_DOWNSAMPLING[hp.Choice("downsampling", list(_DOWNSAMPLING))],
        "dropout": hp.Float("dropout", 0.0, 0.4, step=0.2),
        "learning_rate": hp.Float("learning_rate", 1e-4, 1e-2, step=10, sampling="log"),
    }


def build(hp, data):
    return tuning.compiled_model("cnn", data, padding="same", **settings(hp))


def variant(values):
    return tuning.variant_from("cnn", {"padding": "same", **tuning.replay(settings, values)}, batch_size=BATCH_SIZE)


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["tune", NAME, *__import__("sys").argv[1:]]))
