"""
Title: A restricted Boltzmann machine recommends movies — CD-1 vs CD-10 vs popularity
Description: binary RBMs trained by contrastive divergence on liked / not-liked ratings (unrated movies
masked) predict each user's held-out ratings; against recommending by popularity, with the hidden
units read as genres, and the notes' five-movie example.

Notes 003:1412-1581: users rate movies; ratings are binarised (liked or not), unrated movies get −1 so
the network ignores them; an RBM learns latent factors (genres) as hidden units; to recommend, take a
user's ratings, compute p(h|v), then p(v|h) for the movies they have not seen. Training is Gibbs
sampling (v₀ → h₀ → v₁ → … → v_k) and contrastive divergence ΔW = v₀ ⊗ p(h₀|v₀) − v_k ⊗ p(h_k|v_k),
"and it works even with one iteration" (CD-1). Dataset `ratings`: 1200 generated users × 40 movies
from a documented latent-genre model (4 genres), 20% of each user's ratings held out. Every RBM is
trained on the training users (shown and held-out ratings, unrated masked); each validation and
test user's shown ratings go in, and P(liked) of their held-out movies is scored. Early stopping
watches the validation users' held-out log loss. The baseline recommends by popularity: the share of
training users who liked each movie, the same for everyone.
"""

from __future__ import annotations

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Heatmap, Lines, Section, Table, Text

NAME = "rbm-recommender"
TITLE = "RBM recommender: CD-1 vs CD-10 vs popularity on held-out ratings; hidden units as genres; five movies"
NOTES_REF = "003:1318-1581"

## Setup
FIT = {"epochs": 80, "batch_size": 16, "patience": 10}
# name, hyperparameters, label
RBMS = (
    ("rbm-cd1", {"hidden_units": 16, "k": 1, "learning_rate": 0.1}, "RBM, 16 hidden, CD-1"),
    ("rbm-cd10", {"hidden_units": 16, "k": 10, "learning_rate": 0.1}, "RBM, 16 hidden, CD-10"),
    ("rbm-cd1-h4", {"hidden_units": 4, "k": 1, "learning_rate": 0.1}, "RBM, 4 hidden (one per genre), CD-1"),
)
FIVE_EPOCHS = 1000  # passes over the 60 users (the RBM needs many small CD-1 steps to find three tastes)


def _weights(model, arrays) -> dict:
    """Probe: the learned weights (movies × hidden units) and visible biases, for the genre view."""
    import numpy as np

    return {"W": np.asarray(model.W).round(4).tolist(),
            "visible_bias": np.asarray(model.visible_bias).round(4).tolist()}


def experiment() -> Experiment:
    from kerasdl.tasks.recommendation import PopularityBaseline
    from kerasdl.trainers import RuleTrainer

    ## Build the variants
    variants = [Variant("popularity", estimator=PopularityBaseline(),
                        label="popularity (share of training users who liked it)")]
    variants += [Variant(name, builder="rbm", api="functional", hyperparameters=hyper, trainer=RuleTrainer(),
                         probe=_weights, label=label,
                         **FIT) for name, hyper, label in RBMS]
    ## Evaluate: each test user's held-out ratings
    return Experiment(name=NAME, title=TITLE, dataset="ratings", variants=variants, notes_ref=NOTES_REF,
                      description=__doc__.split("\n\n", 1)[1].strip(), evaluation="holdout", analyze=analyze,
                      quick_samples=200, quick_epochs=2, quick_folds=1)


