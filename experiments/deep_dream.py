"""
Title: DeepDream-style gradient ascent on the input of a trained digits CNN
Description: train a small CNN on the 8×8 digits, then change the input image — not the weights —
by gradient ascent so that a chosen class score or a chosen filter's activation rises, and show the
images it makes and the activation climbing step by step.

Notes 001:1745 describe GoogLeNet_DeepDream (Mordvintsev, Olah et al.) as using "the Inception network
to generate images based on CNN features". The mechanism is backpropagation taken one layer further:
∂(activation)/∂(input pixels) instead of ∂(loss)/∂(weights), and a step *up* that gradient. Here the
network is the suite's `cnn` (two 3×3 conv blocks of 16 and 32 filters, ReLU, max pooling, a 64-unit
dense head), trained by the harness on the usual digits holdout. Its probe then runs two ascents on the
fitted model with the weights frozen:

1. Class visualisation: from the mean training digit, raise each class's score (the output layer's
   pre-softmax logit) — the picture the network finds most "3"-like, and so on.
2. DeepDream proper: from real test digits, raise the mean activation of one filter of the last
   convolutional layer (the filter that digit excites most), which exaggerates the strokes that
   filter responds to.

Each step moves the image by 0.05 × gradient / RMS(gradient) (the normalisation of the Keras
DeepDream example) and clips pixels to the data's [0, 1]. As a control, the same number of steps of
the same size in random directions is taken from the same start: if the rise came from any change of
the image rather than from the gradient, the control would rise too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Finding, Images, Lines, Section, Table, Text

NAME = "deep-dream"
TITLE = "DeepDream: gradient ascent on the input of a trained digits CNN (class scores and a filter)"
NOTES_REF = "001:1745"

## Setup
BODY = {"filters": (16, 32), "kernel_size": 3, "dense_units": (64,), "pool": "max"}
FIT = {"epochs": 40, "batch_size": 64, "patience": 8, "learning_rate": 3e-3}
STEP = 0.05
LAST_CONV = "block_2_relu"   # the `cnn` builder's name for the second block's activation


ASCENT_STEPS = 30
DREAM_DIGITS = 3


## Gradient ascent
def gradient_ascent(objective, start: np.ndarray, steps: int, *, seed: int = 0,
                    random_directions: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Move each image of `start` (a batch N×H×W×C) `steps` times up the gradient of its own objective;
    `objective(images)` returns one value per image. Returns the final images and the objective per
    step, shape (steps + 1, N).

    The images are independent (the model runs in inference mode, so nothing mixes them): the gradient
    of the summed objective with respect to image n is the gradient of objective n. Each image moves by
    STEP × g / RMS(g), its own normalisation. `random_directions=True` is the control: steps of the same
    length in random directions.
    """
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    images = tf.Variable(np.asarray(start, dtype="float32"))
    values = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            value = objective(images)
            total = tf.reduce_sum(value)
        values.append(np.asarray(value, dtype=float))
        direction = (rng.normal(size=images.shape).astype("float32") if random_directions
                     else tape.gradient(total, images).numpy())
        rms = np.sqrt(np.mean(direction ** 2, axis=(1, 2, 3), keepdims=True))
        # A flat spot (every ReLU off) has a zero gradient: that image stays where it is.
        step = np.divide(direction, rms, out=np.zeros_like(direction), where=rms > 0)
        images.assign(tf.clip_by_value(images + STEP * step, 0.0, 1.0))
    values.append(np.asarray(objective(images), dtype=float))
    return images.numpy(), np.stack(values)


def dream_probe(model, arrays) -> dict[str, Any]:
    """A `Variant.probe`: class-score and filter ascents on the fitted model (its weights are not changed)."""
    import keras

    output = model.get_layer("output")
    kernel, bias = (np.asarray(w) for w in output.get_weights())
    penultimate = keras.Model(model.inputs[0], output.input)
    conv = keras.Model(model.inputs[0], model.get_layer(LAST_CONV).output)
    classes = np.arange(kernel.shape[1])
    start = np.repeat(np.mean(arrays.x_train, axis=0, keepdims=True), len(classes), axis=0)

    def logits(images):   # image n's score for class n, before the softmax
        return keras.ops.sum(penultimate(images, training=False) * kernel.T[classes], axis=1) + bias[classes]

    final, values = gradient_ascent(logits, start, ASCENT_STEPS)
    _, control = gradient_ascent(logits, start, ASCENT_STEPS, seed=1, random_directions=True)
    p_start = np.asarray(model(start, training=False))[classes, classes]
    p_end_all = np.asarray(model(final, training=False))

    digits = np.asarray(arrays.x_test[:DREAM_DIGITS])
    chosen = np.argmax(np.asarray(conv(digits, training=False)).mean(axis=(1, 2)), axis=1)  # most excited filter

    def filter_means(images):
        maps = conv(images, training=False)
        return keras.ops.sum(keras.ops.mean(maps, axis=(1, 2)) * keras.ops.one_hot(chosen, maps.shape[-1]), axis=1)

    dreamt, dream_values = gradient_ascent(filter_means, digits, ASCENT_STEPS)
    _, dream_control = gradient_ascent(filter_means, digits, ASCENT_STEPS, seed=2, random_directions=True)
    return {
        "steps": ASCENT_STEPS, "step_size": STEP,
        "classes": [{"target": int(c), "values": values[:, i].tolist(), "control": control[:, i].tolist(),
                     "image": final[i, :, :, 0].tolist(), "p_start": float(p_start[i]),
                     "p_end": float(p_end_all[i, c]), "predicted_end": int(np.argmax(p_end_all[i]))}
                    for i, c in enumerate(classes)],
        "dreams": [{"digit": int(np.asarray(arrays.y_test)[i]), "filter": int(chosen[i]),
                    "values": dream_values[:, i].tolist(), "control": dream_control[:, i].tolist(),
                    "start": digits[i, :, :, 0].tolist(), "image": dreamt[i, :, :, 0].tolist(),
                    "change": float(np.abs(dreamt[i] - digits[i]).mean())} for i in range(len(digits))],
    }


