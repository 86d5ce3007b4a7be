"""
Title: Activation functions in a deep MLP — vanishing gradients with sigmoid, and no activation at all
Description: Ten hidden layers of 64 units on the 8×8 digits with sigmoid, tanh, ReLU, leaky ReLU,
PReLU, ELU, SELU, swish, and none (a stack of linear layers); per-layer gradient norms at
initialisation and after training, overlaid validation-loss curves.

The notes list the activations (001:2204-2211, 001:297-311) and say why a network needs one: without
it, stacked layers are "just a huge linear unit" (001:1504, 003:149-163). They also credit ReLU with
mitigating the vanishing gradient (001:2206). Both claims are measured here. Every variant has the same
depth, widths, Glorot-uniform initialisation, optimizer (Adam, 1e-3) and seed, so only the activation
differs. A probe takes the norm of ∂loss/∂W of every Dense kernel on one batch of 256 training images:
once at initialisation (the analysis rebuilds each model with the run's seed, which gives the weights
the harness started from) and once on the trained model. With sigmoid, whose derivative is at most 1/4,
the gradient shrinks by a roughly constant factor per layer on its way back to the input.
"""

from __future__ import annotations

from typing import Any

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Finding, Lines, Section, Text

NAME = "activations"
TITLE = "Activation functions in a 10-layer MLP: accuracy, per-layer gradient norms, no activation"
NOTES_REF = "001:2204-2211, 001:1504, 003:149-163"

## Setup
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "selu", "swish")
DEPTH, WIDTH = 10, 64
PROBE_ROWS = 256  # one batch of training images for the gradient probe
LOSS = "sparse_categorical_crossentropy"


def gradient_probe(model, arrays) -> dict[str, Any]:
    """Per-layer gradient norms of the trained model; for the linear stack, also how far it is from
    the single affine map it collapses to (001:1504)."""
    import numpy as np

    from kerasdl.measures import dense_gradient_norms

    found: dict[str, Any] = {"gradient_norms": dense_gradient_norms(
        model, arrays.x_train[:PROBE_ROWS], arrays.y_train[:PROBE_ROWS], LOSS)}
    if model.name == "linear_stack":
        import keras

        from kerasdl.models.feedforward import collapse_linear_stack

        W, b = collapse_linear_stack(model)
        flat = arrays.x_test.reshape(len(arrays.x_test), -1).astype(np.float64)
        one_map = np.asarray(keras.ops.softmax(flat @ W + b))
        found["collapse_max_difference"] = float(np.max(np.abs(one_map - np.asarray(model(arrays.x_test)))))
        found["collapsed_shape"] = list(W.shape)
    return found


def experiment() -> Experiment:
    """Same deep MLP, one variant per activation, plus the activation-free linear stack."""
    ## Build the variants
    fit = {"epochs": 20, "batch_size": 32, "patience": 8, "learning_rate": 1e-3, "probe": gradient_probe}
    variants = [Variant(a, builder="mlp", hyperparameters={"units": WIDTH, "depth": DEPTH, "activation": a},
                        label=a, **fit) for a in ACTIVATIONS]
    variants.append(Variant("none", builder="linear_stack", hyperparameters={"units": WIDTH, "depth": DEPTH},
                            label="none (linear stack)", **fit))
    ## Evaluate on the held-out split of digits
    return Experiment(
        name=NAME, title=TITLE, dataset="digits", variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF,
        evaluation="holdout", headline_metric="accuracy", analyze=analyze,
        quick_samples=200, quick_epochs=2,
        # --quick: the sigmoid/ReLU gradient contrast the analysis draws, a learned activation and the
        # linear stack; every activation is a plain Keras name the mlp builder tests already pass through
        quick_variants=("sigmoid", "relu", "prelu", "none"),
    )


