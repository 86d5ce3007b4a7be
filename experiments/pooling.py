"""
Title: Pooling kinds — max, average, stochastic, global max, global average or none — and pool size 2 vs 3
Description: one CNN on 8×8 digits with the pooling changed and nothing else: parameters (global
pooling shrinks the dense layer), accuracy, robustness to one-pixel shifts, and time.

Notes 001:2006-2072 list max, average, global max and global average pooling and credit pooling with
dimensionality reduction — fewer parameters downstream — and translation invariance, at the price
of lost information. Every variant here is the `cnn` builder with two 3×3 convolutional blocks of 16
and 32 filters and a 64-unit dense head; only `pool` and `pool_size` change. "None" keeps the maps at
8×8 (stride 1) or shrinks them with stride-2 convolutions instead (the strided alternative of
001:2079-2117). "Stochastic" is the third window rule of 001:2121 (Zeiler & Fergus 2013,
`kerasdl.layers.StochasticPooling2D`): in training each 2×2 window outputs one of its activations,
drawn with probability proportional to its value; at test time the probability-weighted average.
A local pool is skipped when the map is already smaller than the window (8 → 2 after
a 3×3 pool, so the second 3×3 pool has nothing to do), which the table shows as the maps the head reads.
"""

from __future__ import annotations

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Bars, Section, Table, Text

NAME = "pooling"
TITLE = "Pooling: max / average / stochastic / global max / global average / none, pool size 2 vs 3"
NOTES_REF = "001:2006-2072, 001:2121"

## Setup
BODY = {"filters": (16, 32), "kernel_size": 3, "dense_units": (64,)}
FIT = {"epochs": 40, "batch_size": 64, "patience": 8, "learning_rate": 3e-3}

# name, hyperparameters beyond BODY, label
VARIANTS = (
    ("max-2", {"pool": "max", "pool_size": 2}, "max pool 2×2"),
    ("max-3", {"pool": "max", "pool_size": 3}, "max pool 3×3"),
    ("avg-2", {"pool": "avg", "pool_size": 2}, "average pool 2×2"),
    ("avg-3", {"pool": "avg", "pool_size": 3}, "average pool 3×3"),
    ("stochastic-2", {"pool": "stochastic", "pool_size": 2}, "stochastic pool 2×2"),
    ("global-max", {"pool": "global_max"}, "global max pool"),
    ("global-avg", {"pool": "global_avg"}, "global average pool"),
    ("none", {"pool": None}, "no pooling, stride 1"),
    ("none-stride-2", {"pool": None, "strides": 2}, "no pooling, stride-2 convolutions"),
)


def experiment() -> Experiment:
    """Nine variants of one CNN, one holdout split, the same fit settings."""
    from kerasdl.probes import DIGITS_HOLDOUT, shifted_accuracy_probe

    probe = shifted_accuracy_probe()
    ## Build the variants
    variants = [Variant(name, builder="cnn", hyperparameters={**BODY, **own}, label=label, probe=probe, **FIT)
                for name, own, label in VARIANTS]
    ## Evaluate: one stratified 60/20/20 holdout of the digits
    return Experiment(name=NAME, title=TITLE, variants=variants, description=__doc__.split("\n\n", 1)[1].strip(),
                      notes_ref=NOTES_REF, analyze=analyze, **DIGITS_HOLDOUT,
                      # --quick: the variants the parameter and shift analyses compare
                      quick_variants=("max-2", "stochastic-2", "global-avg", "none"))


