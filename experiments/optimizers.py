"""
Title: Optimizers — full-batch gradient descent, SGD (batch 1), mini-batch SGD, momentum, Nesterov,
Adagrad, RMSprop, Adadelta and Adam on one network
Description: The same MLP on the Wisconsin breast-cancer data trained for the same number of epochs
by each optimizer of the notes; training-loss curves overlaid, final loss, accuracy and time.

The notes contrast batch, stochastic and mini-batch gradient descent (001:871-1010, 003:305-307):
one update per pass over the data, one per example, one per batch. They then name the methods that
use past gradients — momentum (003:202-238, 004:380-388), Nesterov, Adagrad, RMSprop, Adadelta and
Adam (001:1587-1613, 001:3130, 003:311-317). Every variant here trains the same 16-8 ReLU network from
the same initial weights (same seed) for the same 30 epochs without early stopping, so the curves
differ only by the update rule, its learning rate and its batch size.

Learning rates: 0.05 for the three plain gradient-descent variants (so that only the batch size
differs between them) and for momentum / Nesterov (momentum 0.9) and Adagrad; 0.001 (the usual
default) for RMSprop and Adam; 1.0 for Adadelta, which is Zeiler's original rule and the default of
the Keras 1 the notes' code was written for (001:3349) — Keras 3's default of 0.001 scales every
Adadelta step down a thousandfold (CATALOG.md §6, errata).
"""

from __future__ import annotations

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Section, Text

NAME = "optimizers"
TITLE = "Optimizers: GD, SGD, mini-batch, momentum, Nesterov, Adagrad, RMSprop, Adadelta, Adam"
NOTES_REF = "001:871-1010, 001:1587-1613, 003:200-317, 004:380-388"

## Setup
MLP = {"units": [16, 8], "activation": "relu"}
EPOCHS = 30
# (name, label, optimizer, learning rate, options, batch size)
OPTIMIZERS = (
    ("gd-full", "gradient descent (full batch)", "sgd", 0.05, {}, "full"),
    ("sgd-1", "SGD, batch 1", "sgd", 0.05, {}, 1),
    ("sgd-32", "mini-batch SGD, batch 32", "sgd", 0.05, {}, 32),
    ("momentum", "SGD + momentum 0.9", "sgd", 0.05, {"momentum": 0.9}, 32),
    ("nesterov", "SGD + Nesterov momentum 0.9", "sgd", 0.05, {"momentum": 0.9, "nesterov": True}, 32),
    ("adagrad", "Adagrad", "adagrad", 0.05, {}, 32),
    ("rmsprop", "RMSprop", "rmsprop", 0.001, {}, 32),
    ("adadelta", "Adadelta (lr 1.0)", "adadelta", 1.0, {}, 32),
    ("adam", "Adam", "adam", 0.001, {}, 32),
)


def experiment() -> Experiment:
    """One variant per optimizer; same network, seed, epochs; no early stopping."""
    ## Build the variants
    variants = [Variant(name, builder="mlp", hyperparameters=MLP, label=label, optimizer=optimizer,
                        learning_rate=lr, optimizer_options=options, batch_size=batch, epochs=EPOCHS,
                        patience=None)
                for name, label, optimizer, lr, options, batch in OPTIMIZERS]
    ## Evaluate on the held-out split
    return Experiment(
        name=NAME, title=TITLE, dataset="breast-cancer", variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF,
        evaluation="holdout", headline_metric="accuracy", analyze=analyze,
        quick_samples=150, quick_epochs=2,
        quick_variants=("gd-full", "sgd-32", "momentum", "adam"),  # --quick: full batch, mini-batch, momentum, adaptive
    )


