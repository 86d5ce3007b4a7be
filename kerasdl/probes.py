"""Probes: what the studies measure on a fitted model, beyond the held-out metrics the harness takes.

A `Variant.probe` gets the fitted model and the fold's arrays after each fold; its result is stored
in the run record (`variants[i].folds[k].probe`) for the experiment's `analyze` hook. The digit
studies (`cnn-vs-mlp`, `conv-variants`, `pooling`, `classic-cnns`) share one evaluation and measure
translation invariance identically — the notes credit convolution and pooling with it (003:700-703,
001:2064) — so accuracy on one-pixel shifts, the equivariance of the first convolution and the
receptive field are here; the training-technique studies read hidden-layer statistics and error
rates. Keras is imported inside the functions: experiment scripts import this module, and importing
them must not import TensorFlow (`kerasdl list experiments` stays instant).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["DIGITS_HOLDOUT", "SHIFTS", "shift_images", "rotate_images", "shifted_accuracy_probe",
           "receptive_field_of", "hidden_activation_layers", "activation_statistics", "error_rates"]

# The evaluation the digit studies share, so their numbers are comparable across reports: one
# stratified 60/20/20 holdout of the 1,797 digits, accuracy as headline; --quick keeps 300 digits,
# 2 epochs, that one split.
DIGITS_HOLDOUT = {"dataset": "digits", "evaluation": "holdout", "headline_metric": "accuracy",
                  "quick_samples": 300, "quick_epochs": 2, "quick_folds": 1}

# One-pixel shifts (dy, dx): down, up, right, left.
SHIFTS = ((1, 0), (-1, 0), (0, 1), (0, -1))


def shift_images(x: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Images (n, h, w, c) moved dy rows down and dx columns right, vacated pixels set to 0.

    Zero fill rather than wrap-around: a digit's border is blank (0) in this data set, so a shifted
    digit is still a plausible digit, just drawn one pixel off-centre.
    """
    out = np.zeros_like(x)
    h, w = x.shape[1:3]
    src_r = slice(max(0, -dy), h - max(0, dy))
    dst_r = slice(max(0, dy), h - max(0, -dy))
    src_c = slice(max(0, -dx), w - max(0, dx))
    dst_c = slice(max(0, dx), w - max(0, -dx))
    out[:, dst_r, dst_c] = x[:, src_r, src_c]
    return out


def rotate_images(x: np.ndarray, degrees: float) -> np.ndarray:
    """Images (n, h, w, c) rotated about their centre (bilinear, zero fill, same size)."""
    from scipy import ndimage

    return ndimage.rotate(x, degrees, axes=(2, 1), reshape=False, order=1, mode="constant", cval=0.0)


def shifted_accuracy_probe(*, equivariance: bool = False, rotation: float | None = None,
                           receptive_field: bool = False) -> Callable[[Any, Any], dict[str, Any]]:
    """A `Variant.probe`: test accuracy on the digits shifted by one pixel in each of four directions.

    With `equivariance=True` it also checks the notes' equivariance of convolution to translation
    (001:1990-1999) on the fitted model's first Conv2D: conv(shift(x)) against shift(conv(x)),
    compared away from the border (where zero padding differs), as a max absolute difference.
    `rotation` adds the mean accuracy on the test digits rotated by ±rotation degrees (the tiled
    convolution's claimed extra invariance, 001:2121); `receptive_field` adds
    :func:`receptive_field_of` of the fitted model.
    """

    def probe(model, arrays) -> dict[str, Any]:
        x, y = arrays.x_test, np.asarray(arrays.y_test)
        found: dict[str, Any] = {"accuracy": _accuracy(model, x, y)}
        per_shift = {f"{dy:+d},{dx:+d}": _accuracy(model, shift_images(x, dy, dx), y) for dy, dx in SHIFTS}
        found["shifted_accuracy"] = float(np.mean(list(per_shift.values())))
        found["shifted_by_direction"] = per_shift
        if rotation:
            found["rotated_accuracy"] = float(np.mean([_accuracy(model, rotate_images(x, angle), y)
                                                       for angle in (-rotation, rotation)]))
        if equivariance:
            found["equivariance_error"] = _first_conv_equivariance(model, x[:64])
        if receptive_field:
            found.update(receptive_field_of(model))
        return found

    return probe


def _accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    scores = model.predict(x, batch_size=1024, verbose=0)
    return float(np.mean(np.argmax(scores, axis=1) == y))


def _first_conv_equivariance(model, x: np.ndarray) -> float | None:
    import keras

    conv = next((layer for layer in model.layers if type(layer) is keras.layers.Conv2D), None)
    if conv is None:
        return None
    moved_then_conv = np.asarray(conv(shift_images(x, 1, 1)))
    conv_then_moved = shift_images(np.asarray(conv(x)), 1, 1)
    # Compare away from the border: zero padding differs there (the kernel reaches past the edge).
    pad = conv.kernel_size[0] // 2 + 1
    inner = (slice(None), slice(pad, -pad), slice(pad, -pad))
    return float(np.max(np.abs(moved_then_conv[inner] - conv_then_moved[inner])))


