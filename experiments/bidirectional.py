"""
Title: Bidirectional RNNs — merge modes vs a forward-only RNN when each tag depends on a later token
Description: LSTM taggers on sequences where the tag of token t is decided by token t + 2: forward
only, and bidirectional with the concat, sum, mul and ave merges of the two directions.

The notes ask "What if y_3 is dependent on x_5?" (002:218-224): a forward RNN has not read x_5 when it
must emit y_3. A bidirectional RNN (001:2592-2678) runs a second RNN from the end of the sequence
backwards and joins the two states at every step, so the output at t sees the whole sequence. Keras's
`Bidirectional` joins them by concatenation (2m features) or element-wise sum, product or average (m
features). Dataset `future-tags`: tokens 1-9 (lengths 10-20, padded and masked), the tag of token t is
(x[t+2] − 1) mod 3 ("a", "b", "c"), or "end" in the last two positions. The forward tagger can only
guess the a/b/c tags (about 1/3 right), and it cannot know that the sequence ends two steps later
either; every bidirectional variant has read x[t+2] when it tags x[t].
"""

from __future__ import annotations

from kerasdl.harness import Analysis, Experiment, Variant
from kerasdl.report.sections import Bars, Section, Table, Text
from kerasdl.report.study_helpers import entry_metric, fit_seconds, number, overlaid_curves

NAME = "bidirectional"
TITLE = "Bidirectional RNNs: concat / sum / mul / ave merges vs forward-only, tags that depend on the future"
NOTES_REF = "001:2592-2678, 002:218-224"

## Setup
DATA = {"length": 20, "offset": 2, "samples": 3000}
BODY = {"units": 24, "vocab_size": 10, "embedding_dim": 16, "return_sequences": True}
FIT = {"epochs": 40, "batch_size": 32, "patience": 6, "learning_rate": 5e-3}
EARLY = 5  # epochs: how fast each merge learns, once they all end at the same accuracy
VARIANTS = (
    ("forward", "lstm", {}, "forward LSTM only"),
    ("bi-concat", "bidirectional_rnn", {"merge_mode": "concat"}, "bidirectional, concat"),
    ("bi-sum", "bidirectional_rnn", {"merge_mode": "sum"}, "bidirectional, sum"),
    ("bi-mul", "bidirectional_rnn", {"merge_mode": "mul"}, "bidirectional, mul"),
    ("bi-ave", "bidirectional_rnn", {"merge_mode": "ave"}, "bidirectional, ave"),
)


def experiment() -> Experiment:
    variants = [Variant(name, builder=builder, api="functional", hyperparameters={**BODY, **own}, label=label, **FIT)
                for name, builder, own, label in VARIANTS]
    return Experiment(name=NAME, title=TITLE, dataset="future-tags", dataset_options=DATA, variants=variants,
                      description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF, analyze=analyze,
                      quick_samples=200, quick_epochs=1, quick_folds=1,
                      quick_variants=("forward", "bi-concat", "bi-sum"))  # every merge mode: tests/test_recurrent.py


## Analyse
def per_tag_accuracy(analysis: Analysis, variant: str) -> list[float | None]:
    """Token accuracy of one variant for each true tag (a, b, c, end), real tokens only."""
    import numpy as np

    key = f"{variant}/fold0"
    if f"{key}/y_score" not in analysis.predictions:
        return [None] * 4
    y = np.asarray(analysis.predictions[f"{key}/y_true"])
    predicted = np.asarray(analysis.predictions[f"{key}/y_score"]).argmax(axis=-1)
    return [float((predicted[y == tag] == tag).mean()) if (y == tag).any() else None for tag in range(4)]


def analyze(analysis: Analysis) -> list[Section]:
    entries = [v for v in analysis.record["variants"] if v["status"] == "completed"]
    names = list(analysis.dataset.class_names) if analysis.dataset is not None else ["a", "b", "c", "end"]
    rows, bars = [], []
    for entry in entries:
        tags = per_tag_accuracy(analysis, entry["name"])
        bars.append({"label": entry["label"], "values": [0.0 if t is None else round(t, 4) for t in tags]})
        curve = analysis.curve(entry["name"], "val_loss")
        early = curve[EARLY - 1] if len(curve) >= EARLY else None
        rows.append([entry["label"], entry["hyperparameters"].get("merge_mode", "—"), entry["parameter_count"],
                     round(entry_metric(entry, "token_accuracy"), 4), round(entry_metric(entry, "macro_f1"), 4),
                     round(entry_metric(entry, "exact_match"), 4), None if early is None else round(early, 4),
                     round(min(curve), 5) if curve else None, round(fit_seconds(entry), 1)])
    return [
        Table(title="Taggers: accuracy on real (unpadded) test tokens",
              columns=["variant", "merge", "parameters", "token accuracy", "macro F1", "whole sequence right",
                       f"validation loss after {EARLY} epochs", "lowest validation loss", "fit time (s)"], rows=rows,
              caption="concat doubles the features the per-step Dense head reads (2 × 24), so its head has "
                      "more weights; sum, mul and ave keep 24."),
        Bars(title="Accuracy per true tag", labels=names, series=bars, y_label="token accuracy",
             caption="a/b/c: the tag is (x[t+2] − 1) mod 3, unknowable from x[1..t]; end: t + 2 is past the end."),
        overlaid_curves(analysis, title="Validation loss per epoch", log_y=True),
        Text(title="What this run shows", body=_findings(analysis, entries)),
    ]


def _findings(analysis: Analysis, entries) -> str:
    if not entries:
        return "No variant completed."
    by = {e["name"]: e for e in entries}
    out = []
    ranked = sorted(entries, key=lambda e: -entry_metric(e, "token_accuracy"))
    out.append("Token accuracy, best first: " + ", ".join(
        f"{e['label']} {number(entry_metric(e, 'token_accuracy'))}" for e in ranked) + ".")
    if "forward" in by:
        tags = per_tag_accuracy(analysis, "forward")
        known = [t for t in tags[:3] if t is not None]
        if known:
            out.append(f"The forward-only LSTM gets {number(sum(known) / len(known))} of the a/b/c tags right "
                       "(chance is 1/3): at step t it has not read the token that decides the tag.")
    bidirectional = [e for e in entries if e["name"] != "forward"]
    if bidirectional and "forward" in by:
        best = max(bidirectional, key=lambda e: entry_metric(e, "token_accuracy"))
        out.append(f"Reading the sequence in both directions lifts token accuracy from "
                   f"{number(entry_metric(by['forward'], 'token_accuracy'))} to "
                   f"{number(entry_metric(best, 'token_accuracy'))} ({best['label']}).")
        spread = [entry_metric(e, "token_accuracy") for e in bidirectional]
        out.append(f"The merge modes differ by {number(max(spread) - min(spread))} in token accuracy: any merge "
                   "passes both directions' information on to the per-step head.")
        early = {e["label"]: analysis.curve(e["name"], "val_loss")[EARLY - 1] for e in bidirectional
                 if len(analysis.curve(e["name"], "val_loss")) >= EARLY}
        if early:
            out.append(f"They differ in speed: validation loss after {EARLY} epochs, lowest first: " + ", ".join(
                f"{label} {number(value, 4)}" for label, value in sorted(early.items(), key=lambda kv: kv[1]))
                + ". concat gives the head 2 × 24 features (and more weights); mul multiplies two tanh-bounded "
                "states, which shrinks their gradients where either is small.")
    if analysis.quick:
        out.append("Quick mode: 200 sequences and one epoch — no variant has learnt the task yet.")
    return "\n\n".join(out)


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
