"""
Title: Batch normalization — none, before or after the activation, at a low and a high learning rate
Description: An 8-layer ReLU MLP on the 8×8 digits trained by plain SGD at learning rates 0.01 and 0.5,
without batch normalization and with it before or after each activation.

Notes 004:642-661 describe batch normalization: the mean and variance of each unit are computed over the
mini-batch, the activations are normalised with them and then scaled and shifted by learnable γ and β;
it "helps to stabilize … and speed up the learning process", and "is typically applied after the
linear transformation of a layer … and before the non-linear activation function" (004:655); 001:489
lists it among the regularisers. This study checks those claims on a deep network (8 hidden Dense
layers of 64 units, ReLU, Glorot-uniform weights) where they have room to show: the plain SGD update of
the notes (no momentum, no adaptive steps, so the optimiser does not compensate for badly scaled layers),
a learning rate of 0.01 and one fifty times higher (0.5), and the two placements — before the
activation (the notes' and Ioffe & Szegedy's) and after it. Every variant runs the same 30 epochs without
early stopping; at test time BN uses its moving averages (Keras default momentum 0.99).
"""

from __future__ import annotations

import math
from typing import Any

from kerasdl.harness import Analysis, Experiment, Variant
from kerasdl.report.sections import Finding, Section, Table, Text
from kerasdl.report.study_helpers import labels, metric, number, overlaid_curves

NAME = "batch-norm"
TITLE = "Batch normalization: none vs before vs after the activation, 8-layer MLP, SGD at lr 0.01 and 0.5"
NOTES_REF = "004:642-661, 001:489"

## Setup
DEPTH, WIDTH = 8, 64
LEARNING_RATES = [0.01, 0.5]
PLACEMENTS = [(None, "no BN"), ("before", "BN before ReLU"), ("after", "BN after ReLU")]
FIT = {"optimizer": "sgd", "epochs": 30, "batch_size": 32, "patience": None}


def _name(placement: str | None, lr: float) -> str:
    return f"{placement or 'none'}-lr{lr:g}"


def experiment() -> Experiment:
    ## Build the variants: 3 placements × 2 learning rates, everything else identical
    variants = [
        Variant(_name(placement, lr), builder="mlp", label=f"{text}, lr {lr:g}", learning_rate=lr,
                hyperparameters={"units": WIDTH, "depth": DEPTH, "activation": "relu", "batch_norm": placement},
                **FIT)
        for lr in LEARNING_RATES for placement, text in PLACEMENTS
    ]
    ## Evaluate: the digits' own 60/20/20 holdout split
    return Experiment(
        name=NAME, title=TITLE, dataset="digits", variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF,
        evaluation="holdout", headline_metric="accuracy", analyze=analyze,
        quick_samples=300, quick_epochs=2, quick_folds=1,
        # --quick: every placement once and both rates, including the high-rate none-vs-BN comparison
        quick_variants=("none-lr0.5", "before-lr0.5", "after-lr0.01"),
    )


## Analyse: which placement trains, and how fast, at each learning rate
def _epochs_to(curve: list[float], target: float) -> int | None:
    """First epoch (1-based) at which the curve reaches `target` or better, None if never."""
    return next((i for i, v in enumerate(curve, start=1) if v is not None and v <= target), None)


