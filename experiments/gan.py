"""
Title: A GAN learns the heights of students, N(150, 30) — implicit vs explicit generative models
Description: a dense GAN (generator and discriminator trained in turn, two optimizers) against the
notes' explicit recipe (fit the normal's μ and σ, then sample) and a wrong-family explicit model
(uniform), judged by a QQ plot, the KS test, KL and JS divergence and a discriminator's log loss.

Notes 002:245-301 start the GAN story with a 1-D problem: given the heights of students, D ~ N(150, 30),
generate D' that looks the same. The explicit way (steps 1-2) finds the distribution and its
parameters and samples from it; step 3 measures how similar D and D' are — QQ plot, KS test, KL
divergence — or trains a model to tell D (class 1) from D' (class 0): if its log loss stays high
(near ln 2 = 0.693) it cannot, and D' ≈ D. A GAN (001:3767-3921) makes that classifier the
discriminator and trains the generator against it, without ever writing the density down (an
implicit model). Dataset `heights`: 3000 heights drawn from N(150, 30) with a fixed seed. The GAN
works in metres (fixed rescaling layers: the discriminator divides by 100, the generator's output is
multiplied by 100), so values are near 1 without telling it the mean or the spread, which it must
learn; its output is in centimetres. After every epoch 1000 samples from fixed latent vectors are
scored against N(150, 30) (history: ks, kl, js).
"""

from __future__ import annotations

from functools import lru_cache

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Histogram, Lines, Scatter, Section, Table, Text

NAME = "gan"
TITLE = "GAN on heights N(150, 30): QQ plot, KS, KL/JS and discriminator log loss vs explicit normal/uniform fits"
NOTES_REF = "002:245-301, 001:3767-3921"

## Setup
MEAN, SD = 150.0, 30.0  # the notes' N(150, 30)
GAN = {"latent_dim": 4, "generator_units": (32, 32), "discriminator_units": (32, 32), "output_activation": "linear",
       "data_scale": 100.0}  # centimetres ↔ metres
# GAN training oscillates (the samples' mean swings as D and G chase each other), so the epoch whose
# samples are closest to the *training* heights (two-sample KS, logged as "ks") is the one kept:
# early stopping's best-weights restore with a patience as long as the run.
FIT = {"epochs": 300, "batch_size": 64, "learning_rate": 5e-4, "optimizer_options": {"beta_1": 0.5},
       "patience": 300, "monitor": "ks"}
KS_TARGET = 0.1


@lru_cache(maxsize=1)
def _training_heights():
    from kerasdl import data

    heights = data.load("heights")
    return heights.features[heights.splits["train"], 0]


def _scores(samples):
    """Per epoch: two-sample KS against the training heights (`ks`, what selects the epoch kept), and
    the distances to N(150, 30) the notes list (`ks_normal`, `kl`, `js`), with the samples' mean and sd."""
    from scipy import stats

    from kerasdl.models.generative import normal_fit_scores

    found = normal_fit_scores(samples, MEAN, SD)
    return {"ks": float(stats.ks_2samp(samples.ravel(), _training_heights()).statistic), "ks_normal": found["ks"],
            **{k: found[k] for k in ("kl", "js", "sample_mean", "sample_sd")}}


def _per_epoch_scores():
    from kerasdl.models.generative import SampleScores

    return SampleScores(_scores, n=1000, shown=0)


def experiment() -> Experiment:
    from kerasdl.models.generative import FittedNoise
    from kerasdl.trainers import AdversarialTrainer

    ## Build the variants: one implicit model, two explicit ones
    variants = [
        Variant("gan", builder="gan", hyperparameters=GAN, trainer=AdversarialTrainer(),
                callbacks=(_per_epoch_scores,), label="GAN (dense 32-32 generator and discriminator, z in R^4)",
                **FIT),
        Variant("normal-fit", estimator=FittedNoise("normal"), label="explicit: normal with the training mean and sd"),
        Variant("uniform-fit", estimator=FittedNoise("uniform"), label="explicit: uniform over the training range"),
    ]
    ## Evaluate: samples vs the held-out heights (task metrics) and vs N(150, 30) (analysis)
    return Experiment(name=NAME, title=TITLE, dataset="heights", variants=variants, notes_ref=NOTES_REF,
                      description=__doc__.split("\n\n", 1)[1].strip(), evaluation="holdout", headline_metric="ks",
                      analyze=analyze, quick_samples=200, quick_epochs=2, quick_folds=1)


