"""
Title: Optimizers — full-batch gradient descent, SGD (batch 1), mini-batch SGD, momentum, Nesterov,
Adagrad, RMSprop, Adadelta and Adam on one network
Description: The same MLP on the Wisconsin breast-cancer data trained for the same number of epochs
by each optimizer of the notes; training-loss curves overlaid, final loss, accuracy and time.

The notes contrast batch, stochastic and mini-batch gradient descent (001:871-1010, 003:305-307):
one update per pass over the data, one per example, one per batch, and claim that SGD "is faster than
… Batch Gradient Descent and Mini-Batch Gradient Descent since it uses only one example to update the
parameters" (001:263). They then name the methods that use past gradients — momentum, Nesterov,
Adagrad, RMSprop, Adadelta and Adam (001:1587-1613, 001:3130, 003:311-317). Momentum appears twice:
as the classical rule Δw(t) = −ε·dE/dw + α·Δw(t−1) (004:376-388), which is Keras's
`SGD(momentum=α)`, and as a code loop with momentum 0.1 (003:218-242) whose update is a different
rule — `velocity = past_velocity * momentum + learning_rate * gradient; w = w + momentum * velocity
- learning_rate * gradient` — Keras's Nesterov update with the velocity's sign flipped, so that it adds
an uphill term. That loop runs here exactly as written (`kerasdl.optimizers.NotesMomentum`) at the
notes' momentum 0.1. Every variant here trains the same 16-8 ReLU network from
the same initial weights (same seed) for the same 30 epochs without early stopping, so the curves
differ only by the update rule, its learning rate and its batch size. Time per update and time to a
target training loss (the highest loss every plain-gradient-descent variant reached) come from the
recorded fit time and the per-epoch history, so the three readings of "faster" can be told apart.

Learning rates: 0.05 for the three plain gradient-descent variants (so that only the batch size
differs between them), for momentum / Nesterov (momentum 0.9), the notes' momentum loop and
Adagrad; 0.001 (the usual default) for RMSprop and Adam; 1.0 for Adadelta, which is Zeiler's
original rule and the default of the Keras 1 the notes' code was written for (001:3349) — Keras 3's
default of 0.001 scales every Adadelta step down a thousandfold (CATALOG.md §6, errata).
"""

from __future__ import annotations

import math

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Section, Text

NAME = "optimizers"
TITLE = "Optimizers: GD, SGD, mini-batch, momentum, Nesterov, Adagrad, RMSprop, Adadelta, Adam"
NOTES_REF = "001:263, 001:871-1010, 001:1587-1613, 003:200-317, 004:376-388"

## Setup
MLP = {"units": [16, 8], "activation": "relu"}
EPOCHS = 30
# (name, label, optimizer, learning rate, options, batch size)
OPTIMIZERS = (
    ("gd-full", "gradient descent (full batch)", "sgd", 0.05, {}, "full"),
    ("sgd-1", "SGD, batch 1", "sgd", 0.05, {}, 1),
    ("sgd-32", "mini-batch SGD, batch 32", "sgd", 0.05, {}, 32),
    ("momentum", "SGD + momentum 0.9 (classical rule, 004:378)", "sgd", 0.05, {"momentum": 0.9}, 32),
    ("nesterov", "SGD + Nesterov momentum 0.9", "sgd", 0.05, {"momentum": 0.9, "nesterov": True}, 32),
    ("adagrad", "Adagrad", "adagrad", 0.05, {}, 32),
    ("rmsprop", "RMSprop", "rmsprop", 0.001, {}, 32),
    ("adadelta", "Adadelta (lr 1.0)", "adadelta", 1.0, {}, 32),
    ("adam", "Adam", "adam", 0.001, {}, 32),
)
# The notes' own momentum loop (003:218-242) as written: kerasdl.optimizers.NotesMomentum, registered with
# Keras under this name when experiment() imports it. Kept apart from OPTIMIZERS, Keras's built-in rules.
# Only at the notes' momentum 0.1: at 0.9 the loop steps uphill (8× the plain SGD step against the gradient,
# see NotesMomentum) and its loss becomes NaN within three epochs, which would mark the whole run diverged;
# tests/test_studies_training.py checks that uphill step numerically instead.
NOTES_LOOPS = (
    ("notes-momentum", "the notes' momentum loop, 0.1 (003:218-242)", "kerasdl>NotesMomentum", 0.05,
     {"momentum": 0.1}, 32),
)


def experiment() -> Experiment:
    """One variant per optimizer; same network, seed, epochs; no early stopping."""
    import kerasdl.optimizers  # noqa: F401  registers "kerasdl>NotesMomentum" with Keras

    ## Build the variants
    variants = [Variant(name, builder="mlp", hyperparameters=MLP, label=label, optimizer=optimizer,
                        learning_rate=lr, optimizer_options=options, batch_size=batch, epochs=EPOCHS,
                        patience=None)
                for name, label, optimizer, lr, options, batch in OPTIMIZERS + NOTES_LOOPS]
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
    per_update = {k: t / updates[k] for k, t in per_epoch.items()}
    target = target_loss({k: analysis.curve(k, "loss") for k in PLAIN_GD})
    reach = {k: time_to_loss(analysis.curve(k, "loss"), target, per_epoch[k]) for k in per_epoch}
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
                                "seconds per epoch": {k: round(t, 4) for k, t in per_epoch.items()},
                                "ms per update": {k: round(1000 * t, 3) for k, t in per_update.items()},
                                f"epochs to loss {_round(target)}": {k: r[0] for k, r in reach.items()},
                                f"seconds to loss {_round(target)}": {k: _round(r[1]) for k, r in reach.items()}}),
        _findings(analysis, final, updates, per_epoch),
        _faster(analysis, updates, per_epoch, per_update, target, reach),
    ]


