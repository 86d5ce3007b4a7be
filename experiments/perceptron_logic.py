"""
Title: Perceptron on logic gates — AND and OR are learned, XOR is not; an MLP learns XOR
Description: The notes' perceptron learning rule and a Keras perceptron on the AND, OR and XOR
truth tables, with decision regions; an MLP with one hidden layer solves XOR.

A perceptron draws one straight line through the input plane (notes 000:76-86: output 1 when
w·x + b > 0). AND and OR put their ones and zeros on opposite sides of some line, so the learning
rule Δw = η(y − ŷ)x (004:320-330) stops making mistakes after a few passes; XOR's ones sit on one
diagonal and its zeros on the other, no line separates them, and the rule never stops (004:336-338).
One hidden layer bends the boundary and solves it.

The harness compares the notes' rule (a Keras model whose `train_step` is the rule itself, no
gradients, trained point by point through `kerasdl.trainers.RuleTrainer` until an epoch without a
mistake), the Keras perceptron and an MLP on the `xor` data (200 jittered corner points, held-out
test split). The analysis then trains, on all 200 points of each of `logic-and`,
`logic-or` and `xor`: the notes' rule in NumPy (`perceptron_learning_rule`), the Keras perceptron
(a sigmoid unit trained by full-batch gradient descent; its step decision is sigmoid ≥ 0.5) and, on
XOR, the MLP — and plots where each says 1.
"""

from __future__ import annotations

from typing import Any

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Boundaries, Lines, Section, Table, Text
from kerasdl.trainers import RuleTrainer

NAME = "perceptron-logic"
TITLE = "Perceptron on AND / OR / XOR: the learning rule, decision boundaries, and an MLP for XOR"
NOTES_REF = "000:76-86, 004:252-338"

## Setup
GATES = ("logic-and", "logic-or", "xor")
GATE_NAMES = {"logic-and": "AND", "logic-or": "OR", "xor": "XOR"}
RULE = {"lr": 0.1, "epochs": 100}          # the notes' rule: η = 0.1, at most 100 passes
PERCEPTRON_STEPS, MLP_STEPS = 300, 300      # full-batch Adam steps in the analysis
MLP = {"units": [8], "activation": "tanh"}  # one hidden layer is enough for XOR
GRID = {"low": -0.5, "high": 1.5, "n": 61}  # the plotted square around the unit square's corners


def notes_rule(input_shape, outputs, *, eta: float = RULE["lr"]):
    """The notes' rule as a Keras model (kerasdl.models.feedforward.PerceptronRule); Keras loads here,
    when the variant is built, not when the experiment is listed."""
    from kerasdl.models.feedforward import perceptron_rule

    return perceptron_rule(input_shape, outputs, eta=eta)