## Gradient norms at initialisation
def initial_gradient_norms(analysis) -> dict[str, list[float]]:
    """Rebuild every Keras variant exactly as the harness did before training (same seed, builder and
    hyperparameters) and measure its per-layer gradient norms on the first training rows."""
    import keras

    from kerasdl import models
    from kerasdl.measures import dense_gradient_norms

    dataset = analysis.dataset
    x, y = dataset.rows(dataset.splits["train"][:PROBE_ROWS])
    pre = dataset.preprocessor()
    if pre is not None:  # tabular data: encoded as the harness encodes it (here: digits, images as they are)
        x = pre.fit_transform(x)
    norms = {}
    for variant in analysis.record["variants"]:
        keras.utils.set_random_seed(analysis.seed)
        model = models.build(variant["builder"], dataset.input_shape, dataset.n_classes, api=variant["api"],
                             **variant["hyperparameters"])
        norms[variant["name"]] = dense_gradient_norms(model, x, y, LOSS)
    return norms


## Report sections
def analyze(analysis) -> list[Section]:
    from kerasdl.report.study_helpers import comparison_table, overlaid_curves, probe_values

    initial = initial_gradient_norms(analysis)
    trained = {v["name"]: probe_values(v, "gradient_norms")[0] for v in analysis.record["variants"]
               if probe_values(v, "gradient_norms")}
    labels = {v["name"]: v["label"] for v in analysis.record["variants"]}
    ratio = {name: _ratio(norms) for name, norms in initial.items()}
    ratio_trained = {name: _ratio(norms) for name, norms in trained.items()}
    layers = f"layers 1-{DEPTH} hidden, {DEPTH + 1} output"
    return [
        *_answers(analysis, ratio),
        _norm_lines(initial, labels, INITIAL_FIGURE,
                    f"‖∂loss/∂W‖ of each Dense kernel on {PROBE_ROWS} training images, before any update "
                    f"({layers}). Keras' PReLU starts with slopes 0, i.e. as ReLU, so the two lines coincide."),
        _norm_lines(trained, labels, "Gradient norm per layer after training",
                    f"The same measurement on the trained models (best epoch's weights restored), {layers}."),
        overlaid_curves(analysis, "val_loss", title="Validation loss per epoch", y_label="validation loss",
                        caption="Sparse categorical cross-entropy on the validation split; a line ends where "
                                "early stopping (patience 8) stopped the variant."),
        comparison_table(analysis, ["accuracy", "log_loss"], title="Activations side by side",
                         caption="Test-split metrics; gradient ratio = ‖g‖ of layer 1 over ‖g‖ of the output "
                                 "layer.",
                         extra={"gradient ratio at init": ratio, "gradient ratio trained": ratio_trained}),
        _findings(analysis, ratio, ratio_trained, initial),
    ]


INITIAL_FIGURE = "Gradient norm per layer at initialisation"


def _answers(analysis, ratio) -> list[Finding]:
    """The notes' two claims, answered with this run's numbers: ReLU against the vanishing gradient
    (001:2206) and depth without an activation collapsing to one linear map (001:1504)."""
    from kerasdl.report.study_helpers import fmt, metric_mean, probe_values

    variants = {v["name"]: v for v in analysis.record["variants"]}
    accuracy = {name: metric_mean(v, "accuracy") for name, v in variants.items()}
    found = []
    if "sigmoid" in ratio and "relu" in ratio:
        found.append(Finding(
            title="Does ReLU keep the gradient alive in a deep network?",
            claim="ReLU is computationally efficient and helps mitigate the vanishing gradient problem, allowing "
                  "deeper networks to be trained effectively.", notes_ref="001:2206",
            answer=f"In the {DEPTH}-layer MLP at initialisation, the gradient reaching layer 1 is {fmt(ratio['sigmoid'])} "
                   f"times the output layer's with sigmoid and {fmt(ratio['relu'])} times with ReLU; test accuracy "
                   f"{fmt(accuracy.get('sigmoid'))} (sigmoid) against {fmt(accuracy.get('relu'))} (ReLU).",
            figure=INITIAL_FIGURE))
    collapse = probe_values(variants.get("none", {}), "collapse_max_difference")
    if collapse:
        found.append(Finding(
            title="Is a deep network without activations still linear?",
            claim="if neural networks didn't have an activation function, they'd just be a huge linear unit",
            notes_ref="001:1504",
            answer=f"Yes: the trained {DEPTH}-layer linear stack equals one affine map plus softmax to within "
                   f"{fmt(collapse[0])} on every test image; it reaches test accuracy {fmt(accuracy.get('none'))} "
                   f"against {fmt(accuracy.get('relu'))} with ReLU.",
            figure="Activations side by side"))
    return found


