"""
Title: Capacity — underfitting and overfitting across MLP widths and depths
Description: MLPs from 1 to 1024 hidden units and from 1 to 8 hidden layers, trained on only 200
handwritten digits; training and validation error per model size.

The notes (001:177-198, 001:1103-1155) name the two failures: underfitting is the "inability to obtain
low enough error rate on the training set", overfitting a "gap between training error and testing error
[that] is too large", and capacity, controlled by "number of nodes" (width) and "number of layers"
(depth), decides which one a model is prone to. To make both visible, the networks learn from a small
stratified subset of the digits — 200 training images (20 per class), 400 validation images, the other
1197 as test set (subset drawn with seed 0 from scikit-learn's bundled digits) — without early stopping
or any regularisation, for the same 40 epochs each. A probe measures each trained model's error on its
own training images, on the validation images and on the test images.
"""

from __future__ import annotations

import math
from typing import Any

from kerasdl.harness import Analysis, Experiment, Variant
from kerasdl.probes import error_rates
from kerasdl.report.sections import Finding, Lines, Section, Table, Text
from kerasdl.report.study_helpers import fold_probes, labels, metric, number

NAME = "capacity"
TITLE = "Capacity: training vs validation error across MLP widths (1-1024 units) and depths (1-8 layers)"
NOTES_REF = "001:177-198, 001:1103-1155"

## Setup
N_TRAIN, N_VAL = 200, 400
WIDTHS = [1, 2, 4, 16, 64, 256, 1024]   # one hidden layer
DEPTHS = [1, 2, 4, 8]                   # hidden layers of DEPTH_WIDTH units (depth 1 is in the width sweep)
DEPTH_WIDTH = 64
# No early stopping and no regularisation: the point is what each capacity does when left alone.
FIT = {"epochs": 40, "batch_size": 16, "learning_rate": 2e-3, "patience": None}


def small_training_digits(seed: int = 0):
    """The bundled digits with N_TRAIN training rows, N_VAL validation rows and the rest as test rows.

    A training set this small is what lets a large network memorise it (overfitting); the large test
    set keeps the measured errors precise. Both splits are stratified by class.
    """
    from dataclasses import replace

    import numpy as np
    from sklearn.model_selection import train_test_split

    from kerasdl import data

    digits = data.load("digits", seed=seed)
    rows = np.arange(digits.n_samples)
    train, rest = train_test_split(rows, train_size=N_TRAIN, stratify=digits.target, random_state=seed)
    val, test = train_test_split(rest, train_size=N_VAL, stratify=digits.target[rest], random_state=seed)
    return replace(digits, splits={"train": np.sort(train), "val": np.sort(val), "test": np.sort(test)},
                   description=digits.description + f" Capacity study subset: {N_TRAIN} training, {N_VAL} "
                   f"validation and {digits.n_samples - N_TRAIN - N_VAL} test images, stratified, seed {seed}.")


def _variant(name: str, label: str, units: list[int]) -> Variant:
    return Variant(name, builder="mlp", label=label, hyperparameters={"units": units, "activation": "relu"},
                   probe=lambda model, arrays: error_rates(model, arrays, per_example_val_loss=True), **FIT)


def experiment() -> Experiment:
    ## Build the variants: a width sweep at one hidden layer, a depth sweep at 64 units per layer
    variants = [_variant(f"width-{w}", f"1 × {w} units", [w]) for w in WIDTHS]
    variants += [_variant(f"depth-{d}", f"{d} × {DEPTH_WIDTH} units", [DEPTH_WIDTH] * d) for d in DEPTHS if d > 1]
    ## Evaluate: one holdout split of the small training subset
    return Experiment(
        name=NAME, title=TITLE, dataset=small_training_digits(), variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF,
        evaluation="holdout", headline_metric="accuracy", analyze=analyze,
        quick_samples=300, quick_epochs=2, quick_folds=1,
        # --quick: both sweeps (64 units is in both) from the narrowest to the widest and a deep one
        quick_variants=("width-1", "width-64", "width-1024", "depth-4"),
    )


## Analyse: errors and losses against parameter count, and which models under- or overfit
def _sweeps() -> dict[str, list[str]]:
    depth = [f"width-{DEPTH_WIDTH}"] + [f"depth-{d}" for d in DEPTHS if d > 1]
    return {"width": [f"width-{w}" for w in WIDTHS], "depth": depth}


