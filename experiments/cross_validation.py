"""
Title: Cross-validation — the spread of the estimate under holdout, 5-fold and stratified 5-fold
Description: The same two fixed models (logistic regression and the notes' KNN, k = 3) on the heart-disease
data, evaluated by five protocols, each repeated with 30 different random partitions: the spread of
the estimated accuracy and ROC AUC is the protocol's own noise.

The notes compare evaluation protocols (001:1229-1300): the "validation set approach" with 50% for
training and 50% for testing, the 60/20/20 training/validation/test split (001:1219-1227), k-fold
cross-validation ("less biased than other methods") and stratified k-fold ("one of the best approaches"
for bias and variance), and warn that a single train/test split "provides a high variance, which is one
of the biggest disadvantages" (001:1296). The question here is the protocol, not the model, so the models
are fixed and fast, and every protocol is rerun with 30 seeds — each seed a different random partition of
the same 303 patients — in the analysis step. Holdout splits are plain random splits (scikit-learn's
ShuffleSplit, as train_test_split draws them); the 60/20/20 protocol trains on 60%, keeps 20% aside for
model selection (unused by a fixed model) and tests on 20%; k-fold estimates are the mean over the 5
folds (KFold and StratifiedKFold, shuffled). Preprocessing (imputation, scaling, one-hot codes) is fitted
on each training part only. The standard report above the analysis is the models' ordinary stratified
5-fold result.

The exhaustive schemes, leave-p-out and leave-one-out (001:1255-1263: "n-p data points will be used as
the training dataset and the p data points as the validation set … repeated for all the samples"),
fit the model once per test part: C(n, p) times for leave-p-out, n times for leave-one-out. On all 303
patients leave-2-out would be 45,753 fits, so they run on a stratified subsample of 40 patients (seed 0;
6 in `--quick`), with scikit-learn's LeaveOneOut and LeavePOut(2) beside 5-fold on the same rows:
the estimate, the number of fits, the time, and the spread of the per-part scores that the notes'
"high variation" remark is about.
"""

from __future__ import annotations

import statistics
from typing import Any

from kerasdl.harness import Analysis, Experiment, Variant
from kerasdl.report.sections import Bars, Lines, Section, Table, Text
from kerasdl.report.study_helpers import labels, number

NAME = "cross-validation"
TITLE = ("Cross-validation: spread of the estimate under holdout 50/50, 80/20, 60/20/20, 5-fold, stratified 5-fold; "
         "leave-one-out and leave-2-out")
NOTES_REF = "001:1219-1300"  # leave-p-out and leave-one-out: 001:1255-1263

## Setup
REPEATS, QUICK_REPEATS = 30, 3
EXHAUSTIVE_ROWS, QUICK_EXHAUSTIVE_ROWS = 40, 6
EXHAUSTIVE = ["leave-one-out", "leave-2-out", "5-fold"]
PROTOCOLS = ["holdout 50/50", "holdout 80/20", "60/20/20", "5-fold", "stratified 5-fold"]
METRICS = {"accuracy": "accuracy", "roc_auc": "ROC AUC"}


def _models() -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    return {"logistic": LogisticRegression(max_iter=1000), "knn-3": KNeighborsClassifier(n_neighbors=3)}


def splitter(protocol: str, seed: int):
    """The scikit-learn splitter for one protocol and one random partition."""
    from sklearn.model_selection import KFold, ShuffleSplit, StratifiedKFold

    if protocol == "holdout 50/50":
        return ShuffleSplit(n_splits=1, test_size=0.5, random_state=seed)
    if protocol == "holdout 80/20":
        return ShuffleSplit(n_splits=1, test_size=0.2, random_state=seed)
    if protocol == "60/20/20":  # the 20% between train and test is the validation set a fixed model never uses
        return ShuffleSplit(n_splits=1, train_size=0.6, test_size=0.2, random_state=seed)
    if protocol == "5-fold":
        return KFold(n_splits=5, shuffle=True, random_state=seed)
    if protocol == "stratified 5-fold":
        return StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    if protocol == "leave-one-out":  # deterministic: every row is the test part once
        from sklearn.model_selection import LeaveOneOut

        return LeaveOneOut()
    if protocol == "leave-2-out":    # every pair of rows is the test part once: C(n, 2) fits
        from sklearn.model_selection import LeavePOut

        return LeavePOut(2)
    raise ValueError(f"Expected one of {PROTOCOLS + EXHAUSTIVE[:2]}. Received: protocol={protocol!r}")


