"""
Title: Regression losses with outliers — MSE vs MAE vs Huber vs MSLE
Description: The same MLP trained on the diabetes data with each of the notes' regression losses,
after gross outliers were injected into the training and validation targets only; every model is
scored on the untouched test split.

The notes: MSE "strongly punishes outliers" because squaring gives large mistakes a disproportionate
weight; MAE "is more robust to outliers"; Huber is the compromise (squared for small errors, linear
for large ones); MSLE compares log(1 + y) and so shrinks large values (004:436-512, 003:322-331).
To see what that means for a fitted model, 10% of the rows the models learn from (train and
validation) have their target raised by 4 to 8 standard deviations; the test rows are left clean.
A loss that lets the outliers pull the fit shows it as a positive bias on the clean test targets.
Linear least squares (the linear twin of MSE) and scikit-learn's HuberRegressor are fitted on the
same rows for reference. The dataset is built with seed 0 whatever the run's seed (which then
only changes the networks' initial weights).
"""

from __future__ import annotations

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Bars, Section, Text

NAME = "losses"
TITLE = "Regression losses with injected outliers: MSE vs MAE vs Huber vs MSLE on clean test data"
NOTES_REF = "004:436-512, 003:322-331"

## Setup
OUTLIERS = {"fraction": 0.1, "low": 4.0, "high": 8.0}
HUBER_DELTA = 50.0  # target units: about one residual standard deviation of a good fit of diabetes
MLP = {"units": [32, 16], "activation": "relu"}
FIT = {"epochs": 150, "batch_size": 32, "patience": 20, "learning_rate": 0.01}


def outlier_dataset(seed: int = 0):
    """diabetes (scikit-learn's bundled copy, original units) with outliers in train+val targets."""
    from kerasdl import data
    from kerasdl.losses import with_training_outliers

    return with_training_outliers(data.load("diabetes", seed=seed), seed=seed, **OUTLIERS)


def experiment() -> Experiment:
    """Four Keras losses on one network, two linear references; clean test split."""
    from sklearn.linear_model import HuberRegressor, LinearRegression

    from kerasdl.losses import NamedHuber

    ## Build the variants
    variants = [
        Variant("mse", builder="mlp", hyperparameters=MLP, loss="mse", label="MSE", **FIT),
        Variant("mae", builder="mlp", hyperparameters=MLP, loss="mae", label="MAE", **FIT),
        Variant("huber", builder="mlp", hyperparameters=MLP, loss=NamedHuber(HUBER_DELTA),
                label=f"Huber (δ = {HUBER_DELTA:g})", **FIT),
        Variant("msle", builder="mlp", hyperparameters=MLP, loss="msle", label="MSLE", **FIT),
        Variant("linear-ols", estimator=LinearRegression(), label="linear least squares (reference)"),
        Variant("linear-huber", estimator=HuberRegressor(max_iter=1000), label="linear Huber (reference)"),
    ]
    ## Evaluate on the clean test split
    return Experiment(
        name=NAME, title=TITLE, dataset=outlier_dataset(), variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF,
        evaluation="holdout", headline_metric="mae", analyze=analyze,
        quick_samples=200, quick_epochs=2,
    )


## Report sections
def test_bias(analysis) -> dict[str, float]:
    """Mean of (prediction − clean target) on the test split, per variant: the outliers' pull."""
    import numpy as np

    bias = {}
    for variant in analysis.record["variants"]:
        errors = [analysis.predictions[f"{variant['name']}/fold{f['fold']}/y_score"]
                  - analysis.predictions[f"{variant['name']}/fold{f['fold']}/y_true"]
                  for f in variant["folds"] if f"{variant['name']}/fold{f['fold']}/y_score" in analysis.predictions]
        if errors:
            bias[variant["name"]] = float(np.mean(np.concatenate(errors)))
    return bias


def analyze(analysis) -> list[Section]:
    from kerasdl.report.study_helpers import comparison_table, metric_mean, overlaid_curves

    bias = test_bias(analysis)
    variants = analysis.record["variants"]
    return [
        comparison_table(analysis, ["mae", "rmse", "r2"], title="Losses side by side (clean test split)",
                         caption="Mean signed error = mean(prediction − target) on the clean test rows; "
                                 "a positive value is the outliers pulling the fit up.",
                         extra={"mean signed error": {k: round(v, 2) for k, v in bias.items()}}),
        Bars(title="Test error by loss", y_label="target units",
             caption="MAE and RMSE on the clean test split.",
             labels=[v["label"] for v in variants],
             series=[{"label": m.upper(), "values": [metric_mean(v, m) for v in variants]} for m in ("mae", "rmse")]),
        overlaid_curves(analysis, "val_mae", title="Validation MAE per epoch", y_label="validation MAE",
                        caption="Mean absolute error on the validation rows, which contain outliers like the "
                                "training rows; only the test split is clean."),
        _findings(analysis, bias),
    ]


def _findings(analysis, bias: dict[str, float]) -> Text:
    from kerasdl.report.study_helpers import clearly_lower, fmt, metric_mean

    variants = {v["name"]: v for v in analysis.record["variants"]}
    mae = {name: metric_mean(v, "mae") for name, v in variants.items()}
    paragraphs = []
    sigma = analysis.dataset.extras.get("outlier_sigma") if analysis.dataset is not None else None
    n_out = len(analysis.dataset.extras.get("outlier_rows", ())) if analysis.dataset is not None else 0
    if sigma:
        paragraphs.append(f"{n_out} training/validation targets were raised by 4-8 σ (σ = {fmt(sigma)}).")
    keras_names = [n for n in ("mse", "mae", "huber", "msle") if mae.get(n) is not None]
    if keras_names:
        order = sorted(keras_names, key=mae.get)
        paragraphs.append("Test MAE of the networks, best first: "
                          + ", ".join(f"{variants[n]['label']} {fmt(mae[n])} (mean signed error "
                                      f"{fmt(bias.get(n))})" for n in order) + ".")
    if mae.get("mse") is not None and mae.get("mae") is not None:
        robust = [n for n in ("mae", "huber") if clearly_lower(mae.get(n), mae["mse"])]
        verdict = (f"{' and '.join(variants[n]['label'] for n in robust)} fit the clean test data better than MSE"
                   if robust else "neither MAE nor Huber beat MSE by more than 2% on the clean test data in this run")
        n_test = variants["mse"]["folds"][0]["n_test"] if variants["mse"]["folds"] else 0
        paragraphs.append(f"So {verdict} ({n_test} test rows): MSE's test MAE is {fmt(mae['mse'])} with a mean "
                          f"signed error of {fmt(bias.get('mse'))}, against {fmt(bias.get('mae'))} for MAE"
                          + (" — the squared loss lets the raised targets pull its predictions up."
                             if bias.get("mse", 0.0) > 2 * abs(bias.get("mae", 0.0)) else "."))
    if mae.get("linear-ols") is not None and mae.get("linear-huber") is not None:
        paragraphs.append(f"Linear references on the same rows: least squares {fmt(mae['linear-ols'])} (mean signed "
                          f"error {fmt(bias.get('linear-ols'))}), Huber regression {fmt(mae['linear-huber'])} "
                          f"({fmt(bias.get('linear-huber'))}).")
    if analysis.quick:
        paragraphs.append("Quick run: 2 epochs on a subsample, far from a fitted model.")
    return Text(title="What this run shows", body="\n\n".join(paragraphs))


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
