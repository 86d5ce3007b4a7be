"""
Title: CNN vs MLP on 8×8 handwritten digits — parameters, accuracy, time
Description: a small convolutional network against multilayer perceptrons on the same images, with
the parameter count, held-out accuracy, training time and robustness to a one-pixel shift of each.

The notes credit convolution with three things a dense layer lacks: sparse interactions and shared
weights, so far fewer parameters per layer (001:1872, 001:1957-1964); equivariance to translation
(001:1990-1999); and translation-invariant, data-efficient features (003:700-703). This experiment
trains two CNNs and two MLPs on the 1,797 scikit-learn digits (8×8, grey, 60/20/20 train/val/test)
and measures all three: parameters per layer, accuracy on the untouched test digits and on the same
digits moved by one pixel, and whether the fitted first convolution really commutes with a shift.
"""

from __future__ import annotations

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Bars, Finding, Section, Table, Text

NAME = "cnn-vs-mlp"
TITLE = "CNN vs MLP on 8×8 digits: parameters, accuracy, time, one-pixel shifts"
NOTES_REF = "001:1789-1803, 001:1872-1999, 003:700-703"

## Setup
# Configurations tuned on the validation split (seed 0) to reach the full-mode targets on the
# test split: CNN ≥ 0.98, MLP ≥ 0.96. Early stopping (best weights restored) picks the epoch.
CNN = {"filters": (16, 32), "kernel_size": 3, "pool": "max", "dense_units": (64,)}
CNN_TINY = {"filters": (8, 16), "kernel_size": 3, "pool": "max", "dense_units": (32,)}
MLP = {"units": (256,), "dropout": 0.2}
MLP_TINY = {"units": (32, 16)}
FIT = {"epochs": 60, "batch_size": 32, "patience": 10}
TARGETS = {"cnn": 0.98, "mlp": 0.96}  # issue 3, "Digits CNN (small) full-mode target"


def experiment() -> Experiment:
    """Two CNNs and two MLPs of similar parameter budgets, one holdout split, the same fit settings."""
    from kerasdl.probes import DIGITS_HOLDOUT, shifted_accuracy_probe

    probe = shifted_accuracy_probe(equivariance=True)
    ## Build the variants
    variants = [
        Variant("cnn", builder="cnn", hyperparameters=CNN, label="CNN (16, 32 filters)",
                learning_rate=3e-3, probe=probe, **FIT),
        Variant("mlp", builder="mlp", hyperparameters=MLP, label="MLP (256 units)",
                learning_rate=2e-3, probe=probe, **{**FIT, "epochs": 100}),
        Variant("cnn-tiny", builder="cnn", hyperparameters=CNN_TINY, label="tiny CNN (8, 16 filters)",
                learning_rate=3e-3, probe=probe, **FIT),
        Variant("mlp-tiny", builder="mlp", hyperparameters=MLP_TINY, label="tiny MLP (32, 16 units)",
                learning_rate=3e-3, probe=probe, **{**FIT, "epochs": 100}),
    ]
    ## Evaluate: one stratified 60/20/20 holdout; the report adds the comparison below
    return Experiment(name=NAME, title=TITLE, variants=variants, description=__doc__.split("\n\n", 1)[1].strip(),
                      notes_ref=NOTES_REF, analyze=analyze, **DIGITS_HOLDOUT)


## Analyse
def analyze(analysis) -> list[Section]:
    """Table (parameters, accuracy, time, accuracy per 1k parameters), curves, shift bars, findings."""
    from kerasdl.report.study_helpers import entry_metric, fit_seconds, layer_params, probe_mean, val_loss_section

    entries = [v for v in analysis.record["variants"] if v["status"] == "completed"]
    rows, shifted = [], {}
    for entry in entries:
        shifted[entry["name"]] = probe_mean(entry, "shifted_accuracy")
        accuracy, params = entry_metric(entry), entry["parameter_count"]
        rows.append([entry["label"], params, layer_params(entry, types=("Conv2D",)),
                     layer_params(entry, types=("Dense",)), round(accuracy, 4), round(shifted[entry["name"]], 4),
                     round(fit_seconds(entry), 1), sum(f.get("epochs_run") or 0 for f in entry["folds"]),
                     round(1000 * accuracy / params, 4) if params else None])
    n_test = entries[0]["folds"][0]["n_test"] if entries else 0
    sections = [
        _finding(entries, shifted),
        Table(title="CNN vs MLP: parameters, accuracy and time",
              columns=["model", "parameters", "in convolutions", "in dense layers", "test accuracy",
                       "accuracy, shifted 1 px", "fit time (s)", "epochs run", "accuracy per 1k parameters"],
              rows=rows,
              caption=f"Held-out test split of {n_test} digits. 'Shifted 1 px': the same test digits moved one "
                      "pixel down, up, right or left (zero fill), accuracy averaged over the four shifts."),
        val_loss_section(analysis, entries, title="Validation loss per epoch"),
        Bars(title=SHIFT_FIGURE,
             y_label="accuracy", labels=[e["label"] for e in entries],
             series=[{"label": "test digits", "values": [entry_metric(e) for e in entries]},
                     {"label": "shifted by 1 px", "values": [shifted[e["name"]] for e in entries]}]),
        Text(title="What this run shows", body=_findings(analysis, entries, shifted, n_test)),
    ]
    return sections


SHIFT_FIGURE = "Accuracy on the test digits and on the digits shifted by one pixel"


