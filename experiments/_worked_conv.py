"""Worked numbers of convolution, stride, padding, pooling, flattening and the output-size formula.

Every value is computed by keras.layers.Conv2D / MaxPooling2D / Flatten with the notes' kernel set
as the layer's weights (no bias). Keras's Conv2D is a cross-correlation, which is what every worked
example of the notes computes (004:748-754 spells it out).

Reconstructions from the OCR text:

* 000:509-514: the 6×6 image and the 3×3 "X" kernel [[1,0,1],[0,1,0],[1,0,1]]. The stride-2 slides
  (000:592-597) show the image cropped to 5×5; the crop and the full image give the same 2×2.
* 000:675-923: the same-padding result is OCR'd as the run-together "139184250409410283", the
  first row of the 6×6 output: 139, 184, 250, 409, 410, 283 (the only values shown).
* 003:709-877: the 7×7 binary image and the two 3×3 feature detectors; the pooled 3×3 map of a
  5×5 feature map with 2×2 windows and stride 2 needs Keras padding="same" (a partial window at the
  border), since "valid" pooling gives 2×2. The image reprinted at 003:838 has an eighth column of
  zeros (OCR); it is not used.
* 001:2083-2105 (strided convolution): the superscripts in the bottom-right 3×3 of the OCR'd image
  are the kernel drawn over the image; the image's cell (7, 5) is 2 (OCR "3⁻²"), the only value
  that gives the notes' own 72 and 74.
* 004:781-785: "5×5 input → 3×3 with stride 1, 2×2 with stride 2" does not say the kernel; 3×3 is
  the kernel that gives both.
"""

from __future__ import annotations

import math
from functools import lru_cache
from itertools import product
from typing import Any

import numpy as np

from kerasdl.experiments._worked_common import Registry

REGISTRY = Registry()

IMAGE_6X6 = np.array([[18, 54, 51, 239, 244, 188], [55, 121, 75, 78, 95, 88],
                      [35, 24, 204, 113, 109, 221], [3, 154, 104, 235, 25, 130],
                      [15, 253, 225, 159, 78, 233], [68, 85, 180, 214, 245, 0]], dtype=float)  # 000:509-514
KERNEL_X = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=float)                           # 000:509-511
NOTES_VALID_6X6 = [[429, 505, 686, 856], [261, 792, 412, 640], [633, 653, 851, 751],
                   [608, 913, 713, 657]]                                                      # 000:585-588
IMAGE_7X7 = np.array([[0, 0, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0, 0],
                      [0, 0, 0, 1, 0, 0, 0], [0, 1, 0, 0, 0, 1, 0], [0, 0, 1, 1, 1, 0, 0],
                      [0, 0, 0, 0, 0, 0, 0]], dtype=float)                                     # 003:709-715
DETECTOR_1 = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 1]], dtype=float)                         # 003:732-734
DETECTOR_2 = np.array([[0, 1, 0], [0, 0, 0], [1, 1, 1]], dtype=float)                         # 003:767-769
NOTES_FEATURE_MAP_1 = [[0, 1, 0, 0, 0], [0, 1, 1, 1, 0], [1, 0, 1, 2, 1], [1, 4, 2, 1, 0],
                       [0, 0, 1, 2, 1]]                                                       # 003:739-743
IMAGE_STRIDED = np.array([[2, 3, 7, 4, 6, 2, 9], [6, 6, 9, 8, 7, 4, 3], [3, 4, 8, 3, 8, 9, 7],
                          [7, 8, 3, 6, 6, 3, 4], [4, 2, 1, 8, 3, 4, 6], [3, 2, 4, 1, 9, 8, 3],
                          [0, 1, 3, 9, 2, 1, 4]], dtype=float)                                 # 001:2083-2089
KERNEL_STRIDED = np.array([[3, 4, 4], [1, 0, 2], [-1, 0, 3]], dtype=float)                    # 001:2095-2097