def _story(rows: dict[str, dict[str, Any]], names: dict[str, str], chance: float) -> str:
    """Per learning rate: accuracy per placement and epochs to a validation loss of 0.5; then the
    high-rate comparison behind the notes' claim. Every verb is chosen by the numbers."""
    short = {p: text.replace("BN ", "") for p, text in PLACEMENTS}
    parts = []
    for lr in LEARNING_RATES:
        here = {p: rows[_name(p, lr)] for p, _ in PLACEMENTS if _name(p, lr) in rows}
        if not here:
            continue
        sentence = f"Learning rate {lr:g}: test accuracy " + ", ".join(
            f"{text} {number(here[p]['accuracy'])}" for p, text in PLACEMENTS if p in here) + "."
        plain = here.get(None)
        if plain is not None and not math.isfinite(plain["accuracy"]):
            sentence += f" Without BN the loss became NaN/inf (status {plain['status']})."
        elif plain is not None and plain["accuracy"] <= chance + 0.05:
            sentence += (f" Without BN the network stays at chance level (majority-class share "
                         f"{number(chance)}).")
        sentence += " Epochs to a validation loss of 0.5: " + ", ".join(
            f"{short[p]} {m['epochs_to_target'] or 'never'}" for p, m in here.items()) + "."
        parts.append(sentence)
    trained = {n: r for n, r in rows.items() if math.isfinite(r["accuracy"])}
    if trained:
        top = max(trained, key=lambda n: trained[n]["accuracy"])
        parts.append(f"Best of all {len(rows)}: {names[top]}, test accuracy {number(trained[top]['accuracy'])}.")
    high = max(LEARNING_RATES)
    plain_high = rows.get(_name(None, high), {}).get("accuracy", math.nan)
    bn_high = {p: rows[_name(p, high)]["accuracy"] for p, _ in PLACEMENTS
               if p is not None and _name(p, high) in rows and math.isfinite(rows[_name(p, high)]["accuracy"])}
    if bn_high:
        best_p = max(bn_high, key=bn_high.get)
        plain_text = number(plain_high) if math.isfinite(plain_high) else "no result (diverged)"
        sentence = (f"At the high rate {high:g}: no BN {plain_text}, BN {short[best_p]} {number(bn_high[best_p])}. ")
        if not math.isfinite(plain_high) or bn_high[best_p] > plain_high + 0.05:
            sentence += ("Batch normalization lets this network train at a learning rate that breaks it "
                         "without BN, as the notes' 'helps to stabilize' (004:644) says.")
        else:
            sentence += "At this rate BN makes no clear difference (within 0.05)."
        parts.append(sentence)
    return "\n\n".join(parts)


LOSS_FIGURE = "Validation loss per epoch"


def _finding(rows: dict[str, dict[str, Any]]) -> Finding:
    """004:644 (BN stabilises and speeds up learning) against test accuracy and epochs to a validation
    loss of 0.5 per placement and learning rate."""
    def result(placement: str | None, lr: float) -> str:
        row = rows.get(_name(placement, lr))
        if row is None:
            return "not run"
        accuracy = number(row["accuracy"]) if math.isfinite(row["accuracy"]) else f"no result ({row['status']})"
        return f"{accuracy} ({row['epochs_to_target'] or 'never'})"

    answer = "; ".join(f"learning rate {lr:g}: " + ", ".join(f"{text} {result(p, lr)}" for p, text in PLACEMENTS)
                       for lr in LEARNING_RATES)
    return Finding(title="Does batch normalization stabilise and speed up training?",
                   claim="Batch Normalization helps to stabilize, reduction in risk of overfitting and speed up the "
                         "learning process", notes_ref="004:644",
                   answer=f"Test accuracy (epochs to a validation loss of 0.5) with plain SGD — {answer}.",
                   figure=LOSS_FIGURE)


def analyze(analysis: Analysis) -> list[Section]:
    import numpy as np

    record = analysis.record
    names = labels(record)
    y_test = analysis.dataset.target[analysis.dataset.splits["test"]]
    chance = float(np.bincount(y_test).max() / len(y_test))
    rows: dict[str, dict[str, Any]] = {}
    for entry in record["variants"]:
        curve = analysis.curve(entry["name"], "val_loss")
        finite = [v for v in curve if v is not None and math.isfinite(v)]
        rows[entry["name"]] = {
            "lr": entry["compile"]["learning_rate"], "bn": entry["hyperparameters"].get("batch_norm") or "none",
            "parameters": entry["parameter_count"], "best_val_loss": min(finite) if finite else math.nan,
            "epochs_to_target": _epochs_to(curve, 0.5), "accuracy": metric(record, entry["name"], "accuracy"),
            "seconds_per_epoch": (entry["timings"].get("fit_s", math.nan) / max(entry["folds"][0]["epochs_run"] or 1, 1)
                                  if entry["folds"] else math.nan),
            "status": entry["status"]}
    table = [[names[n], r["bn"], r["lr"], r["parameters"], r["best_val_loss"], r["epochs_to_target"],
              r["seconds_per_epoch"], r["accuracy"], r["status"]] for n, r in rows.items()]
    return [
        _finding(rows),
        overlaid_curves(analysis, title=LOSS_FIGURE, log_y=True,
                        caption="Plain SGD, batch 32; left to run all epochs (no early stopping)."),
        overlaid_curves(analysis, title="Validation accuracy per epoch", key="val_accuracy",
                        y_label="validation accuracy"),
        Table(title="Placement, learning rate and result",
              columns=["variant", "batch norm", "learning rate", "parameters", "best val loss",
                       "epochs to val loss 0.5", "s per epoch", "test accuracy", "status"],
              rows=table,
              caption="BN adds 4 parameters per unit (γ, β trainable; moving mean and variance not)."),
        Text(title="What this run shows", body=_story(rows, names, chance)),
    ]


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
