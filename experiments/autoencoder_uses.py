"""
Title: What autoencoders are used for — anomaly detection, missing-pixel imputation, denoising
Description: autoencoders trained on every digit but one: reconstruction error flags the unseen digit
(ROC AUC), a masking-trained autoencoder fills in missing pixels, a noise-trained one removes noise.

Notes 001:3252-3283 list the applications (denoising, dimensionality reduction, feature variation,
watermark removal) and 001:3622-3630 add data imputation and anomaly detection: "train a model to
reconstruct normal data and then flag challenging inputs as potentially abnormal". Dataset
`digits-anomaly`: the models are trained and validated on the digits other than 7; the test set is
the normal test digits plus every 7. Anomaly score = a test image's reconstruction MSE; scored with
ROC AUC (scikit-learn's roc_auc_score) against PCA's reconstruction error with the same number of
components. Imputation: a fixed random 30% of each normal test digit's pixels set to 0 (missing),
filled by the model's output, against filling with the training mean of that pixel and with
scikit-learn's KNNImputer (5 neighbours) — error on the missing pixels only. Denoising: Gaussian
noise σ = 0.3 on the normal test digits.
"""

from __future__ import annotations

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Histogram, Images, Lines, Section, Table, Text

NAME = "autoencoder-uses"
TITLE = "Autoencoder uses: anomaly detection (ROC AUC), missing-pixel imputation, denoising"
NOTES_REF = "001:3252-3283, 001:3616-3630"

## Setup
CODE = 16
MISSING = 0.3
NOISE = 0.3
SHOWN = 8
FIT = {"epochs": 150, "batch_size": 64, "patience": 15, "learning_rate": 3e-3, "loss": "binary_crossentropy"}


def _masks(x, seed: int = 1):
    import numpy as np

    return np.random.default_rng(seed).uniform(size=np.shape(x)) < MISSING  # True = missing


def _probe(model, arrays) -> dict:
    """Per test row: squared error on the missing pixels after imputation, and MSE after denoising
    (the analysis keeps the normal rows). Also the KNN and mean imputations on the same masks."""
    import numpy as np
    from sklearn.impute import KNNImputer

    x = np.asarray(arrays.x_test, dtype=np.float32)
    train = np.asarray(arrays.x_train, dtype=np.float32).reshape(len(arrays.x_train), -1)
    missing = _masks(x)
    holed = np.where(missing, 0.0, x).astype(np.float32)
    filled = np.asarray(model(holed, training=False))
    per_row = lambda a: [float(v) for v in (np.where(missing, (a - x) ** 2, 0).reshape(len(x), -1).sum(1)
                                            / np.maximum(missing.reshape(len(x), -1).sum(1), 1))]
    mean_fill = np.where(missing, train.mean(axis=0).reshape(x.shape[1:]), x)
    flat = np.where(missing, np.nan, x).reshape(len(x), -1)
    knn = KNNImputer(n_neighbors=5).fit(train).transform(flat).reshape(x.shape)
    noisy = np.clip(x + NOISE * np.random.default_rng(2).standard_normal(x.shape), 0, 1).astype(np.float32)
    denoised = np.asarray(model(noisy, training=False))
    return {"impute_model": per_row(filled), "impute_mean": per_row(mean_fill), "impute_knn": per_row(knn),
            "denoise_noisy": [float(v) for v in ((noisy - x) ** 2).reshape(len(x), -1).mean(1)],
            "denoise_model": [float(v) for v in ((denoised - x) ** 2).reshape(len(x), -1).mean(1)],
            "shown_holed": holed[:SHOWN, ..., 0].round(4).tolist(),
            "shown_filled": np.where(missing, filled, x)[:SHOWN, ..., 0].round(4).tolist()}


def experiment() -> Experiment:
    from sklearn.decomposition import PCA

    variants = [
        Variant("autoencoder", builder="autoencoder", hyperparameters={"code_size": CODE},
                label=f"autoencoder 64-{CODE}-64", probe=_probe, **FIT),
        Variant("dae-masking", builder="denoising_autoencoder",
                hyperparameters={"code_size": 32, "corruption": "masking", "noise": MISSING},
                label=f"DAE 64-32-64 trained with {MISSING:.0%} of pixels masked", probe=_probe, **FIT),
        Variant("dae-gaussian", builder="denoising_autoencoder",
                hyperparameters={"code_size": 32, "corruption": "gaussian", "noise": NOISE},
                label=f"DAE 64-32-64 trained with Gaussian σ = {NOISE}", probe=_probe, **FIT),
        Variant("pca", estimator=PCA(CODE), label=f"PCA, {CODE} components"),
    ]
    return Experiment(
        name=NAME, title=TITLE, dataset="digits-anomaly", variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF, evaluation="holdout",
        headline_metric="mse", analyze=analyze,
        quick_samples=400, quick_epochs=1, quick_folds=1)


