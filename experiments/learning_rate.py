"""
Title: Learning rate — too low, right, too high, and decaying it (step, exponential, cosine, on plateau)
Description: One MLP on the handwritten digits trained by plain SGD at learning rates from 1e-4 to 3,
then from a good (0.5) and a too-high (1.5) start under Keras's step, exponential and cosine schedules
and ReduceLROnPlateau;
training-loss curves, epochs to a target loss, the learning rate per epoch, test accuracy.

The notes ask for a learning rate "neither too low nor too high": "very large steps … may skip the
global minima", "very small steps … will take forever to converge" (001:915-919; again 001:1208 and
001:274). Their hyperparameter list (001:3123) says the opposite of the first half: "A lower learning
rate makes the network train faster but might result in missing the minimum" — this study measures
which is right. The notes also say that to make SGD settle "we need to slowly reduce the value of the
learning rate" (001:977) and name "learning rate scheduling" as the remedy for noisy SGD (001:278).

## Setup
Every variant trains the same 64-unit ReLU MLP from the same initial weights (same seed) on the
dataset's 60/20/20 split of the 8×8 digits, with plain SGD (no momentum), batch 32 and 30 epochs,
without early stopping, so the learning rate is the only difference. The sweep: 1e-4, 1e-3, 1e-2,
0.1, 1 and 3. The schedules are Keras's own — `PiecewiseConstantDecay` (step: ×0.1 after epochs 10 and
20), `ExponentialDecay` (×0.9 per epoch, applied smoothly step by step), `CosineDecay` (to 0 over the
30 epochs) inside the optimizer, and the `ReduceLROnPlateau` callback (halve the rate when the
validation loss has not improved for 2 epochs) — each from two starting rates beside the same rate held
constant: 0.5, a rate that trains well, and 1.5, a rate too high to train at constantly. The schedules
count optimizer steps; the step counts per epoch come from the full training split, so in `--quick`
(fewer rows) they decay more slowly.
"""

from __future__ import annotations

import math
from typing import Any

from kerasdl.harness import Analysis, Experiment, Variant
from kerasdl.report.sections import Finding, Lines, Section, Table, Text
from kerasdl.report.study_helpers import labels, metric, number, overlaid_curves

NAME = "learning-rate"
TITLE = "Learning rate: too low, right, too high; step, exponential, cosine and on-plateau decay"
NOTES_REF = "001:274-278, 001:915-919, 001:977, 001:1208, 001:3123"

MLP = {"units": [64], "activation": "relu"}
EPOCHS, BATCH = 30, 32
RATES = (1e-4, 1e-3, 1e-2, 0.1, 1.0, 3.0)
STARTS = (0.5, 1.5)
DECAYS = ("constant", "step", "exponential", "cosine", "plateau")
TARGET_LOSS = 0.2        # training cross-entropy; the untrained network starts near ln 10 ≈ 2.3
FIT = {"optimizer": "sgd", "epochs": EPOCHS, "batch_size": BATCH, "patience": None}


def _rate_name(rate: float) -> str:
    return f"lr-{rate:g}"


def _schedules(start: float, steps_per_epoch: int) -> dict[str, tuple[str, Any]]:
    """decay → (label, a keras.optimizers.schedules schedule) for the in-optimizer decays from `start`."""
    import keras

    schedules = keras.optimizers.schedules
    step = steps_per_epoch
    return {
        "step": (f"step decay from {start:g} (×0.1 after epochs 10, 20)", schedules.PiecewiseConstantDecay(
            [10 * step, 20 * step], [start, start / 10, start / 100])),
        "exponential": (f"exponential decay from {start:g} (×0.9 per epoch)", schedules.ExponentialDecay(
            start, decay_steps=step, decay_rate=0.9)),
        "cosine": (f"cosine decay from {start:g} to 0", schedules.CosineDecay(start, decay_steps=EPOCHS * step)),
    }


def _decay_name(decay: str, start: float) -> str:
    return f"{decay}-{start:g}"