def conv(image: np.ndarray, kernel: np.ndarray, *, strides: int = 1, padding: str = "valid") -> np.ndarray:
    """One Conv2D(1 filter, no bias) with `kernel` as its weights, applied to one grey image."""
    import keras

    layer = keras.layers.Conv2D(1, kernel.shape, strides=strides, padding=padding, use_bias=False,
                                dtype="float64")
    layer.build((None, *image.shape, 1))
    layer.set_weights([kernel[:, :, None, None]])
    return np.asarray(layer(image[None, :, :, None]), dtype=float)[0, :, :, 0]


def max_pool(feature_map: np.ndarray, *, padding: str = "valid") -> np.ndarray:
    import keras

    pooled = keras.layers.MaxPooling2D(2, strides=2, padding=padding, dtype="float64")(feature_map[None, :, :, None])
    return np.asarray(pooled, dtype=float)[0, :, :, 0]


# --------------------------------------------------------------------------- notes 000
@REGISTRY.add("conv6-valid", "6×6 image * X kernel, stride 1, no padding → 4×4 (Conv2D)", "000:505-588")
def conv6_valid():
    return NOTES_VALID_6X6, conv(IMAGE_6X6, KERNEL_X)


@REGISTRY.add("conv6-stride2", "6×6 image (5×5 crop) * X kernel, stride 2 → 2×2 (Conv2D strides=2)",
              "000:590-634", expected=[[429, 686], [633, 851]], catalog=True,
              erratum="the last cell is 851 (window rows 3-5, columns 3-5), not 412; 412 is the "
                      "stride-1 cell (2, 3)")
def conv6_stride2():
    return [[429, 686], [633, 412]], conv(IMAGE_6X6[:5, :5], KERNEL_X, strides=2)


@REGISTRY.add("conv6-same-row1", "6×6 image zero-padded by 1 ('same'): first output row", "000:642-923")
def conv6_same_row1():
    return [139, 184, 250, 409, 410, 283], conv(IMAGE_6X6, KERNEL_X, padding="same")[0]


@REGISTRY.add("conv6-same-middle", "'same' padding: the middle 4×4 equals the unpadded output", "000:1303")
def conv6_same_middle():
    return NOTES_VALID_6X6, conv(IMAGE_6X6, KERNEL_X, padding="same")[1:-1, 1:-1]


@REGISTRY.add("conv6-maxpool", "Max pooling 2×2, stride 2 of the 4×4 convolved output (MaxPooling2D)",
              "000:1315-1323")
def conv6_maxpool():
    return [[792, 856], [913, 851]], max_pool(conv(IMAGE_6X6, KERNEL_X))


# --------------------------------------------------------------------------- notes 003
@REGISTRY.add("fm1", "7×7 binary image * feature detector 1 → Feature Map1 (5×5)", "003:709-745",
              expected=[[0, 1, 0, 0, 0], [0, 1, 1, 1, 0], [1, 0, 0, 2, 1], [1, 4, 2, 1, 0], [0, 0, 1, 2, 1]],
              catalog=True, erratum="row 3, column 3 is 0 (the window has no 1 under a kernel 1), not 1")
def feature_map_1():
    return NOTES_FEATURE_MAP_1, conv(IMAGE_7X7, DETECTOR_1)