## Analyse
def analyze(analysis) -> list[Section]:
    """Parameter table, dense-layer parameter bars, validation curves, findings."""
    from kerasdl.report.study_helpers import (entry_metric, feature_shape, fit_seconds, layer_params, probe_mean,
                                              val_loss_section)

    entries = [v for v in analysis.record["variants"] if v["status"] == "completed"]
    rows = []
    for entry in entries:
        hyper = entry["hyperparameters"]
        local = hyper.get("pool") in ("max", "avg", "stochastic")
        pools = sum(1 for r in entry["model_summary"]
                    if r["type"] in ("MaxPooling2D", "AveragePooling2D", "StochasticPooling2D"))
        rows.append([entry["label"], str(hyper.get("pool")), hyper.get("pool_size") if local else "—",
                     pools if local else "—", feature_shape(entry), layer_params(entry, names=("dense_1",)),
                     entry["parameter_count"], round(entry_metric(entry), 4),
                     round(probe_mean(entry, "shifted_accuracy"), 4), round(fit_seconds(entry), 1)])
    return [
        Table(title="Pooling kind and size: parameters, accuracy, time",
              columns=["variant", "pool", "pool size", "local pools used", "maps the head reads",
                       "first dense layer parameters", "parameters", "test accuracy", "accuracy, shifted 1 px",
                       "fit time (s)"],
              rows=rows,
              caption="The first dense layer has (features in + 1) × 64 parameters: the maps the head reads, "
                      "flattened — or, after global pooling, one value per channel."),
        Bars(title="Parameters of the first dense layer", y_label="parameters",
             labels=[e["label"] for e in entries],
             series=[{"label": "first dense layer", "values": [layer_params(e, names=("dense_1",)) for e in entries]},
                     {"label": "all layers", "values": [e["parameter_count"] for e in entries]}]),
        val_loss_section(analysis, entries, title="Validation loss per epoch"),
        Text(title="What this run shows", body=_findings(entries)),
    ]


def _findings(entries) -> str:
    from kerasdl.report.study_helpers import accuracy_noise, entry_metric, layer_params, probe_mean, still_improving

    by = {e["name"]: e for e in entries}
    out = []
    if "none" in by and "global-avg" in by and "max-2" in by:
        none, glob, local = (layer_params(by[n], names=("dense_1",)) for n in ("none", "global-avg", "max-2"))
        out.append(
            f"Parameters (001:2062): without pooling the head reads all 8×8×32 activations and its first dense "
            f"layer has {none:,} parameters; two 2×2 max pools cut that to {local:,} and global pooling, one value "
            f"per channel, to {glob:,} ({none / max(glob, 1):.0f}× fewer than none).")
    drops = {e["label"]: entry_metric(e) - probe_mean(e, "shifted_accuracy") for e in entries}
    if drops:
        best = min(drops, key=drops.get)
        worst = max(drops, key=drops.get)
        out.append(
            f"Translation (001:2064): shifting every test digit by one pixel costs between {drops[best]:.3f} "
            f"({best}) and {drops[worst]:.3f} ({worst}) accuracy. "
            + _global_vs_none(by, drops))
    if entries:
        n_test = entries[0]["folds"][0]["n_test"]
        accs = {e["label"]: entry_metric(e) for e in entries}
        top = max(accs, key=accs.get)
        low = min(accs, key=accs.get)
        se = accuracy_noise(accs[top], n_test)
        out.append(
            f"Accuracy: from {accs[low]:.4f} ({low}) to {accs[top]:.4f} "
            f"({top}) on {n_test} test digits, where one standard error is about {se:.4f}; only gaps above "
            f"≈{2 * se:.3f} separate variants.")
        pairs = [("max vs average, 2×2", "max-2", "avg-2"), ("max vs average, 3×3", "max-3", "avg-3"),
                 ("stochastic vs max, 2×2", "stochastic-2", "max-2"),
                 ("stochastic vs average, 2×2", "stochastic-2", "avg-2"),
                 ("max 3×3 vs 2×2", "max-3", "max-2"), ("average 3×3 vs 2×2", "avg-3", "avg-2")]
        listing = [f"{text}: {entry_metric(by[a]):.4f} vs {entry_metric(by[b]):.4f}"
                   for text, a, b in pairs if a in by and b in by]
        if listing:
            out.append("Pairs: " + "; ".join(listing) + ".")
    out.append(still_improving(entries))
    return "\n\n".join(part for part in out if part)


def _global_vs_none(by, drops) -> str:
    names = [n for n in ("global-max", "global-avg") if n in by]
    if "none" not in by or not names:
        return ""
    none_drop = drops[by["none"]["label"]]
    smaller = [n for n in names if drops[by[n]["label"]] < none_drop]
    if len(smaller) == len(names):
        return (f"Both global poolings lose less than no pooling ({none_drop:.3f}), as the notes' invariance "
                "argument predicts: a channel's maximum or mean hardly depends on where, away from the border, "
                "the feature is.")
    return (f"Not every global pooling loses less than no pooling ({none_drop:.3f}) here, so this run does not "
            "show the invariance the notes attribute to pooling for all kinds.")


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
