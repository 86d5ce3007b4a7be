"""
Title: Digits autoencoder — searching the code size, the depth and the sparsity weight
Description: three of the notes' four autoencoder hyperparameters (001:3237-3245: code size, number
of layers, nodes per layer; the loss is fixed to MSE) plus the L1 sparsity weight of 001:3518-3531,
scored by validation loss on the 8×8 digits.

The builder is `sparse_autoencoder`, whose L1 weight 0 is the plain autoencoder, so one space holds
both. Depth 0 is 64-k-64, depth 1 adds a 32-unit layer on each side (64-32-k-32-64), depth 2 a
48- and a 32-unit layer (the "sandwich" of 001:3241). The objective is Keras's validation loss,
which includes the L1 activity penalty a sparse model pays (λ·Σ|hᵢ| per sample): at the sizes searched
it is a small share of the MSE, and it is the quantity the model itself minimises. Grid size:
4 code sizes × 3 depths × 4 L1 weights = 48 points.
"""

from __future__ import annotations

from kerasdl import tuning

NAME = "autoencoder-code-size"
TITLE = "Digits autoencoder: code size, depth and L1 sparsity weight"
NOTES_REF = "001:3237-3245, 001:3518-3531, 001:3133-3172"
DATASET = "digits-reconstruction"
OBJECTIVE = ("val_loss", "min")
MAX_TRIALS = 10
EPOCHS = 60
BATCH_SIZE = 64
QUICK_SAMPLES = 300
QUICK_EPOCHS = 1
MANUAL = [
    {"code_size": 16, "depth": 0, "l1": 0.0},     # the notes' first model, scaled to 64 pixels
    {"code_size": 16, "depth": 1, "l1": 0.0},     # their stacked model
    {"code_size": 32, "depth": 0, "l1": 1e-4},    # their sparse model, λ = 10e-5 = 1e-4
]
_HIDDEN = {0: (), 1: (32,), 2: (48, 32)}


def settings(hp) -> dict:
    """The `sparse_autoencoder` builder's hyperparameters (the learning rate is fixed)."""
    return {
        "code_size": hp.Choice("code_size", [4, 8, 16, 32]),
        "hidden": _HIDDEN[hp.Choice("depth", [0, 1, 2])],
        "l1": hp.Choice("l1", [0.0, 1e-5, 1e-4, 1e-3]),
        "learning_rate": 3e-3,
    }


def build(hp, data):
    return tuning.compiled_model("sparse_autoencoder", data, api="functional", **settings(hp))


def variant(values):
    return tuning.variant_from("sparse_autoencoder", tuning.replay(settings, values), batch_size=BATCH_SIZE,
                               api="functional")


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["tune", NAME, *__import__("sys").argv[1:]]))