def experiment() -> Experiment:
    import keras

    from kerasdl import data
    from kerasdl.optimizers import LearningRateLog

    ## The constant-rate sweep
    variants = [Variant(_rate_name(rate), builder="mlp", label=f"constant {rate:g}", hyperparameters=MLP,
                        learning_rate=rate, callbacks=(LearningRateLog,), **FIT) for rate in RATES]
    ## The schedules: serialized into optimizer_options, so the record shows each schedule's config
    steps = math.ceil(len(data.load("digits").splits["train"]) / BATCH)
    for start in STARTS:
        variants.append(Variant(_decay_name("constant", start), builder="mlp", label=f"constant {start:g}",
                                hyperparameters=MLP, learning_rate=start, callbacks=(LearningRateLog,), **FIT))
        for decay, (label, schedule) in _schedules(start, steps).items():
            variants.append(Variant(
                _decay_name(decay, start), builder="mlp", label=label, hyperparameters=MLP, learning_rate=start,
                callbacks=(LearningRateLog,),
                optimizer_options={"learning_rate": keras.optimizers.schedules.serialize(schedule)}, **FIT))
        variants.append(Variant(
            _decay_name("plateau", start), builder="mlp", label=f"ReduceLROnPlateau from {start:g} (×0.5, patience 2)",
            hyperparameters=MLP, learning_rate=start, **FIT,
            callbacks=(lambda: keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2,
                                                                 min_lr=1e-4),)))
    return Experiment(
        name=NAME, title=TITLE, dataset="digits", variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF,
        evaluation="holdout", headline_metric="accuracy", analyze=analyze,
        quick_samples=200, quick_epochs=2, quick_folds=1,
        quick_variants=("lr-0.001", "lr-1", "cosine-1.5"),
    )


## Analyse: how fast each rate gets the training loss down, and where it ends
def epochs_to(curve: list[float], target: float) -> int | None:
    """The first epoch (1-based) whose training loss is at or below `target`, None if none is."""
    return next((i + 1 for i, value in enumerate(curve) if math.isfinite(value) and value <= target), None)


def _measured(analysis: Analysis) -> dict[str, dict[str, Any]]:
    out = {}
    for entry in analysis.record["variants"]:
        name = entry["name"]
        loss = analysis.curve(name, "loss")
        if not loss:
            continue
        out[name] = {"loss": loss, "val_loss": analysis.curve(name, "val_loss"),
                     "rate": analysis.curve(name, "learning_rate"), "final": loss[-1],
                     "best_val": min((v for v in analysis.curve(name, "val_loss") if math.isfinite(v)),
                                     default=float("nan")),
                     "to_target": epochs_to(loss, TARGET_LOSS), "status": entry["status"],
                     "accuracy": metric(analysis.record, name, "accuracy")}
    return out


def _finding(found: dict[str, dict[str, Any]], names: dict[str, str], quick: bool) -> Finding:
    sweep = [_rate_name(r) for r in RATES if _rate_name(r) in found]
    claim = "\"A lower learning rate makes the network train faster\""
    if len(sweep) < 2:
        return Finding("Does a lower learning rate train faster?", claim=claim, notes_ref="001:3123",
                       answer="Fewer than two constant rates finished, so this run cannot answer.")
    low = sweep[0]
    fastest = min(sweep, key=lambda n: (found[n]["to_target"] or EPOCHS + 1, found[n]["final"]))
    reached = {n: found[n]["to_target"] for n in sweep}

    def reached_at(name: str) -> str:
        epoch = reached[name]
        return (f"in {epoch} epoch{'s' * (epoch != 1)} at {names[name]}" if epoch else
                f"not within {len(found[name]['loss'])} epochs at {names[name]} (final training loss "
                f"{number(found[name]['final'])})")

    later = sweep[sweep.index(fastest) + 1:]
    if fastest == low:
        answer = (f"In this run the lowest rate, {names[low]}, got the training loss lowest fastest "
                  f"(final {number(found[low]['final'])}), so the claim is not contradicted here.")
    elif reached[fastest]:
        answer = (f"No — the opposite: plain SGD brought the training loss to {TARGET_LOSS} {reached_at(fastest)}, "
                  f"and {reached_at(low)}: a lower rate trains slower.")
    else:
        answer = (f"No — the opposite: after {len(found[fastest]['loss'])} epochs the training loss is "
                  f"{number(found[fastest]['final'])} at {names[fastest]} against {number(found[low]['final'])} at "
                  f"{names[low]}: a lower rate trains slower.")
    if later and fastest != low:
        answer += (" The notes' other warning holds: the larger rates "
                   + ("end worse" if any(found[n]["final"] > found[fastest]["final"] for n in later)
                      else "do not end better") + " than that one (001:915-919).")
    if quick:
        answer += " (Quick run: 2 epochs on 200 digits; the full run gives the numbers.)"
    return Finding("Does a lower learning rate train faster?", claim=claim, notes_ref="001:3123", answer=answer,
                   figure="Training loss per epoch: the constant-rate sweep")


