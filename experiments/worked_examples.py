"""
Title: The notes' worked numbers, recomputed with Keras layers
Description: The notes' worked examples — perceptron sum, the 4-3-1 MLP forward pass and
backprop step, convolutions, strides, padding, pooling and flattening, output-size formulas, the
one-weight gradient descent, the character RNN "hello", LSTM/GRU steps, Boltzmann numbers, parameter
counts, element-wise gates and confusion matrices — recomputed by Keras layers with the notes'
weights set by hand, next to the notes' value; and the numbers stated in the notes' prose and code
listings — layer shapes (32×32×3 → 32×32×12 → 16×16×12), transposed-convolution sizes, dilation,
transposed convolution vs deconvolution, the momentum rules, dropout rates and test-time scaling,
updates per epoch, coin vs die entropy, accuracy on 60:40 classes, the 70:30 split and the
probability-distribution listings — computed by Keras, NumPy, SciPy or scikit-learn. Numbers the
notes only show in figures, and examples whose inputs the OCR lost, are not covered; the module
docstrings of experiments/_worked_*.py say what was reconstructed.

The notes are slide and OCR exports, and some of their numbers are wrong. Each row below states the
notes' value, our value, how close they must be (the notes' printed precision unless said
otherwise) and, where the notes are wrong, the erratum and the correct value (CATALOG.md §6, plus
the ones this run found). Nothing is trained except where the notes train: one SGD step of the MLP,
the MLP's "thousands of iterations", and the one-weight gradient descent.
"""

from __future__ import annotations

from typing import Any

from kerasdl.harness import Analysis, Experiment
from kerasdl.report.sections import Images, Section, Table, Text

NAME = "worked-examples"
TITLE = "The notes' worked numbers recomputed with Keras layers (notes vs computed, errata flagged)"
NOTES_REF = "000:76-1906, 001:378-3528, 002:184-372, 003:169-1087, 004:378-840"


## Setup
# The examples live in three helper modules (one registry each, one function per table row), so that
# tests/test_worked_examples.py can make every row its own unit test.
def examples() -> list:
    """Every example, in the order of the report: dense/recurrent, convolution, models and metrics."""
    from kerasdl.experiments import _worked_conv, _worked_dense, _worked_misc
    from kerasdl.experiments import _worked_recurrent  # recurrent family: "hello" sums, LSTM/GRU steps
    from kerasdl.experiments import _worked_boltzmann  # Boltzmann family: Bernoulli numbers, RBM conditional
    from kerasdl.experiments import _worked_extra  # prose and listings: shapes, momentum, dropout, distributions

    return [
        *_worked_dense.REGISTRY.examples,
        *_worked_conv.REGISTRY.examples,
        *_worked_misc.REGISTRY.examples,
        *_worked_recurrent.REGISTRY.examples,
        *_worked_boltzmann.REGISTRY.examples,
        *_worked_extra.REGISTRY.examples,
    ]


def rows() -> list[dict[str, Any]]:
    """Compute every row (Keras runs here): notes' value, computed value, agreement, erratum."""
    return [example.row() for example in examples()]


## Report sections
def _agreement(row: dict[str, Any]) -> str:
    import numpy as np

    tol = np.atleast_1d(np.asarray(row["tolerance"], dtype=float))
    within = "exact" if not tol.any() else "±" + "/".join(f"{t:.2g}" for t in tol)  # 2 digits hide digits()'s 1e-9
    if row["status"] == "ok":
        return f"yes ({within})"
    if row["status"] == "erratum":
        return "no: erratum, computed value is the correct one"
    return f"NO: mismatch (tolerance {within})"


