"""Inception v3 (Szegedy et al. 2016, "Rethinking the Inception Architecture"), one of the "multiple
versions (Inception v1, v2, v3, v4)" of GoogLeNet in notes 001:1758, and the network DeepDream
(001:1745) was first run on.

Kept apart from modern_cnns.py (GoogLeNet v1, ResNet, DenseNet, MobileNet) because its three kinds
of module are best written as data, and that file is already long. What v3 changed from v1
(`googlenet`): every 5×5 becomes two 3×3 (module A), 7×7 is factorised into 1×7 then 7×1
(module C), the last modules widen with parallel 1×3 and 3×1 (module E), the grid shrinks by
stride-2 convolutions and a max-pool side by side (reductions) rather than by a pool alone, and
every convolution is followed by batch norm.
"""

from __future__ import annotations

import keras

from kerasdl.errors import UserError
from kerasdl.models._assemble import check_choice
from kerasdl.models.feedforward import default_output_activation

__all__ = ["build_inception_v3", "INCEPTION_V3"]

SCALES = ("small", "canonical")

# The modules in order (Szegedy et al. 2016, Table 1 and Figs. 5-7; widths as keras.applications):
# ("A", pool projection) 35×35 modules; ("C", 7×7 factor width) 17×17 modules; ("E",) 8×8 modules;
# "reduce_a" 35→17 and "reduce_b" 17→8 grid reductions.
INCEPTION_V3 = (("A", 32), ("A", 64), ("A", 64), "reduce_a", ("C", 128), ("C", 160), ("C", 160), ("C", 192),
                "reduce_b", ("E",), ("E",))
# Small: one module of each kind. All eleven at width 1/8 have 94 convolutions and took ~1 minute per
# epoch on 180 8×8 digits here (graph tracing, not arithmetic); one of each keeps every kind of block.
SMALL_MODULES = (INCEPTION_V3[0], "reduce_a", INCEPTION_V3[4], "reduce_b", INCEPTION_V3[9])


