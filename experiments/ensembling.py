"""
Title: Ensembling — bagged MLPs and boosted trees against one model
Description: On 300 training digits: one MLP against ten MLPs trained on bootstrap samples and averaged
(bagging), one deep decision tree against fifty bagged trees, and one shallow tree against AdaBoost and
gradient-boosted trees; test error of each, and how much each ensemble changed its single model.

The notes list "adopting ensemble techniques" among the remedies for overfitting (001:1142) and say
what the two kinds do: "Boosting attempts to improve the predictive flexibility of simple models.
Bagging attempts to reduce the chance of overfitting complex models" (000:205-207). So each ensemble
here is paired with the single model it is built from: bagging with complex models that overfit a
small training set (a 2 × 256 MLP, an unpruned decision tree), boosting with a simple one (a tree of
depth 2), boosted two ways.

## Setup
The 8×8 digits: 300 training images (30 per class, stratified, seed 0) and the other 1,497 as test
images, so the model variance a small training set causes is there to reduce and the test error is
measured precisely. All models are scikit-learn estimators, so scikit-learn does the ensembling:
`BaggingClassifier` draws ten bootstrap samples of the 300 images (300 draws with replacement each)
and averages the members' class probabilities; the MLP inside is a Keras network wrapped as a
scikit-learn classifier (`kerasdl.keras_classifier.KerasClassifier`: Adam 0.001, batch 32, 60 epochs,
no early stopping — a bootstrap sample has no held-out rows), each member with its own initial
weights. To tell the averaging from the bootstrap, ten MLPs that differ only in their initial weights,
each trained on all 300 images, are averaged the same way (`VotingClassifier`, soft voting).
Trees: `DecisionTreeClassifier` unpruned, 50 of them bagged; `DecisionTreeClassifier(max_depth=2)`
against `AdaBoostClassifier` over 100 such trees (each fitted to the examples its predecessors got
wrong, reweighted) and against `HistGradientBoostingClassifier` (100 rounds of small trees fitted to
the gradient of the loss; its defaults).
"""

from __future__ import annotations

from typing import Any

from kerasdl.harness import Analysis, Experiment, Variant
from kerasdl.report.sections import Bars, Finding, Section, Table, Text
from kerasdl.report.study_helpers import labels, metric, number

NAME = "ensembling"
TITLE = "Ensembling: bagged MLPs, bagged trees and boosted trees against their single models"
NOTES_REF = "000:205-207, 001:1142"

N_TRAIN, MEMBERS, TREES = 300, 10, 50
MLP = {"units": [256, 256], "activation": "relu"}
MLP_FIT = {"epochs": 60, "batch_size": 32, "learning_rate": 1e-3}
# (single model, its ensemble, what the notes say the ensemble does)
PAIRS = (("mlp", "bagged-mlp", "bagging"), ("mlp", "averaged-mlp", "averaging without bootstrap"),
         ("tree", "bagged-trees", "bagging"), ("stump", "adaboost", "boosting"), ("stump", "boosted-trees", "boosting"))


def small_training_digits(seed: int = 0):
    """The bundled digits with N_TRAIN stratified training images and every other image as test."""
    from dataclasses import replace

    import numpy as np
    from sklearn.model_selection import train_test_split

    from kerasdl import data

    digits = data.load("digits", seed=seed)
    train, test = train_test_split(np.arange(digits.n_samples), train_size=N_TRAIN, stratify=digits.target,
                                   random_state=seed)
    return replace(digits, splits={"train": np.sort(train), "test": np.sort(test)},
                   description=digits.description + f" Ensembling study subset: {N_TRAIN} training images "
                   f"(stratified, seed {seed}) and {digits.n_samples - N_TRAIN} test images.")


