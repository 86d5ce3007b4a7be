"""
Title: Data size — learning curves and the bias-variance trade-off over capacity and training-set size
Description: Three MLPs (4, 64 and 2 × 256 hidden units) trained on 50 to all 1,077 training digits;
training and validation error against the number of training images, for each capacity.

The notes give "more training data" as the first remedy for overfitting: with more data the model
"will be unable to overfit all the samples and will be forced to generalize" (000:191); "the best
solution is to use more training data" (003:438); "insufficient training data" is a cause of
overfitting (004:589). They frame it as bias and variance (001:1360-1438): a model with too few
parameters has high bias (it underfits, error high even on its training data), one with many has high
variance (it fits its training data and "does not generalize well with the unseen dataset"). This
study measures both axes at once: capacity (the sibling `capacity` study sweeps it alone) and
training-set size.

## Setup
The dataset's 60/20/20 split of the 8×8 digits: the validation (360) and test (360) images are fixed;
each model learns from the first n of the 1,077 training images in one fixed order (classes interleaved,
shuffled within a class with seed 0), so every smaller training set is part of every larger one and
keeps the classes balanced. n ∈ {50, 100, 200, 400, 800, 1077}. Capacities: one hidden layer of 4
ReLU units (few parameters: the high-bias end), one of 64, and two of 256 (the high-variance end).
Adam at 0.002, batch 32, no early stopping and no regularisation; the epoch count aims at about
1,000 updates (at least 20, at most 100 epochs: 200 updates for 50 images, 1,020 for all), so a small
training set is not also a much shorter training. A probe measures the error on the n images each model trained on and on the
validation and test images.
"""

from __future__ import annotations

import math
from typing import Any

from kerasdl.harness import Analysis, Experiment, Variant
from kerasdl.report.sections import Finding, Heatmap, Lines, Section, Table, Text
from kerasdl.report.study_helpers import fold_probes, labels, number
from kerasdl.trainers import Trainer

NAME = "data-size"
TITLE = "Data size: learning curves and bias vs variance over capacity (4, 64, 2×256 units) and 50-1077 images"
NOTES_REF = "000:191, 001:1360-1438, 003:438, 004:589"

SIZES: tuple[int | str, ...] = (50, 100, 200, 400, 800, "all")
CAPACITIES = {"small": ("1 × 4 units", [4]), "medium": ("1 × 64 units", [64]),
              "large": ("2 × 256 units", [256, 256])}
BATCH, UPDATES, MIN_EPOCHS, MAX_EPOCHS = 32, 1000, 20, 100
TRAIN_ROWS = 1077   # the digits' 60% training split (kerasdl.data "digits", seed 0)


def nested_order(y, seed: int = 0):
    """Positions of the training rows in the order the learning curve adds them: each class's rows
    shuffled (seed), then dealt out one class at a time, so every prefix is balanced across classes and
    every smaller training set is contained in every larger one."""
    import numpy as np

    y = np.asarray(y).reshape(-1)
    rng = np.random.default_rng(seed)
    queues = [list(rng.permutation(np.flatnonzero(y == c))) for c in np.unique(y)]
    order = []
    while any(queues):
        for queue in queues:
            if queue:
                order.append(queue.pop(0))
    return np.asarray(order, dtype=int)


class FirstRowsTrainer(Trainer):
    """Plain Keras training on the first `n` rows of `nested_order` (all rows when n is None).

    The harness gives every variant the same training split; the learning curve needs each variant to
    learn from a prefix of it, and a trainer's `fit` is where a variant decides what it trains on.
    """

    def __init__(self, n: int | None) -> None:
        self.n = n

    def rows(self, y):
        return nested_order(y)[: self.n]

    def fit(self, model, train, validation, **kwargs):
        if not isinstance(train, tuple):
            raise TypeError("FirstRowsTrainer: expected the training split as (x, y) arrays. "
                            f"Received: {type(train).__name__}")
        x, y = train
        keep = self.rows(y)
        return super().fit(model, (x[keep], y[keep]), validation, **kwargs)