## Analyse
def analyze(analysis) -> list[Section]:
    from kerasdl.report.study_helpers import entry_metric, fit_seconds

    entries = [e for e in analysis.record["variants"] if e["status"] == "completed"]
    rows = []
    for entry in entries:
        fold = entry["folds"][0] if entry["folds"] else {}
        rows.append([entry["label"], round(entry_metric(entry, "accuracy"), 4),
                     round(entry_metric(entry, "roc_auc"), 4),
                     round(entry_metric(entry, "log_loss"), 4), round(entry_metric(entry, "brier"), 4),
                     fold.get("epochs_run", "—"), fold.get("best_epoch") or "—", round(fit_seconds(entry), 1)])
    n_ratings = next((entry_metric(e, "n_ratings") for e in entries), float("nan"))
    sections: list[Section] = [Table(
        title="Held-out ratings of the test users: liked or not",
        columns=["model", "accuracy", "ROC AUC", "log loss", "Brier", "epochs run", "best epoch", "fit time (s)"],
        rows=rows,
        caption=f"{n_ratings:.0f} held-out ratings of the test users; P(liked) ≥ 0.5 counts as 'liked'. "
                "RBM prediction: p(v | p(h | v_shown)), the notes' two steps with probabilities instead of draws.")]
    sections += _curves(analysis, entries)
    genre = _genre_view(analysis, entries)
    if genre is not None:
        sections.append(genre)
    five = five_movie_example(seed=analysis.seed, epochs=30 if analysis.quick else FIVE_EPOCHS)
    sections += five["sections"]
    sections.append(Text(title="What this run shows", body=_findings(analysis, entries, five)))
    return sections


def _curves(analysis, entries) -> list[Section]:
    from kerasdl.report.study_helpers import entry_metric

    accuracy, energy = [], []
    longest = 0
    for entry in entries:
        curve = analysis.curve(entry["name"], "val_accuracy")
        if curve:
            longest = max(longest, len(curve))
            accuracy.append({"label": entry["name"], "x": list(range(1, len(curve) + 1)), "y": curve})
        for key, what in (("free_energy", "training users"), ("val_free_energy", "validation users")):
            values = analysis.curve(entry["name"], key)
            if values and entry["name"] == "rbm-cd1":
                energy.append({"label": f"{entry['name']}: {what}", "x": list(range(1, len(values) + 1)), "y": values})
    popularity = next((e for e in entries if e["name"] == "popularity"), None)
    if popularity and longest:
        value = entry_metric(popularity, "accuracy")
        accuracy.append({"label": "popularity (test users)", "x": [1, longest], "y": [value, value]})
    out: list[Section] = []
    if accuracy:
        out.append(Lines(title="Accuracy on held-out ratings of the validation users per epoch", series=accuracy,
                         x_label="epoch", y_label="accuracy"))
    if energy:
        out.append(Lines(title="Mean free energy F(v) of shown ratings (CD-1)", series=energy, x_label="epoch",
                         y_label="free energy",
                         caption="F(v) = −a·v − Σ softplus(b + vW); training lowers it for the data. A widening gap "
                                 "between training and validation users would mean overfitting (Hinton's practical "
                                 "guide)."))
    return out


def _genre_view(analysis, entries) -> Heatmap | None:
    """Mean weight from each genre's movies to each hidden unit: the latent factors the RBM found."""
    import numpy as np

    genre = np.asarray(analysis.dataset.extras.get("genre")) if analysis.dataset is not None else None
    if genre is None or genre.size == 0:
        return None
    from kerasdl.data.ratings import GENRES

    panels = []
    for entry in entries:
        probe = (entry["folds"][0].get("probe") or {}) if entry["folds"] else {}
        if "W" not in probe or entry["name"] not in ("rbm-cd1-h4", "rbm-cd1"):
            continue
        W = np.asarray(probe["W"])
        matrix = np.stack([W[genre == g].mean(axis=0) for g in range(len(GENRES))])
        panels.append({"label": entry["label"], "matrix": matrix.round(2).tolist(), "row_labels": list(GENRES),
                       "column_labels": [f"h{j + 1}" for j in range(W.shape[1])]})
    if not panels:
        return None
    return Heatmap(title="What the hidden units stand for: mean weight from the movies of each genre", panels=panels,
                   x_label="hidden unit", y_label="genre of the movies",
                   caption="Each cell averages wᵢⱼ over the 10 movies of a genre. A unit with one strongly positive "
                           "genre is that genre's 'fan' factor (003:1440-1444: hidden units as Drama, Fantasy, ...).")