def receptive_field_of(model) -> dict[str, Any]:
    """Receptive field (input pixels along one axis) of a unit at the end of a model's conv stack.

    Walks the layers up to the flatten/global pool, collecting every convolution's and local pool's
    (kernel, stride, dilation), and applies
    :func:`kerasdl.models.convolutional.stacked_receptive_field`. Works on plain stacks (the
    generic CNNs); `windows` lists what was counted so the table can show it.
    """
    import keras

    from kerasdl.layers import StochasticPooling2D, TiledConv2D
    from kerasdl.models.convolutional import stacked_receptive_field

    windows: list[tuple[int, int, int]] = []
    names: list[str] = []
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv2D, TiledConv2D)):
            windows.append((layer.kernel_size[0], layer.strides[0], layer.dilation_rate[0]))
            names.append(f"conv {layer.kernel_size[0]}×{layer.kernel_size[0]}/s{layer.strides[0]}"
                         + (f"/d{layer.dilation_rate[0]}" if layer.dilation_rate[0] > 1 else "")
                         + (f"/tiles {layer.tiles}" if isinstance(layer, TiledConv2D) else ""))
        elif isinstance(layer, (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D, StochasticPooling2D)):
            windows.append((layer.pool_size[0], layer.strides[0], 1))
            names.append(f"pool {layer.pool_size[0]}/s{layer.strides[0]}")
        elif isinstance(layer, (keras.layers.Flatten, keras.layers.GlobalMaxPooling2D,
                                keras.layers.GlobalAveragePooling2D)):
            break
    field, jump = stacked_receptive_field(windows)
    return {"receptive_field": field, "jump": jump, "windows": names}


# -- hidden layers and error rates (the training-technique studies) -----------------------------------

def hidden_activation_layers(model) -> list:
    """The layers whose outputs are the hidden units' activations (Activation or PReLU layers).

    The output layer's activation lives inside its Dense layer, so it is not among them.
    """
    import keras

    return [layer for layer in model.layers
            if isinstance(layer, (keras.layers.Activation, keras.layers.PReLU))]


def activation_statistics(model, x: np.ndarray, *, saturation: float = 0.99) -> list[dict[str, Any]]:
    """Per hidden layer, on the batch `x`: std of its output, share of saturated and of exactly-zero
    outputs, and how many of its units are distinct.

    "Distinct units" counts columns (units) that differ anywhere on the batch (to 1e-6): a layer whose
    units all compute the same function has 1, the symmetry a constant initialisation leaves unbroken
    (notes 001:3119: weights set to zero).
    """
    import keras

    layers = hidden_activation_layers(model)
    if not layers:
        return []
    reader = keras.Model(model.inputs[0], [layer.output for layer in layers])
    # A direct (eager) call: predict() would trace a new graph for this throwaway model, which costs
    # far more than the forward pass on a few hundred rows.
    outputs = reader(np.asarray(x), training=False)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    stats = []
    for index, (layer, out) in enumerate(zip(layers, outputs), start=1):
        values = np.asarray(out, dtype=np.float64).reshape(len(x), -1)
        distinct = np.unique(np.round(values.T, 6), axis=0).shape[0]
        stats.append({"layer": index, "name": layer.name, "units": int(values.shape[1]),
                      "std": float(values.std()), "mean_abs": float(np.abs(values).mean()),
                      "saturated": float(np.mean(np.abs(values) > saturation)),
                      "zero": float(np.mean(values == 0.0)), "distinct_units": int(distinct)})
    return stats


def error_rates(model, arrays, *, per_example_val_loss: bool = False) -> dict[str, Any]:
    """Misclassification rate (1 − accuracy) and mean cross-entropy of the fitted model on the fold's
    train, val and test rows; optionally the validation rows' individual losses (for paired comparisons
    between models in an analyze hook)."""
    out: dict[str, Any] = {}
    for split in ("train", "val", "test"):
        x, y = getattr(arrays, f"x_{split}"), np.asarray(getattr(arrays, f"y_{split}")).reshape(-1)
        if len(x) == 0:
            continue
        scores = np.asarray(model(np.asarray(x), training=False), dtype=np.float64)  # eager: no tracing
        if scores.ndim == 1 or scores.shape[1] == 1:  # one sigmoid unit: P(class 1)
            positive = scores.reshape(-1)
            scores = np.column_stack([1.0 - positive, positive])
        losses = -np.log(np.clip(scores[np.arange(len(y)), y.astype(int)], 1e-7, 1.0))  # Keras's epsilon
        out[f"{split}_error"] = float(np.mean(scores.argmax(axis=1) != y))
        out[f"{split}_loss"] = float(losses.mean())
        if split == "val" and per_example_val_loss:
            out["val_losses"] = [round(float(v), 6) for v in losses]
    return out
