"""
Title: Batch size — from one example per update to the full training set
Description: The same MLP trained by plain gradient descent on the breast-cancer data with batch sizes
1, the notes' grid 10-90 and the full training set: epochs to the best validation loss, time per epoch,
accuracy.

The notes describe the three regimes (001:940-1013, 004:219-225): gradient descent updates once per
pass over the data, stochastic gradient descent once per example ("1000 rows … update the model
parameters 1000 times in one complete cycle"), mini-batch gradient descent once per batch,
θ = θ − α·∇J(θ; B(i)). Their grid-search example (001:3139) tries "batch sizes between 10-100 samples,
in steps of 20", i.e. 10, 30, 50, 70 and 90, and keeps the best. This study runs exactly that grid plus
the two extremes, batch size 1 (SGD) and every training row at once (full-batch GD), with the
optimiser the notes write down (plain SGD, one fixed learning rate) so that the batch size is the only
thing that changes. Every variant gets at most 50 epochs; early stopping (patience 10 on validation
loss, best weights restored) may end a run sooner. A callback times the training part of every epoch
(without the validation pass, which costs the same for every batch size). The notes also claim that
SGD "is faster than … Batch Gradient Descent and Mini-Batch Gradient Descent since it uses only one
example to update the parameters" (001:263); the table gives the three readings of "faster": time per
update, time per epoch, and training time to a target training loss (the highest loss every batch size
reached, so the time is defined for all).
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from kerasdl.harness import Analysis, Experiment, Variant
from kerasdl.report.sections import Lines, Section, Table, Text
from kerasdl.report.study_helpers import fold_probes, labels, metric, number, overlaid_curves

NAME = "batch-size"
TITLE = "Batch size: SGD (1), the notes' grid 10-90 and full-batch gradient descent on breast cancer"
NOTES_REF = "001:263, 001:940-1013, 001:3139, 004:219-225"

## Setup
NOTES_GRID = list(range(10, 100, 20))          # 001:3139: "between 10-100 samples, in steps of 20" → 5 runs
BATCH_SIZES: list[int | str] = [1, *NOTES_GRID, "full"]
MLP = {"units": [16, 8], "activation": "relu"}
# 50 epochs: batch size 1 makes ~340 updates per epoch, so it dominates the run time; full-batch GD gets
# 50 updates in the same budget, which is the trade-off the study shows.
FIT = {"optimizer": "sgd", "learning_rate": 0.01, "epochs": 50, "patience": 10}


def _variant(batch_size: int | str) -> Variant:
    from kerasdl.callbacks import EpochClock  # imports Keras: only when the experiment is built

    clock = EpochClock()
    label = {1: "batch 1 (SGD)", "full": "full batch (GD)"}.get(batch_size, f"batch {batch_size}")
    return Variant(f"batch-{batch_size}", builder="mlp", label=label, hyperparameters=MLP,
                   batch_size=batch_size, callbacks=(clock.callback,),
                   probe=lambda model, arrays: {"epoch_seconds": clock.take(), "n_train": len(arrays.x_train)},
                   **FIT)


def experiment() -> Experiment:
    ## Build the variants: one per batch size, everything else identical
    variants = [_variant(size) for size in BATCH_SIZES]
    ## Evaluate: the dataset's own 60/20/20 holdout split
    return Experiment(
        name=NAME, title=TITLE, dataset="breast-cancer", variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF,
        evaluation="holdout", headline_metric="accuracy", analyze=analyze,
        quick_samples=300, quick_epochs=2, quick_folds=1,
        # --quick: SGD, two of the notes' grid (so the grid search has a choice to make) and full batch
        quick_variants=("batch-1", "batch-10", "batch-50", "batch-full"),
    )


## Analyse: speed per epoch against progress per epoch
def _measure(record: dict[str, Any], name: str, batch_size: int | str) -> dict[str, Any] | None:
    entry = next((v for v in record["variants"] if v["name"] == name), None)
    probes = fold_probes(record, name)
    if entry is None or not probes or not entry["folds"]:
        return None
    fold, probe = entry["folds"][0], probes[0]
    seconds = probe.get("epoch_seconds") or []
    n_train = probe["n_train"]
    size = n_train if batch_size == "full" else int(batch_size)
    updates = math.ceil(n_train / size)
    best = fold.get("best_epoch")
    return {"size": size, "updates_per_epoch": updates, "epochs_run": fold.get("epochs_run"), "best_epoch": best,
            "updates_to_best": updates * best if best else None,
            # the first epoch also traces the training graph; the median is the steady-state cost
            "seconds_per_epoch": statistics.median(seconds) if seconds else float("nan"),
            "seconds_to_best": sum(seconds[:best]) if best and seconds else float("nan"),
            "seconds": seconds, "accuracy": metric(record, name, "accuracy"),
            "roc_auc": metric(record, name, "roc_auc")}


def _loss_within(found: dict[str, dict], budget: float) -> dict[str, float]:
    """Lowest validation loss each variant reached within `budget` seconds of training (whole epochs)."""
    reached = {}
    for name, m in found.items():
        elapsed, best = 0.0, None
        for seconds, loss in zip(m["seconds"], m["curve"]):
            elapsed += seconds
            if elapsed > budget * (1 + 1e-9):
                break
            best = loss if best is None else min(best, loss)
        if best is not None:
            reached[name] = best
    return reached


def time_to_loss(seconds: list[float], curve: list[float], target: float | None) -> tuple[int | None, float | None]:
    """(first epoch whose training loss is ≤ target, training seconds until the end of it), None if never."""
    if target is None:
        return None, None
    elapsed = 0.0
    for epoch, (spent, loss) in enumerate(zip(seconds, curve), start=1):
        elapsed += spent
        if loss <= target * (1 + 1e-9):
            return epoch, elapsed
    return None, None


def _faster(found: dict[str, dict], names: dict[str, str], target: float | None) -> str:
    """001:263 read three ways: per update, per epoch, to a given training loss."""
    if len(found) < 2 or not all("seconds_per_update" in m for m in found.values()):
        return ""
    per_update = min(found, key=lambda n: found[n]["seconds_per_update"])
    per_epoch = min(found, key=lambda n: found[n]["seconds_per_epoch"])
    text = (f"Is SGD faster (001:263)? Per update, yes: {names[per_update]} is cheapest, "
            f"{number(1000 * found[per_update]['seconds_per_update'])} ms per update"
            if found[per_update]["size"] == min(m["size"] for m in found.values()) else
            f"Is SGD faster (001:263)? Per update the cheapest is {names[per_update]} "
            f"({number(1000 * found[per_update]['seconds_per_update'])} ms per update)")
    text += (f"; per epoch, no: {names[per_epoch]} takes the least time per pass "
             f"({number(found[per_epoch]['seconds_per_epoch'])} s)" if found[per_epoch]["size"] > 1 else
             f"; per epoch it is also the fastest ({number(found[per_epoch]['seconds_per_epoch'])} s)")
    reached = {n: m["seconds_to_target"] for n, m in found.items() if m["seconds_to_target"] is not None}
    if target is not None and reached:
        first = min(reached, key=reached.get)
        text += (f". To training loss {number(target)} (the highest loss every batch size reached), the first "
                 f"there is {names[first]} after {number(reached[first], 2)} s of training, against "
                 + ", ".join(f"{names[n]} {number(v, 2)} s" for n, v in sorted(reached.items(), key=lambda kv: kv[1])
                             if n != first) + ".")
    return text + ("" if text.endswith(".") else ".")


def _story(found: dict[str, dict], names: dict[str, str], max_epochs: int) -> str:
    if not found:
        return "No variant finished."

    def by(key, pick):
        return pick(found, key=lambda n: found[n][key])

    parts = []
    fewest, most = by("best_epoch", min), by("best_epoch", max)
    if found[fewest]["best_epoch"] == found[most]["best_epoch"]:
        parts.append(f"Every batch size reached its lowest validation loss at epoch {found[fewest]['best_epoch']}.")
    else:
        parts.append(f"Epochs to the lowest validation loss range from {found[fewest]['best_epoch']} "
                     f"({names[fewest]}, {found[fewest]['updates_per_epoch']} updates per epoch) to "
                     f"{found[most]['best_epoch']} ({names[most]}, {found[most]['updates_per_epoch']} per epoch).")
    capped = [n for n in found if found[n]["best_epoch"] == found[n]["epochs_run"] == max_epochs]
    if capped:
        parts.append("Still improving when the epoch budget ran out (best epoch = last of "
                     f"{max_epochs}): {', '.join(names[n] for n in capped)}.")
    quick, slow = by("seconds_per_epoch", min), by("seconds_per_epoch", max)
    parts.append(f"Training time per epoch (median): {number(found[slow]['seconds_per_epoch'])} s for "
                 f"{names[slow]} against {number(found[quick]['seconds_per_epoch'])} s for {names[quick]} "
                 f"(×{number(found[slow]['seconds_per_epoch'] / found[quick]['seconds_per_epoch'], 1)})"
                 + (": every update has a fixed cost, so many small batches take longer per pass than a few "
                    "large ones." if found[slow]["size"] < found[quick]["size"] else "."))
    reached = _loss_within(found, budget := min(sum(m["seconds"]) for m in found.values()))
    if reached:
        first = min(reached, key=reached.get)
        parts.append(f"Given the same training time — {number(budget, 1)} s, all that the quickest run "
                     f"({names[min(found, key=lambda n: sum(found[n]['seconds']))]}) used — the lowest validation "
                     "loss each batch size had reached: " + ", ".join(
                         f"{names[n]} {number(v)}" for n, v in reached.items())
                     + f"; {names[first]} got furthest in that time.")
    accuracies = {n: found[n]["accuracy"] for n in found if math.isfinite(found[n]["accuracy"])}
    if accuracies:
        top, low = max(accuracies, key=accuracies.get), min(accuracies, key=accuracies.get)
        parts.append(f"Test accuracy ranges from {number(accuracies[low])} ({names[low]}) to "
                     f"{number(accuracies[top])} ({names[top]}).")
    grid = [f"batch-{b}" for b in NOTES_GRID if f"batch-{b}" in found]
    faster = _faster(found, names, next(iter(found.values())).get("target"))
    if faster:
        parts.append(faster)
    if grid:
        chosen = min(grid, key=lambda n: found[n]["best_val_loss"])
        parts.append(f"The notes' grid search over {', '.join(map(str, NOTES_GRID))} (001:3139), judged on the "
                     f"validation split as a search must be (not on the test rows), picks {names[chosen]} "
                     f"(validation loss {number(found[chosen]['best_val_loss'])}); its test accuracy is "
                     f"{number(found[chosen]['accuracy'])}.")
    return "\n\n".join(parts)


def analyze(analysis: Analysis) -> list[Section]:
    record = analysis.record
    names = labels(record)
    found = {}
    for size in BATCH_SIZES:
        name = f"batch-{size}"
        measured = _measure(record, name, size)
        if measured is not None:
            measured["curve"] = analysis.curve(name, "val_loss")
            measured["best_val_loss"] = min(measured["curve"] or [float("nan")])
            found[name] = measured
    losses = {name: analysis.curve(name, "loss") for name in found}
    lows = [min(c) for c in losses.values() if c and all(math.isfinite(v) for v in c)]
    target = max(lows) if lows else None
    for name, m in found.items():
        m["seconds_per_update"] = m["seconds_per_epoch"] / m["updates_per_epoch"]
        m["epochs_to_target"], m["seconds_to_target"] = time_to_loss(m["seconds"], losses[name], target)
        m["target"] = target
    max_epochs = min(FIT["epochs"], record["variants"][0]["fit"]["epochs"]) if record["variants"] else FIT["epochs"]
    by_time = []
    for name, m in found.items():
        curve = analysis.curve(name, "val_loss")
        elapsed, total = [], 0.0
        for s in m["seconds"][:len(curve)]:
            total += s
            elapsed.append(total)
        by_time.append({"label": names[name], "x": elapsed, "y": curve[:len(elapsed)]})
    rows = [[m["size"], m["updates_per_epoch"], m["epochs_run"], m["best_epoch"], m["updates_to_best"],
             m["seconds_per_epoch"], 1000 * m["seconds_per_update"], m["epochs_to_target"], m["seconds_to_target"],
             m["seconds_to_best"], m["best_val_loss"], m["accuracy"], m["roc_auc"]]
            for m in found.values()]
    return [
        overlaid_curves(analysis, title="Validation loss per epoch", log_y=True,
                        caption=(f"One line per batch size; at most {FIT['epochs']} epochs, early "
                                 f"stopping with patience {FIT['patience']}.")),
        Lines(title="Validation loss against training time", x_label="training seconds",
              y_label="validation loss", log_y=True, series=by_time,
              caption="Cumulative training time of the epochs (validation passes excluded), so progress per "
                      "second can be compared across batch sizes."),
        Table(title="Batch size, epochs, time per epoch and accuracy",
              columns=["batch size", "updates per epoch", "epochs run", "epochs to best val loss",
                       "updates to best", "s per epoch (median)", "ms per update",
                       "epochs to target loss", "s to target loss", "s to best epoch", "best val loss",
                       "test accuracy", "test ROC AUC"],
              rows=rows,
              caption=f"Plain SGD, learning rate {FIT['learning_rate']}, at most {max_epochs} epochs; the "
                      "weights of the best validation epoch are restored before testing. Target loss: "
                      f"training loss {number(target)}, the highest of the lowest training losses of all batch "
                      "sizes (Keras's per-epoch mean over the epoch's batches)."),
        Text(title="What this run shows", body=_story(found, names, max_epochs)),
    ]


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