def protocol_estimates(dataset, estimator, seeds: list[int]) -> dict[str, dict[str, list[float]]]:
    """protocol → metric → one estimate per seed (the mean over the protocol's test parts)."""
    from sklearn.base import clone
    from sklearn.model_selection import cross_validate
    from sklearn.pipeline import make_pipeline
    from threadpoolctl import threadpool_limits

    pre = dataset.preprocessor()
    model = make_pipeline(pre, clone(estimator)) if pre is not None else clone(estimator)
    x, y = dataset.features, dataset.target
    out: dict[str, dict[str, list[float]]] = {}
    # One BLAS thread: these fits are tiny, and several threads per fit only contend for the cores.
    with threadpool_limits(limits=1):
        for protocol in PROTOCOLS:
            found = {m: [] for m in METRICS}
            for seed in seeds:
                scores = cross_validate(model, x, y, cv=splitter(protocol, seed), scoring=list(METRICS))
                for m in METRICS:
                    found[m].append(float(scores[f"test_{m}"].mean()))
            out[protocol] = found
    return out


def exhaustive_estimates(dataset, estimator, n_rows: int, seed: int) -> dict[str, dict[str, float]]:
    """Leave-one-out, leave-2-out and 5-fold on the same stratified subsample of `n_rows` rows:
    protocol → {estimate (mean accuracy over test parts), splits, seconds, part_std}.

    Accuracy only: a test part of one row (or two of one class) has no ROC AUC.
    """
    import time

    import numpy as np
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score, train_test_split
    from sklearn.pipeline import make_pipeline
    from threadpoolctl import threadpool_limits

    rows, _ = train_test_split(np.arange(dataset.n_samples), train_size=n_rows, stratify=dataset.target,
                               random_state=seed)
    x, y = dataset.rows(np.sort(rows))
    pre = dataset.preprocessor()
    model = make_pipeline(pre, clone(estimator)) if pre is not None else clone(estimator)
    out = {}
    with threadpool_limits(limits=1):
        for protocol in EXHAUSTIVE:
            cv = splitter(protocol, seed)
            started = time.perf_counter()
            scores = cross_val_score(model, x, y, cv=cv, scoring="accuracy")
            out[protocol] = {"estimate": float(scores.mean()), "splits": int(cv.get_n_splits(x, y)),
                             "seconds": time.perf_counter() - started, "part_std": float(scores.std())}
    return out


def _exhaustive_story(found: dict[str, dict[str, dict[str, float]]], names: dict[str, str], n_rows: int) -> str:
    parts = []
    for model, by_protocol in found.items():
        loo, lpo, kfold = (by_protocol[p] for p in EXHAUSTIVE)
        parts.append(f"{names.get(model, model)} on {n_rows} patients: leave-one-out {number(loo['estimate'])} "
                     f"({loo['splits']} fits, {number(loo['seconds'], 2)} s), leave-2-out {number(lpo['estimate'])} "
                     f"({lpo['splits']} fits, {number(lpo['seconds'], 2)} s), 5-fold {number(kfold['estimate'])} "
                     f"({kfold['splits']} fits, {number(kfold['seconds'], 2)} s).")
    if found:
        loo = next(iter(found.values()))["leave-one-out"]
        parts.append(f"Each leave-one-out test part is a single patient, scored 0 or 1, so the per-part accuracies "
                     f"spread with standard deviation {number(loo['part_std'])} (5-fold parts: "
                     f"{number(next(iter(found.values()))['5-fold']['part_std'])}) — the \"high variation in "
                     "testing\" "
                     f"of 001:1263. Their mean uses every row for training n − 1 times at the price of n fits; "
                     f"leave-2-out costs n(n − 1)/2 = {next(iter(found.values()))['leave-2-out']['splits']} fits, "
                     "which is why it is only practical on a small set.")
    return "\n\n".join(parts)


