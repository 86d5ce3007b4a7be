"""
Title: Weight initialisation — zeros, small and large random normal, Glorot and He on a deep MLP
Description: One 8-layer MLP on the 8×8 digits, six ways of drawing its initial weights; what each
does to the hidden activations before training and to learning afterwards.

The notes list weight initialisation among the hyperparameters (001:3119): "Two basic options are to
set weights to zero or to randomize them. However, this can result in a vanishing or exploding
gradient … A common heuristic used for the Tanh activation is called Xavier initialization" (Glorot);
the perceptron and MLP recipes start from small random weights (004:321, 000:220). Here the same deep
feedforward network (001:280-345: 8 hidden Dense layers of 64 units) starts from zeros, from a normal
distribution with a too-small (σ = 0.01) and a too-large (σ = 1) spread, from Glorot uniform and normal
(scaled for tanh) and from He normal (scaled for ReLU). Before training, a probe passes 512 training
images through the network and records each hidden layer's output: its spread, the share of saturated
tanh units (|a| > 0.99) or silent ReLU units (a = 0), and how many of the 64 units are distinct.
"""

from __future__ import annotations

import math
from typing import Any

from kerasdl.harness import Analysis, Experiment, Variant
from kerasdl.probes import activation_statistics
from kerasdl.report.sections import Finding, Lines, Section, Table, Text
from kerasdl.report.study_helpers import fold_probes, labels, metric, number, overlaid_curves

NAME = "initializers"
TITLE = "Weight initialisation: zeros, small/large random normal, Glorot and He on an 8-layer MLP"
NOTES_REF = "001:3119, 001:280-345, 004:321"

## Setup
# Depth makes initialisation matter: every layer multiplies the spread of the signal by roughly
# σ_w·sqrt(fan_in) (times the activation's gain), so eight layers turn a slightly wrong scale into a
# vanishing or exploding one. No early stopping: every variant gets the same 30 epochs, so the curves
# compare like with like.
DEPTH, WIDTH = 8, 64
FIT = {"epochs": 30, "batch_size": 32, "learning_rate": 1e-3, "patience": None}
PROBE_ROWS = 512

# (name, label, activation, initializer): the initializer is any value keras.initializers.get accepts.
SCHEMES = [
    ("zeros", "zeros (ReLU)", "relu", "zeros"),
    ("normal-small", "normal σ=0.01 (tanh)", "tanh",
     {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 0.01}}),
    ("normal-large", "normal σ=1 (tanh)", "tanh",
     {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 1.0}}),
    ("glorot-uniform", "Glorot uniform (tanh)", "tanh", "glorot_uniform"),
    ("glorot-normal", "Glorot normal (tanh)", "tanh", "glorot_normal"),
    ("he-normal", "He normal (ReLU)", "relu", "he_normal"),
]


def _probe_factory():
    """A callback that keeps the initial weights, and a probe that measures the network with them."""
    from kerasdl.callbacks import InitialWeights  # imports Keras: only when the experiment is built

    initial = InitialWeights()

    def probe(model, arrays) -> dict[str, Any]:
        batch = arrays.x_train[:PROBE_ROWS]
        return {"at_init": activation_statistics(initial.model_at_start(model), batch),
                "trained": activation_statistics(model, batch)}

    return initial.callback, probe


def experiment() -> Experiment:
    ## Build the variants: one per initialisation scheme, everything else identical
    variants = []
    for name, label, activation, initializer in SCHEMES:
        snapshot, probe = _probe_factory()
        variants.append(Variant(name, builder="mlp", label=label, hyperparameters={
            "units": WIDTH, "depth": DEPTH, "activation": activation, "initializer": initializer},
            callbacks=(snapshot,), probe=probe, **FIT))
    ## Evaluate: the digits' own 60/20/20 holdout split
    return Experiment(
        name=NAME, title=TITLE, dataset="digits", variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF,
        evaluation="holdout", headline_metric="accuracy", analyze=analyze,
        quick_samples=300, quick_epochs=2, quick_folds=1,
        # --quick proves the path with half the schemes: all-zero outputs (identical units, no log-scale
        # spread), a configured RandomNormal saturating tanh, and a named ReLU initializer
        quick_variants=("zeros", "normal-large", "he-normal"),
    )


## Analyse: activations at initialisation, learning curves, and what happened, from the numbers
def _layer_stats(record: dict[str, Any], name: str, when: str) -> list[dict[str, Any]]:
    probes = fold_probes(record, name)
    return probes[0].get(when, []) if probes else []