PLAIN_GD = ("gd-full", "sgd-1", "sgd-32")


def target_loss(curves: dict[str, list[float]]) -> float | None:
    """The highest of the lowest training losses the plain gradient-descent variants reached: a loss
    every one of them got to, so the time to reach it is defined for all three."""
    lows = [min(c) for c in curves.values() if c and all(math.isfinite(v) for v in c)]
    return max(lows) if lows else None


def time_to_loss(curve: list[float], target: float | None, seconds_per_epoch: float) -> tuple[int | None, float | None]:
    """(first epoch whose training loss is ≤ target, the fit time spent until the end of it), None if never.

    The fit time per epoch is the variant's recorded fit time over its epochs (validation passes and
    the first epoch's tracing included, the same overhead for every variant)."""
    if target is None:
        return None, None
    epoch = next((i + 1 for i, v in enumerate(curve) if v <= target * (1 + 1e-9)), None)
    return epoch, (None if epoch is None else epoch * seconds_per_epoch)


def _ms(value: float) -> str:
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def _faster(analysis, updates, per_epoch, per_update, target, reach) -> Text:
    """001:263's "SGD is faster", read three ways: per update, per epoch, and to a given loss."""
    from kerasdl.report.study_helpers import fmt

    labels = {v["name"]: v["label"] for v in analysis.record["variants"]}
    plain = [k for k in PLAIN_GD if k in per_epoch]
    if len(plain) < 2:
        return Text(title="Is SGD faster? (001:263)",
                    body="This run has fewer than two of the plain gradient-descent variants; the full run "
                         "compares them.")
    by = {name: sorted(plain, key=key.get) for name, key in
          (("update", per_update), ("epoch", per_epoch),
           ("target", {k: reach[k][1] if reach[k][1] is not None else math.inf for k in plain}))}
    judged = "sgd-1" in plain

    def verdict(first: str) -> str:
        return ("" if not judged else " — true: batch-1 SGD is first" if first == "sgd-1"
                else " — false: batch-1 SGD is not first")

    parts = [
        "The notes: SGD \"is faster than … Batch Gradient Descent and Mini-Batch Gradient Descent since it uses only "
        "one example to update the parameters\" (001:263). Three readings, measured (time from the recorded fit "
        "time, validation passes included):",
        "Per update: " + ", ".join(f"{labels[k]} {_ms(1000 * per_update[k])} ms" for k in by["update"])
        + verdict(by["update"][0]) + (", as one example is the least work per update." if by["update"][0] == "sgd-1"
                                      else "."),
        "Per epoch (one pass over the data): " + ", ".join(
            f"{labels[k]} {fmt(per_epoch[k])} s ({updates[k]} update{'s' * (updates[k] != 1)})" for k in by["epoch"])
        + verdict(by["epoch"][0]) + (": every update has a fixed cost, and batch 1 makes the most of them."
                                     if judged and by["epoch"][0] != "sgd-1" else "."),
    ]
    if target is not None:
        parts.append(f"To the same training loss ({fmt(target)}, the highest loss all of them reached): " + ", ".join(
            f"{labels[k]} {fmt(reach[k][1])} s (epoch {reach[k][0]})" for k in by["target"])
            + verdict(by["target"][0]) + ("" if judged else f"; {labels[by['target'][0]]} gets there first")
            + ". Reaching a loss sooner is the reading that matters for training.")
    if not judged:
        parts.append("This run has no batch-1 SGD (quick mode runs a subset); the full run judges the claim.")
    return Text(title="Is SGD faster? (001:263)", body="\n\n".join(parts))


def _round(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.4g}")


def _findings(analysis, final, updates, per_epoch) -> Text:
    from kerasdl.report.study_helpers import fmt

    labels = {v["name"]: v["label"] for v in analysis.record["variants"]}
    losses = {k: v for k, v in final["loss"].items() if v is not None and math.isfinite(v)}
    paragraphs = []
    if losses:
        order = sorted(losses, key=losses.get)
        paragraphs.append("Final training loss, lowest first: "
                          + ", ".join(f"{labels[k]} {fmt(losses[k])}" for k in order) + ".")
    val = {k: v for k, v in final["val_loss"].items() if v is not None and math.isfinite(v)}
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
    if "sgd-32" in losses and "notes-momentum" in losses:
        from kerasdl.optimizers import effective_step_factor

        paragraphs.append(
            "The notes' momentum loop (003:218-242) as written, same learning rate and batch: final training loss "
            f"{fmt(losses['notes-momentum'])} at the notes' momentum 0.1, against {fmt(losses['sgd-32'])} for plain SGD and {fmt(losses.get('momentum'))} for classical momentum "
            "0.9. Its velocity accumulates +η·g and `w + momentum * velocity` adds it back, so under a steady "
            "gradient "
            f"each step is {fmt(effective_step_factor(0.1))}× plain SGD's at 0.1 — slower, not faster — and "
            f"{fmt(effective_step_factor(0.9))}× at 0.9, i.e. uphill (CATALOG.md errata, 003:238).")
    if analysis.quick:
        paragraphs.append("Quick run: 2 epochs on a subsample; the comparison needs the full run.")
    return Text(title="What this run shows", body="\n\n".join(paragraphs))


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