## Analyse
def _samples(analysis, entry):
    import numpy as np

    key = f"{entry['name']}/fold0/y_score"
    return np.asarray(analysis.predictions[key], dtype=float).ravel() if key in analysis.predictions else None


def _separability(real, generated, seed: int) -> float:
    """The notes' "model based similarity" (002:277-292): the 5-fold cross-validated log loss of a
    classifier told to separate real (1) from generated (0). ln 2 = 0.693 means it cannot."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    x = np.concatenate([real, generated]).reshape(-1, 1)
    y = np.concatenate([np.ones(len(real)), np.zeros(len(generated))])
    classifier = KNeighborsClassifier(n_neighbors=min(50, len(x) // 4))
    folds = min(5, len(real), len(generated))
    return float(-np.mean(cross_val_score(classifier, x, y, scoring="neg_log_loss",
                                          cv=StratifiedKFold(folds, shuffle=True, random_state=seed))))


def analyze(analysis) -> list[Section]:
    import numpy as np

    from kerasdl.models.generative import normal_fit_scores
    from kerasdl.report.study_helpers import entry_metric

    entries = [e for e in analysis.record["variants"] if e["status"] == "completed"]
    real = np.asarray(next(analysis.predictions[f"{e['name']}/fold0/y_true"] for e in entries), dtype=float).ravel()
    rows, found = [], {}
    for entry in entries:
        samples = _samples(analysis, entry)
        if samples is None:
            continue
        scores = normal_fit_scores(samples, MEAN, SD)
        scores["log_loss"] = _separability(real, samples, analysis.seed)
        found[entry["name"]] = scores
        rows.append([entry["label"], round(scores["sample_mean"], 2), round(scores["sample_sd"], 2),
                     round(scores["ks"], 4), f"{scores['ks_p']:.3g}", round(entry_metric(entry, "ks"), 4),
                     round(scores["kl"], 4), round(scores["js"], 4), round(scores["log_loss"], 4),
                     round(entry_metric(entry, "wasserstein"), 3)])
    reference = normal_fit_scores(real, MEAN, SD)
    reference["log_loss"] = _separability(real[: len(real) // 2], real[len(real) // 2:], analysis.seed)
    rows.append(["real held-out heights (reference)", round(reference["sample_mean"], 2),
                 round(reference["sample_sd"], 2), round(reference["ks"], 4), f"{reference['ks_p']:.3g}", "—",
                 round(reference["kl"], 4), round(reference["js"], 4), round(reference["log_loss"], 4), "—"])
    sections: list[Section] = [Table(
        title="Generated heights vs N(150, 30) and vs the held-out heights",
        columns=["generator", "mean (cm)", "sd (cm)", "KS vs N(150, 30)", "KS p-value", "KS vs held-out (2-sample)",
                 "KL(N ‖ samples)", "JS divergence", "real-vs-generated log loss", "Wasserstein vs held-out (cm)"],
        rows=rows,
        caption=f"As many samples as held-out heights ({len(real)}). KS target for the GAN: < {KS_TARGET}. The log "
                "loss is a 50-nearest-neighbour classifier's, 5-fold cross-validated, told to separate real (1) from "
                "generated (0): ln 2 = 0.693 means it cannot; the last row splits the real heights in two halves.")]
    sections += _distribution_views(analysis, entries, real)
    sections += _curves(analysis)
    sections.append(Text(title="What this run shows", body=_findings(found, reference, analysis)))
    return sections


def _distribution_views(analysis, entries, real) -> list[Section]:
    import numpy as np
    from scipy import stats

    grid = np.linspace(MEAN - 4 * SD, MEAN + 4 * SD, 161)
    series = [{"label": "real held-out heights", "values": real.round(3).tolist()}]
    qq = []
    probabilities = (np.arange(1, len(real) + 1) - 0.5) / len(real)
    theoretical = stats.norm.ppf(probabilities, MEAN, SD)
    for entry in entries:
        samples = _samples(analysis, entry)
        if samples is None:
            continue
        series.append({"label": entry["name"], "values": samples.round(3).tolist()})
        quantiles = np.quantile(samples, probabilities)
        qq.append({"label": entry["name"], "x": theoretical.round(3).tolist(), "y": quantiles.round(3).tolist()})
    qq.append({"label": "real held-out heights", "x": theoretical.round(3).tolist(),
               "y": np.sort(real).round(3).tolist()})
    return [
        Histogram(title="Histogram of generated and real heights with the N(150, 30) density", series=series, bins=40,
                  x_label="height (cm)", density=True,
                  curves=[{"label": "N(150, 30) density", "x": grid.round(2).tolist(),
                           "y": stats.norm.pdf(grid, MEAN, SD).tolist()}]),
        Scatter(title="QQ plot: sample quantiles against N(150, 30) quantiles", series=qq, diagonal=True,
                x_label="N(150, 30) quantile (cm)", y_label="sample quantile (cm)",
                caption="Points on the diagonal: the samples have the normal's quantiles. A uniform bends into an S "
                        "(tails too short); a generator that collapsed is a flat line."),
    ]


def _curves(analysis) -> list[Section]:
    def line(key: str, label: str):
        curve = analysis.curve("gan", key)
        return {"label": label, "x": list(range(1, len(curve) + 1)), "y": curve} if curve else None

    divergence = [s for s in (line("ks_normal", "KS statistic vs N(150, 30)"),
                              line("ks", "KS statistic vs the training heights (selects the epoch kept)"),
                              line("js", "JS divergence"), line("kl", "KL(N ‖ samples)")) if s]
    losses = [s for s in (line("d_loss", "discriminator log loss (d_loss)"), line("g_loss", "generator loss (g_loss)"),
                          line("d_real", "mean D(real)"), line("d_fake", "mean D(generated)")) if s]
    out: list[Section] = []
    if divergence:
        out.append(Lines(title="GAN: distance of its samples from N(150, 30) per epoch", series=divergence,
                         x_label="epoch", y_label="statistic", log_y=True,
                         caption="1000 samples from the same latent vectors after every epoch."))
    if losses:
        out.append(Lines(title="GAN: discriminator and generator losses per epoch", series=losses, x_label="epoch",
                         y_label="binary cross-entropy / probability",
                         caption="At the game's equilibrium D outputs 0.5 everywhere: d_loss = g_loss = ln 2 = 0.693."))
    return out


def _findings(found, reference, analysis) -> str:
    import math

    out = []
    gan = found.get("gan")
    if gan:
        verdict = "meets" if gan["ks"] < KS_TARGET else "misses"
        out.append(f"The GAN's samples have mean {gan['sample_mean']:.1f} cm and sd {gan['sample_sd']:.1f} cm "
                   f"(target 150 and 30); their KS statistic against N(150, 30) is {gan['ks']:.4f}, which {verdict} "
                   f"the target < {KS_TARGET} (real held-out heights: {reference['ks']:.4f}).")
        out.append(f"A classifier told to separate real from GAN heights reaches log loss {gan['log_loss']:.3f} "
                   f"(ln 2 = {math.log(2):.3f} means chance; two halves of the real heights give "
                   f"{reference['log_loss']:.3f}): the notes' model-based similarity.")
    if "normal-fit" in found and gan:
        better = "closer to" if gan["ks"] < found["normal-fit"]["ks"] else "farther from"
        out.append(f"The explicit normal fit (the notes' steps 1-2) has KS {found['normal-fit']['ks']:.4f}: it knows "
                   f"the family, the GAN had to discover it, and its samples are {better} N(150, 30) than the fit's.")
    if "uniform-fit" in found:
        out.append(f"A wrong family is caught at once: the uniform over the training range has KS "
                   f"{found['uniform-fit']['ks']:.4f} and JS {found['uniform-fit']['js']:.4f}.")
    curve = analysis.curve("gan", "ks_normal")
    kept = next((e["folds"][0].get("best_epoch") for e in analysis.record["variants"] if e["name"] == "gan"
                 and e["folds"]), None)
    if len(curve) > 1:
        best = min(range(len(curve)), key=curve.__getitem__)
        out.append(f"Per epoch the GAN's KS statistic against N(150, 30) went from {curve[0]:.3f} (epoch 1) to "
                   f"{curve[-1]:.3f} (epoch {len(curve)}), lowest {curve[best]:.3f} at epoch {best + 1}: adversarial "
                   "training does not settle monotonically (D and G chase each other), which is why the samples are "
                   f"scored every epoch and the generator of epoch {kept} — the closest to the training heights — is "
                   "the one evaluated.")
    if analysis.quick:
        out.append("Quick run: 2 epochs on 200 heights, far too short for the GAN to learn; run without --quick.")
    return "\n\n".join(out)


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
