"""
Title: Fixed convolution kernels on a photograph — identity, blur, sharpen, edges
Description: the notes' hand-made kernels, and a few standard ones, applied by a Keras Conv2D whose
weights are set by hand and frozen, to a real photo shipped with scikit-learn.

Notes 001:1826-1835 show four 3×3 kernels — identity ("Original"), Gaussian blur (1/16·[1 2 1; 2 4 2;
1 2 1]), sharpen ([0 −1 0; −1 5 −1; 0 −1 0]) and edge detection ([−1 −1 −1; −1 8 −1; −1 −1 −1]) —
and say that a convolution slides the kernel over the image, multiplying element by element and
summing. This experiment puts those weights, plus a box blur, the 4-neighbour Laplacian and the two
Sobel kernels, into one Conv2D layer (one output channel per kernel, no bias, trainable=False) and
runs it on `china.jpg` from sklearn.datasets (converted to grey, downscaled 5× to 128 px wide). It
checks the result against SciPy: Keras computes cross-correlation, like scipy.signal.correlate2d —
the kernel is not flipped as in textbook convolution (004:736-754). Finally a trainable one-filter
Conv2D is fitted to reproduce the Sobel-x output from the photo, to show that the same layer learns
such a kernel from examples instead of being told it (000:478). No data set and no variants: the
work happens in the analysis step.
"""

from __future__ import annotations

from kerasdl.harness import Experiment
from kerasdl.report.sections import Images, Section, Table, Text

NAME = "fixed-kernels"
TITLE = "Fixed kernels (identity, blur, sharpen, edges) applied by a frozen Conv2D to a real photo"
NOTES_REF = "001:1819-1835, 004:736-754, 000:478"