## Analyse
def _rows(analysis, name):
    """(per-row reconstruction MSE, anomaly flag per row or None) of one variant's test rows."""
    import numpy as np

    key = f"{name}/fold0"
    if f"{key}/y_score" not in analysis.predictions:
        return None, None
    y, s = (np.asarray(analysis.predictions[f"{key}/{k}"], dtype=float) for k in ("y_true", "y_score"))
    error = ((y - s) ** 2).reshape(len(y), -1).mean(axis=1)
    flags = analysis.dataset.extras.get("anomaly") if analysis.dataset is not None else None
    if flags is None or len(flags) != analysis.dataset.n_samples:
        return error, None
    return error, np.asarray(flags)[np.asarray(analysis.predictions[f"{key}/index"], dtype=int)]


def analyze(analysis) -> list[Section]:
    import numpy as np
    from sklearn.metrics import roc_auc_score, roc_curve

    entries = [v for v in analysis.record["variants"] if v["status"] == "completed"]
    sections: list[Section] = []
    auc, curves, hist, normal = {}, [], [], None
    for e in entries:
        error, flags = _rows(analysis, e["name"])
        if error is None or flags is None or len(set(flags.tolist())) < 2:
            continue
        normal = flags == 0
        auc[e["name"]] = float(roc_auc_score(flags, error))
        fpr, tpr, _ = roc_curve(flags, error)
        curves.append({"label": f"{e['label']} (AUC {auc[e['name']]:.3f})", "x": fpr.tolist(), "y": tpr.tolist()})
        if e["name"] == "autoencoder":
            hist = [{"label": "normal test digits", "values": error[flags == 0].tolist()},
                    {"label": "unseen digit (anomaly)", "values": error[flags == 1].tolist()}]
    rows = []
    for e in entries:
        probe = (e["folds"][0].get("probe") or {}) if e.get("folds") else {}
        keep = normal if normal is not None and probe else None
        pick = (lambda k: float(np.mean(np.asarray(probe[k])[keep]))) if keep is not None else (lambda k: float("nan"))
        rows.append([e["label"], round(auc.get(e["name"], float("nan")), 4),
                     round(pick("impute_model"), 5) if probe else None,
                     round(pick("denoise_model"), 5) if probe else None])
    base = next(((e["folds"][0].get("probe") or {}) for e in entries if e.get("folds") and e["folds"][0].get("probe")), {})
    if base and normal is not None:
        rows.append(["fill with the training mean pixel", None, round(float(np.mean(np.asarray(base["impute_mean"])[normal])), 5), None])
        rows.append(["scikit-learn KNNImputer (k = 5)", None, round(float(np.mean(np.asarray(base["impute_knn"])[normal])), 5), None])
        rows.append(["(noisy input, no model)", None, None, round(float(np.mean(np.asarray(base["denoise_noisy"])[normal])), 5)])
    sections.append(Table(title="Three uses on the held-out digits", rows=rows,
                          columns=["model", "anomaly ROC AUC (reconstruction error)",
                                   f"imputation MSE on the {MISSING:.0%} missing pixels",
                                   f"denoising MSE (Gaussian σ = {NOISE})"],
                          caption="Imputation and denoising are measured on the normal test digits only."))
    if curves:
        sections.append(Lines(title="ROC curves: reconstruction error as an anomaly score", series=curves,
                              x_label="false positive rate", y_label="true positive rate"))
    if hist:
        sections.append(Histogram(title="Reconstruction error of normal and anomalous test digits", series=hist,
                                  bins=30, x_label="reconstruction MSE of one image"))
    shown = next((e for e in entries if e["name"] == "dae-masking" and e["folds"][0].get("probe")), None)
    if shown:
        probe = shown["folds"][0]["probe"]
        images = [{"label": "30% missing", "pixels": p, "range": [0, 1]} for p in probe["shown_holed"]]
        images += [{"label": "filled in", "pixels": p, "range": [0, 1]} for p in probe["shown_filled"]]
        sections.append(Images(title="Missing pixels filled in by the masking-trained autoencoder", images=images,
                               columns=SHOWN))
    sections.append(Text(title="What this run shows", body=_findings(auc, rows)))
    return sections


def _findings(auc, rows) -> str:
    from kerasdl.report.study_helpers import number

    if not auc:
        return ("Anomaly labels were not available for these rows (a subsampled dataset), so no ROC AUC "
                "was computed.")
    learned = {k: v for k, v in auc.items() if k != "pca"} or auc
    best = max(learned, key=learned.get)
    out = [f"Reconstruction error separates the unseen digit from the normal ones: ROC AUC "
           f"{number(auc[best], 3)} for the best autoencoder ({best}), {number(auc.get('pca'), 3)} for PCA with "
           f"{CODE} components (0.5 would be chance). Every model learned only the normal digits, so an image "
           "unlike them is reconstructed worse — the anomaly detector of 001:3627."]
    table = {r[0]: r for r in rows}
    mean_fill = table.get("fill with the training mean pixel")
    masking = next((r for r in rows if r[0].startswith("DAE 64-32-64 trained with") and "masked" in r[0]), None)
    if mean_fill and masking and masking[2] is not None:
        out.append(f"Imputation: the masking-trained autoencoder's error on missing pixels is {number(masking[2], 4)}, "
                   f"filling with the mean pixel {number(mean_fill[2], 4)}, KNN "
                   f"{number(table['scikit-learn KNNImputer (k = 5)'][2], 4)}.")
    return "\n\n".join(out)


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