def _ratio(norms: list[float]) -> float:
    return norms[0] / norms[-1] if norms and norms[-1] else float("nan")


def _norm_lines(norms: dict[str, list[float]], labels: dict[str, str], title: str, caption: str) -> Lines:
    series = [{"label": labels[name], "x": list(range(1, len(values) + 1)), "y": values}
              for name, values in norms.items()]
    return Lines(title=title, caption=caption, x_label="Dense layer (1 = next to the input)",
                 y_label="gradient norm", log_y=True, series=series)


def _findings(analysis, ratio, ratio_trained, initial) -> Text:
    from kerasdl.report.study_helpers import fmt, metric_mean, probe_values

    variants = {v["name"]: v for v in analysis.record["variants"]}
    accuracy = {name: metric_mean(v, "accuracy") for name, v in variants.items()}
    paragraphs = []
    if "sigmoid" in ratio and "relu" in ratio:
        sig, relu = initial["sigmoid"], initial["relu"]
        per_layer = (sig[0] / sig[DEPTH - 1]) ** (1 / (DEPTH - 1))
        paragraphs.append(
            f"At initialisation the gradient reaching layer 1 is {fmt(ratio['sigmoid'])} times the output "
            f"layer's with sigmoid, against {fmt(ratio['relu'])} with ReLU: going back through the ten sigmoid "
            f"layers, the norm shrinks by a factor of about {fmt(1 / per_layer)} per layer "
            f"(layer 1: {fmt(sig[0])}, layer {DEPTH}: {fmt(sig[DEPTH - 1])}), while ReLU's stays between "
            f"{fmt(min(relu[:DEPTH]))} and {fmt(max(relu[:DEPTH]))}. After training the ratios are "
            f"{fmt(ratio_trained.get('sigmoid'))} (sigmoid) and {fmt(ratio_trained.get('relu'))} (ReLU).")
    chance = 1 / max(analysis.dataset.n_classes, 1)
    stuck = [name for name, a in accuracy.items() if a is not None and a < 2 * chance]
    ranked = sorted(((a, n) for n, a in accuracy.items() if a is not None), reverse=True)
    if ranked:
        paragraphs.append("Test accuracy: " + ", ".join(f"{variants[n]['label']} {a:.3f}" for a, n in ranked)
                          + f" (chance: {chance:.2f})."
                          + (f" Near chance (below {2 * chance:.2f}): {', '.join(stuck)}." if stuck else ""))
    collapse = probe_values(variants.get("none", {}), "collapse_max_difference")
    if collapse:
        shape = probe_values(variants["none"], "collapsed_shape")[0]
        paragraphs.append(
            f"No activation: the trained {DEPTH}-layer linear stack computes the same probabilities as one "
            f"{shape[0]}×{shape[1]} affine map followed by softmax (largest difference on the test images "
            f"{fmt(collapse[0])}), so its depth adds nothing a single layer could not do (001:1504); its test "
            f"accuracy is {fmt(accuracy.get('none'))} against {fmt(accuracy.get('relu'))} for ReLU.")
        best = max((a, n) for n, a in accuracy.items() if a is not None and n != "none")
        if accuracy.get("none") is not None and accuracy["none"] >= best[0] - 0.02:
            paragraphs.append(f"On these digits one linear map already reaches {fmt(accuracy['none'])}, within 0.02 "
                              f"of the best activation ({variants[best[1]]['label']}, {fmt(best[0])}), so the "
                              "missing nonlinearity costs little accuracy on this task.")
    if analysis.quick:
        paragraphs.append("Quick run: 2 epochs on a subsample, so accuracies are far from converged; the "
                          "gradient norms at initialisation do not depend on training.")
    return Text(title="What this run shows", body="\n\n".join(paragraphs))


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