def experiment() -> Experiment:
    """One CNN trained by the harness; the ascents run in its probe."""
    from kerasdl.probes import DIGITS_HOLDOUT

    ## Build the variant and its probe
    variant = Variant("cnn", builder="cnn", hyperparameters=BODY, label="CNN 16-32, dense 64", probe=dream_probe,
                      **FIT)
    ## Evaluate: one stratified 60/20/20 holdout of the digits
    return Experiment(name=NAME, title=TITLE, variants=[variant], description=__doc__.split("\n\n", 1)[1].strip(),
                      notes_ref=NOTES_REF, analyze=analyze, **{**DIGITS_HOLDOUT, "quick_epochs": 1})


## Analyse
def analyze(analysis) -> list[Section]:
    """Finding, score curves, images, the start/end table."""
    from kerasdl.report.study_helpers import entry_metric

    entries = [v for v in analysis.record["variants"] if v["status"] == "completed"]
    found = next((f["probe"] for e in entries for f in e["folds"] if f.get("probe")), None)
    if not found:
        return [Text(title="What this run shows", body="The CNN did not finish training; nothing to ascend.")]
    classes, dreams, steps = found["classes"], found["dreams"], found["steps"]
    steps_axis = list(range(steps + 1))
    rises = [c["values"][-1] - c["values"][0] for c in classes]
    control_rises = [c["control"][-1] - c["control"][0] for c in classes]
    filter_rises = [d["values"][-1] / max(d["values"][0], 1e-9) for d in dreams]
    reached = sum(c["predicted_end"] == c["target"] for c in classes)
    curve_title = "Class score during gradient ascent on the input"
    answer = (
        f"With the weights of a CNN trained to {entry_metric(entries[0]):.3f} test accuracy frozen, {steps} "
        f"gradient-ascent steps on the input {'raised every' if min(rises) > 0 else 'changed each'} class score "
        f"(by {min(rises):+.1f} to {max(rises):+.1f}, "
        f"vs {min(control_rises):+.1f} to {max(control_rises):+.1f} for random steps of the same size); "
        f"{reached} of {len(classes)} images end up classified as their target. The chosen filter's mean "
        f"activation rose {min(filter_rises):.1f}× to {max(filter_rises):.1f}× on real digits.")
    return [
        Finding(title="Gradient ascent on the input makes images of what the network detects",
                claim="GoogLeNet_DeepDream … uses the Inception network to generate images based on CNN features",
                notes_ref="001:1745", answer=answer, figure=curve_title),
        Lines(title=curve_title, x_label="ascent step", y_label="class score (pre-softmax logit)",
              series=[{"label": f"class {c['target']}", "x": steps_axis, "y": c["values"]} for c in classes]
              + [{"label": f"class {classes[0]['target']}, random steps (control)", "x": steps_axis,
                  "y": classes[0]["control"]}],
              caption=f"Start: the mean training digit. Step: {found['step_size']} × gradient / RMS(gradient), "
                      "pixels clipped to [0, 1]."),
        Lines(title="Filter activation during DeepDream ascent (last convolutional layer)", x_label="ascent step",
              y_label="mean activation of the filter",
              series=[{"label": f"digit {d['digit']}, filter {d['filter']}", "x": steps_axis, "y": d["values"]}
                      for d in dreams]
              + [{"label": f"digit {d['digit']}, random steps (control)", "x": steps_axis, "y": d["control"]}
                 for d in dreams]),
        Images(title="Images that maximise each class score",
               images=[{"label": f"class {c['target']} (p {c['p_start']:.2f} → {c['p_end']:.2f})",
                              "pixels": c["image"], "range": [0, 1]} for c in classes],
               columns=min(len(classes), 5)),
        Images(title="DeepDream on test digits: before and after",
               images=[img for d in dreams for img in (
                   {"label": f"digit {d['digit']}", "pixels": d["start"], "range": [0, 1]},
                   {"label": f"filter {d['filter']} raised", "pixels": d["image"], "range": [0, 1]})],
               columns=2 * len(dreams)),
        Table(title="Objective before and after the ascent",
              columns=["target", "start", f"after {steps} gradient steps", f"after {steps} random steps",
                       "target probability, start → end", "mean |pixel change|"],
              rows=[[f"class {c['target']} score", round(c["values"][0], 3), round(c["values"][-1], 3),
                     round(c["control"][-1], 3), f"{c['p_start']:.3f} → {c['p_end']:.3f}", "—"] for c in classes]
              + [[f"digit {d['digit']}: filter {d['filter']} mean activation", round(d["values"][0], 3),
                  round(d["values"][-1], 3), round(d["control"][-1], 3), "—", round(d["change"], 3)]
                 for d in dreams],
              row_status=["ok" if c["values"][-1] > c["control"][-1] else "mismatch" for c in classes]
              + ["ok" if d["values"][-1] > d["control"][-1] else "mismatch" for d in dreams]),
    ]


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
