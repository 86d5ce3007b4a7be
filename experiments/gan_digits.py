"""
Title: GANs that draw digits — dense GAN vs DCGAN vs Gaussian noise, scored by an FID-style distance
Description: a dense GAN and a deep convolutional GAN learn the 8×8 scikit-learn digits; sample grids
over the epochs, both losses, and a Fréchet distance between real and generated digits in the
feature space of a small digits classifier, so runs compare by one number.

Notes 001:3767-3921 train a GAN on images and look at generated pictures after 0 and many epochs;
002:245-249 state the task ("given MNIST images, generate new ones very similar but not the same").
Pictures alone do not rank models, so every run also computes an FID-style score: a one-hidden-layer
classifier (64 ReLU units, scikit-learn MLP) is fitted on the real digits, and the Fréchet distance
‖μ_r − μ_g‖² + Tr(Σ_r + Σ_g − 2(Σ_r Σ_g)^½) between the hidden activations of real and generated
digits says how far apart the two sets are as the classifier sees them (0: the same mean and
covariance; the FID does the same with Inception features). The baseline a generator must beat is
Gaussian noise that knows each pixel's mean and spread (FittedNoise). The DCGAN's generator upsamples
with Conv2DTranspose (2×2 → 4×4 → 8×8, 001:2131-2159); both GANs are trained by the keras-io
train_step (AdversarialTrainer: one Adam optimizer each). After every epoch 500 samples from fixed
latent vectors are scored against the training digits (history: fid) and 16 are kept for the grids.
"""

from __future__ import annotations

from functools import lru_cache

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Images, Lines, Section, Table, Text

NAME = "gan-digits"
TITLE = "Dense GAN vs DCGAN vs Gaussian noise on 8×8 digits: sample grids, losses and an FID-style score"
NOTES_REF = "001:3767-3921, 002:245-249, 001:2131-2159"

## Setup
DENSE = {"latent_dim": 16, "generator_units": (128, 128), "discriminator_units": (128,), "output_activation": "sigmoid"}
DC = {"latent_dim": 16, "generator_filters": (64, 32), "discriminator_filters": (32, 64)}
FIT = {"epochs": 150, "batch_size": 32, "learning_rate": 5e-4, "optimizer_options": {"beta_1": 0.5}, "patience": None}
KEEP = (1, 2, 5, 10, 20, 50, 100, 150, 200, 300)
SHOWN = 8


@lru_cache(maxsize=2)
def judge(seed: int = 0):
    """The feature space of the score: an MLP fitted on all 1797 real digits (like Inception, it is the
    judge, not a contender), and the training split's digits as the real reference set."""
    from kerasdl import data
    from kerasdl.models.generative import DigitFeatures

    digits = data.load("digits-generation")
    features = DigitFeatures(digits.features, digits.extras["digit"], seed=seed)
    return features, digits.features[digits.splits["train"]]


def _fid(samples) -> dict[str, float]:
    features, reference = judge()
    return {"fid": features.score(reference, samples)}


def _per_epoch():
    from kerasdl.models.generative import SampleScores

    return SampleScores(_fid, n=500, shown=SHOWN, keep=KEEP)


def _kept_samples(model, arrays) -> dict:
    """Probe: the sample grids the callback kept, by epoch, for the report."""
    kept = getattr(model, "epoch_samples", {})
    return {"epoch_samples": {str(epoch): samples[..., 0].round(3).tolist() for epoch, samples in sorted(kept.items())}}


def experiment() -> Experiment:
    from kerasdl.models.generative import FittedNoise
    from kerasdl.trainers import AdversarialTrainer

    ## Build the variants
    gan = {"trainer": AdversarialTrainer(), "callbacks": (_per_epoch,), "probe": _kept_samples, **FIT}
    variants = [
        Variant("dense-gan", builder="gan", hyperparameters=DENSE, label="dense GAN (G 128-128, D 128)", **gan),
        Variant("dcgan", builder="dcgan", hyperparameters=DC, label="DCGAN (Conv2DTranspose G, strided-conv D)",
                **gan),
        Variant("gaussian-noise", estimator=FittedNoise("normal", shape=(8, 8, 1)),
                label="Gaussian noise with each pixel's mean and sd"),
    ]
    ## Evaluate: generated digits vs the held-out digits
    return Experiment(name=NAME, title=TITLE, dataset="digits-generation", variants=variants, notes_ref=NOTES_REF,
                      description=__doc__.split("\n\n", 1)[1].strip(), evaluation="holdout", analyze=analyze,
                      quick_samples=150, quick_epochs=1, quick_folds=1)


