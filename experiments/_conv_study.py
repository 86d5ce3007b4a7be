"""Measurements and report sections shared by the convolutional studies.

`cnn-vs-mlp`, `conv-variants`, `pooling` and `classic-cnns` all train image classifiers on the 8×8
digits and compare them the same way: held-out accuracy against parameters and fit time, overlaid
validation-loss curves, and — because the notes credit convolution and pooling with translation
invariance (003:700-703, 001:2064) — accuracy on the test digits shifted by one pixel. Keeping that
here means every study measures it identically. Nothing heavy is imported at module level: this
module is imported by experiment scripts, which `kerasdl list experiments` must load instantly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["DIGITS_HOLDOUT", "SHIFTS", "shift_images", "rotate_images", "shifted_accuracy_probe", "probe_mean", "probe_value",
           "receptive_field_of", "metric",
           "fit_seconds", "layer_params", "feature_shape", "val_loss_section", "still_improving",
           "accuracy_noise"]

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


def probe_mean(entry: dict[str, Any], key: str) -> float:
    """A probe value averaged over a variant's folds (NaN when no fold measured it)."""
    values = [f["probe"][key] for f in entry.get("folds", []) if (f.get("probe") or {}).get(key) is not None]
    return float(np.mean(values)) if values else float("nan")


def probe_value(entry: dict[str, Any], key: str) -> Any:
    """A probe value of the variant's first fold that measured it (e.g. the receptive field)."""
    return next((f["probe"][key] for f in entry.get("folds", []) if key in (f.get("probe") or {})), None)


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

    from kerasdl.layers import TiledConv2D
    from kerasdl.models.convolutional import stacked_receptive_field

    windows: list[tuple[int, int, int]] = []
    names: list[str] = []
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv2D, TiledConv2D)):
            windows.append((layer.kernel_size[0], layer.strides[0], layer.dilation_rate[0]))
            names.append(f"conv {layer.kernel_size[0]}×{layer.kernel_size[0]}/s{layer.strides[0]}"
                         + (f"/d{layer.dilation_rate[0]}" if layer.dilation_rate[0] > 1 else "")
                         + (f"/tiles {layer.tiles}" if isinstance(layer, TiledConv2D) else ""))
        elif isinstance(layer, (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)):
            windows.append((layer.pool_size[0], layer.strides[0], 1))
            names.append(f"pool {layer.pool_size[0]}/s{layer.strides[0]}")
        elif isinstance(layer, (keras.layers.Flatten, keras.layers.GlobalMaxPooling2D,
                                keras.layers.GlobalAveragePooling2D)):
            break
    field, jump = stacked_receptive_field(windows)
    return {"receptive_field": field, "jump": jump, "windows": names}


# -- reading the record ------------------------------------------------------------------------------

def metric(entry: dict[str, Any], name: str = "accuracy") -> float:
    """Mean over folds of one metric of a variant's record entry (NaN when absent, so it sorts and
    formats as a number)."""
    from kerasdl.experiments._sections import metric_mean

    value = metric_mean(entry, name)
    return float("nan") if value is None else value


def fit_seconds(entry: dict[str, Any]) -> float:
    return float(entry.get("timings", {}).get("fit_s") or 0.0)


def layer_params(entry: dict[str, Any], *, types: Sequence[str] = (), names: Sequence[str] = ()) -> int:
    """Parameters of the layers of `types` (class names) or `names` in a variant's model summary."""
    return sum(int(row["params"]) for row in entry.get("model_summary", [])
               if row["type"] in types or row["name"] in names)


def feature_shape(entry: dict[str, Any]) -> str:
    """Output shape of the last layer before the flatten / global pool: what the dense head reads."""
    rows = entry.get("model_summary", [])
    for index, row in enumerate(rows):
        if row["type"] in ("Flatten", "GlobalMaxPooling2D", "GlobalAveragePooling2D"):
            shape = rows[index - 1]["output_shape"] if index else "?"
            return shape.replace("(None, ", "").rstrip(")").replace(", ", "×")
    return "?"


def val_loss_section(analysis, variants: Sequence[dict[str, Any]], *, title: str,
                     caption: str = "") -> dict[str, Any]:
    """Validation loss per epoch, one line per Keras variant (averaged over folds)."""
    from kerasdl.experiments._sections import overlaid_curves

    return overlaid_curves(
        analysis, title=title, y_label="validation loss (cross-entropy)", log_y=True,
        variants=[entry["name"] for entry in variants],
        caption=caption or "Each line ends where early stopping ended that variant's training; the weights "
                           "kept are those of its lowest point.")


def still_improving(entries: Sequence[dict[str, Any]]) -> str:
    """A sentence naming the Keras variants whose best validation epoch was their last one, or "".

    Early stopping never fired for them: the epoch budget ended their training, so their accuracy
    is what that budget buys, not what the architecture can reach.
    """
    names = [e["label"] for e in entries if e.get("kind") == "keras" and e.get("folds")
             and all(f.get("best_epoch") and f.get("best_epoch") == f.get("epochs_run") for f in e["folds"])]
    if not names:
        return ""
    return ("Still improving when the epoch budget ran out (validation loss lowest at the last epoch), so "
            f"their accuracy is a lower bound: {', '.join(names)}.")


def accuracy_noise(accuracy: float, n_test: int) -> float:
    """Binomial standard error of an accuracy measured on n_test images, √(p(1−p)/n).

    Two variants whose accuracies differ by less than about two of these are not distinguishable on
    this test set; the studies' texts say so instead of ranking them.
    """
    if n_test <= 0 or not math.isfinite(accuracy):
        return float("nan")
    return math.sqrt(accuracy * (1 - accuracy) / n_test)