def build_inception_v3(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional",
                       scale: str = "small", width: float | None = None, dropout: float = 0.2,
                       initializer: str = "glorot_uniform", bn_momentum: float = 0.99,
                       output_activation: str | None = None) -> keras.Model:
    """Inception v3 as keras.applications.InceptionV3(weights=None) builds it, plus a `small` scale.

    Canonical (≥75×75×3; 299×299×3 in the paper, 1000 classes): stem conv 32@3×3/2, 32@3×3, 64@3×3,
    max-pool 3/2, conv 80@1×1, 192@3×3, max-pool 3/2; three A modules, reduction A, four C modules,
    reduction B, two E modules; global average pool, dense 1000. Each convolution has no bias and is
    followed by batch norm without γ (`scale=False`: a ReLU follows, so a scale could be folded into
    the next layer) — 23,851,784 parameters, exactly keras.applications.InceptionV3's count
    (tests/test_conv_leftovers.py builds both). The training-only auxiliary classifier is left out,
    as Keras does. `dropout` (parameter-free) before the classifier is the paper's regulariser.

    `width` multiplies every convolution's filter count (default 1 canonical, 1/8 small). Small:
    stride-1 stem without its max-pools, "same" padding in the reductions and one module of each kind
    (A, reduction A, C, reduction B, E: 41 convolutions instead of 94), so an 8×8 input runs through
    every kind of block at 8×8, 4×4 and 2×2.
    """
    if api != "functional":
        raise UserError(f"inception_v3 has branches and exists only as a functional model. Received: api={api!r}")
    if len(input_shape) != 3:
        raise UserError(f"inception_v3 expects images (height, width, channels). Received: input_shape={input_shape}")
    check_choice("scale", scale, SCALES)
    canonical = scale == "canonical"
    width = (1.0 if canonical else 0.125) if width is None else float(width)
    if width <= 0:
        raise UserError(f"Expected inception_v3 width > 0. Received: width={width}")
    if canonical and min(input_shape[:2]) < 75:
        raise UserError(f"canonical inception_v3 needs inputs of at least 75×75 (299×299 in the paper). "
                        f"Received: input_shape={input_shape}; use scale='small' for small images")
    pad = "valid" if canonical else "same"
    count = [0]

    def conv(x, filters, kernel, strides=1, padding="same"):
        count[0] += 1
        name = f"conv_{count[0]}"
        x = keras.layers.Conv2D(max(1, round(filters * width)), kernel, strides=strides, padding=padding,
                                use_bias=False, kernel_initializer=initializer, name=name)(x)
        x = keras.layers.BatchNormalization(scale=False, momentum=bn_momentum, name=f"{name}_bn")(x)
        return keras.layers.Activation("relu", name=f"{name}_relu")(x)

    def avg_pool(x):
        return keras.layers.AveragePooling2D(3, strides=1, padding="same")(x)

    def module_a(x, projection):  # 35×35: the 5×5 branch of v1 and a 5×5 as two 3×3
        return [conv(x, 64, 1), conv(conv(x, 48, 1), 64, 5), conv(conv(conv(x, 64, 1), 96, 3), 96, 3),
                conv(avg_pool(x), projection, 1)]

    def module_c(x, c7):  # 17×17: n×n factorised into 1×n then n×1, n = 7
        seven = conv(conv(conv(x, c7, 1), c7, (1, 7)), 192, (7, 1))
        double = x
        for filters, kernel in ((c7, 1), (c7, (7, 1)), (c7, (1, 7)), (c7, (7, 1)), (192, (1, 7))):
            double = conv(double, filters, kernel)
        return [conv(x, 192, 1), seven, double, conv(avg_pool(x), 192, 1)]

    def module_e(x):  # 8×8: the 3×3 output split into parallel 1×3 and 3×1 (wider, for the coarsest grid)
        three = conv(x, 384, 1)
        double = conv(conv(x, 448, 1), 384, 3)
        return [conv(x, 320, 1),
                keras.layers.Concatenate()([conv(three, 384, (1, 3)), conv(three, 384, (3, 1))]),
                keras.layers.Concatenate()([conv(double, 384, (1, 3)), conv(double, 384, (3, 1))]),
                conv(avg_pool(x), 192, 1)]

    def reduce_a(x):
        return [conv(x, 384, 3, 2, pad), conv(conv(conv(x, 64, 1), 96, 3), 96, 3, 2, pad),
                keras.layers.MaxPooling2D(3, strides=2, padding=pad)(x)]

    def reduce_b(x):
        seven = conv(conv(conv(x, 192, 1), 192, (1, 7)), 192, (7, 1))
        return [conv(conv(x, 192, 1), 320, 3, 2, pad), conv(seven, 192, 3, 2, pad),
                keras.layers.MaxPooling2D(3, strides=2, padding=pad)(x)]

    inputs = keras.Input(shape=input_shape)
    x = conv(inputs, 32, 3, 2 if canonical else 1, pad)
    x = conv(x, 32, 3, padding=pad)
    x = conv(x, 64, 3)
    if canonical:
        x = keras.layers.MaxPooling2D(3, strides=2)(x)
    x = conv(x, 80, 1, padding=pad)
    x = conv(x, 192, 3, padding=pad)
    if canonical:
        x = keras.layers.MaxPooling2D(3, strides=2)(x)
    kinds = {"A": module_a, "C": module_c, "E": module_e}
    for index, module in enumerate(INCEPTION_V3 if canonical else SMALL_MODULES):
        if module == "reduce_a":
            branches = reduce_a(x)
        elif module == "reduce_b":
            branches = reduce_b(x)
        else:
            branches = kinds[module[0]](x, *module[1:])
        x = keras.layers.Concatenate(name=f"mixed{index}")(branches)
    x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    x = keras.layers.Dense(outputs, activation=output_activation or default_output_activation(outputs),
                           kernel_initializer=initializer, name="output")(x)
    return keras.Model(inputs, x, name="inception_v3")