def _finding(entries, shifted) -> Finding:
    """003:700-703's claim (a convnet recognises a pattern anywhere) against each network's accuracy lost
    to a one-pixel shift, with the parameter counts."""
    from kerasdl.report.study_helpers import entry_metric

    def summary(builder: str) -> str:
        chosen = [e for e in entries if e["builder"] == builder]
        return ", ".join(f"{e['label']} {entry_metric(e):.3f} → {shifted[e['name']]:.3f} "
                         f"({e['parameter_count']:,} parameters)" for e in chosen) or "none completed"

    drop = {e["name"]: entry_metric(e) - shifted[e["name"]] for e in entries}
    cnn = [drop[e["name"]] for e in entries if e["builder"] == "cnn"]
    mlp = [drop[e["name"]] for e in entries if e["builder"] == "mlp"]
    verdict = ("every CNN loses less accuracy to the shift than every MLP" if cnn and mlp and max(cnn) < min(mlp)
               else "the CNNs do not lose uniformly less than the MLPs" if cnn and mlp else "not measured")
    return Finding(
        title="Does a convnet recognise a shifted digit?",
        claim="after learning a certain pattern in the bottom right corner of a picture, a convnet is able to "
              "recognize it anywhere",
        notes_ref="003:700-702",
        answer=f"Test accuracy → accuracy with every digit moved one pixel: CNNs {summary('cnn')}; MLPs "
               f"{summary('mlp')}. So {verdict}, and no network is invariant.",
        figure=SHIFT_FIGURE)


def _findings(analysis, entries, shifted, n_test) -> str:
    from kerasdl.report.study_helpers import accuracy_noise, entry_metric, layer_params

    by_name = {e["name"]: e for e in entries}
    paragraphs = []
    cnn, mlp = by_name.get("cnn"), by_name.get("mlp")
    if cnn and mlp:
        acc_c, acc_m = entry_metric(cnn), entry_metric(mlp)
        se = accuracy_noise((acc_c + acc_m) / 2, n_test)
        verdict = ("the difference is within two standard errors, so this test set does not rank them"
                   if abs(acc_c - acc_m) < 2 * se else
                   f"{'the CNN' if acc_c > acc_m else 'the MLP'} is ahead by more than two standard errors")
        paragraphs.append(
            f"Accuracy: the CNN reaches {acc_c:.4f} with {cnn['parameter_count']:,} parameters, the MLP "
            f"{acc_m:.4f} with {mlp['parameter_count']:,}. With {n_test} test digits one standard error of an "
            f"accuracy near {(acc_c + acc_m) / 2:.3f} is {se:.4f}; {verdict}.")
        if not analysis.quick:
            met = [f"{kind.upper()} {entry_metric(by_name[kind]):.4f} "
                   f"{'≥' if entry_metric(by_name[kind]) >= goal else '<'} {goal}" for kind, goal in TARGETS.items()]
            paragraphs.append("Issue targets (full mode, seed 0): " + "; ".join(met) + ".")
        first_conv = layer_params(cnn, names=("conv_1",))
        first_dense = layer_params(mlp, names=("dense_1",))
        head = layer_params(cnn, types=("Dense",))
        paragraphs.append(
            f"Parameters per layer (001:1872, 001:1957-1964): the CNN's first layer, "
            f"{cnn['hyperparameters']['filters'][0]} shared 3×3 kernels, has {first_conv:,} parameters; the "
            f"MLP's first layer connects all 64 pixels to each of its units: {first_dense:,}. Of the CNN's "
            f"{cnn['parameter_count']:,} parameters, {head:,} ({head / cnn['parameter_count']:.0%}) sit in its "
            "dense head, after the convolutions and pools have shrunk the image.")
    drops = {e["label"]: entry_metric(e) - shifted[e["name"]] for e in entries}
    if drops:
        listing = "; ".join(f"{label} −{drop:.3f}" for label, drop in drops.items())
        cnn_drops = [drops[e["label"]] for e in entries if e["builder"] == "cnn"]
        mlp_drops = [drops[e["label"]] for e in entries if e["builder"] == "mlp"]
        if cnn_drops and mlp_drops:
            smaller = max(cnn_drops) < min(mlp_drops)
            claim = ("Every CNN loses less than every MLP, as 003:700-703 predicts (shared kernels see a shifted "
                     "stroke with the same weights)." if smaller else
                     "The CNNs do not lose uniformly less than the MLPs here, so this run does not support the "
                     "claim of 003:700-703 for these networks.")
        else:
            claim = ""
        paragraphs.append(f"Moving every test digit by one pixel costs accuracy: {listing}. {claim} Neither "
                          "network is invariant: the flatten and dense layers after the convolutions tie each "
                          "feature to a position.")
    errors = [f["probe"].get("equivariance_error") for e in entries if e["builder"] == "cnn"
              for f in e["folds"] if f.get("probe")]
    errors = [x for x in errors if x is not None]
    if errors:
        paragraphs.append(
            f"Equivariance (001:1990-1999): for each fitted CNN's first convolution, conv(shift(x)) and "
            f"shift(conv(x)) differ by at most {max(errors):.2g} away from the border "
            + ("(exactly equal)" if max(errors) == 0 else "(equal up to float rounding)")
            + ", so the convolution itself commutes with translation; the accuracy lost to a shift is lost in "
              "the layers after it.")
    return "\n\n".join(paragraphs)


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