def _measured(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per variant that finished: parameters, hidden layers and the probe's error rates and losses."""
    out = {}
    for entry in record.get("variants", []):
        probes = fold_probes(record, entry["name"])
        if not probes or entry.get("parameter_count") is None:
            continue
        units = entry["hyperparameters"].get("units", [])
        out[entry["name"]] = {"parameters": int(entry["parameter_count"]), "layers": len(units),
                              "units": units[0] if units else 0, **probes[0]}
    return out


def _significantly_worse(losses: list[float], reference: list[float]) -> bool:
    """Mean per-image loss above the reference's by more than two standard errors of the paired difference."""
    import numpy as np

    diff = np.asarray(losses) - np.asarray(reference)
    if len(diff) < 2:
        return False
    return bool(diff.mean() > 2 * diff.std(ddof=1) / np.sqrt(len(diff)))


def regions(found: dict[str, dict[str, Any]], sweeps: dict[str, list[str]]):
    """Label each model with the notes' definitions (001:186-188), made measurable.

    Underfitting: training error at or above the lowest validation error of any model — the model does
    not fit the images it trained on as well as the best model predicts unseen ones.
    Overfitting, within one sweep (width or depth, so that capacity grows along one axis): more
    parameters than the sweep's model with the lowest validation loss, and a validation loss above that
    model's by more than two standard errors of the paired per-image difference — it fits its training
    images at the expense of unseen ones. The rest is a good fit.
    Returns (lowest-error model, {sweep: lowest-loss model}, {model: label}).
    """
    if not found:
        return None, {}, {}
    best_error = min(found, key=lambda n: (found[n]["val_error"], found[n]["parameters"]))
    out = {n: ("underfitting" if m["train_error"] >= found[best_error]["val_error"] and n != best_error
               else "good fit") for n, m in found.items()}
    best_loss = {}
    for sweep, members in sweeps.items():
        members = [n for n in members if n in found]
        if not members:
            continue
        best = best_loss[sweep] = min(members, key=lambda n: found[n]["val_loss"])
        for name in members:
            if (out[name] == "good fit" and found[name]["parameters"] > found[best]["parameters"]
                    and _significantly_worse(found[name]["val_losses"], found[best]["val_losses"])):
                out[name] = "overfitting"
    return best_error, best_loss, out


def _series(found, names, label, what) -> list[dict[str, Any]]:
    kept = sorted((n for n in names if n in found), key=lambda n: found[n]["parameters"])
    x = [math.log10(found[n]["parameters"]) for n in kept]
    return [{"label": f"training {what} ({label})", "x": x, "y": [found[n][f"train_{what}"] for n in kept]},
            {"label": f"validation {what} ({label})", "x": x, "y": [found[n][f"val_{what}"] for n in kept]}]


def _story(found, names, sweeps, best_error, best_loss, region, n_train, n_val) -> str:
    """The text section, every statement computed from this run's numbers."""
    if best_error is None:
        return "No model finished, so there is nothing to compare."

    def size(name: str) -> str:
        return f"{found[name]['parameters']:,} parameters"

    b = found[best_error]
    parts = [(f"{len(found)} models trained on {n_train} images, judged on {n_val} validation images. Lowest "
              f"validation error: {names[best_error]} ({size(best_error)}), {number(b['val_error'])} with "
              f"training error {number(b['train_error'])}.")]
    under = sorted((n for n, r in region.items() if r == "underfitting"), key=lambda n: found[n]["parameters"])
    if under:
        parts.append("Underfitting (training error at or above the lowest validation error): " + ", ".join(
            f"{names[n]} ({size(n)}, training error {number(found[n]['train_error'])})" for n in under)
            + ". These models cannot fit even the images they were trained on.")
    else:
        parts.append("No model underfits by this rule: each fits its training images better than the best model "
                     "predicts unseen ones.")
    margin = 2 * math.sqrt(max(b["val_error"] * (1 - b["val_error"]), 1e-12) / max(n_val, 1))
    for sweep, best in best_loss.items():
        members = sorted((n for n in sweeps[sweep] if n in found), key=lambda n: found[n]["parameters"])
        over = [n for n in members if region.get(n) == "overfitting"]
        text = (f"{sweep.capitalize()} sweep: validation loss (cross-entropy) is lowest at {names[best]} "
                f"({number(found[best]['val_loss'])}). ")
        if over:
            text += ("Overfitting (more parameters than that and a validation loss more than two standard errors "
                     "above it): " + ", ".join(
                         f"{names[n]} (training loss {number(found[n]['train_loss'])}, validation loss "
                         f"{number(found[n]['val_loss'])}, validation error {number(found[n]['val_error'])})"
                         for n in over) + " — they fit their training images almost perfectly and are more "
                                          "confidently wrong on new ones.")
            hidden = [n for n in over if found[n]["val_error"] <= b["val_error"] + margin]
            if hidden:
                text += (f" For {', '.join(names[n] for n in hidden)} the validation error stays within two binomial "
                         f"standard errors ({number(margin)}) of the lowest: the loss, which also weighs how "
                         "confident each prediction is, shows the overfitting before the error rate does.")
        else:
            larger = [n for n in members if found[n]["parameters"] > found[best]["parameters"]]
            text += ("No larger model in this sweep has a validation loss significantly above it"
                     + (f" (largest: {names[larger[-1]]}, {number(found[larger[-1]]['val_loss'])})."
                        if larger else "."))
        parts.append(text)
    gap = {n: m["val_error"] - m["train_error"] for n, m in found.items()}
    widest = max(found, key=lambda n: gap[n])
    parts.append(f"Largest gap between validation and training error (the notes' overfitting signature, 001:188): "
                 f"{names[widest]}, {number(found[widest]['val_error'])} − {number(found[widest]['train_error'])} "
                 f"= {number(gap[widest])}.")
    return "\n\n".join(parts)


ERROR_FIGURE = "Training and validation error against model size"


def _finding(found, names, best_error, region) -> Finding:
    """001:194-195 (low capacity cannot fit the training set, high capacity memorises it) against the
    regions this run measured."""
    def listed(kind: str) -> str:
        chosen = sorted((n for n, r in region.items() if r == kind), key=lambda n: found[n]["parameters"])
        return ", ".join(f"{names[n]} (training error {number(found[n]['train_error'])}, validation error "
                         f"{number(found[n]['val_error'])})" for n in chosen) or "none"

    if best_error is None:
        answer = "No model finished, so this run cannot answer."
    else:
        answer = (f"Underfitting: {listed('underfitting')}. Overfitting (validation loss significantly above the "
                  f"best of its sweep): {listed('overfitting')}. Lowest validation error: {names[best_error]} with "
                  f"{number(found[best_error]['val_error'])} ({found[best_error]['parameters']:,} parameters).")
    return Finding(title="Too little and too much capacity",
                   claim="Model with Low capacity struggles to fit training set. A High capacity model can overfit "
                         "by memorizing properties of training set not useful on test set",
                   notes_ref="001:194-195", answer=answer, figure=ERROR_FIGURE)


def analyze(analysis: Analysis) -> list[Section]:
    record = analysis.record
    names = labels(record)
    found = _measured(record)
    n_train, n_val = (len(analysis.dataset.splits[s]) for s in ("train", "val"))
    sweeps = _sweeps()
    best_error, best_loss, region = regions(found, sweeps)
    width_label, depth_label = "1 hidden layer", f"{DEPTH_WIDTH} units per layer"
    sweep_caption = (f"Width sweep: one hidden layer of {', '.join(map(str, WIDTHS))} units; depth sweep: "
                     f"{', '.join(map(str, DEPTHS))} hidden layers of {DEPTH_WIDTH} units.")
    order = sorted(found, key=lambda n: (found[n]["layers"], found[n]["parameters"]))
    rows = [[names[n], found[n]["layers"], found[n]["units"], found[n]["parameters"], found[n]["train_error"],
             found[n]["val_error"], found[n]["val_error"] - found[n]["train_error"], found[n]["train_loss"],
             found[n]["val_loss"], 1 - metric(record, n, "accuracy"), region.get(n, "")] for n in order]
    return [
        _finding(found, names, best_error, region),
        Lines(title=ERROR_FIGURE,
              x_label="log10(number of parameters)", y_label="error rate (1 − accuracy)",
              series=_series(found, sweeps["width"], width_label, "error")
              + _series(found, sweeps["depth"], depth_label, "error"),
              caption=f"Each trained model on its {n_train} training images and on {n_val} validation images. "
                      + sweep_caption),
        Lines(title="Training and validation loss against model size",
              x_label="log10(number of parameters)", y_label="cross-entropy", log_y=True,
              series=_series(found, sweeps["width"], width_label, "loss")
              + _series(found, sweeps["depth"], depth_label, "loss"),
              caption="Mean cross-entropy of the same models. " + sweep_caption),
        Table(title="Errors and losses per model, and the region it falls in",
              columns=["model", "hidden layers", "units per layer", "parameters", "training error",
                       "validation error", "gap", "training loss", "validation loss", "test error", "region"],
              rows=rows, row_status=["ok" if region.get(n) == "good fit" else "info" for n in order],
              caption="Regions: see the text below. Test error is on the remaining images, never used to choose."),
        Text(title="Underfitting and overfitting in this run",
             body=_story(found, names, sweeps, best_error, best_loss, region, n_train, n_val)),
    ]


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
