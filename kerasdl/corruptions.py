"""Test images moved away from the training distribution: shifted, rotated or noisy copies at set strengths.

Notes 001:1457-1461: models "perform well as long as the data that is later used to make predictions
… comes from the same distribution as the data the system was built with" and poorly on data "that is
not entirely different, but that does have some variations". These are such variations of the digits,
each a fixed, documented transformation of the clean test images (no randomness except the noise,
which uses its own seeded generator so every model sees the same noisy copy):

* shift — moved k pixels (zero fill), averaged over the four directions (down, up, right, left);
* rotation — rotated by ±θ degrees about the centre (bilinear, zero fill), averaged over both signs;
* noise — Gaussian noise of standard deviation σ added to every pixel, clipped back to [0, 1].

`corruption_probe()` is a `Variant.probe`: accuracy of the fitted model on every corrupted copy of the
fold's test images. NumPy and SciPy only (no TensorFlow import here).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from kerasdl.probes import SHIFTS, rotate_images, shift_images

__all__ = ["STRENGTHS", "UNITS", "corrupt", "corrupted_copies", "corruption_probe"]

# Strength 0 is the clean test set, so each curve starts at the ordinary test accuracy.
STRENGTHS: dict[str, tuple[float, ...]] = {
    "shift": (0, 1, 2, 3),                     # pixels (of 8)
    "rotation": (0, 10, 20, 30, 45),           # degrees
    "noise": (0.0, 0.1, 0.2, 0.3, 0.5),        # standard deviation, pixels in [0, 1]
}
UNITS = {"shift": "pixels", "rotation": "degrees", "noise": "noise standard deviation"}
NOISE_SEED = 20_231_440  # fixed: every model and fold gets the same noise for the same images


def corrupted_copies(x: np.ndarray, kind: str, strength: float) -> list[np.ndarray]:
    """The copies of images `x` (n, h, w, c) whose accuracies are averaged for one (kind, strength)."""
    if kind not in STRENGTHS:
        raise ValueError(f"corrupted_copies: expected kind in {tuple(STRENGTHS)}. Received: kind={kind!r}")
    if strength == 0:
        return [x]
    if kind == "shift":
        k = int(strength)
        return [shift_images(x, dy * k, dx * k) for dy, dx in SHIFTS]
    if kind == "rotation":
        return [rotate_images(x, angle).astype(x.dtype) for angle in (-strength, strength)]
    rng = np.random.default_rng(NOISE_SEED)
    return [np.clip(x + rng.normal(0.0, strength, size=x.shape), 0.0, 1.0).astype(x.dtype)]


def corrupt(x: np.ndarray, kind: str, strength: float) -> np.ndarray:
    """One representative corrupted copy (for pictures): shifted down-right, rotated +θ, or noisy."""
    if kind == "shift" and strength:
        return shift_images(x, int(strength), int(strength))
    copies = corrupted_copies(x, kind, strength)
    return copies[-1]


def corruption_probe(strengths: dict[str, tuple[float, ...]] | None = None) -> Callable[[Any, Any], dict[str, Any]]:
    """A `Variant.probe`: {"corrupted_accuracy": {kind: [accuracy at each strength]}, "strengths": ...}.

    Image inputs only; a model that reads flat vectors (an MLP built on flattened pixels) is fed the
    corrupted images reshaped to its input.
    """
    table = strengths or STRENGTHS

    def probe(model, arrays) -> dict[str, Any]:
        x = np.asarray(arrays.x_test)
        y = np.asarray(arrays.y_test).reshape(-1)
        side = int(round(np.sqrt(x[0].size)))  # a flat (n, h·w) input is a square grey image
        images = x if x.ndim == 4 else x.reshape(len(x), side, side, 1)
        found: dict[str, Any] = {"strengths": {k: list(v) for k, v in table.items()}, "corrupted_accuracy": {}}
        for kind, levels in table.items():
            found["corrupted_accuracy"][kind] = [
                float(np.mean([_accuracy(model, copy.reshape(x.shape), y)
                               for copy in corrupted_copies(images, kind, level)]))
                for level in levels]
        return found

    return probe


def _accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    scores = np.asarray(model(x, training=False))  # eager: no predict() graph to trace per call
    return float(np.mean(scores.argmax(axis=1) == y))
