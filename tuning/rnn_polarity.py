"""
Title: Review polarity — searching the recurrent model: cell, width, direction, depth, dropout, learning rate
Description: the choices of notes 001:2279-2678 and 002:65-224 for an acceptor RNN on the generated
`reviews` (word order decides the label), scored by validation accuracy.

Cell: SimpleRNN, LSTM or GRU (002:65-211). Direction: one left-to-right RNN, or a bidirectional one
whose two states are concatenated (001:2592-2678). Depth: 1 or 2 stacked layers (001:2519-2556);
it applies to one-directional models (`stacked_rnn`), a bidirectional trial has one BiRNN layer.
Dropout on the inputs of each recurrent layer, and the learning rate. Grid size: 3 cells × 3 widths
× 2 directions × 2 depths × 2 dropouts × 3 learning rates = 216 points.
"""

from __future__ import annotations

from kerasdl import tuning

NAME = "rnn-polarity"
TITLE = "Review polarity: RNN cell, units, bidirectional, depth, dropout and learning rate"
NOTES_REF = "001:2279-2678, 002:65-224, 001:3133-3172"
DATASET = "reviews"
OBJECTIVE = ("val_accuracy", "max")
MAX_TRIALS = 10
EPOCHS = 15
BATCH_SIZE = 64
QUICK_SAMPLES = 200
QUICK_EPOCHS = 1
MANUAL = [
    {"cell": "lstm", "units": 32, "bidirectional": False, "depth": 1, "dropout": 0.0, "learning_rate": 3e-3},
    {"cell": "gru", "units": 32, "bidirectional": True, "depth": 1, "dropout": 0.2, "learning_rate": 3e-3},
]


def _vocabulary() -> int:
    from kerasdl.data.text import review_vocabulary_size

    return review_vocabulary_size()


def settings(hp) -> tuple[str, dict]:
    """The builder (bidirectional_rnn or stacked_rnn) and its hyperparameters, plus the learning rate."""
    cell = hp.Choice("cell", ["simple_rnn", "lstm", "gru"])
    common = {"cell": cell, "units": hp.Choice("units", [16, 32, 64]), "vocab_size": _vocabulary(),
              "embedding_dim": 32}
    bidirectional = hp.Boolean("bidirectional")
    depth = hp.Int("depth", 1, 2)
    common["dropout"] = hp.Choice("dropout", [0.0, 0.2])
    common["learning_rate"] = hp.Choice("learning_rate", [1e-3, 3e-3, 1e-2])
    if bidirectional:
        return "bidirectional_rnn", {**common, "merge_mode": "concat"}
    return "stacked_rnn", {**common, "depth": depth}


def build(hp, data):
    builder, values = settings(hp)
    return tuning.compiled_model(builder, data, api="functional", **values)


def variant(values):
    builder, found = tuning.replay(settings, values)
    return tuning.variant_from(builder, found, api="functional", batch_size=BATCH_SIZE, epochs=EPOCHS)


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["tune", NAME, *__import__("sys").argv[1:]]))
