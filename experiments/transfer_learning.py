"""
Title: Transfer and semi-supervised learning with few labels — digits 0-4 → 5-9
Description: a CNN for the digits 5-9 given 2, 10 or 100 labelled images per class: from scratch,
with a frozen or fine-tuned convolutional base pre-trained on the digits 0-4, and with pseudo-labels
of the unlabelled images (self-training).

Notes 001:1444-1448: deep learning is "data-hungry", labelled data is scarce, and "transfer learning
or semi-supervised learning are already taking steps in this direction"; 001:1470: "when the amount
of data that we have is effectively smaller than the complexity of the neural network then we need to
resort to a different approach like the aforementioned Transfer Learning". Offline, the source task is
the other half of the same digits: the `cnn` (16, 32 filters, 64-unit head) is first trained on
`digits-0-4` (540 training images; early stopping on its validation rows), and its convolutional base
— every layer before the first Dense one — is copied into the network for `digits-5-9`, whose own
training split is cut to k labelled images per class (the same k images for every variant). "Frozen"
trains only the new dense head on top of the copied features; "fine-tuned" lets every layer move
from there; "scratch" starts from random weights. "Pseudo-labels" starts from scratch, then labels
the remaining training images of 5-9 itself (their labels are never used), adds those it is ≥ 95 %
sure of, and trains on again (`kerasdl.transfer.FewLabelTrainer`). The two halves share no image
and no class, so no target test label can leak through the source. Every variant trains for a fixed
number of epochs — 200, 100 and 40 for 2, 10 and 100 labels per class, so the smallest budgets still
take a few hundred steps (early stopping would need more validation labels than the budget allows;
the validation curves are shown, not used) — and all are scored on the same 180 test images of 5-9.
With pseudo-labels the second phase trains as many epochs again.
"""

from __future__ import annotations

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Finding, Lines, Section, Table, Text

NAME = "transfer-learning"
TITLE = "Transfer and semi-supervised learning: digits 0-4 → 5-9 with 2, 10 or 100 labels per class"
NOTES_REF = "001:1444-1448, 001:1468-1470"

## Setup
CNN = {"filters": (16, 32), "kernel_size": 3, "pool": "max", "dense_units": (64,)}
BUDGETS = (2, 10, 100)                   # labelled images per class (100 is nearly all of the ~107)
# Epochs per budget: few labels make few steps per epoch, so small budgets get more epochs (≈200,
# 400 and 1,300 Adam steps at batch size 16) and no variant is stopped before it has fitted its labels.
EPOCHS = {2: 200, 10: 100, 100: 40}
METHODS = {                              # name: (FewLabelTrainer settings, label)
    "scratch": ({"init": "scratch"}, "from scratch"),
    "frozen": ({"init": "frozen"}, "pre-trained base, frozen"),
    "fine-tune": ({"init": "fine-tune"}, "pre-trained base, fine-tuned"),
    "pseudo": ({"init": "scratch", "pseudo_labels": True}, "from scratch + pseudo-labels"),
}
FIT = {"batch_size": 16, "learning_rate": 2e-3, "patience": None}
PRETRAIN_EPOCHS = 40


def experiment() -> Experiment:
    """Four ways to train on each label budget; the digits 0-4 are the pre-training source."""
    from kerasdl.transfer import FewLabelTrainer

    ## Build the variants: one trainer per method and budget (each keeps its own statistics)
    variants = []
    for k in BUDGETS:
        for method, (settings, label) in METHODS.items():
            trainer = FewLabelTrainer(labels_per_class=k, source="digits-0-4", pretrain_epochs=PRETRAIN_EPOCHS,
                                      **settings)
            variants.append(Variant(f"{method}-{k}", builder="cnn", hyperparameters=CNN, trainer=trainer,
                                    label=f"{label}, {k}/class", probe=_stats_probe(trainer), epochs=EPOCHS[k],
                                    **FIT))
    ## Evaluate: the 5-9 digits' stratified 60/20/20 holdout; the budget is cut from its training split
    return Experiment(name=NAME, title=TITLE, dataset="digits-5-9", variants=variants,
                      description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF, analyze=analyze,
                      evaluation="holdout", headline_metric="accuracy", quick_samples=300, quick_epochs=2,
                      quick_folds=1, quick_variants=("fine-tune-2",))


def _stats_probe(trainer):
    """A probe that records what the variant's trainer did (labelled rows, pre-training, pseudo-labels)."""
    def probe(model, arrays) -> dict:
        return dict(trainer.stats)

    return probe