def _describe(name: str, label: str, activation: str, init: list[dict], trained: list[dict],
              accuracy: float, chance: float) -> str:
    """One paragraph per scheme: what its numbers show, with the verb chosen by the numbers."""
    if not init:
        return f"{label}: no activation statistics were recorded (the variant did not finish)."
    first, last = init[0], init[-1]
    units = first["units"]
    spread = [s["std"] for s in init]
    text = f"{label}: "
    if max(spread) == 0.0:
        text += f"every hidden layer outputs exactly 0 at initialisation (std 0 in all {len(init)} layers)"
    else:
        text += (f"activation std {number(first['std'])} at layer 1 and {number(last['std'])} at layer "
                 f"{last['layer']}")
        if first["std"] > 0 and last["std"] > 0:
            ratio = (last["std"] / first["std"]) ** (1 / max(len(init) - 1, 1))
            text += f" (×{number(ratio, 2)} per layer)"
    if activation == "tanh":
        text += f"; {last['saturated']:.0%} of layer {last['layer']}'s tanh outputs saturated (|a| > 0.99)"
    else:
        text += f"; {last['zero']:.0%} of layer {last['layer']}'s ReLU outputs exactly 0"
    same = [s["distinct_units"] for s in init]
    if max(same) == 1:
        text += (f"; all {units} units of every layer are identical (1 distinct unit per layer), so "
                 "gradient descent receives the same update for each of them")
        if trained:
            still = max(s["distinct_units"] for s in trained)
            text += (f", and after training the most distinct units in any layer is still {still}"
                     if still <= 1 else f"; after training up to {still} units differ")
    else:
        text += f"; layer 1 has {same[0]} distinct units of {units}"
    if math.isnan(accuracy):  # the variant diverged or failed after the probe ran
        return text + ". No test accuracy (the run did not finish)."
    verdict = "no better than" if accuracy <= chance + 0.05 else "above"
    text += f". Test accuracy {number(accuracy)} ({verdict} the majority-class share {number(chance)})."
    return text


SPREAD_FIGURE = "Activation spread per hidden layer at initialisation"


def _finding(record: dict[str, Any], names: dict[str, str]) -> Finding:
    """001:3119 (zero or badly scaled random weights give a vanishing or exploding signal; Xavier for
    tanh mitigates it) against each scheme's last-layer spread at initialisation and its accuracy."""
    parts = []
    for name, label in names.items():
        init = _layer_stats(record, name, "at_init")
        if init:
            parts.append(f"{label} {number(init[-1]['std'])} → accuracy {number(metric(record, name, 'accuracy'))}")
    return Finding(title="Zeros and badly scaled weights against Glorot and He",
                   claim="Two basic options are to set weights to zero or to randomize them. However, this can "
                         "result in a vanishing or exploding gradient",
                   notes_ref="001:3119",
                   answer=f"Std of the last hidden layer's output at initialisation, then test accuracy: "
                          f"{'; '.join(parts) or 'no variant finished'}.",
                   figure=SPREAD_FIGURE)


def analyze(analysis: Analysis) -> list[Section]:
    import numpy as np

    record = analysis.record
    names = labels(record)
    activations = {name: activation for name, _, activation, _ in SCHEMES}
    y_test = analysis.dataset.target[analysis.dataset.splits["test"]]
    chance = float(np.bincount(y_test).max() / len(y_test))  # the majority class's share of the test rows

    spread_series, flat_series, rows, paragraphs, zero_spread = [], [], [], [], []
    for name, label in names.items():
        init, trained = _layer_stats(record, name, "at_init"), _layer_stats(record, name, "trained")
        accuracy = metric(record, name, "accuracy")
        paragraphs.append(_describe(name, label, activations.get(name, ""), init, trained, accuracy, chance))
        if not init:
            continue
        flat = "saturated" if activations.get(name) == "tanh" else "zero"
        flat_series.append({"label": label, "x": [s["layer"] for s in init], "y": [s[flat] for s in init]})
        if all(s["std"] > 0 for s in init):
            spread_series.append({"label": label, "x": [s["layer"] for s in init], "y": [s["std"] for s in init]})
        else:
            zero_spread.append(label)
        rows.append([label, init[0]["std"], init[-1]["std"],
                     init[-1]["saturated"] if activations.get(name) == "tanh" else init[-1]["zero"],
                     init[0]["distinct_units"], trained[0]["distinct_units"] if trained else None,
                     min(analysis.curve(name, "val_loss") or [float("nan")]), accuracy])

    ranked = sorted((metric(record, n, "accuracy"), names[n]) for n in names)
    ranked = [item for item in ranked if np.isfinite(item[0])]
    if ranked:
        epochs = max((v["fit"] or {}).get("epochs", 0) for v in record["variants"])
        paragraphs.append(f"Ranking by test accuracy after {epochs} epochs: "
                          + ", ".join(f"{label} {number(acc)}" for acc, label in reversed(ranked)) + ".")
    caption = "Std of each hidden layer's output on 512 training images, before the first update."
    if zero_spread:
        caption += f" Not drawable on a log axis (std exactly 0): {', '.join(zero_spread)}."
    return [
        _finding(record, names),
        overlaid_curves(analysis, title="Validation loss per epoch", log_y=True,
                        caption="Digits validation split; same network, optimiser and data order for "
                                "every variant, only the initial weights differ."),
        Lines(title=SPREAD_FIGURE, x_label="hidden layer",
              y_label="std of the layer's output", log_y=True, series=spread_series, caption=caption),
        Lines(title="Outputs where the activation is flat (no local gradient), per hidden layer, at initialisation",
              x_label="hidden layer", y_label="share of outputs", series=flat_series,
              caption="tanh variants: share of outputs with |a| > 0.99, where tanh' < 0.02 (saturated); ReLU "
                      "variants: share of outputs exactly 0, where ReLU' = 0. Same 512 images."),
        Table(title="Hidden activations at initialisation and the result of training",
              columns=["variant", "std layer 1", f"std layer {DEPTH}", f"saturated (tanh) / zero (ReLU), layer {DEPTH}",
                       "distinct units layer 1 (init)", "distinct units layer 1 (trained)", "best val loss",
                       "test accuracy"],
              rows=rows,
              caption=f"Each hidden layer has {WIDTH} units; 'distinct units' counts units whose outputs differ "
                      "on the probe batch."),
        Text(title="What this run shows", body="\n\n".join(paragraphs)),
    ]


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
