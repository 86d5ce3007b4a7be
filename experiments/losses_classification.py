"""
Title: Classification losses — binary cross-entropy vs hinge
Description: The same MLP on the Wisconsin breast-cancer data trained with binary cross-entropy, with
a proper hinge loss (labels mapped to {−1, 1}, margin taken on the logit), and with Keras' "hinge"
applied naively to a sigmoid output; held-out metrics and the margins each loss produces.

The notes give binary cross-entropy for targets in {0, 1} and hinge for targets in {−1, 1}
(003:333-339, 004:526-547). The two differ in what they ask of a score z: cross-entropy keeps pushing
every example further to its side (its loss only tends to 0), hinge max(0, 1 − t·z) stops once an
example is beyond the margin t·z ≥ 1. A separate experiment from the regression `losses` study
because the harness scores one task per run: here accuracy, ROC AUC and log loss; there MAE and RMSE.

Hinge needs two mappings, done honestly in `SigmoidHinge`: t = 2y − 1 for the label, and the logit
z = log(p / (1 − p)) of the network's sigmoid output p for the score (the sigmoid is kept only so the
harness can read P(class 1) and threshold it at 0.5, which is hinge's decision sign(z)). The third
variant shows what happens without the second mapping: Keras converts {0, 1} labels for "hinge" by
itself, but on a sigmoid output t·p never reaches 1, so the loss 1 − t·p never becomes zero and every
example keeps being pushed, with a gradient that does not shrink as it does for cross-entropy.
The log loss of both hinge variants is reported but means little: sigmoid(z) of a hinge model is
not a calibrated probability.
"""

from __future__ import annotations

from typing import Any

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Bars, Section, Text

NAME = "losses-classification"
TITLE = "Classification losses: binary cross-entropy vs hinge (labels in {-1, 1}, margin on the logit)"
NOTES_REF = "003:333-339, 004:526-547"

## Setup
MLP = {"units": [16, 8], "activation": "relu"}
FIT = {"epochs": 60, "batch_size": 32, "patience": 10, "learning_rate": 3e-3}


def experiment() -> Experiment:
    from kerasdl.losses import SigmoidHinge

    ## Build the variants
    variants = [
        Variant("bce", builder="mlp", hyperparameters=MLP, loss="binary_crossentropy",
                label="binary cross-entropy", **FIT),
        Variant("hinge", builder="mlp", hyperparameters=MLP, loss=SigmoidHinge(),
                label="hinge (t = 2y − 1, margin on the logit)", **FIT),
        Variant("hinge-on-probability", builder="mlp", hyperparameters=MLP, loss="hinge",
                label="Keras hinge on the sigmoid output", **FIT),
    ]
    ## Evaluate on the held-out split
    return Experiment(
        name=NAME, title=TITLE, dataset="breast-cancer", variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF,
        evaluation="holdout", headline_metric="accuracy", analyze=analyze,
        quick_samples=150, quick_epochs=2,
    )


## The margin each model leaves on the held-out rows
def margins(y_true, p) -> Any:
    """t·z for every example: t = 2y − 1, z = logit(p) (p clipped as in `SigmoidHinge`)."""
    import numpy as np

    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    return (2.0 * np.asarray(y_true) - 1.0) * (np.log(p) - np.log1p(-p))


# (label, lower bound, upper bound); None: unbounded
MARGIN_BINS = (("wrong side (t·z < 0)", None, 0.0), ("inside the margin (0 ≤ t·z < 1)", 0.0, 1.0),
               ("beyond the margin (t·z ≥ 1)", 1.0, None))


def margin_shares(values) -> list[float]:
    """Shares of held-out examples in each of MARGIN_BINS."""
    import numpy as np

    values = np.asarray(values)
    shares = []
    for _, low, high in MARGIN_BINS:
        inside = np.ones(len(values), dtype=bool)
        if low is not None:
            inside &= values >= low
        if high is not None:
            inside &= values < high
        shares.append(float(inside.mean()) if len(values) else float("nan"))
    return shares


def analyze(analysis) -> list[Section]:
    import numpy as np

    from kerasdl.report.study_helpers import comparison_table, fmt, metric_mean, overlaid_curves

    variants = analysis.record["variants"]
    pooled = {}
    for v in variants:
        keys = [f"{v['name']}/fold{f['fold']}" for f in v["folds"]]
        keys = [k for k in keys if f"{k}/y_score" in analysis.predictions]
        if keys:
            pooled[v["name"]] = margins(np.concatenate([analysis.predictions[f"{k}/y_true"] for k in keys]),
                                        np.concatenate([analysis.predictions[f"{k}/y_score"][:, 1] for k in keys]))
    labels = {v["name"]: v["label"] for v in variants}
    shares = {name: margin_shares(values) for name, values in pooled.items()}
    median = {name: round(float(np.median(values)), 3) for name, values in pooled.items()}
    paragraphs = [f"{labels[n]}: {shares[n][0]:.1%} of held-out examples on the wrong side, "
                  f"{shares[n][1]:.1%} inside the margin, {shares[n][2]:.1%} beyond it; median margin "
                  f"t·z = {fmt(median[n])}."
                  for n in pooled]
    if "bce" in median and "hinge" in median and median["hinge"] < median["bce"]:
        paragraphs.append(f"Cross-entropy pushed the typical held-out example to t·z = {fmt(median['bce'])}; hinge "
                          f"left it at {fmt(median['hinge'])}, near the margin of 1 beyond which its loss is zero "
                          "and its gradient vanishes.")
    if median.get("hinge-on-probability", 0.0) > 10:
        paragraphs.append("Keras' hinge on the sigmoid output p never reaches zero (t·p < 1 always), so it keeps "
                          "pushing p towards 0 or 1: its median margin, "
                          f"{fmt(median['hinge-on-probability'])}, sits near the sigmoid's float32 limit (|z| of about "
                          "16) instead of stopping at the margin as hinge does.")
    accuracy = {v["name"]: metric_mean(v, "accuracy") for v in variants}
    if all(a is not None for a in accuracy.values()):
        paragraphs.append("Test accuracy: " + ", ".join(f"{labels[n]} {a:.3f}" for n, a in accuracy.items())
                          + f" ({variants[0]['folds'][0]['n_test']} test rows: one row is "
                          f"{1 / variants[0]['folds'][0]['n_test']:.3f}).")
    if analysis.quick:
        paragraphs.append("Quick run: 2 epochs on a subsample; margins are still near 0 for every loss.")
    return [
        comparison_table(analysis, ["accuracy", "roc_auc", "log_loss"], title="Losses side by side",
                         caption="Test split; the log loss of the hinge models is not a calibration measure.",
                         extra={"median margin t·z": median}),
        Bars(title="Where the held-out examples end up", y_label="share of held-out examples",
             caption="Margin t·z on the test split, with t = 2y − 1 and z the logit of the model's output.",
             labels=[label for label, _, _ in MARGIN_BINS],
             series=[{"label": labels[n], "values": shares[n]} for n in pooled]),
        overlaid_curves(analysis, "val_accuracy", title="Validation accuracy per epoch",
                        y_label="validation accuracy",
                        caption="A line ends where early stopping (patience 10) stopped the variant."),
        Text(title="What this run shows", body="\n\n".join(paragraphs)),
    ]


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