## Analyse
def analyze(analysis) -> list[Section]:
    """Accuracy against the label budget per method, the pre-training and pseudo-label table, findings."""
    from kerasdl.report.study_helpers import entry_metric, probe_value

    entries = {v["name"]: v for v in analysis.record["variants"] if v["status"] == "completed"}
    budgets = [k for k in BUDGETS if any(f"{m}-{k}" in entries for m in METHODS)]
    figure = "Test accuracy against labelled images per class"
    series = []
    for method, (_, label) in METHODS.items():
        points = [(k, entry_metric(entries[f"{method}-{k}"])) for k in budgets if f"{method}-{k}" in entries]
        if points:
            series.append({"label": label, "x": [p[0] for p in points], "y": [p[1] for p in points]})
    rows = []
    for name, entry in entries.items():
        rows.append([entry["label"], probe_value(entry, "labelled"), round(entry_metric(entry), 4),
                     probe_value(entry, "source_test_accuracy"), probe_value(entry, "pseudo_labelled"),
                     probe_value(entry, "pseudo_label_accuracy")])
    return [
        Finding(title="Do transfer and pseudo-labels make up for missing labels?",
                claim="when the amount of data that we have is effectively smaller than the complexity of the "
                      "neural network then we need to resort to a different approach like the aforementioned "
                      "Transfer Learning", notes_ref="001:1470", answer=_answer(entries, budgets), figure=figure),
        Lines(title=figure, series=series, x_label="labelled training images per class", y_label="test accuracy",
              log_x=True, caption="Digits 5-9, the same 180 test images for every point. Pre-training: the same "
                                  "CNN on the 540 training images of digits 0-4."),
        Table(title="Labels, pre-training and pseudo-labels per variant",
              columns=["variant", "labelled images", "test accuracy", "source (0-4) test accuracy of the "
                       "pre-trained network", "pseudo-labels added", "pseudo-labels correct"],
              rows=rows,
              caption="'Pseudo-labels correct' is measured against the true labels of the unlabelled images, "
                      "which the training never sees: it says how much noise self-training added."),
        Text(title="What this run shows", body=_findings(entries, budgets)),
    ]


def _answer(entries, budgets) -> str:
    from kerasdl.report.study_helpers import entry_metric

    parts = []
    for k in budgets:
        found = {m: entry_metric(entries[f"{m}-{k}"]) for m in METHODS if f"{m}-{k}" in entries}
        if found:
            parts.append(f"{k}/class: " + ", ".join(f"{m} {v:.3f}" for m, v in found.items()))
    if not parts:
        return "No variant finished in this run."
    return "Test accuracy on digits 5-9 — " + "; ".join(parts) + "."


def _findings(entries, budgets) -> str:
    from kerasdl.report.study_helpers import entry_metric, probe_value

    out = []
    for k in budgets:
        have = {m: entry_metric(entries[f"{m}-{k}"]) for m in METHODS if f"{m}-{k}" in entries}
        if "scratch" in have and len(have) > 1:
            gains = ", ".join(f"{m} {v - have['scratch']:+.3f}" for m, v in have.items() if m != "scratch")
            out.append(f"{k} labels per class, accuracy against training from scratch ({have['scratch']:.3f}): "
                       f"{gains}.")
    pseudo = [(k, probe_value(entries[f"pseudo-{k}"], "pseudo_labelled"),
               probe_value(entries[f"pseudo-{k}"], "pseudo_label_accuracy")) for k in budgets if f"pseudo-{k}" in entries]
    if pseudo:
        out.append("Pseudo-labels added (share correct): " + ", ".join(
            f"{k}/class {n} ({acc:.3f})" if acc is not None else f"{k}/class {n}" for k, n, acc in pseudo) + ".")
    source = next((probe_value(e, "source_test_accuracy") for e in entries.values()
                   if probe_value(e, "source_test_accuracy") is not None), None)
    if source is not None:
        out.append(f"The pre-trained network recognises the digits 0-4 with test accuracy {source:.3f}; its "
                   "convolutional features are what the frozen and fine-tuned variants start from.")
    gaps = [(k, entry_metric(entries[f"fine-tune-{k}"]) - entry_metric(entries[f"scratch-{k}"])) for k in budgets
            if f"fine-tune-{k}" in entries and f"scratch-{k}" in entries]
    if len(gaps) > 1:
        shrinking = all(a > b for (_, a), (_, b) in zip(gaps, gaps[1:]))
        out.append("Fine-tuning's gain over training from scratch by budget: "
                   + ", ".join(f"{k}/class {g:+.3f}" for k, g in gaps) + ". "
                   + ("It shrinks as labels grow: pre-training stands in for labelled data, and matters most "
                      "where there is least of it." if shrinking else
                      "It does not shrink steadily with the budget in this run (one 180-image test set: a "
                      "difference of 0.02-0.03 is within its noise)."))
    return "\n\n".join(out) or "No variant finished."


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