def _story(found, names) -> str:
    parts = []
    sweep = [_rate_name(r) for r in RATES if _rate_name(r) in found]
    if sweep:
        parts.append("Constant rates, final training loss after the epoch budget: " + ", ".join(
            f"{names[n]} {number(found[n]['final'])} ({found[n]['status']})" for n in sweep) + ".")
        best = min(sweep, key=lambda n: found[n]["best_val"] if math.isfinite(found[n]["best_val"]) else math.inf)
        text = (f"Lowest validation loss among them: {names[best]} ({number(found[best]['best_val'])}, test "
                f"accuracy {number(found[best]['accuracy'])}).")
        low, top = sweep[0], sweep[-1]
        if found[low]["final"] > found[best]["final"]:
            text += (f" The smallest rate, {names[low]}, is still at {number(found[low]['final'])} when the budget "
                     "ends: its steps are too small to get anywhere in 30 epochs.")
        if top != best and found[top]["final"] > found[best]["final"]:
            text += (f" The largest, {names[top]}, ends at {number(found[top]['final'])} (an untrained network scores "
                     f"ln 10 ≈ {number(math.log(10))}): its steps overshoot.")
        parts.append(text)
    for start in STARTS:
        decays = [_decay_name(d, start) for d in DECAYS if _decay_name(d, start) in found]
        if not decays:
            continue
        parts.append(f"Starting from {start:g}: " + "; ".join(
            f"{names[n]} ends at training loss {number(found[n]['final'])}, best validation loss "
            f"{number(found[n]['best_val'])}, test accuracy {number(found[n]['accuracy'])}" for n in decays) + ".")
        constant = _decay_name("constant", start)
        if constant in found:
            # "clearly": more than 5% lower — smaller differences are within what another seed changes
            better = [n for n in decays if n != constant and found[n]["best_val"] < 0.95 * found[constant]["best_val"]]
            parts.append((f"Clearly (by more than 5%) below the constant {start:g}'s best validation loss: "
                          + ", ".join(names[n] for n in better) + ".") if better else
                         f"No decay from {start:g} beat the constant rate's best validation loss by more than 5%.")
    return "\n\n".join(parts) or "No variant finished."


def analyze(analysis: Analysis) -> list[Section]:
    names = labels(analysis.record)
    found = _measured(analysis)
    sweep = [_rate_name(r) for r in RATES if _rate_name(r) in found]
    decays = {start: [_decay_name(d, start) for d in DECAYS if _decay_name(d, start) in found] for start in STARTS}
    rows = [[names[n], found[n]["rate"][0] if found[n]["rate"] else None, found[n]["final"], found[n]["best_val"],
             found[n]["to_target"], found[n]["accuracy"], found[n]["status"]]
            for n in sweep + [n for start in STARTS for n in decays[start]]]
    return [
        _finding(found, names, analysis.quick),
        overlaid_curves(analysis, "loss", title="Training loss per epoch: the constant-rate sweep",
                        y_label="training loss (cross-entropy)", log_y=True, variants=sweep,
                        caption=f"Plain SGD, batch {BATCH}; the table gives the epochs each rate needed to reach "
                                f"{TARGET_LOSS}."),
        *(overlaid_curves(analysis, "val_loss", title=f"Validation loss per epoch: decay schedules from {start:g}",
                          log_y=True, variants=decays[start],
                          caption=f"Every line starts at learning rate {start:g}.")
          for start in STARTS if decays[start]),
        Lines(title="Learning rate per epoch", x_label="epoch", y_label="learning rate", log_y=True,
              series=[{"label": names[n], "x": list(range(1, len(found[n]["rate"]) + 1)), "y": found[n]["rate"]}
                      for start in STARTS for n in decays[start] if found[n]["rate"]],
              caption="The rate at the end of each epoch (logged from the optimizer; ReduceLROnPlateau logs its own)."),
        Table(title="Learning rates side by side",
              columns=["variant", "first-epoch rate", "final training loss", "best validation loss",
                       f"epochs to training loss ≤ {TARGET_LOSS}", "test accuracy", "status"], rows=rows),
        Text(title="What this run shows", body=_story(found, names)),
    ]


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