def results_table(found: list[dict[str, Any]]) -> Table:
    from kerasdl.experiments._worked_common import format_value

    def note(row):
        if not row["erratum"]:
            return ""
        return ("CATALOG §6: " if row["catalog"] else "new (not in CATALOG §6): ") + row["erratum"]

    return Table(
        title="Worked examples: the notes' value vs Keras",
        caption="One row per worked number. Agreement is within the notes' printed precision (half a unit "
                "of their last digit) unless the tolerance says otherwise. Erratum rows show the notes' "
                "wrong value and our computed value, which equals the correct one.",
        columns=["example", "source", "notes' value", "computed value", "agreement", "erratum note"],
        rows=[[r["example"], r["source"], format_value(r["notes_value"]), format_value(r["computed_value"]),
               _agreement(r), note(r)] for r in found],
        row_status=[r["status"] for r in found],
    )


def size_table() -> Table:
    """Part of the output-size grid, with every formula variant side by side."""
    from kerasdl.experiments._worked_common import format_value
    from kerasdl.experiments._worked_conv import size_grid

    shown = [g for g in size_grid() if g["W"] in (5, 6, 7, 8) and g["F"] in (2, 3)]
    table_rows, status = [], []
    for g in shown:
        table_rows.append([g["W"], g["F"], g["S"], g["keras_valid"], g["formula_valid"],
                           format_value(g["unfloored_valid"]), g["keras_same"], g["ceil"], g["formula_same"],
                           g["formula_whole_pad"]])
        differs = g["formula_whole_pad"] != g["keras_same"] or not float(g["unfloored_valid"]).is_integer()
        status.append("info" if differs else "ok")
    return Table(
        title="Output size: ⌊(W − F + 2P)/S⌋ + 1 vs Keras",
        caption="Real Keras Conv2D output lengths for input W, kernel F, stride S. 'valid' is P = 0; 'same' "
                "is ⌈W/S⌉, which the formula gives with P = (F−1)/2 (half a pixel for even F). Rows marked "
                "info: the formula without the floor (004:819 as printed) is not an integer, or the "
                "whole-pixel symmetric P = ⌊(F−1)/2⌋ misses Keras's 'same' size.",
        columns=["W", "F", "S", "Keras valid", "⌊(W−F)/S⌋+1", "(W−F)/S+1 (no floor)", "Keras same",
                 "⌈W/S⌉", "formula, P=(F−1)/2", "formula, P=⌊(F−1)/2⌋"],
        rows=table_rows, row_status=status,
    )