## Report sections
def updates_per_epoch(batch_size: int | str, n_train: int) -> int:
    """Weight updates in one pass over n_train rows: 1 for full batch, ⌈n/b⌉ otherwise."""
    return 1 if batch_size == "full" else -(-n_train // int(batch_size))


def analyze(analysis) -> list[Section]:
    from kerasdl.report.study_helpers import comparison_table, overlaid_curves

    variants = analysis.record["variants"]
    n_train = variants[0]["folds"][0]["n_train"] if variants and variants[0]["folds"] else 0
    final = {key: {v["name"]: (analysis.curve(v["name"], key) or [None])[-1] for v in variants}
             for key in ("loss", "val_loss")}
    updates = {v["name"]: updates_per_epoch(v["fit"]["batch_size"], n_train) for v in variants}
    per_epoch = {v["name"]: v["timings"]["fit_s"] / max(1, sum(f["epochs_run"] for f in v["folds"]))
                 for v in variants if v["folds"]}
    caption = ("Keras' per-epoch training loss: the mean over the epoch's batches, each taken before that "
               "batch's update (for full-batch GD: the loss before the epoch's single update).")
    return [
        overlaid_curves(analysis, "loss", title="Training loss per epoch", y_label="training loss (BCE)",
                        caption=caption, log_y=True),
        overlaid_curves(analysis, "val_loss", title="Validation loss per epoch", y_label="validation loss (BCE)",
                        log_y=True, caption="Binary cross-entropy on the validation split after each epoch."),
        comparison_table(analysis, ["accuracy", "log_loss"], title="Optimizers side by side",
                         caption=f"Test-split metrics; {n_train} training rows.",
                         extra={"batch size": {v["name"]: v["fit"]["batch_size"] for v in variants},
                                "learning rate": {v["name"]: v["compile"]["learning_rate"] for v in variants},
                                "updates per epoch": updates,
                                "final training loss": {k: _round(v) for k, v in final["loss"].items()},
                                "final validation loss": {k: _round(v) for k, v in final["val_loss"].items()},
                                "seconds per epoch": {k: round(t, 4) for k, t in per_epoch.items()}}),
        _findings(analysis, final, updates, per_epoch),
    ]


def _round(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.4g}")


def _findings(analysis, final, updates, per_epoch) -> Text:
    from kerasdl.report.study_helpers import fmt

    labels = {v["name"]: v["label"] for v in analysis.record["variants"]}
    losses = {k: v for k, v in final["loss"].items() if v is not None}
    paragraphs = []
    if losses:
        order = sorted(losses, key=losses.get)
        paragraphs.append("Final training loss, lowest first: "
                          + ", ".join(f"{labels[k]} {fmt(losses[k])}" for k in order) + ".")
    val = {k: v for k, v in final["val_loss"].items() if v is not None}
    if val and losses:
        best_val, best_train = min(val, key=val.get), min(losses, key=losses.get)
        paragraphs.append(f"Lowest final validation loss: {labels[best_val]} ({fmt(val[best_val])})"
                          + ("." if best_val == best_train else
                             f"; the lowest training loss ({labels[best_train]}) ends at validation loss "
                             f"{fmt(val.get(best_train))}, so fitting the training rows harder did not carry over."))
    if {"gd-full", "sgd-1", "sgd-32"} <= set(losses):
        paragraphs.append(
            f"Same learning rate, different batch: after the same number of epochs full-batch gradient descent "
            f"({updates['gd-full']} update per epoch) ends at loss {fmt(losses['gd-full'])}, mini-batch SGD "
            f"({updates['sgd-32']} updates per epoch) at {fmt(losses['sgd-32'])} and SGD with batch 1 "
            f"({updates['sgd-1']} updates per epoch) at {fmt(losses['sgd-1'])}. One epoch of batch-1 SGD took "
            f"{fmt(per_epoch.get('sgd-1'))} s against {fmt(per_epoch.get('sgd-32'))} s for batch 32 and "
            f"{fmt(per_epoch.get('gd-full'))} s for the full batch.")
    if {"sgd-32", "momentum", "nesterov"} <= set(losses):
        paragraphs.append(f"Momentum 0.9 at the same learning rate and batch: {fmt(losses['momentum'])} "
                          f"(Nesterov {fmt(losses['nesterov'])}) against {fmt(losses['sgd-32'])} without.")
    if analysis.quick:
        paragraphs.append("Quick run: 2 epochs on a subsample; the comparison needs the full run.")
    return Text(title="What this run shows", body="\n\n".join(paragraphs))


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