def epochs_for(n: int) -> int:
    """About UPDATES weight updates for n training rows, within [MIN_EPOCHS, MAX_EPOCHS]."""
    return max(MIN_EPOCHS, min(MAX_EPOCHS, math.ceil(UPDATES / math.ceil(n / BATCH))))


def _probe(trainer: FirstRowsTrainer):
    def probe(model, arrays) -> dict[str, Any]:
        from dataclasses import replace

        from kerasdl.probes import error_rates

        keep = trainer.rows(arrays.y_train)
        return {"n_train": len(keep),
                **error_rates(model, replace(arrays, x_train=arrays.x_train[keep], y_train=arrays.y_train[keep]))}
    return probe


def _variant(capacity: str, size: int | str) -> Variant:
    label, units = CAPACITIES[capacity]
    n = TRAIN_ROWS if size == "all" else int(size)
    trainer = FirstRowsTrainer(None if size == "all" else n)
    return Variant(f"{capacity}-{size}", builder="mlp", label=f"{label}, {n} images",
                   hyperparameters={"units": units, "activation": "relu"}, trainer=trainer, probe=_probe(trainer),
                   optimizer="adam", learning_rate=2e-3, batch_size=BATCH, epochs=epochs_for(n), patience=None)


def experiment() -> Experiment:
    ## One variant per (capacity, training-set size)
    variants = [_variant(capacity, size) for capacity in CAPACITIES for size in SIZES]
    return Experiment(
        name=NAME, title=TITLE, dataset="digits", variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF,
        evaluation="holdout", headline_metric="accuracy", analyze=analyze,
        quick_samples=300, quick_epochs=2, quick_folds=1,
        quick_variants=("medium-50", "medium-all"),
    )