def until_an_error_free_epoch():
    """The rule's own stopping test (004:320-330): stop after the first epoch without a mistake."""
    import keras

    class UntilErrorFree(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if (logs or {}).get("mistakes") == 0:
                self.model.stop_training = True

    return UntilErrorFree()


def experiment() -> Experiment:
    """The harness part: the notes' rule, the Keras perceptron and an MLP on XOR, scored on held-out points."""
    ## Build the variants
    fit = {"epochs": 60, "batch_size": 16, "patience": 20}
    variants = [
        Variant("perceptron", builder="perceptron", label="Perceptron (one threshold unit)",
                learning_rate=0.1, **fit),
        Variant("mlp", builder="mlp", hyperparameters=MLP, label="MLP, one hidden layer of 8 tanh units",
                learning_rate=0.05, **fit),
        Variant("rule", builder=notes_rule, trainer=RuleTrainer(), label="The notes' learning rule, η = 0.1",
                epochs=RULE["epochs"], batch_size=1, patience=None, callbacks=(until_an_error_free_epoch,)),
    ]
    ## Evaluate on the held-out split; the analysis adds the three gates
    return Experiment(
        name=NAME, title=TITLE, dataset="xor", variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF,
        evaluation="holdout", headline_metric="accuracy", analyze=analyze,
        quick_samples=200, quick_epochs=2,
    )


## Train the notes' rule and the Keras models on every gate
def train_gate(gate: str, *, seed: int = 0, steps: int = PERCEPTRON_STEPS) -> dict[str, Any]:
    """Everything the analysis shows for one gate: the rule's run, the Keras perceptron's, and on
    XOR the MLP's — trained on all 200 points (the question is what a model *can* represent)."""
    import keras
    import numpy as np

    from kerasdl import data, models
    from kerasdl.measures import decision_grid, full_batch_descent
    from kerasdl.models.feedforward import perceptron_learning_rule, perceptron_predict

    dataset = data.load(gate, seed=seed)
    x = dataset.features.to_numpy(dtype=np.float32)
    y = dataset.target
    # The file lists the points corner by corner; the rule sees them in one fixed shuffled order,
    # as an online learner would (a block of 50 identical labels would hide most mistakes).
    order = np.random.default_rng(seed).permutation(len(y))
    weights, bias, mistakes = perceptron_learning_rule(x[order], y[order], seed=seed, **RULE)
    result: dict[str, Any] = {"gate": gate, "n": len(y), "points": {
        "x": x[:, 0].round(4).tolist(), "y": x[:, 1].round(4).tolist(), "label": y.tolist()}}
    result["rule"] = {"mistakes": mistakes, "errors": int(np.sum(perceptron_predict(x, weights, bias) != y)),
                      "weights": weights.tolist(), "bias": bias,
                      "grid": decision_grid(lambda g: perceptron_predict(g, weights, bias), **GRID)}
    trained = [("perceptron", "perceptron", {}, 0.1, steps)]
    if gate == "xor":
        trained.append(("mlp", "mlp", MLP, 0.05, steps))
    for key, builder, hyper, lr, n_steps in trained:
        keras.utils.set_random_seed(seed)
        model = models.build(builder, (2,), 1, **hyper)
        run = full_batch_descent(model, x, y, optimizer=keras.optimizers.Adam(lr), steps=n_steps)
        scores = np.asarray(model(x, training=False)).ravel()
        perfect = [i + 1 for i, a in enumerate(run["accuracy"]) if a == 1.0]
        result[key] = {"errors": int(np.sum((scores >= 0.5) != y)), "steps": n_steps,
                       "first_perfect_step": perfect[0] if perfect else None, "final_loss": run["loss"][-1],
                       "grid": decision_grid(lambda g, m=model: np.asarray(m(g, training=False)).ravel(), **GRID)}
    return result


def analyze(analysis) -> list[Section]:
    """Table, rule's mistakes per epoch, decision regions, and what the numbers say."""
    steps = 100 if analysis.quick else PERCEPTRON_STEPS
    gates = [train_gate(g, seed=analysis.seed, steps=steps) for g in GATES]
    return [_table(gates), _mistake_lines(gates), _keras_boundaries(gates), _rule_boundaries(gates),
            _findings(gates, analysis)]


## Turn the runs into report sections
def _table(gates: list[dict[str, Any]]) -> Table:
    rows = []
    for g in gates:
        name, rule = GATE_NAMES[g["gate"]], g["rule"]
        rows.append([name, "notes' rule (NumPy), η = 0.1", rule["errors"], round(1 - rule["errors"] / g["n"], 4),
                     rule["mistakes"][-1] == 0, f"{len(rule['mistakes'])} epochs"])
        for key, label in (("perceptron", "Keras perceptron (sigmoid unit, Adam)"),
                           ("mlp", "Keras MLP, 8 tanh hidden units (Adam)")):
            if key in g:
                run = g[key]
                when = (f"all correct from step {run['first_perfect_step']} of {run['steps']}"
                        if run["first_perfect_step"] else f"{run['steps']} steps, never all correct")
                rows.append([name, label, run["errors"], round(1 - run["errors"] / g["n"], 4), run["errors"] == 0,
                             when])
    return Table(title="Training errors per gate and model",
                 caption="All 200 points of each gate (4 corners × 50, jitter σ = 0.1). The rule stops after its "
                         "first error-free epoch (converged) or after 100 epochs; the Keras models take "
                         "full-batch Adam steps. Errors are counted with the final weights.",
                 columns=["gate", "model", "training errors", "training accuracy", "converged", "epochs / steps"],
                 rows=rows)


def _mistake_lines(gates: list[dict[str, Any]]) -> Lines:
    series = [{"label": GATE_NAMES[g["gate"]], "x": list(range(1, len(g["rule"]["mistakes"]) + 1)),
               "y": g["rule"]["mistakes"]} for g in gates]
    return Lines(title="Mistakes per epoch of the learning rule",
                 caption="Δw = η(y − ŷ)x applied point by point (004:320-330); a line ends at the first epoch "
                         "without a mistake, which on XOR never comes.",
                 x_label="epoch", y_label="mistakes in the epoch (of 200)", series=series)


def _panel(label: str, g: dict[str, Any], grid: dict[str, Any]) -> dict[str, Any]:
    return {"label": label, **grid, "points": g["points"]}


def _keras_boundaries(gates: list[dict[str, Any]]) -> Boundaries:
    panels = [_panel(f"perceptron, {GATE_NAMES[g['gate']]}", g, g["perceptron"]["grid"]) for g in gates]
    panels += [_panel("MLP, XOR", g, g["mlp"]["grid"]) for g in gates if "mlp" in g]
    return Boundaries(title="Decision regions of the Keras perceptron and the MLP",
                      caption="Colour: the model's P(class 1); black line: the 0.5 contour (the step decision). "
                              "Dots: the 200 training points, coloured by their true label.", panels=panels)


def _rule_boundaries(gates: list[dict[str, Any]]) -> Boundaries:
    panels = [_panel(f"learning rule, {GATE_NAMES[g['gate']]}", g, g["rule"]["grid"]) for g in gates]
    return Boundaries(title="Decision regions of the learning rule (step output)",
                      caption="The notes' rule outputs 0 or 1 (step of w·x + b), so each region is one colour; "
                              "the boundary is the line w·x + b = 0 of the final weights.", panels=panels)


def _findings(gates: list[dict[str, Any]], analysis) -> Text:
    from kerasdl.report.study_helpers import metric_mean

    by = {g["gate"]: g for g in gates}
    paragraphs = []
    for gate in GATES:
        rule = by[gate]["rule"]
        if rule["mistakes"][-1] == 0:
            paragraphs.append(f"{GATE_NAMES[gate]}: the learning rule converged — epoch {len(rule['mistakes'])} "
                              "was the first without a mistake, and the final line classifies all "
                              f"{by[gate]['n']} points correctly.")
        else:
            paragraphs.append(f"{GATE_NAMES[gate]}: the learning rule did not converge in {len(rule['mistakes'])} "
                              f"epochs; it still made {rule['mistakes'][-1]} mistakes in the last epoch "
                              f"(between {min(rule['mistakes'])} and {max(rule['mistakes'])} per epoch), "
                              f"and its final line misclassifies {rule['errors']} of {by[gate]['n']} points.")
    keras_part = "; ".join(f"{GATE_NAMES[g]} {1 - by[g]['perceptron']['errors'] / by[g]['n']:.3f}" for g in GATES)
    paragraphs.append(f"Keras perceptron training accuracy: {keras_part}. (Any straight line puts at most "
                      "3 of XOR's 4 corners on the right side, so no single unit can exceed 0.75 on clean "
                      "corners.)")
    mlp = by["xor"]["mlp"]
    paragraphs.append(f"The MLP (one hidden layer of 8 tanh units) misclassifies {mlp['errors']} of "
                      f"{by['xor']['n']} XOR points after {mlp['steps']} steps"
                      + (f" (all correct from step {mlp['first_perfect_step']})." if mlp["first_perfect_step"]
                         else "."))
    held_out = {v["name"]: metric_mean(v, "accuracy") for v in analysis.record["variants"]}
    if all(value is not None for value in held_out.values()):
        paragraphs.append("On the held-out XOR test split (harness run above): perceptron accuracy "
                          f"{held_out.get('perceptron'):.3f}, MLP accuracy {held_out.get('mlp'):.3f}, the "
                          f"notes' rule (one point at a time, through the same harness) {held_out.get('rule'):.3f}."
                          + (" (quick run: 2 epochs, not trained to convergence.)" if analysis.quick else ""))
    return Text(title="What this run shows", body="\n\n".join(paragraphs))


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
