"""
Title: Handwritten digits — searching a CNN's zero padding and pool size
Description: "valid" or "same" padding, 2×2 or 3×3 max pooling, one or two conv blocks, scored by
validation accuracy on the 8×8 digits.

The notes list the zero-padding as a hyperparameter of a convolutional layer ("the last
hyperparameter is the size of zero-padding", 001:392 and 001:1882) and give the output size
(W − F + 2P)/S + 1 (001:397, 001:437); the pooling window is the other size a CNN designer picks
(001:2006-2072). `cnn-digits` already searches filters, kernel size, the kind of downsampling,
dropout and the learning rate; this unit searches what it leaves out — padding and pool size — with
the depth they interact with. On 8×8 images they decide how many positions are left: with "valid"
padding a 3×3 convolution takes 8 → 6, a 3×3 pool 6 → 2, and a second 3×3 "valid" convolution has
nothing left to slide over, so the builder refuses that configuration and keras-tuner records the
trial as failed with its message — the shrinking that "same" padding exists to prevent. Grid size:
2 paddings × 2 pool sizes × 2 depths = 8 points (one of them impossible).
"""

from __future__ import annotations

from kerasdl import tuning

NAME = "cnn-padding-pooling"
TITLE = "Digits: CNN zero padding ('valid' / 'same') and pool size (2 / 3) over one or two blocks"
NOTES_REF = "001:392-397, 001:1882-1887, 001:2006-2072"
DATASET = "digits"
OBJECTIVE = ("val_accuracy", "max")
MAX_TRIALS = 8
EPOCHS = 20
BATCH_SIZE = 32
QUICK_SAMPLES = 300
QUICK_EPOCHS = 1
LEARNING_RATE = 3e-3
MANUAL = [
    {"padding": "same", "pool_size": 2, "blocks": 2},
    {"padding": "valid", "pool_size": 3, "blocks": 1},
]


def settings(hp) -> dict:
    """The `cnn` builder's hyperparameters: padding, pool size and the number of conv blocks (16, 32 filters)."""
    blocks = hp.Int("blocks", 1, 2)
    return {
        "filters": [16, 32][:blocks],
        "kernel_size": 3,
        "padding": hp.Choice("padding", ["valid", "same"]),
        "pool": "max",
        "pool_size": hp.Choice("pool_size", [2, 3]),
        "dense_units": (64,),
    }


def build(hp, data):
    return tuning.compiled_model("cnn", data, learning_rate=LEARNING_RATE, **settings(hp))


def variant(values):
    return tuning.variant_from("cnn", {**tuning.replay(settings, values), "learning_rate": LEARNING_RATE},
                               batch_size=BATCH_SIZE)


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["tune", NAME, *__import__("sys").argv[1:]]))
