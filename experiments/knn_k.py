"""
Title: KNN's k — a hyperparameter chosen by trial and error
Description: k-nearest neighbours on the heart-disease data with k from 1 to 101: training accuracy
against cross-validated accuracy, the k that cross-validation picks, and the square-root rule of thumb.

The notes give "K in the KNN algorithm" as an example of a hyperparameter, whose best value "can be
determined either by the rule of thumb or by trial and error" (001:1177-1182), and list k-nearest
neighbours among the low-bias, high-variance algorithms (001:1381, 001:1410). Small k follows every
training patient (k = 1 reproduces its training labels exactly); large k averages over much of the data.

## Setup
Stratified 5-fold cross-validation of `KNeighborsClassifier(n_neighbors=k)` for k ∈ {1, 3, 5, 9, 15, 25,
51, 101} on the 303 patients (the harness's standard report), with imputation, scaling and one-hot codes
fitted on each fold's training rows. The analysis reruns the same folds through scikit-learn's
`validation_curve`, which also scores each k on its own training rows. Why a study and not a search
unit: search units (tuning/) search Keras models through keras-tuner's Keras tuners, which fit and score
a compiled Keras model; a scikit-learn estimator has no place in them, and for one integer a
validation curve is the whole search.
"""

from __future__ import annotations

import math
from typing import Any

from kerasdl.harness import Analysis, Experiment, Variant
from kerasdl.report.sections import Finding, Lines, Section, Table, Text
from kerasdl.report.study_helpers import labels, metric, number

NAME = "knn-k"
TITLE = "KNN's k: training vs cross-validated accuracy for k = 1 to 101 on heart disease"
NOTES_REF = "001:1177-1182, 001:1381, 001:1410"
KS = (1, 3, 5, 9, 15, 25, 51, 101)
FOLDS = 5


def _knn(k: int):
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(n_neighbors=k)


def experiment() -> Experiment:
    variants = [Variant(f"knn-{k}", estimator=_knn(k), label=f"k = {k}") for k in KS]
    return Experiment(
        name=NAME, title=TITLE, dataset="heart-disease", variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF,
        evaluation="cv", folds=FOLDS, headline_metric="accuracy", analyze=analyze,
        quick_samples=303, quick_epochs=1, quick_folds=2, quick_variants=("knn-1", "knn-15"),
    )


## Analyse: scikit-learn's validation curve over the same k values and folds
def curve(dataset, ks: list[int], folds: int, seed: int) -> dict[str, list[float]]:
    """Mean training and cross-validated accuracy per k (stratified, shuffled folds from `seed`)."""
    from sklearn.model_selection import StratifiedKFold, validation_curve
    from sklearn.pipeline import make_pipeline
    from threadpoolctl import threadpool_limits

    pre = dataset.preprocessor()
    model = make_pipeline(pre, _knn(1)) if pre is not None else _knn(1)
    parameter = "kneighborsclassifier__n_neighbors" if pre is not None else "n_neighbors"
    with threadpool_limits(limits=1):  # tiny fits: more BLAS threads only contend for the cores
        train, test = validation_curve(model, dataset.features, dataset.target, param_name=parameter,
                                       param_range=ks, cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
                                       scoring="accuracy")
    return {"k": list(ks), "train": [float(v) for v in train.mean(axis=1)],
            "cv": [float(v) for v in test.mean(axis=1)], "cv_std": [float(v) for v in test.std(axis=1)]}


def rule_of_thumb(n: int) -> int:
    """√n rounded to the nearest odd k (odd: no ties between two classes)."""
    k = max(1, round(math.sqrt(n)))
    return k if k % 2 else k + 1


def analyze(analysis: Analysis) -> list[Section]:
    record = analysis.record
    names = labels(record)
    ran = [int(v["name"].split("-")[1]) for v in record["variants"] if v["status"] == "completed"]
    ks = sorted(set(KS if not analysis.quick else ran) | {rule_of_thumb(analysis.dataset.n_samples)})
    folds = len(record["variants"][0]["folds"]) if record["variants"] else FOLDS
    found = curve(analysis.dataset, ks, max(folds, 2), analysis.seed)
    best = max(range(len(ks)), key=lambda i: found["cv"][i])
    thumb = ks.index(rule_of_thumb(analysis.dataset.n_samples))
    one = ks.index(1) if 1 in ks else None
    answer = (f"By trial and error over k = {', '.join(map(str, ks))}: cross-validated accuracy peaks at "
              f"k = {ks[best]} "
              f"({number(found['cv'][best])} ± {number(found['cv_std'][best])} across folds); the rule of thumb "
              f"k ≈ √n = {ks[thumb]} gives {number(found['cv'][thumb])}.")
    if one is not None:
        answer += (f" k = 1 scores {number(found['train'][one])} on its training rows but {number(found['cv'][one])} "
                   "on held-out ones: low bias, high variance.")
    gap = [t - c for t, c in zip(found["train"], found["cv"])]
    narrows = gap[-1] < gap[0]
    story = ("Training accuracy per k ("
             + ", ".join(f"k = {k}: {number(t)}" for k, t in zip(ks, found["train"]))
             + "); its gap to the cross-validated accuracy " + ("narrows" if narrows else "does not narrow")
             + " from the smallest to the largest k (" + ", ".join(f"k = {k}: {number(g)}" for k, g in zip(ks, gap))
             + (") — a larger k trades variance for bias. " if narrows else "). ")
             + f"Differences in cross-validated accuracy smaller than the spread across folds (about "
             f"{number(sum(found['cv_std']) / len(ks))}) are not resolved by {max(folds, 2)} folds of "
             f"{analysis.dataset.n_samples} patients.")
    return [
        Finding("Which k?", claim="\"K in the KNN algorithm\" is a hyperparameter found \"either by the rule of thumb "
                "or by trial and error\"", notes_ref="001:1177-1182", answer=answer,
                figure="Training and cross-validated accuracy against k"),
        Lines(title="Training and cross-validated accuracy against k", x_label="k (neighbours)", y_label="accuracy",
              log_x=True, series=[{"label": "training rows", "x": ks, "y": found["train"]},
                                  {"label": "held-out fold (cross-validated)", "x": ks, "y": found["cv"]}],
              caption=f"Stratified {max(folds, 2)}-fold cross-validation, folds shuffled with seed {analysis.seed}."),
        Table(title="Accuracy per k", columns=["k", "training accuracy", "cross-validated accuracy", "std across folds",
                                               "harness test accuracy (same protocol)"],
              rows=[[k, t, c, s, metric(record, f"knn-{k}", "accuracy") if f"knn-{k}" in names else None]
                    for k, t, c, s in zip(ks, found["train"], found["cv"], found["cv_std"])]),
        Text(title="Bias and variance along k", body=story),
    ]


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