@REGISTRY.add("fm2", "7×7 binary image * feature detector 2 → Feature Map2 (5×5)", "003:753-782")
def feature_map_2():
    return ([[0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [1, 1, 0, 1, 1], [1, 2, 4, 2, 1], [1, 0, 0, 0, 1]],
            conv(IMAGE_7X7, DETECTOR_2))


@REGISTRY.add("fm1-pool", "Feature Map1 → max pooling 2×2, stride 2 (padding 'same': 5×5 → 3×3)",
              "003:810-834")
def feature_map_pool():
    return [[1, 1, 0], [4, 2, 1], [0, 2, 1]], max_pool(conv(IMAGE_7X7, DETECTOR_1), padding="same")


@REGISTRY.add("fm1-flatten", "Pooled feature map → Flatten", "003:856-877")
def feature_map_flatten():
    import keras

    pooled = max_pool(conv(IMAGE_7X7, DETECTOR_1), padding="same")
    return [1, 1, 0, 4, 2, 1, 0, 2, 1], np.asarray(keras.layers.Flatten()(pooled[None, :, :, None]))[0]


# --------------------------------------------------------------------------- notes 004 and 001
@REGISTRY.add("conv3x3", "[[0,1,2],[3,4,5],[6,7,8]] * [[0,1],[2,3]] (Conv2D)", "004:736-754")
def conv_3x3():
    return [[19, 25], [37, 43]], conv(np.arange(9.0).reshape(3, 3), np.arange(4.0).reshape(2, 2))


@REGISTRY.add("conv-strided-7x7", "7×7 image * 3×3 kernel, stride 2 → 3×3 (Conv2D strides=2)",
              "001:2083-2111", expected=[[91, 100, 88], [69, 91, 117], [44, 72, 74]],
              erratum="three cells are wrong: row 1 is 91, 100, 88 (printed 110, 83) and row 2 ends in 117 "
                      "(printed 127); e.g. cell (1,3) = 6·3+2·4+9·4+7·1+4·0+3·2+8·(−1)+9·0+7·3 = 88")
def conv_strided_7x7():
    return [[91, 110, 83], [69, 91, 127], [44, 72, 74]], conv(IMAGE_STRIDED, KERNEL_STRIDED, strides=2)


@REGISTRY.add("conv-window-45", "First cell of a 4×4×1 input * sharpen kernel (one 3×3 window)", "001:1855-1857")
def conv_window_45():
    window = np.array([[45, 12, 5], [22, 10, 35], [88, 26, 51]], dtype=float)
    sharpen = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float)
    return -45, float(conv(window, sharpen)[0, 0])


@REGISTRY.add("conv-window-6", "First cell of a 5×5 input * 2×2 filter (one 2×2 window)", "001:378-384, 1876")
def conv_window_6():
    return 6, float(conv(np.array([[1.0, 2.0], [2.0, 1.0]]), np.array([[0.0, 1.0], [1.0, 2.0]]))[0, 0])


# --------------------------------------------------------------------------- output sizes
def keras_size(width: int, kernel: int, strides: int, padding: str, *, pool: bool = False) -> int:
    """Spatial output length of a real Keras Conv2D (or MaxPooling2D) run on a zero image."""
    import keras

    layer = (keras.layers.MaxPooling2D(kernel, strides=strides, padding=padding) if pool else
             keras.layers.Conv2D(1, kernel, strides=strides, padding=padding))
    return int(layer(np.zeros((1, width, width, 1), dtype="float32")).shape[1])


def formula(width: int, kernel: int, strides: int, pad: float) -> int:
    """⌊(W − F + 2P)/S⌋ + 1 (000:1345, 004:819, with the floor that 001:2117 asks for)."""
    return math.floor((width - kernel + 2 * pad) / strides) + 1


@REGISTRY.add("size-32", "Output volume of 10 filters 3×3×3 on 32×32×3, S=1, P=0: (32−3+0)/1+1",
              "000:1356-1358")
def size_32():
    import keras

    out = keras.layers.Conv2D(10, 3)(np.zeros((1, 32, 32, 3), dtype="float32"))
    return [30, 30, 10], list(out.shape[1:])


@REGISTRY.add("size-examples", "Output sizes stated in the notes: [i−k]+1 for 3×3/2×2; 5×5, 3×3 kernel, "
              "S=1 and S=2; 5×5 with 2×2 filter; (7−3+0)/2+1", "004:728, 004:781-785, 001:1892, 001:2117")
def size_examples():
    return [2, 3, 2, 4, 3], [keras_size(3, 2, 1, "valid"), keras_size(5, 3, 1, "valid"),
                             keras_size(5, 3, 2, "valid"), keras_size(5, 2, 1, "valid"),
                             keras_size(7, 3, 2, "valid")]