def _estimators() -> dict[str, tuple[str, Any]]:
    from sklearn.ensemble import AdaBoostClassifier, BaggingClassifier, HistGradientBoostingClassifier, VotingClassifier
    from sklearn.tree import DecisionTreeClassifier

    from kerasdl.keras_classifier import KerasClassifier

    mlp = KerasClassifier("mlp", MLP, random_state=0, **MLP_FIT)
    return {
        "mlp": ("one MLP (2 × 256)", mlp),
        "bagged-mlp": (f"{MEMBERS} bagged MLPs", BaggingClassifier(mlp, n_estimators=MEMBERS, random_state=0)),
        "averaged-mlp": (f"{MEMBERS} MLPs, all data, averaged", VotingClassifier(
            [(f"seed-{i}", KerasClassifier("mlp", MLP, random_state=i, **MLP_FIT)) for i in range(MEMBERS)],
            voting="soft")),
        "tree": ("one unpruned tree", DecisionTreeClassifier(random_state=0)),
        "bagged-trees": (f"{TREES} bagged trees", BaggingClassifier(DecisionTreeClassifier(random_state=0),
                                                                    n_estimators=TREES, random_state=0)),
        "stump": ("one tree of depth 2", DecisionTreeClassifier(max_depth=2, random_state=0)),
        "adaboost": ("AdaBoost, 100 trees of depth 2", AdaBoostClassifier(
            DecisionTreeClassifier(max_depth=2, random_state=0), n_estimators=100, random_state=0)),
        "boosted-trees": ("gradient-boosted trees", HistGradientBoostingClassifier(random_state=0)),
    }


def experiment() -> Experiment:
    ## Every model is a scikit-learn estimator: the ensembles are scikit-learn's own
    variants = [Variant(name, estimator=estimator, label=label) for name, (label, estimator) in _estimators().items()]
    return Experiment(
        name=NAME, title=TITLE, dataset=small_training_digits(), variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF,
        evaluation="holdout", headline_metric="accuracy", analyze=analyze,
        quick_samples=300, quick_epochs=2, quick_folds=1,
        # --quick: the tree pairs (fast) prove the comparison; the bagged MLPs need the full run
        quick_variants=("tree", "bagged-trees", "stump", "adaboost"),
    )


## Analyse: each ensemble against the single model it is made of
def _errors(record: dict[str, Any]) -> dict[str, float]:
    out = {}
    for entry in record["variants"]:
        accuracy = metric(record, entry["name"], "accuracy")
        if accuracy == accuracy:  # not NaN
            out[entry["name"]] = 1 - accuracy
    return out


def _n_test(record: dict[str, Any]) -> int:
    folds = [f for v in record["variants"] for f in v.get("folds", []) if f.get("n_test")]
    return int(folds[0]["n_test"]) if folds else 0


def _standard_error(error: float, n: int) -> float:
    return (error * (1 - error) / n) ** 0.5 if n else float("nan")


def _noise(a: float, b: float, n: int) -> float:
    """Two standard errors of the difference of two error rates measured on n test images each."""
    return 2 * (_standard_error(a, n) ** 2 + _standard_error(b, n) ** 2) ** 0.5


def _finding(record, errors, names, n_test, quick) -> Finding:
    claim = "\"Boosting … improve[s] … simple models. Bagging … reduce[s] … overfitting complex models\""
    said = []
    for single, ensemble, kind in PAIRS:
        if single in errors and ensemble in errors:
            said.append(f"{names[ensemble]} {number(errors[ensemble])} vs {names[single]} {number(errors[single])}")
    if not said:
        return Finding("Do ensembles beat their single models?", claim=claim, notes_ref="000:205-207",
                       answer="No ensemble and its single model both finished, so this run cannot answer.")
    losers = [(s, e) for s, e, _ in PAIRS if s in errors and e in errors and errors[e] >= errors[s]]
    answer = f"Test error on {n_test} digits: " + "; ".join(said) + ". "
    if not losers:
        answer += "Every ensemble beats the model it is built from."
    else:
        def margin(s: str, e: str) -> str:
            return "within" if abs(errors[e] - errors[s]) <= _noise(errors[s], errors[e], n_test) else "beyond"

        answer += "Not better than its single model: " + ", ".join(
            f"{names[e]} ({margin(s, e)} two standard errors)" for s, e in losers) + "."
    log_loss = {n: metric(record, n, "log_loss") for n in ("mlp", "bagged-mlp")}
    if all(v == v for v in log_loss.values()) and log_loss["bagged-mlp"] < log_loss["mlp"]:
        answer += (f" The bagged MLPs' test log loss is lower ({number(log_loss['bagged-mlp'])} against "
                   f"{number(log_loss['mlp'])}): averaging makes them less confidently wrong even where the error "
                   "rate does not move.")
    if quick:
        answer += " (Quick run: the tree pairs only, on a subsample.)"
    return Finding("Do ensembles beat their single models?", claim=claim, notes_ref="000:205-207", answer=answer,
                   figure="Test error: single models and their ensembles")