## Setup
PHOTO = "china.jpg"   # bundled with scikit-learn (sklearn/datasets/images), no download
SCALE = 5             # 640 × 427 px → 128 × 85 px by 5×5 block averaging (report cells are ~110 px wide)
NOTES = "notes 001:1831"
# name → (3×3 weights, where they come from). Weights as the notes print them; Keras applies them
# without flipping (cross-correlation).
KERNELS = {
    "identity": ([[0, 0, 0], [0, 1, 0], [0, 0, 0]], NOTES + ' ("Original")'),
    "gaussian blur": ([[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]], NOTES),
    "box blur": ([[1 / 9] * 3] * 3, "standard: mean of the 3×3 neighbourhood"),
    "sharpen": ([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], NOTES),
    "edge detection": ([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], NOTES + " (8-neighbour Laplacian)"),
    "laplacian": ([[0, 1, 0], [1, -4, 1], [0, 1, 0]], "standard: 4-neighbour Laplacian"),
    "sobel x": ([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "standard: Sobel, horizontal gradient"),
    "sobel y": ([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], "standard: Sobel, vertical gradient"),
}
LEARN_TARGET = "sobel x"


def experiment() -> Experiment:
    """A dataset-less experiment: everything is computed in `analyze`."""
    return Experiment(name=NAME, title=TITLE, dataset=None, variants=[],
                      description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF, analyze=analyze)


## Prepare the photo
def load_photo(name: str = PHOTO, scale: int = SCALE):
    """A bundled scikit-learn photo as a grey (h, w) float32 image in [0, 1].

    Grey is ITU-R BT.601 luma (0.299 R + 0.587 G + 0.114 B); downscaling averages scale×scale blocks
    (rows and columns beyond a multiple of `scale` are dropped), which keeps the report small.
    """
    import numpy as np
    from sklearn.datasets import load_sample_image

    rgb = load_sample_image(name).astype(np.float64) / 255.0
    grey = rgb @ np.array([0.299, 0.587, 0.114])
    h, w = (grey.shape[0] // scale) * scale, (grey.shape[1] // scale) * scale
    small = grey[:h, :w].reshape(h // scale, scale, w // scale, scale).mean(axis=(1, 3))
    return small.astype(np.float32)


## Apply the kernels with a frozen Conv2D
def fixed_kernel_layer(kernels):
    """One Conv2D with one output channel per kernel, weights set by hand, no bias, not trainable."""
    import keras
    import numpy as np

    stack = np.stack([np.asarray(k, dtype=np.float32) for k in kernels], axis=-1)  # (3, 3, n)
    layer = keras.layers.Conv2D(len(kernels), stack.shape[:2], padding="same", use_bias=False, trainable=False,
                                name="fixed_kernels")
    layer.build((None, None, None, 1))
    layer.set_weights([stack[:, :, np.newaxis, :]])  # Keras kernel layout: (kh, kw, in, out)
    return layer


def apply_kernels(image, kernels):
    """(h, w) image → (h, w, n): each kernel applied by the frozen Conv2D ("same" zero padding)."""
    import numpy as np

    layer = fixed_kernel_layer(kernels)
    return np.asarray(layer(image[np.newaxis, :, :, np.newaxis]))[0]


def scipy_reference(image, kernel, *, flip: bool = False):
    """SciPy's answer with the same zero padding: correlate2d, or convolve2d (kernel flipped) if `flip`."""
    import numpy as np
    from scipy import signal

    op = signal.convolve2d if flip else signal.correlate2d
    return op(np.asarray(image, dtype=np.float64), np.asarray(kernel, dtype=np.float64), mode="same",
              boundary="fill", fillvalue=0)


def learn_kernel(image, target, *, steps: int, seed: int = 0):
    """Fit a trainable 3×3, one-filter, bias-free Conv2D so that conv(image) ≈ target (MSE, Adam).

    Returns the learned 3×3 weights and the MSE before and after training. The photo is fed `steps`
    times within one epoch (one Adam step each), which avoids Keras's per-epoch overhead.
    """
    import keras
    import numpy as np

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((None, None, 1)),
                              keras.layers.Conv2D(1, 3, padding="same", use_bias=False, name="learned")])
    model.compile(keras.optimizers.Adam(0.05), "mse")
    x, y = image[np.newaxis, :, :, np.newaxis], target[np.newaxis, :, :, np.newaxis]

    def mse() -> float:
        return float(np.mean((np.asarray(model(x)) - y) ** 2))

    before = mse()
    model.fit(np.repeat(x, steps, axis=0), np.repeat(y, steps, axis=0), epochs=1, batch_size=1, verbose=0)
    return model.get_layer("learned").get_weights()[0][:, :, 0, 0], (before, mse())


def sharpness(image) -> float:
    """Mean absolute difference between neighbouring pixels, the 1-pixel border excluded (padding)."""
    import numpy as np

    inner = np.asarray(image, dtype=np.float64)[1:-1, 1:-1]
    return float((np.abs(np.diff(inner, axis=0)).mean() + np.abs(np.diff(inner, axis=1)).mean()) / 2)


## Analyse
def analyze(analysis) -> list[Section]:
    import numpy as np

    photo = load_photo()
    names = list(KERNELS)
    kernels = [KERNELS[n][0] for n in names]
    outputs = apply_kernels(photo, kernels)
    rows, checks = [], {}
    for i, name in enumerate(names):
        weights, source = KERNELS[name]
        out = outputs[:, :, i]
        corr = float(np.max(np.abs(out - scipy_reference(photo, weights))))
        conv = float(np.max(np.abs(out - scipy_reference(photo, weights, flip=True))))
        checks[name] = (corr, conv)
        rows.append([name, source, _weights_text(weights), round(float(np.sum(weights)), 6),
                     round(float(out.min()), 4), round(float(out.max()), 4), f"{corr:.1e}", f"{conv:.3g}"])
    images = [_picture("original", photo, (0.0, 1.0))]
    for i, name in enumerate(names):
        signed = float(np.sum(KERNELS[name][0])) == 0.0
        images.append(_picture(name, outputs[:, :, i], None if signed else (0.0, 1.0)))
    sx, sy = outputs[:, :, names.index("sobel x")], outputs[:, :, names.index("sobel y")]
    images.append(_picture("sobel magnitude", np.hypot(sx, sy), None))

    steps = 100 if analysis.quick else 1000
    target = outputs[:, :, names.index(LEARN_TARGET)]
    learned, losses = learn_kernel(photo, target, steps=steps, seed=analysis.seed)
    wanted = np.asarray(KERNELS[LEARN_TARGET][0], dtype=np.float64)
    gap = float(np.max(np.abs(learned - wanted)))
    return [
        Images(title=f"{PHOTO} through each fixed kernel", columns=5, images=images,
               caption=f"The photo in grey, {photo.shape[1]}×{photo.shape[0]} px. Kernels whose weights sum to 1 "
                       "keep the brightness and are drawn on the 0…1 scale of the original (sharpened values outside "
                       "it are clipped in the picture); kernels summing to 0 give signed outputs, drawn from their "
                       "own minimum (black) to maximum (white). Sobel magnitude: √(x² + y²) of the two Sobel "
                       "outputs."),
        Table(title="Kernels, their outputs and the SciPy check",
              columns=["kernel", "source", "weights (rows)", "sum of weights", "output min", "output max",
                       "max |Keras − correlate2d|", "max |Keras − convolve2d|"],
              rows=rows,
              caption="Keras Conv2D with 'same' padding against scipy.signal.correlate2d and convolve2d with zero "
                      "padding (mode='same'), over every pixel."),
        Table(title=f"A trainable Conv2D learns the {LEARN_TARGET} kernel from one photo",
              columns=["row", "learned weights", f"{LEARN_TARGET} weights"],
              rows=[[r + 1, [round(float(v), 4) for v in learned[r]], [float(v) for v in wanted[r]]]
                    for r in range(3)],
              caption=f"{steps} Adam steps (learning rate 0.05, from Glorot-uniform weights) on the MSE between "
                      f"conv(photo) and the fixed kernel's output; MSE {losses[0]:.3g} before, {losses[1]:.2g} after."),
        Text(title="What this run shows", body=_findings(photo, outputs, names, checks, gap, steps)),
    ]


def _weights_text(weights) -> str:
    from fractions import Fraction

    def cell(value: float) -> str:
        return str(Fraction(value).limit_denominator(16))

    return " / ".join(" ".join(cell(v) for v in row) for row in weights)


def _picture(label: str, image, value_range) -> dict:
    """An images-section entry with the pixels quantised to 0…255, as an 8-bit PNG would store them.

    `value_range` (lo, hi) maps lo → 0 and hi → 255, clipping outside it; None maps the image's own
    minimum and maximum, which is how the report scales an image without a range anyway. Integers
    keep run.json to a fraction of the size of full floats.
    """
    import numpy as np

    image = np.asarray(image, dtype=np.float64)
    lo, hi = value_range or (float(image.min()), float(image.max()))
    levels = np.round(255 * np.clip((image - lo) / max(hi - lo, 1e-12), 0, 1)).astype(int)
    entry = {"label": label, "pixels": levels.tolist()}
    if value_range is not None:
        entry["range"] = [0, 255]
    return entry


def _findings(photo, outputs, names, checks, gap, steps) -> str:
    import numpy as np

    worst_corr = max(c for c, _ in checks.values())
    flipped = [n for n, (_, conv) in checks.items() if conv > 1e-4]
    base = sharpness(photo)
    ratio = {n: sharpness(outputs[:, :, names.index(n)]) / base for n in ("gaussian blur", "box blur", "sharpen")}
    zero_sum = [n for n in names if float(np.sum(KERNELS[n][0])) == 0.0]
    means = ", ".join(f"{n} {float(outputs[1:-1, 1:-1, names.index(n)].mean()):+.4f}" for n in zero_sum)
    return "\n\n".join([
        f"Cross-correlation, not convolution: for every kernel the frozen Conv2D matches "
        f"scipy.signal.correlate2d to within {worst_corr:.1e} (float32 rounding). Against convolve2d, which flips "
        f"the kernel, it differs for {', '.join(flipped) or 'no kernel'} — the kernels that are not symmetric "
        "under a 180° rotation — and agrees for the symmetric ones, where flipping changes nothing.",
        f"Blur and sharpen (001:1835): the mean difference between neighbouring pixels is {base:.4f} in the "
        f"photo, ×{ratio['gaussian blur']:.2f} after the Gaussian blur, ×{ratio['box blur']:.2f} after the box "
        f"blur and ×{ratio['sharpen']:.2f} after sharpening — smoothing removes local contrast, sharpening adds "
        "it.",
        f"Edge kernels sum to 0, so a uniform patch gives exactly 0 and only changes of intensity respond: their "
        f"mean output (border excluded) is {means}, small beside the photo's mean brightness "
        f"{float(photo.mean()):.4f}.",
        f"Learning instead of setting (000:478): after {steps} gradient steps a trainable 3×3 Conv2D reproduces "
        f"the {LEARN_TARGET} kernel to within {gap:.3g} per weight, from the photo and the filtered photo alone.",
    ])


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