## Analyse
def analyze(analysis) -> list[Section]:
    import numpy as np

    from kerasdl.report.study_helpers import entry_metric

    features, reference = judge()
    entries = [e for e in analysis.record["variants"] if e["status"] == "completed"]
    rows, found = [], {}
    real_test = None
    for entry in entries:
        key = f"{entry['name']}/fold0"
        if f"{key}/y_score" not in analysis.predictions:
            continue
        real_test = np.asarray(analysis.predictions[f"{key}/y_true"])
        generated = np.asarray(analysis.predictions[f"{key}/y_score"]).reshape(real_test.shape)
        found[entry["name"]] = score = features.score(real_test, generated)
        curve = analysis.curve(entry["name"], "fid")
        rows.append([entry["label"], round(score, 3), round(curve[0], 3) if curve else "—",
                     round(min(curve), 3) if curve else "—", round(entry_metric(entry, "wasserstein"), 4),
                     round(entry_metric(entry, "mmd2"), 4), round(entry_metric(entry, "ks"), 4),
                     entry["parameter_count"] if entry["kind"] == "keras" else 128])
    if real_test is not None:
        same = reference[: len(real_test)]
        found["real"] = floor = features.score(real_test, same)
        rows.append([f"real training digits ({len(same)}) vs the test digits (floor)", round(floor, 3), "—", "—",
                     "—", "—", "—", "—"])
    sections: list[Section] = [Table(
        title="Sample quality: FID-style distance to the held-out digits (lower is better)",
        columns=["generator", "FID-style vs test digits", "after epoch 1", "best epoch", "Wasserstein (pixels)",
                 "MMD²", "KS (pixels)", "parameters"],
        rows=rows,
        caption="FID-style: Fréchet distance between the 64 hidden ReLU activations of a digits classifier (fitted on "
                f"real digits; training accuracy {features.train_accuracy:.3f}) for real and generated digits. The "
                "'epoch' columns are the per-epoch score against the training digits (500 samples). Gaussian noise "
                "has 2 × 64 numbers: a mean and an sd per pixel.")]
    sections += _curves(analysis, entries, found)
    sections.append(_grids(analysis, entries))
    sections.append(Text(title="What this run shows", body=_findings(analysis, found)))
    return sections


def _curves(analysis, entries, found) -> list[Section]:
    fid, losses = [], []
    for entry in entries:
        curve = analysis.curve(entry["name"], "fid")
        if curve:
            fid.append({"label": entry["name"], "x": list(range(1, len(curve) + 1)), "y": curve})
        for key in ("d_loss", "g_loss"):
            values = analysis.curve(entry["name"], key)
            if values:
                losses.append({"label": f"{entry['name']}: {key}", "x": list(range(1, len(values) + 1)), "y": values})
    longest = max((len(s["x"]) for s in fid), default=0)
    for name in ("gaussian-noise", "real"):
        if name in found and longest:
            label = "Gaussian noise (no training)" if name == "gaussian-noise" else "real vs real (floor)"
            fid.append({"label": label, "x": [1, longest], "y": [found[name], found[name]]})
    out: list[Section] = []
    if fid:
        out.append(Lines(title="FID-style distance per epoch (500 samples vs the training digits)", series=fid,
                         x_label="epoch", y_label="Fréchet distance of classifier features", log_y=True,
                         caption="Flat lines: the baselines' distances to the test digits."))
    if losses:
        out.append(Lines(title="Discriminator and generator losses per epoch", series=losses, x_label="epoch",
                         y_label="binary cross-entropy",
                         caption="ln 2 = 0.693 is the equilibrium where D cannot tell real from generated."))
    return out


def _grids(analysis, entries) -> Images:
    import numpy as np

    images = []
    first = next((e for e in entries if f"{e['name']}/fold0/y_true" in analysis.predictions), None)
    if first is not None:
        real = np.asarray(analysis.predictions[f"{first['name']}/fold0/y_true"])[:SHOWN, ..., 0]
        images += [{"label": "real" if i == 0 else "", "pixels": p.round(3).tolist(), "range": [0, 1]}
                   for i, p in enumerate(real)]
    for entry in entries:
        if entry["kind"] != "keras":
            key = f"{entry['name']}/fold0/y_score"
            if key in analysis.predictions:
                noise = np.asarray(analysis.predictions[key]).reshape(-1, 8, 8)[:SHOWN]
                images += [{"label": entry["name"] if i == 0 else "", "pixels": p.round(3).tolist(), "range": [0, 1]}
                           for i, p in enumerate(noise)]
            continue
        kept = (entry["folds"][0].get("probe") or {}).get("epoch_samples", {}) if entry["folds"] else {}
        for epoch, samples in kept.items():
            images += [{"label": f"{entry['name']} epoch {epoch}" if i == 0 else "", "pixels": p, "range": [0, 1]}
                       for i, p in enumerate(samples[:SHOWN])]
    return Images(title="Samples over the epochs (same latent vectors in every row of a model)", images=images,
                  columns=SHOWN, caption="One row per model and epoch; the first row is real test digits.")


def _findings(analysis, found) -> str:
    out = []
    noise = found.get("gaussian-noise")
    for name in ("dense-gan", "dcgan"):
        if name not in found:
            continue
        curve = analysis.curve(name, "fid")
        line = f"{name}: FID-style distance to the test digits {found[name]:.3f}"
        if noise is not None:
            line += (f", {'below' if found[name] < noise else 'above'} Gaussian noise's {noise:.3f}"
                     f" ({found[name] / noise:.2f}×)")
        if len(curve) > 1:
            line += (f"; per epoch it went from {curve[0]:.3f} to {curve[-1]:.3f} (best {min(curve):.3f}), "
                     + ("improving over training" if curve[-1] < curve[0] else "not improving over training"))
        out.append(line + ".")
    if "real" in found:
        out.append(f"Two sets of real digits are {found['real']:.3f} apart: the floor no generator can beat with this "
                   "many samples.")
    if "dense-gan" in found and "dcgan" in found:
        winner = "DCGAN" if found["dcgan"] < found["dense-gan"] else "dense GAN"
        out.append(f"The {winner} draws digits closer to the real ones on this run.")
    if analysis.quick:
        out.append("Quick run: one epoch on 150 digits; run without --quick for the real comparison.")
    return "\n\n".join(out)


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