def _story(errors, names, n_test, log_loss) -> str:
    parts = []
    for single, ensemble, kind in PAIRS:
        if single not in errors or ensemble not in errors:
            continue
        a, b = errors[single], errors[ensemble]
        noise = _noise(a, b, n_test)
        verdict = ("more than two standard errors of the two estimates" if abs(a - b) > noise
                   else "within two standard errors, so not resolved by this test set")
        parts.append(f"{kind.capitalize()}: {names[single]} errs on {number(a)} of the test digits, {names[ensemble]} "
                     f"on {number(b)} ({'−' if b < a else '+'}{number(abs(a - b))}, {verdict}: ±{number(noise)}); "
                     f"test log loss {number(log_loss.get(single))} → {number(log_loss.get(ensemble))}.")
    if {"mlp", "bagged-mlp", "averaged-mlp"} <= set(errors):
        parts.append("A bootstrap sample of n images holds about 1 − 1/e ≈ 63% of them (the rest are repeats), so "
                     "each bagged MLP learns from fewer distinct digits than the single MLP; the MLPs averaged without "
                     f"bootstrap err on {number(errors['averaged-mlp'])} against {number(errors['bagged-mlp'])} bagged "
                     f"and {number(errors['mlp'])} alone.")
    trees = [errors[n] for n in ("bagged-trees", "adaboost", "boosted-trees") if n in errors]
    networks = [errors[n] for n in ("mlp", "bagged-mlp", "averaged-mlp") if n in errors]
    if trees and networks:
        parts.append(f"Across families: the best tree ensemble errs on {number(min(trees))}, the best MLP model on "
                     f"{number(min(networks))}.")
    return "\n\n".join(parts) or "No variant finished."


def analyze(analysis: Analysis) -> list[Section]:
    record = analysis.record
    names = labels(record)
    errors = _errors(record)
    n_test = _n_test(record)
    pairs = [(s, e, k) for s, e, k in PAIRS if s in errors and e in errors]
    rows = [[names[n], n, errors[n], _standard_error(errors[n], n_test), metric(record, n, "log_loss"),
             next(v["timings"].get("fit_s") for v in record["variants"] if v["name"] == n)] for n in errors]
    return [
        _finding(record, errors, names, n_test, analysis.quick),
        Bars(title="Test error: single models and their ensembles", y_label="test error (1 − accuracy)",
             labels=[f"{names[e]} vs {names[s]}" for s, e, _ in pairs],
             series=[{"label": "single model", "values": [errors[s] for s, _, _ in pairs]},
                     {"label": "ensemble", "values": [errors[e] for _, e, _ in pairs]}],
             caption=f"{N_TRAIN} training images, {n_test} test images."),
        Table(title="Every model", columns=["model", "name", "test error", "± (one standard error)", "test log loss",
                                            "fit time (s)"], rows=rows,
              caption="Standard error of an error rate p on n test images: √(p(1 − p)/n)."),
        Text(title="What ensembling changed",
             body=_story(errors, names, n_test, {n: metric(record, n, "log_loss") for n in errors})),
    ]


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
