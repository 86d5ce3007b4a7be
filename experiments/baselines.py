"""
Title: Baselines — dummy classifiers, logistic regression and KNN against an MLP
Description: Stratified 5-fold cross-validation on the Wisconsin breast-cancer data: three dummy
classifiers (most frequent, stratified, prior), logistic regression, KNN (k = 5) and a small MLP.

The notes' "BASELINE MODELS" section (001:3063-3080) says a baseline "serve[s] as a benchmark … to put
the results of trained models into context", names "random baseline models" (a dummy classifier, which
"will inform you if your machine learning model is learning or not") and "ML baseline models", and its
example is a model whose 54% accuracy becomes the number to beat. Here the dummies are scikit-learn's
DummyClassifier: `most_frequent` always predicts benign and scores that class with probability 1,
`prior` predicts the same class but scores every row with the class shares (so its log loss is finite),
`stratified` guesses at random in the class proportions. Logistic regression and KNN are the ML
baselines; the MLP (30-16-8-1, ReLU, dropout 0.2, early stopping on a validation slice of each training
fold) is the model they put into context. All models see the same folds and the same preprocessing
(standardisation fitted on the training rows of each fold).
"""

from __future__ import annotations

import math
from typing import Any

from kerasdl.harness import Analysis, Experiment, Variant
from kerasdl.report.sections import Section, Table, Text
from kerasdl.report.study_helpers import labels, metric, number

NAME = "baselines"
TITLE = "Baselines: dummy (most frequent, stratified, prior), logistic regression, KNN vs MLP on breast cancer"
NOTES_REF = "001:3063-3080"

## Setup
MLP = {"units": [16, 8], "activation": "relu", "dropout": 0.2}
FIT = {"epochs": 200, "batch_size": 16, "learning_rate": 1e-3, "patience": 15}
DUMMIES = ["dummy-most-frequent", "dummy-stratified", "dummy-prior"]


def experiment() -> Experiment:
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    ## Build the variants: three random baselines, two ML baselines, the MLP
    variants = [
        Variant("dummy-most-frequent", estimator=DummyClassifier(strategy="most_frequent"),
                label="Dummy: most frequent class"),
        Variant("dummy-stratified", estimator=DummyClassifier(strategy="stratified", random_state=0),
                label="Dummy: random in class proportions"),
        Variant("dummy-prior", estimator=DummyClassifier(strategy="prior"), label="Dummy: class prior"),
        Variant("logistic", estimator=LogisticRegression(max_iter=1000), label="Logistic regression"),
        Variant("knn-5", estimator=KNeighborsClassifier(n_neighbors=5), label="KNN, k = 5"),
        Variant("mlp", builder="mlp", hyperparameters=MLP, label="MLP 16-8, dropout 0.2", **FIT),
    ]
    ## Evaluate: stratified 5-fold cross-validation
    return Experiment(
        name=NAME, title=TITLE, dataset="breast-cancer", variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF,
        evaluation="cv", folds=5, headline_metric="accuracy", analyze=analyze,
        quick_samples=200, quick_epochs=2, quick_folds=2,
    )


## Analyse: how far above the best dummy each model is
def _fold_std(record: dict[str, Any], name: str, key: str) -> float:
    entry = next((v for v in record["variants"] if v["name"] == name), None)
    value = (entry or {}).get("metrics", {}).get(key, {}).get("std")
    return float("nan") if value is None else float(value)


def analyze(analysis: Analysis) -> list[Section]:
    record = analysis.record
    names = labels(record)
    accuracy = {n: metric(record, n, "accuracy") for n in names}
    auc = {n: metric(record, n, "roc_auc") for n in names}
    dummies = {n: accuracy[n] for n in DUMMIES if math.isfinite(accuracy.get(n, math.nan))}
    best_dummy = max(dummies, key=dummies.get) if dummies else None
    rows = []
    for name in names:
        gain = accuracy[name] - dummies[best_dummy] if best_dummy else math.nan
        error_ratio = ((1 - accuracy[name]) / (1 - dummies[best_dummy])
                       if best_dummy and dummies[best_dummy] < 1 else math.nan)
        rows.append([names[name], accuracy[name], _fold_std(record, name, "accuracy"), auc[name], gain,
                     error_ratio])
    parts = []
    if best_dummy:
        share = dummies[best_dummy]
        parts.append(f"Best dummy: {names[best_dummy]}, accuracy {number(share)} — what a model that never looks "
                     f"at the features reaches (the share of the majority class, benign), with ROC AUC "
                     f"{number(auc[best_dummy])}.")
        mlp = accuracy.get("mlp", math.nan)
        if math.isfinite(mlp):
            parts.append(f"The MLP reaches accuracy {number(mlp)} (± {number(_fold_std(record, 'mlp', 'accuracy'))} "
                         f"over the folds): {number(abs(100 * (mlp - share)), 1)} percentage points "
                         f"{'above' if mlp >= share else 'below'} the best dummy, "
                         f"and its error rate {number(1 - mlp)} is {number(100 * (1 - mlp) / (1 - share), 1)}% of the "
                         f"dummy's {number(1 - share)}. ROC AUC {number(auc['mlp'])} vs {number(auc[best_dummy])}.")
            ml = {n: accuracy[n] for n in ("logistic", "knn-5") if math.isfinite(accuracy.get(n, math.nan))}
            if ml:
                best_ml = max(ml, key=ml.get)
                diff = mlp - ml[best_ml]
                spread = max(_fold_std(record, "mlp", "accuracy"), _fold_std(record, best_ml, "accuracy"))
                verdict = ("within the fold-to-fold spread" if abs(diff) <= spread else
                           "beyond the fold-to-fold spread")
                parts.append(f"Against the best ML baseline, {names[best_ml]} ({number(ml[best_ml])}), the MLP is "
                             f"{'ahead' if diff > 0 else 'behind' if diff < 0 else 'level'} by "
                             f"{number(abs(100 * diff), 1)} points, {verdict} (std {number(spread)}): "
                             + ("the dummy shows the MLP is learning; the ML baseline shows whether the network "
                                "is worth its cost." if abs(diff) <= spread else
                                "the comparison with the ML baseline says more than the one with the dummy."))
        else:
            parts.append("The MLP has no result in this run (failed or diverged), so it cannot be compared.")
    return [
        Table(title="Accuracy against the best dummy",
              columns=["model", "accuracy", "std over folds", "ROC AUC", "gain over best dummy",
                       "error ÷ best dummy's error"],
              rows=rows,
              caption="Means over the 5 folds; the best dummy is the dummy with the highest accuracy."),
        Text(title="How much the MLP beats the dummy", body="\n\n".join(parts)),
    ]


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