def experiment() -> Experiment:
    ## Build the variants: the two fixed models, as the standard report shows them
    variants = [Variant(name, estimator=estimator, label=label) for (name, estimator), label in
                zip(_models().items(), ["Logistic regression", "KNN, k = 3 (the notes' model)"])]
    ## Evaluate: stratified 5-fold for the standard report; the protocols are compared in analyze()
    return Experiment(
        name=NAME, title=TITLE, dataset="heart-disease", variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF,
        evaluation="cv", folds=5, headline_metric="accuracy", analyze=analyze,
        quick_samples=303, quick_epochs=2, quick_folds=2,
    )


## Analyse: rerun each protocol with many seeds and compare the spread of its estimates
def _summary(values: list[float]) -> dict[str, float]:
    return {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0,
            "min": min(values), "max": max(values)}


def spread_p_value(std_a: float, std_b: float, n: int) -> float:
    """Two-sided F-test p-value for "these two stds (each from n estimates) differ".

    Thirty estimates pin a standard deviation down to roughly ±13%, so a small difference between two
    protocols' spreads is noise; the text only calls a difference real when this test says so.
    """
    from scipy import stats

    if n < 2 or std_a <= 0 or std_b <= 0:
        return float("nan")
    ratio = (std_a / std_b) ** 2
    one_sided = stats.f.sf(ratio, n - 1, n - 1) if ratio > 1 else stats.f.cdf(ratio, n - 1, n - 1)
    return float(min(1.0, 2 * one_sided))


def _story(stats: dict[str, dict[str, dict[str, dict[str, float]]]], names: dict[str, str], repeats: int,
           n_rows: int) -> str:
    parts = [(f"Each protocol was run {repeats} times on the same {n_rows} patients with a different random "
              f"partition each time; the standard deviation of its {repeats} estimates is how far one run of "
              "that protocol can be trusted.")]
    for model, by_protocol in stats.items():
        for metric, title in METRICS.items():
            spread = {p: by_protocol[p][metric]["std"] for p in PROTOCOLS}
            low, high = min(spread, key=spread.get), max(spread, key=spread.get)
            text = (f"{names.get(model, model)}, {title}: the estimate varies least under {low} (std "
                    f"{number(spread[low])}) and most under {high} (std {number(spread[high])}, "
                    f"{number(spread[high] / spread[low], 1) if spread[low] > 0 else 'n/a'}× as much).")
            hold, fold = spread["holdout 80/20"], spread["5-fold"]
            p_value = spread_p_value(hold, fold, repeats)
            text += f" 80/20 holdout vs 5-fold: std {number(hold)} vs {number(fold)} (F-test p = {number(p_value)})"
            if p_value < 0.05:
                text += (" — averaging over five test folds that together cover every row narrows the spread, "
                         "as the notes' warning about a single split (001:1296) says." if fold < hold else
                         " — the single split is the steadier one here.")
            else:
                text += f" — not a difference {repeats} repeats can resolve."
            strat, plain = spread["stratified 5-fold"], spread["5-fold"]
            p_value = spread_p_value(strat, plain, repeats)
            text += f" Stratified vs plain 5-fold: std {number(strat)} vs {number(plain)} (p = {number(p_value)})"
            if p_value < 0.05:
                text += " — stratifying narrows it." if strat < plain else " — stratifying widens it here."
            else:
                text += f" — not a difference {repeats} repeats can resolve."
            means = {p: by_protocol[p][metric]["mean"] for p in PROTOCOLS}
            text += (f" Mean estimates range from {number(min(means.values()))} ({min(means, key=means.get)}) to "
                     f"{number(max(means.values()))} ({max(means, key=means.get)}).")
            parts.append(text)
    return "\n\n".join(parts)


