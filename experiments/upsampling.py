"""
Title: Upsampling 4×4 digits back to 8×8 — transposed convolution vs interpolation vs ridge regression
Description: a learned Conv2DTranspose decoder against fixed nearest-neighbour and bilinear upsampling
and a linear (ridge) map, on digits shrunk by 2×2 average pooling.

Notes 001:2131-2159: a transposed convolution upsamples — its output length is (i − 1)·s + k − 2p —
and learns its weights by gradient descent, but it only restores the spatial size: it is not the
mathematical inverse (deconvolution) of the convolution, so it "does not give the same output as the
input". Here every 8×8 scikit-learn digit is reduced to 4×4 by 2×2 average pooling (dataset
`digits-upsample`) and each model must recover the 8×8 original from it. The decoder is one
stride-2 Conv2DTranspose block (32 filters, kernel 4, padding 1: (4 − 1)·2 + 4 − 2 = 8) and a 4×4
output convolution with a sigmoid. The baselines learn nothing (nearest: copy each pixel into a 2×2
block; bilinear: interpolate between pixel centres, as keras.layers.UpSampling2D does) or are
linear (ridge regression from the 16 input pixels to the 64 output pixels).
"""

from __future__ import annotations

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Images, Lines, Section, Table, Text

NAME = "upsampling"
TITLE = "Upsampling 4×4 digits to 8×8: Conv2DTranspose decoder vs nearest / bilinear vs ridge"
NOTES_REF = "001:2131-2159"

## Setup
DECODER = {"filters": (32,), "kernel_size": 4, "strides": 2, "padding": 1}
FIT = {"epochs": 200, "batch_size": 64, "patience": 15, "learning_rate": 1e-2}
SHOWN = 8  # test digits drawn in the report


def experiment() -> Experiment:
    """The learned decoder and three baselines on the same 60/20/20 split of digits-upsample."""
    from sklearn.linear_model import Ridge

    from kerasdl.resize_baselines import ResizeUpsampler

    ## Build the variants
    variants = [
        Variant("conv-decoder", builder="conv_decoder", hyperparameters=DECODER,
                label="Conv2DTranspose decoder (32 filters, k 4, s 2, p 1)", **FIT),
        Variant("nearest", estimator=ResizeUpsampler("nearest"), label="nearest-neighbour upsampling (fixed)"),
        Variant("bilinear", estimator=ResizeUpsampler("bilinear"), label="bilinear upsampling (fixed)"),
        Variant("ridge", estimator=Ridge(alpha=1.0), label="ridge regression, 16 → 64 pixels"),
    ]
    ## Evaluate on the held-out test digits: pixel-wise MSE (headline), MAE, R²
    return Experiment(
        name=NAME, title=TITLE, dataset="digits-upsample", variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF,
        evaluation="holdout", headline_metric="mse", analyze=analyze,
        quick_samples=300, quick_epochs=2, quick_folds=1,
    )


## Analyse
def analyze(analysis) -> list[Section]:
    """Error table, decoder learning curve, a grid of test digits through every model, findings."""
    entries = [v for v in analysis.record["variants"] if v["status"] == "completed"]
    return [_table(entries, analysis), _curve(analysis, entries), _images(analysis, entries),
            Text(title="What this run shows", body=_findings(analysis, entries))]


def _learned_parameters(entry, analysis) -> int | None:
    """Keras: the model's count. Ridge: one weight per (input, output) pixel pair plus an intercept per
    output pixel. The fixed resizers learn nothing (0)."""
    if entry["kind"] == "keras":
        return entry["parameter_count"]
    if entry["builder"] == "Ridge":
        n_in = _pixels(analysis.dataset.input_shape)
        n_out = _pixels(analysis.dataset.target.shape[1:])
        return n_in * n_out + n_out
    return 0


def _pixels(shape) -> int:
    total = 1
    for d in shape:
        total *= int(d)
    return total


def _table(entries, analysis) -> Table:
    from kerasdl.report.study_helpers import entry_metric, fit_seconds

    rows = [[e["label"], _learned_parameters(e, analysis), round(entry_metric(e, "mse"), 5),
             round(entry_metric(e, "mae"), 4), round(entry_metric(e, "r2"), 4),
             round(entry_metric(e, "reconstruction_error_max"), 4), round(fit_seconds(e), 2)]
            for e in entries]
    return Table(title="Reconstruction error on the held-out test digits",
                 columns=["model", "learned parameters", "MSE per pixel", "MAE per pixel", "R² (pixels)",
                          "worst digit's MSE", "fit time (s)"],
                 rows=rows,
                 caption="Pixels are in [0, 1]. The fixed upsamplers learn nothing; their fit only reads the sizes.")