def five_movie_example(*, seed: int = 0, epochs: int = FIVE_EPOCHS) -> dict:
    """The notes' example (003:1418-1516): train a 5-visible, 3-hidden RBM by CD-1 on the five-movie ratings,
    then ask it about a fantasy fan who has not seen The Hobbit. Returns the sections and the numbers."""
    import keras
    import numpy as np

    from kerasdl.data.ratings import five_movies
    from kerasdl.models.boltzmann import build_rbm

    keras.utils.set_random_seed(seed)
    five = five_movies(seed=seed)
    model = build_rbm((5,), 5, hidden_units=3, k=1, learning_rate=0.1, seed=seed)
    model.compile()
    # The 60 users repeated `epochs` times in one Keras epoch: the same updates as `epochs` passes,
    # without Keras's per-epoch overhead for a six-batch epoch.
    model.fit(np.tile(five["ratings"], (epochs, 1)), batch_size=10, epochs=1, shuffle=True, verbose=0)
    question = five["question"][None, :]
    p_h = np.asarray(model.hidden_probabilities(model.observed(question)[0]))[0]
    h = (np.random.default_rng(seed).random(p_h.shape) < p_h).astype(float)  # Bernoulli draws, as 003:1450 says
    p_v_mean = np.asarray(model.visible_probabilities(p_h[None, :]))[0]
    p_v_draw = np.asarray(model.visible_probabilities(h[None, :]))[0]
    movies = list(five["movies"])
    shown = ["liked" if r == 1 else "not liked" if r == 0 else "not seen" for r in five["question"]]
    table = Table(
        title="Five movies from the notes: would a Harry Potter fan like The Hobbit?",
        columns=["movie", "genre", "the user's rating", "P(liked) from p(h|v)", "P(liked) from the sampled h"],
        rows=[[m, g, s, round(float(a), 3), round(float(b), 3)]
              for m, g, s, a, b in zip(movies, five["genres"], shown, p_v_mean, p_v_draw)],
        caption=f"RBM 5 visible × 3 hidden, CD-1, {epochs} epochs on {len(five['ratings'])} users (fantasy, action and "
                f"Pixar fans, 10% of ratings flipped, one unrated movie each). p(h|v) = {np.round(p_h, 3).tolist()}; "
                f"Bernoulli draw h = {h.astype(int).tolist()}.")
    weights = Heatmap(title="Five movies: learned weights W (movies × hidden units)",
                      panels=[{"label": "W", "matrix": np.asarray(model.W).round(2).tolist(), "row_labels": movies,
                               "column_labels": ["h1", "h2", "h3"]}],
                      x_label="hidden unit", y_label="movie")
    return {"sections": [table, weights], "hobbit": float(p_v_mean[1]), "toy_story": float(p_v_mean[3]),
            "p_h": p_h.tolist()}


def _findings(analysis, entries, five) -> str:
    from kerasdl.report.study_helpers import entry_metric

    by = {e["name"]: e for e in entries}
    out = []
    base = by.get("popularity")
    for name in ("rbm-cd1", "rbm-cd10", "rbm-cd1-h4"):
        if name in by and base:
            a, b = entry_metric(by[name], "accuracy"), entry_metric(base, "accuracy")
            out.append(f"{by[name]['label']}: held-out accuracy {a:.4f} vs popularity {b:.4f} "
                       f"({'beats' if a > b else 'does not beat'} it; ROC AUC {entry_metric(by[name], 'roc_auc'):.3f} "
                       f"vs {entry_metric(base, 'roc_auc'):.3f}).")
    if "rbm-cd1" in by and "rbm-cd10" in by:
        a, b = entry_metric(by["rbm-cd1"], "accuracy"), entry_metric(by["rbm-cd10"], "accuracy")
        ta, tb = by["rbm-cd1"]["timings"]["fit_s"], by["rbm-cd10"]["timings"]["fit_s"]
        out.append(f"CD-10 vs CD-1: accuracy {b:.4f} vs {a:.4f}, fit time {tb:.1f} s vs {ta:.1f} s. "
                   "Longer Gibbs chains "
                   "estimate the likelihood gradient better, but for prediction by p(v|p(h|v)) one step already "
                   "'updates in the right direction', as the notes say.")
    out.append(f"Five movies: the fantasy fan who liked Harry Potter gets P(liked) = {five['hobbit']:.3f} "
               "for The Hobbit "
               f"and {five['toy_story']:.3f} for Toy Story — the RBM "
               + ("recommends The Hobbit, as in the notes (003:1516)." if five["hobbit"] > 0.5 > five["toy_story"]
                  else "does not separate them on this run."))
    if analysis.quick:
        out.append("Quick run: 2 epochs on 200 users; run without --quick for the comparison.")
    return "\n\n".join(out)


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