def summary(found: list[dict[str, Any]]) -> Text:
    """What this run found, every number computed here."""
    from kerasdl.experiments import _worked_conv, _worked_dense
    from kerasdl.experiments._worked_common import format_value

    count = {s: sum(r["status"] == s for r in found) for s in ("ok", "erratum", "mismatch")}
    errata = [r for r in found if r["status"] == "erratum"]
    new = [f"{r['source']} ({r['key']})" for r in errata if not r["catalog"]]
    paragraphs = [
        f"{len(found)} worked examples: {count['ok']} agree with the notes, {count['erratum']} are errata "
        f"({len(errata) - len(new)} listed in CATALOG.md §6, {len(new)} found by this run"
        + (": " + "; ".join(new) if new else "") + f"), {count['mismatch']} mismatch."]
    step = _worked_dense.mlp_step()
    change = step["wout"] - _worked_dense.WOUT.ravel()
    default_change = step["wout_default_loss"] - _worked_dense.WOUT.ravel()
    paragraphs.append(
        "The 4-3-1 backprop step is reproduced by keras.optimizers.SGD(0.1) on gradients of the notes' loss, "
        f"Σ½(y − o)² summed over the three samples: wout → {format_value(step['wout'])}, equal to the notes' "
        "hand formulas. Keras's default MeanSquaredError (mean over the samples, no ½) gives wout → "
        f"{format_value(step['wout_default_loss'])}, a step {default_change[0] / change[0]:.4f} times as large.")
    history, final = _worked_dense.one_weight_descent()
    paragraphs.append(
        f"The one-weight descent of 003:178-185 is one fixed rule, w ← w − 0.1·2x(xw − y) per sample "
        f"(Keras MeanSquaredError on one sample and SGD(0.1)): w = {format_value(history)}; after 31 passes "
        f"w = {final:.6f}.")
    grid = _worked_conv.size_grid()
    n = len(grid)
    even = [g for g in grid if g["F"] % 2 == 0]
    paragraphs.append(
        f"Output size over {n} (W, F, S) cases: ⌊(W−F)/S⌋+1 equals Keras 'valid' in "
        f"{sum(g['formula_valid'] == g['keras_valid'] for g in grid)}/{n}; with P = (F−1)/2 the formula equals "
        f"Keras 'same' (⌈W/S⌉) in {sum(g['formula_same'] == g['keras_same'] for g in grid)}/{n}, since "
        "W − F + 2P = W − 1. For even F that P is half a pixel, which no symmetric zero frame gives: the "
        f"whole-pixel P = ⌊(F−1)/2⌋ misses Keras's size in "
        f"{sum(g['formula_whole_pad'] != g['keras_same'] for g in even)} of {len(even)} even-F cases (TensorFlow "
        "puts the odd pixel at the bottom/right). Without the floor, as 004:819 prints it, the formula is not an "
        f"integer in {sum(not float(g['unfloored_valid']).is_integer() for g in grid)}/{n} cases.")
    demo = _worked_conv.padding_demo()
    paragraphs.append(
        "Padding changes values, not just sizes: with stride 2, Keras 'same' on the notes' 6×6 image pads "
        f"one pixel at the bottom/right only and gives {format_value(demo['keras_same'])}; the notes' 1-pixel "
        f"zero frame followed by stride 2 gives {format_value(demo['frame_then_stride'])}.")
    from kerasdl.experiments._worked_extra import learning_rate_steps

    steps = learning_rate_steps()
    paragraphs.append(
        "Learning rate (001:3123 says a lower one trains faster): on the same one-weight problem, plain SGD "
        f"needs {steps['0.01']} updates at lr 0.01 and {steps['0.1']} at lr 0.1 to come within 0.01 of w = 2; "
        "the learning-rate study measures the same on real data.")
    return Text(title="What this run found", body="\n\n".join(paragraphs))


def deconvolution_images() -> Images:
    """001:2153-2159: the image, its convolution, the transposed convolution of that, and the deconvolution."""
    from kerasdl.experiments._worked_extra import deconvolution_demo

    demo = deconvolution_demo()
    image = demo["image"]
    error = float(abs(demo["transposed"] - image).max())
    return Images(
        title="Transposed convolution is not deconvolution",
        images=[{"label": "image x (6×6, 000:509)", "pixels": image.tolist()},
                {"label": "Conv2D(x), valid (4×4)", "pixels": demo["valid"].tolist()},
                {"label": "Conv2DTranspose of that (6×6)", "pixels": demo["transposed"].tolist()},
                {"label": "full Conv2D(x) (8×8)", "pixels": demo["full"].tolist()},
                {"label": "least-squares deconvolution (6×6)", "pixels": demo["deconvolved"].tolist()}],
        columns=5,
        caption=f"Same X kernel throughout. The transposed convolution restores the 6×6 shape, not the image (largest "
                f"error {error:.0f} on pixels of 0-255): it multiplies by Aᵀ, where the convolution multiplies by A "
                f"(the valid A is 16×36 of rank {demo['rank_valid']}, so nothing can invert it). The full "
                f"convolution's A is 64×36 of rank {demo['rank_full']}; solving it by least squares gives x back "
                f"to within {float(abs(demo['deconvolved'] - image).max()):.1e}.")


def analyze(analysis: Analysis) -> list[Section]:
    """No dataset and no variants: the whole study is these sections."""
    import keras

    keras.utils.set_random_seed(analysis.seed)   # nothing random is used; initial weights are overwritten
    found = rows()
    return [summary(found), results_table(found), size_table(), deconvolution_images()]


def experiment() -> Experiment:
    return Experiment(name=NAME, title=TITLE, dataset=None, variants=[], notes_ref=NOTES_REF,
                      description=__doc__.split("\n\n", 1)[1].strip(), analyze=analyze)


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