def analyze(analysis: Analysis) -> list[Section]:
    repeats = QUICK_REPEATS if analysis.quick else REPEATS
    seeds = [analysis.seed * 1000 + r for r in range(repeats)]
    names = labels(analysis.record)
    estimates = {model: protocol_estimates(analysis.dataset, estimator, seeds)
                 for model, estimator in _models().items()}
    stats = {model: {p: {m: _summary(v) for m, v in by_metric.items()} for p, by_metric in by_protocol.items()}
             for model, by_protocol in estimates.items()}
    rows = [[names.get(model, model), protocol, title, s["mean"], s["std"], s["min"], s["max"]]
            for model, by_protocol in stats.items() for protocol in PROTOCOLS
            for metric, title in METRICS.items() for s in [by_protocol[protocol][metric]]]
    quantiles = [(i + 0.5) / repeats for i in range(repeats)]
    sections: list[dict[str, Any]] = []
    for metric, title in METRICS.items():
        sections.append(Bars(title=f"Spread of the estimated {title} across {repeats} partitions",
                             y_label=f"std of the {title} estimate", labels=PROTOCOLS,
                             series=[{"label": names.get(model, model),
                                      "values": [stats[model][p][metric]["std"] for p in PROTOCOLS]}
                                     for model in stats],
                             caption=f"Standard deviation of each protocol's {repeats} estimates (one per random "
                                     "partition of the same patients): lower is a more repeatable protocol."))
    sections.append(Bars(title="Mean estimate per protocol", y_label="mean estimate",
                         labels=PROTOCOLS,
                         series=[{"label": f"{names.get(model, model)}, {title}",
                                  "values": [stats[model][p][metric]["mean"] for p in PROTOCOLS]}
                                 for model in stats for metric, title in METRICS.items()],
                         caption=f"Average of each protocol's {repeats} estimates."))
    sections.append(Lines(title="Distribution of the accuracy estimate (logistic regression)",
                          x_label="quantile of the partitions", y_label="estimated accuracy",
                          series=[{"label": p, "x": quantiles, "y": sorted(estimates["logistic"][p]["accuracy"])}
                                  for p in PROTOCOLS],
                          caption=f"The {repeats} estimates of each protocol sorted: a flat line is a stable "
                                  "protocol, a steep one a noisy protocol."))
    sections.append(Table(title=f"Estimates over {repeats} random partitions per protocol",
                          columns=["model", "protocol", "metric", "mean", "std", "min", "max"], rows=rows))
    sections.append(Text(title="Which protocol to trust",
                         body=_story(stats, names, repeats, analysis.dataset.n_samples)))
    n_rows = QUICK_EXHAUSTIVE_ROWS if analysis.quick else EXHAUSTIVE_ROWS
    exhaustive = {model: exhaustive_estimates(analysis.dataset, estimator, min(n_rows, analysis.dataset.n_samples),
                                              analysis.seed) for model, estimator in _models().items()}
    sections.append(Table(
        title=f"Leave-one-out and leave-2-out on {n_rows} patients",
        columns=["model", "protocol", "accuracy estimate", "fits (splits)", "seconds", "std of per-part accuracy"],
        rows=[[names.get(model, model), p, m["estimate"], m["splits"], round(m["seconds"], 3), m["part_std"]]
              for model, by_protocol in exhaustive.items() for p, m in by_protocol.items()],
        caption="One stratified subsample of the patients; every protocol sees the same rows."))
    sections.append(Text(title="Exhaustive cross-validation: what it costs",
                         body=_exhaustive_story(exhaustive, names, n_rows)))
    return sections


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