def _curve(analysis, entries) -> Lines:
    series = []
    for entry in entries:
        for key, what in (("loss", "training"), ("val_loss", "validation")):
            curve = analysis.curve(entry["name"], key)
            if curve:
                series.append({"label": f"{entry['label']}: {what}", "x": list(range(1, len(curve) + 1)),
                               "y": curve})
    return Lines(title="Decoder training: MSE per epoch", x_label="epoch",
                 y_label="MSE per pixel", log_y=True, series=series)


def _images(analysis, entries) -> Images:
    """Input, target and every model's output for the first SHOWN test digits, one row per kind.

    Every variant is scored on the same test rows in the same order (the harness shares the folds),
    so column j is the same digit in every row.
    """
    import numpy as np

    first = entries[0]["name"]
    index = np.asarray(analysis.predictions[f"{first}/fold0/index"])[:SHOWN]
    target = np.asarray(analysis.predictions[f"{first}/fold0/y_true"])[:SHOWN]
    inputs = np.asarray(analysis.dataset.features)[index]
    digits = analysis.dataset.extras.get("digit")
    same_rows = digits is not None and len(digits) == analysis.dataset.n_samples
    images = []

    def row(name: str, pictures) -> None:
        for position, picture in enumerate(pictures):
            tag = f" (digit {int(digits[index[position]])})" if same_rows and name == "input 4×4" else ""
            images.append({"label": f"{name}{tag}", "pixels": np.asarray(picture)[..., 0].round(4).tolist(),
                           "range": [0, 1]})

    row("input 4×4", inputs)
    row("target 8×8", target)
    for entry in entries:
        key = f"{entry['name']}/fold0"
        if f"{key}/y_score" in analysis.predictions:
            row(entry["name"], np.asarray(analysis.predictions[f"{key}/y_score"])[:SHOWN])
    return Images(title=f"{len(index)} test digits: input, target and the output of each model",
                  columns=len(index), images=images,
                  caption="One row per kind, one column per test digit; every image on the same 0 (black) … 1 "
                          "(white) scale.")


def _findings(analysis, entries) -> str:
    from kerasdl.report.study_helpers import entry_metric
    from kerasdl.models.convolutional import transposed_conv_output_size

    by = {e["name"]: e for e in entries}
    out = []
    decoder = by.get("conv-decoder")
    if decoder:
        i = int(analysis.dataset.input_shape[0])
        k, s, p = DECODER["kernel_size"], DECODER["strides"], DECODER["padding"]
        formula = (i - 1) * s + k - 2 * p
        helper = transposed_conv_output_size(i, k, s, p)
        built = next((r["output_shape"] for r in decoder["model_summary"] if r["name"] == "crop_1"), "?")
        raw = next((r["output_shape"] for r in decoder["model_summary"] if r["name"] == "upconv_1"), "?")
        out.append(
            f"Output size (001:2131-2159): (i − 1)·s + k − 2p = ({i} − 1)·{s} + {k} − 2·{p} = {formula}; "
            f"kerasdl's transposed_conv_output_size gives {helper}, and the built Keras layer outputs {raw} before "
            f"the {p}-pixel crop that is padding p for a transposed convolution, {built} after it.")
    ranked = sorted(entries, key=lambda e: entry_metric(e, "mse"))
    if ranked:
        listing = ", ".join(f"{e['name']} {entry_metric(e, 'mse'):.5f}" for e in ranked)
        out.append(f"Test MSE per pixel, best first: {listing}.")
    if decoder and "bilinear" in by:
        ratio = entry_metric(decoder, "mse") / entry_metric(by["bilinear"], "mse")
        better = ratio < 1
        out.append(
            f"The learned decoder's error is {ratio:.2f}× bilinear interpolation's: "
            + ("learning the upsampling kernels from data beats a fixed interpolation on these digits."
               if better else "on this run learning the kernels did not beat a fixed interpolation."))
        if "ridge" in by:
            ridge = by["ridge"]
            out.append(
                f"Against the linear map with about as many parameters (ridge: {_learned_parameters(ridge, analysis):,}"
                f", decoder: {decoder['parameter_count']:,}) the decoder's error is "
                f"{entry_metric(decoder, 'mse') / entry_metric(ridge, 'mse'):.2f}× ridge's: local kernels shared "
                "across the image, with a nonlinearity between them, "
                + ("do better than one dense linear map." if entry_metric(decoder, "mse") < entry_metric(ridge, "mse")
                   else "do not beat one dense linear map on this run."))
        fold = decoder["folds"][0]
        if fold.get("best_epoch") and fold.get("epochs_run") and fold["best_epoch"] == fold["epochs_run"]:
            out.append(f"The decoder's validation error was still falling at its last epoch ({fold['epochs_run']}): "
                       "more epochs would lower it further.")
        out.append(
            f"It is not an inverse: its error on the test digits is {entry_metric(decoder, 'mse'):.5f} per pixel, "
            "not 0 — averaging four pixels into one discards detail that no upsampler can recover exactly, "
            "which is the notes' distinction between a transposed convolution and a deconvolution.")
    return "\n\n".join(out)


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