@REGISTRY.add("size-pool", "Max pooling 2×2, stride 2: 4×4 → 2×2", "000:1323, 004:840")
def size_pool():
    return 2, keras_size(4, 2, 2, "valid", pool=True)


@REGISTRY.add("size-strided-formula", "Strided size formula as printed, (n−f+2p)/(s+1), for n=7, f=3, "
              "p=0, s=2", "001:2115", expected=3, catalog=True,
              erratum="the formula is ⌊(n + 2p − f)/s⌋ + 1 = 3 (the notes' own text, 001:2117, computes "
                      "(7−3+0)/2+1 = 3); (n−f+2p)/(s+1) gives 4/3")
def size_strided_formula():
    return (7 - 3 + 0) / (2 + 1), keras_size(7, 3, 2, "valid")


@REGISTRY.add("size-pool-formula", "Pooling size formula as printed, (n−f+1)/s, for the notes' 4×4 map, "
              "f=2, s=2", "001:2012", expected=2, catalog=True,
              erratum="the formula is ⌊(n − f)/s⌋ + 1 = 2; (n−f+1)/s gives 1.5 (it is the stride-1 "
                      "size divided by s)")
def size_pool_formula():
    return (4 - 2 + 1) / 2, keras_size(4, 2, 2, "valid", pool=True)


GRID_WIDTHS, GRID_KERNELS, GRID_STRIDES = (5, 6, 7, 8, 28), (1, 2, 3, 4, 5), (1, 2, 3)


@lru_cache(maxsize=1)
def size_grid() -> list[dict[str, Any]]:
    """Formula vs Keras's real output length for every (W, F, S) of the grid, valid and same."""
    rows = []
    for width, kernel, strides in product(GRID_WIDTHS, GRID_KERNELS, GRID_STRIDES):
        rows.append({
            "W": width, "F": kernel, "S": strides,
            "keras_valid": keras_size(width, kernel, strides, "valid"),
            "formula_valid": formula(width, kernel, strides, 0),
            "unfloored_valid": (width - kernel) / strides + 1,        # 004:819 as printed, no floor
            "keras_same": keras_size(width, kernel, strides, "same"),
            "ceil": math.ceil(width / strides),
            "formula_same": formula(width, kernel, strides, (kernel - 1) / 2),
            "formula_whole_pad": formula(width, kernel, strides, (kernel - 1) // 2),
        })
    return rows


@REGISTRY.add("size-valid-grid", "Cases where ⌊(W−F+2P)/S⌋+1 with P=0 gives Keras padding='valid''s size, "
              "over W∈{5,6,7,8,28}, F∈{1..5}, S∈{1,2,3} (the notes: all)", "000:1345, 004:819")
def size_valid_grid():
    grid = size_grid()
    return len(grid), sum(g["formula_valid"] == g["keras_valid"] for g in grid)


@REGISTRY.add("size-same-grid", "Cases where the formula with P=(F−1)/2 gives Keras padding='same''s size "
              "(⌈W/S⌉), same grid (the notes: all, 000:1337)", "000:1337, 004:819")
def size_same_grid():
    grid = size_grid()
    return len(grid), sum(g["formula_same"] == g["keras_same"] for g in grid)


def padding_demo() -> dict[str, Any]:
    """Keras 'same' with stride 2 on the notes' 6×6 image vs the notes' symmetric 1-pixel zero frame.

    Both give 3×3, but TensorFlow pads only what the stride needs, max((⌈W/S⌉−1)·S + F − W, 0) = 1
    pixel here, and puts it after (bottom/right), so the windows and the values differ.
    """
    import keras

    framed = np.asarray(keras.layers.ZeroPadding2D(1)(IMAGE_6X6[None, :, :, None]), dtype=float)[0, :, :, 0]
    return {"keras_same": conv(IMAGE_6X6, KERNEL_X, strides=2, padding="same"),
            "frame_then_stride": conv(framed, KERNEL_X, strides=2)}