## Analyse: error against training-set size, per capacity
def measured(record: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """capacity → size → the probe's numbers (n_train, train/val/test error and loss)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for capacity in CAPACITIES:
        for size in SIZES:
            probes = fold_probes(record, f"{capacity}-{size}")
            if probes:
                out.setdefault(capacity, {})[str(size)] = probes[0]
    return out


def _finding(found, quick: bool) -> Finding:
    claim = "\"More training data … will be forced to generalize\""
    # the largest capacity that ran (quick runs only one): the one most prone to overfitting
    capacity = next((c for c in reversed(CAPACITIES) if len(found.get(c, {})) >= 2), None)
    if capacity is None:
        return Finding("Does more data reduce overfitting?", claim=claim, notes_ref="000:191, 003:438",
                       answer="No MLP finished at two training-set sizes, so this run cannot answer.")
    sizes = sorted(found[capacity].values(), key=lambda m: m["n_train"])
    first, last = sizes[0], sizes[-1]
    gap = [m["val_error"] - m["train_error"] for m in (first, last)]
    answer = (f"{'Yes' if last['val_error'] < first['val_error'] and gap[1] < gap[0] else 'Not in this run'}: the "
              f"{CAPACITIES[capacity][0]} MLP's validation error falls from {number(first['val_error'])} with {first['n_train']} "
              f"training images to {number(last['val_error'])} with {last['n_train']}, and its gap to the "
              f"training error from {number(gap[0])} to {number(gap[1])}.")
    small = sorted(found.get("small", {}).values(), key=lambda m: m["n_train"])
    if small and capacity != "small":
        answer += (f" More data does not cure bias: the 4-unit MLP still errs on {number(small[-1]['train_error'])} of "
                   f"its own {small[-1]['n_train']} training images.")
    if quick:
        answer += " (Quick run: 2 epochs on a subsample.)"
    return Finding("Does more data reduce overfitting?", claim=claim, notes_ref="000:191, 003:438", answer=answer,
                   figure="Learning curves: training and validation error against training-set size")


def _story(found) -> str:
    parts = []
    for capacity, by_size in found.items():
        runs = sorted(by_size.values(), key=lambda m: m["n_train"])
        label = CAPACITIES[capacity][0]
        parts.append(f"{label}: " + "; ".join(
            f"{m['n_train']} images → training error {number(m['train_error'])}, validation error "
            f"{number(m['val_error'])}" for m in runs) + ".")
    if {"small", "large"} <= set(found):
        most = max(found["large"].values(), key=lambda m: m["n_train"])
        few = min(found["large"].values(), key=lambda m: m["n_train"])
        small_most = max(found["small"].values(), key=lambda m: m["n_train"])
        if small_most["train_error"] > most["val_error"]:
            parts.append(f"Bias: with {small_most['n_train']} images the 4-unit network still errs on "
                         f"{number(small_most['train_error'])} of its own training images, more than the large network "
                         f"errs on unseen ones ({number(most['val_error'])}) — it underfits, and more images "
                         "cannot fix that (high bias, 001:1377).")
        if most["n_train"] > few["n_train"]:
            gaps = [m["val_error"] - m["train_error"] for m in (few, most)]
            parts.append(f"Variance: the 2 × 256 network's gap between validation and training error is "
                         f"{number(gaps[0])} with {few['n_train']} images and {number(gaps[1])} with {most['n_train']}"
                         + (" — more data narrows it (high variance, 001:1397)." if gaps[1] < gaps[0] else "."))
        best = {size: min(found, key=lambda c: found[c][size]["val_error"])
                for size in found["large"] if all(size in found[c] for c in found)}
        if best:
            order = list(CAPACITIES)
            parts.append("Lowest validation error per training-set size: " + ", ".join(
                f"{found['large'][s]['n_train']} images → {CAPACITIES[c][0]}" for s, c in best.items()) + "."
                + (" The best capacity never shrinks as the training set grows: the bias-variance balance "
                   "(001:1426-1438) moves towards larger models with more data."
                   if len(set(best.values())) > 1 and all(order.index(a) <= order.index(b) for a, b in
                                                         zip(best.values(), list(best.values())[1:])) else ""))
    return "\n\n".join(parts) or "No variant finished."


def analyze(analysis: Analysis) -> list[Section]:
    found = measured(analysis.record)
    names = labels(analysis.record)
    series = []
    for capacity, by_size in found.items():
        runs = sorted(by_size.values(), key=lambda m: m["n_train"])
        x = [m["n_train"] for m in runs]
        series += [{"label": f"training error ({CAPACITIES[capacity][0]})", "x": x,
                    "y": [m["train_error"] for m in runs]},
                   {"label": f"validation error ({CAPACITIES[capacity][0]})", "x": x,
                    "y": [m["val_error"] for m in runs]}]
    sizes = [str(s) for s in SIZES if any(str(s) in by for by in found.values())]
    capacities = [c for c in CAPACITIES if c in found]

    def matrix(value):
        return [[value(found[c][s]) if s in found[c] else float("nan") for s in sizes] for c in capacities]

    columns = [str(next(found[c][s]["n_train"] for c in capacities if s in found[c])) for s in sizes]
    rows_label = [CAPACITIES[c][0] for c in capacities]
    table = [[names.get(f"{c}-{s}", f"{c}-{s}"), m["n_train"], m["train_error"], m["val_error"],
              m["val_error"] - m["train_error"], m["train_loss"], m["val_loss"], m["test_error"]]
             for c in capacities for s, m in found[c].items()]
    return [
        _finding(found, analysis.quick),
        Lines(title="Learning curves: training and validation error against training-set size",
              x_label="training images", y_label="error rate (1 − accuracy)", log_x=True, series=series,
              caption="Each point is one model trained from scratch on that many images; validation images fixed."),
        Heatmap(title="Error over capacity and training-set size",
                panels=[{"label": "training error (bias)", "matrix": matrix(lambda m: m["train_error"]),
                         "row_labels": rows_label, "column_labels": columns},
                        {"label": "validation − training error (variance)",
                         "matrix": matrix(lambda m: m["val_error"] - m["train_error"]),
                         "row_labels": rows_label, "column_labels": columns},
                        {"label": "validation error", "matrix": matrix(lambda m: m["val_error"]),
                         "row_labels": rows_label, "column_labels": columns}],
                caption="Rows: capacity; columns: training images."),
        Table(title="Errors per capacity and training-set size",
              columns=["model", "training images", "training error", "validation error", "gap", "training loss",
                       "validation loss", "test error"], rows=table),
        Text(title="Bias and variance in this run", body=_story(found)),
    ]


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
