"""
Title: Contractive autoencoders — how much the code moves when the input moves
Description: the same sigmoid autoencoder trained with and without the contractive penalty
λ·‖∂h/∂x‖²_F; code sensitivity to input perturbations against reconstruction error.

The notes list "smallness of the derivative of the representation" among the properties a regularized
autoencoder may ask for (001:3458) but give no formula, so this follows Rifai et al. (2011): the loss adds λ times the squared Frobenius norm of the encoder's
Jacobian at each training input, which asks the code to change little when the input changes a
little — except along the directions the reconstruction needs. All models are 64-32-64 with a
sigmoid code and binary cross-entropy; λ = 0 is the plain autoencoder (same builder, same
initial weights). Measured on the test digits: ‖∂h/∂x‖²_F (exact, by gradient tape), and the
code's response ‖h(x + δ) − h(x)‖ / ‖δ‖ to random perturbations δ of several sizes.
"""

from __future__ import annotations

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Lines, Section, Table, Text

NAME = "contractive"
TITLE = "Contractive autoencoders: code sensitivity to input perturbations vs a plain autoencoder"
NOTES_REF = "001:3455-3458 (regularized autoencoders: a small derivative of the code); Rifai et al. 2011"

## Setup
LAMBDAS = (0.0, 0.01, 0.1)
EPSILONS = (0.01, 0.03, 0.1, 0.3)
FIT = {"epochs": 150, "batch_size": 64, "patience": 15, "learning_rate": 3e-3, "loss": "binary_crossentropy"}


def _probe(model, arrays) -> dict:
    import numpy as np

    x = np.asarray(arrays.x_test, dtype=np.float32)
    code = np.asarray(model.encoder(x, training=False))
    rng = np.random.default_rng(0)
    sensitivity = []
    for eps in EPSILONS:
        delta = rng.standard_normal(x.shape).astype(np.float32)
        delta *= eps / np.linalg.norm(delta.reshape(len(x), -1), axis=1).reshape(-1, 1, 1, 1)
        moved = np.asarray(model.encoder(x + delta, training=False))
        sensitivity.append(float(np.mean(np.linalg.norm(moved - code, axis=1) / eps)))
    return {"jacobian_frobenius_sq": float(np.mean(np.asarray(model.jacobian_norm(x)))),
            "sensitivity": sensitivity, "code_std": float(np.mean(code.std(axis=0))),
            "mean_image_mse": float(np.mean((x - x.mean(axis=0)) ** 2))}  # a model that ignores its input


def experiment() -> Experiment:
    variants = [Variant("plain" if lam == 0 else f"cae-{lam:g}", builder="contractive_autoencoder",
                        hyperparameters={"code_size": 32, "contraction": lam},
                        label="plain (λ = 0)" if lam == 0 else f"contractive, λ = {lam:g}", probe=_probe,
                        api="functional", **FIT)
                for lam in LAMBDAS]
    return Experiment(
        name=NAME, title=TITLE, dataset="digits-reconstruction", variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF, evaluation="holdout",
        headline_metric="mse", analyze=analyze, quick_samples=300, quick_epochs=1, quick_folds=1)


## Analyse
def analyze(analysis) -> list[Section]:
    from kerasdl.report.study_helpers import entry_metric, probe_mean, probe_value

    entries = [v for v in analysis.record["variants"] if probe_value(v, "sensitivity") is not None]
    if not entries:
        return [Text(title="What this run shows", body="No model finished.")]
    table = Table(title="Reconstruction against contraction on the test digits",
                  columns=["model", "MSE per pixel", "mean ‖∂h/∂x‖²_F", "code response at ‖δ‖ = 0.1",
                           "spread of the code (mean std)"],
                  rows=[[e["label"], round(entry_metric(e, "mse"), 5), round(probe_mean(e, "jacobian_frobenius_sq"), 4),
                         round(probe_value(e, "sensitivity")[EPSILONS.index(0.1)], 4),
                         round(probe_mean(e, "code_std"), 4)] for e in entries])
    lines = Lines(title="Code response ‖h(x + δ) − h(x)‖ / ‖δ‖ to random perturbations", x_label="‖δ‖",
                  y_label="code change per unit of input change", log_x=True,
                  series=[{"label": e["label"], "x": list(EPSILONS), "y": probe_value(e, "sensitivity")}
                          for e in entries])
    curves = Lines(title="Contraction term per epoch (training)", x_label="epoch", y_label="mean ‖∂h/∂x‖²_F",
                   log_y=True, series=[{"label": e["label"], "x": list(range(1, len(c) + 1)), "y": c}
                                       for e in entries if (c := analysis.curve(e["name"], "contraction"))])
    return [table, lines, curves, Text(title="What this run shows", body=_findings(entries))]


def _findings(entries) -> str:
    from kerasdl.report.study_helpers import entry_metric, number, probe_mean, probe_value

    by = {e["name"]: e for e in entries}
    if "plain" not in by or len(by) < 2:
        return "Too few models finished to compare."
    plain = by["plain"]
    at = EPSILONS.index(0.1)
    floor = probe_mean(plain, "mean_image_mse")
    out = []
    for e in entries:
        if e is plain:
            continue
        ratio = probe_mean(plain, "jacobian_frobenius_sq") / max(probe_mean(e, "jacobian_frobenius_sq"), 1e-12)
        mse = entry_metric(e, "mse")
        out.append(f"{e['label']}: ‖∂h/∂x‖²_F {number(probe_mean(plain, 'jacobian_frobenius_sq'), 3)} → "
                   f"{number(probe_mean(e, 'jacobian_frobenius_sq'), 3)} ({number(ratio, 2)}× smaller); code response to "
                   f"a random ‖δ‖ = 0.1 {number(probe_value(plain, 'sensitivity')[at], 3)} → "
                   f"{number(probe_value(e, 'sensitivity')[at], 3)}; MSE {number(entry_metric(plain, 'mse'), 5)} → "
                   f"{number(mse, 5)}"
                   + (f" — close to the {number(floor, 4)} of always answering the mean digit: the penalty has won "
                      "and the code no longer carries the input." if mse > 0.5 * floor else "."))
    out.append("The penalty buys a code that moves little under small random perturbations at the price of "
               "reconstruction error; λ sets the trade. A code that ignores random directions but still "
               "reconstructs digits keeps mainly the directions along which digits vary (Rifai et al. 2011).")
    return "\n\n".join(out)


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
