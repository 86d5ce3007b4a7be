"""The named CNNs with branches, skips or separable convolutions: GoogLeNet, ResNet, DenseNet, MobileNet.

Notes 001:1725-1743 name them; 001:2845-2876 explain the two kinds of skip connection they rely on —
addition (ResNet: the identity path keeps the gradient, ∂H/∂x = ∂F/∂x + 1) and concatenation
(DenseNet: every layer sees every earlier feature map). Each builder has `scale="canonical"` (the
published network at 224×224×3, parameter count as published / as keras.applications) and
`scale="small"` (the default: same topology, few filters, a stride-1 stem, "same" pooling) for 8×8 or
28×28 data. GoogLeNet, ResNet and DenseNet are functional only (branches); MobileNet is a plain stack
and is built both ways from one layer list.
"""

from __future__ import annotations

import keras

from kerasdl.errors import UserError
from kerasdl.models._assemble import activation_layer, assemble, check_choice, weight_regularizer
from kerasdl.models.feedforward import default_output_activation

__all__ = ["build_googlenet", "build_resnet", "build_densenet", "build_mobilenet",
           "INCEPTION_V1", "RESNET_BLOCKS", "DENSENET_BLOCKS", "MOBILENET_V1"]

SCALES = ("small", "canonical")

# Why `bn_momentum` is a hyperparameter: inference uses BN's moving mean/variance, updated per step as
# m ← momentum·m + (1 − momentum)·batch statistic. With Keras's default 0.99 the initial values
# (mean 0, variance 1) still weigh 0.99^n after n steps — 0.7 after one epoch of 34 batches of a
# 1,078-image training set — so on small data a net can reach 100 % training accuracy while its
# inference-mode validation accuracy is chance for ten epochs. 0.9 (PyTorch's default, written
# there as 0.1) forgets them within a few dozen steps. Default 0.99 keeps keras.applications' value.

# GoogLeNet (Szegedy et al. 2015, Table 1): per Inception module the widths of
# 1×1 | 3×3 reduce, 3×3 | 5×5 reduce, 5×5 | pool projection; "pool" = max-pool 3×3/2 between stages.
INCEPTION_V1 = (("3a", 64, 96, 128, 16, 32, 32), ("3b", 128, 128, 192, 32, 96, 64), "pool",
                ("4a", 192, 96, 208, 16, 48, 64), ("4b", 160, 112, 224, 24, 64, 64),
                ("4c", 128, 128, 256, 24, 64, 64), ("4d", 112, 144, 288, 32, 64, 64),
                ("4e", 256, 160, 320, 32, 128, 128), "pool",
                ("5a", 256, 160, 320, 32, 128, 128), ("5b", 384, 192, 384, 48, 128, 128))

# ResNet (He et al. 2016, Table 1): residual blocks per stage, and whether they are bottlenecks.
RESNET_BLOCKS = {18: ((2, 2, 2, 2), False), 34: ((3, 4, 6, 3), False), 50: ((3, 4, 6, 3), True),
                 101: ((3, 4, 23, 3), True), 152: ((3, 8, 36, 3), True)}

# DenseNet-BC (Huang et al. 2017, Table 1): layers per dense block.
DENSENET_BLOCKS = {121: (6, 12, 24, 16), 169: (6, 12, 32, 32), 201: (6, 12, 48, 32)}

# MobileNet v1 (Howard et al. 2017, Table 1): (pointwise filters, depthwise stride) per separable block.
MOBILENET_V1 = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
                (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))


def _require_functional(api: str, name: str) -> None:
    if api != "functional":
        raise UserError(f"{name} has branches and exists only as a functional model. Received: api={api!r}")


def _check_image(input_shape, name: str) -> None:
    if len(input_shape) != 3:
        raise UserError(f"{name} expects images (height, width, channels). Received: input_shape={input_shape}")


def _classifier_head(x, outputs, dropout, initializer, output_activation, name="output"):
    """Global average pooling → (dropout) → Dense(outputs): the GoogLeNet-era replacement of big
    dense layers (001:1725-1727); it also makes the network indifferent to the input size."""
    x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    return keras.layers.Dense(outputs, activation=output_activation or default_output_activation(outputs),
                              kernel_initializer=initializer, name=name)(x)


# --- GoogLeNet ------------------------------------------------------------------------------------

def build_googlenet(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional", scale: str = "small",
                    activation: str = "relu", dropout: float = 0.4, initializer: str = "glorot_uniform",
                    l1: float = 0.0, l2: float = 0.0, output_activation: str | None = None) -> keras.Model:
    """GoogLeNet / Inception v1 (Szegedy et al. 2015; notes 001:1725-1727).

    An Inception module runs 1×1, 3×3 and 5×5 convolutions and a 3×3 max-pool side by side and
    concatenates them; 1×1 "reduce" convolutions in front of the 3×3 and 5×5 keep that affordable,
    and global average pooling replaces AlexNet's 4096-wide dense layers.
    Canonical (224×224×3, 1000 classes), Table 1 of the paper: conv 64@7×7/2, max-pool 3/2, conv
    64@1×1, conv 192@3×3, max-pool, modules 3a-3b, pool, 4a-4e, pool, 5a-5b, 7×7 average pool,
    dropout 0.4, dense 1000; convolutions with biases, no batch norm (that came with v2).
    Built without the two auxiliary classifiers, which exist only in training and are discarded at
    inference: 6,998,552 parameters, counted exactly by this build — 5,973,552 in the convolutions
    plus 1,025,000 in the 1024→1000 classifier. The often quoted "≈ 6.8M" is the sum of the
    paper's Table 1 "params" column, which is rounded per layer and not exact (e.g. it lists 159K
    for module 3a, whose weights and biases are 163,696). Local response normalisation is omitted
    (parameter-free).
    Small: stem 16@3×3/1 and modules 3a, 3b, pool, 4a with widths ÷8.
    """
    _require_functional(api, "googlenet")
    _check_image(input_shape, "googlenet")
    check_choice("scale", scale, SCALES)
    regularizer = weight_regularizer(l1, l2)

    def conv(x, filters, kernel, name, strides=1):
        x = keras.layers.Conv2D(filters, kernel, strides=strides, padding="same", kernel_initializer=initializer,
                                kernel_regularizer=regularizer, name=name)(x)
        return activation_layer(activation, name=f"{name}_{activation}")(x)

    def inception(x, name, c1, r3, c3, r5, c5, proj):
        branch1 = conv(x, c1, 1, f"inception{name}_1x1")
        branch3 = conv(conv(x, r3, 1, f"inception{name}_3x3_reduce"), c3, 3, f"inception{name}_3x3")
        branch5 = conv(conv(x, r5, 1, f"inception{name}_5x5_reduce"), c5, 5, f"inception{name}_5x5")
        pooled = keras.layers.MaxPooling2D(3, strides=1, padding="same", name=f"inception{name}_pool")(x)
        branch_pool = conv(pooled, proj, 1, f"inception{name}_pool_proj")
        return keras.layers.Concatenate(name=f"inception{name}")([branch1, branch3, branch5, branch_pool])

    inputs = keras.Input(shape=input_shape)
    if scale == "canonical":
        x = conv(inputs, 64, 7, "conv1", strides=2)
        x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
        x = conv(x, 64, 1, "conv2_reduce")
        x = conv(x, 192, 3, "conv2")
        x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool2")(x)
        modules, divisor = INCEPTION_V1, 1
    else:
        x = conv(inputs, 16, 3, "conv1")
        x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool2")(x)
        modules, divisor = INCEPTION_V1[:4], 8
    for pool_index, module in enumerate(modules, start=3):
        if module == "pool":
            x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name=f"pool{pool_index}")(x)
        else:
            x = inception(x, module[0], *(max(1, w // divisor) for w in module[1:]))
    return keras.Model(inputs, _classifier_head(x, outputs, dropout, initializer, output_activation),
                       name="googlenet")


# --- ResNet ---------------------------------------------------------------------------------------

def build_resnet(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional", depth: int = 18,
                 scale: str = "small", conv_bias: bool | None = None, activation: str = "relu",
                 dropout: float = 0.0, initializer: str = "glorot_uniform", l1: float = 0.0, l2: float = 0.0,
                 bn_momentum: float = 0.99, output_activation: str | None = None) -> keras.Model:
    """ResNet v1 (He et al. 2016; notes 001:1741, 001:2852-2863): residual blocks H(x) = F(x) + x.

    Depth 18/34 stack basic blocks (3×3, 3×3), 50/101/152 bottleneck blocks (1×1 reduce, 3×3,
    1×1 expand ×4); every convolution is followed by batch norm, the activation comes after the
    addition, and a 1×1 projection (+BN) replaces the identity where the shape changes (option B).
    The stride sits in the block's 3×3 convolution (the "v1.5" placement; same parameter count as
    the paper's stride-2 1×1). Canonical: 224×224×3, stem 64@7×7/2 + max-pool 3/2, stages of 64,
    128, 256, 512 filters, global average pool, dense 1000.

    `conv_bias=None` follows the reference each canonical count is checked against: no bias before
    BN for 18/34 (as He et al. and torchvision: 11,689,512 and 21,797,672 trainable parameters,
    plus 9,600 / 17,024 BN moving statistics that Keras counts and torchvision keeps as buffers),
    biases for 50/101/152 as keras.applications.ResNet50 does (25,636,712 in total, equal to
    it; with conv_bias=False it is torchvision's 25,557,032 trainable). A bias before BN is
    redundant — BN subtracts the mean — so the choice changes counts, not the function class.
    Small: stem 8@3×3/1 without max-pool, stages of 8, 16, 32, 64 filters.
    `bn_momentum`: batch-norm moving-average momentum (0.99 as Keras; see the note at the top).
    """
    _require_functional(api, "resnet")
    _check_image(input_shape, "resnet")
    check_choice("scale", scale, SCALES)
    check_choice("depth", depth, tuple(RESNET_BLOCKS))
    blocks, bottleneck = RESNET_BLOCKS[depth]
    use_bias = bottleneck if conv_bias is None else bool(conv_bias)
    regularizer = weight_regularizer(l1, l2)

    def conv_bn(x, filters, kernel, name, strides=1):
        x = keras.layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=use_bias,
                                kernel_initializer=initializer, kernel_regularizer=regularizer, name=f"{name}_conv")(x)
        return keras.layers.BatchNormalization(epsilon=1.001e-5, momentum=bn_momentum, name=f"{name}_bn")(x)

    def act(x, name):
        return activation_layer(activation, name=f"{name}_{activation}")(x)

    def block(x, filters, strides, name):
        expanded = filters * 4 if bottleneck else filters
        shortcut = x
        if strides != 1 or x.shape[-1] != expanded:
            shortcut = conv_bn(x, expanded, 1, f"{name}_projection", strides)
        if bottleneck:
            y = act(conv_bn(x, filters, 1, f"{name}_1"), f"{name}_1")
            y = act(conv_bn(y, filters, 3, f"{name}_2", strides), f"{name}_2")
            y = conv_bn(y, expanded, 1, f"{name}_3")
        else:
            y = act(conv_bn(x, filters, 3, f"{name}_1", strides), f"{name}_1")
            y = conv_bn(y, filters, 3, f"{name}_2")
        # The identity path: the gradient reaches earlier layers unattenuated (001:2852-2863).
        return act(keras.layers.Add(name=f"{name}_add")([shortcut, y]), f"{name}_out")

    inputs = keras.Input(shape=input_shape)
    if scale == "canonical":
        x = act(conv_bn(inputs, 64, 7, "stem", strides=2), "stem")
        x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
        widths = (64, 128, 256, 512)
    else:
        x = act(conv_bn(inputs, 8, 3, "stem"), "stem")
        widths = (8, 16, 32, 64)
    for stage, (width, count) in enumerate(zip(widths, blocks), start=2):
        for index in range(count):
            strides = 2 if (index == 0 and stage > 2) else 1
            x = block(x, width, strides, f"stage{stage}_block{index + 1}")
    return keras.Model(inputs, _classifier_head(x, outputs, dropout, initializer, output_activation),
                       name=f"resnet{depth}")


# --- DenseNet -------------------------------------------------------------------------------------

def build_densenet(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional", variant: int = 121,
                   scale: str = "small", growth_rate: int | None = None, compression: float = 0.5,
                   activation: str = "relu", dropout: float = 0.0, initializer: str = "glorot_uniform",
                   l1: float = 0.0, l2: float = 0.0, bn_momentum: float = 0.99,
                   output_activation: str | None = None) -> keras.Model:
    """DenseNet-BC (Huang et al. 2017; notes 001:2866-2876): concatenative skips.

    Inside a dense block each layer (BN → act → 1×1 conv 4k → BN → act → 3×3 conv k) gets the
    concatenation of all earlier maps and adds k ("growth rate") new ones, so features are reused
    rather than relearned; transitions (BN → act → 1×1 conv ×`compression` → 2×2 average pool)
    halve maps and channels between blocks. Convolutions have no bias (BN follows).
    Canonical `variant` 121 (169, 201): 224×224×3, stem 64@7×7/2 + max-pool 3/2, blocks
    (6, 12, 24, 16), k = 32 — DenseNet-121 has 8,062,504 parameters, equal to
    keras.applications.DenseNet121 (7,978,856 trainable + BN moving statistics).
    Small: stem 16@3×3/1, three blocks of 2 layers, k = 8.
    `bn_momentum`: batch-norm moving-average momentum (0.99 as Keras; see the note at the top).
    """
    _require_functional(api, "densenet")
    _check_image(input_shape, "densenet")
    check_choice("scale", scale, SCALES)
    check_choice("variant", variant, tuple(DENSENET_BLOCKS))
    canonical = scale == "canonical"
    growth = growth_rate or (32 if canonical else 8)
    blocks = DENSENET_BLOCKS[variant] if canonical else (2, 2, 2)
    regularizer = weight_regularizer(l1, l2)

    def bn_act_conv(x, filters, kernel, name):
        x = keras.layers.BatchNormalization(epsilon=1.001e-5, momentum=bn_momentum, name=f"{name}_bn")(x)
        x = activation_layer(activation, name=f"{name}_{activation}")(x)
        return keras.layers.Conv2D(filters, kernel, padding="same", use_bias=False, kernel_initializer=initializer,
                                   kernel_regularizer=regularizer, name=f"{name}_conv")(x)

    inputs = keras.Input(shape=input_shape)
    stem_filters, stem_kernel, stem_strides = (64, 7, 2) if canonical else (16, 3, 1)
    x = keras.layers.Conv2D(stem_filters, stem_kernel, strides=stem_strides, padding="same", use_bias=False,
                            kernel_initializer=initializer, kernel_regularizer=regularizer, name="stem_conv")(inputs)
    x = keras.layers.BatchNormalization(epsilon=1.001e-5, momentum=bn_momentum, name="stem_bn")(x)
    x = activation_layer(activation, name=f"stem_{activation}")(x)
    if canonical:
        x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
    for b, layers_in_block in enumerate(blocks, start=1):
        for i in range(1, layers_in_block + 1):
            name = f"block{b}_layer{i}"
            new = bn_act_conv(bn_act_conv(x, 4 * growth, 1, f"{name}_1"), growth, 3, f"{name}_2")
            x = keras.layers.Concatenate(name=f"{name}_concat")([x, new])  # 001:2866-2876
        if b < len(blocks):
            x = bn_act_conv(x, int(x.shape[-1] * compression), 1, f"transition{b}")
            x = keras.layers.AveragePooling2D(2, padding="valid" if canonical else "same",
                                              name=f"transition{b}_pool")(x)
    x = keras.layers.BatchNormalization(epsilon=1.001e-5, momentum=bn_momentum, name="final_bn")(x)
    x = activation_layer(activation, name=f"final_{activation}")(x)
    return keras.Model(inputs, _classifier_head(x, outputs, dropout, initializer, output_activation),
                       name=f"densenet{variant}")


# --- MobileNet ------------------------------------------------------------------------------------

def build_mobilenet(input_shape: tuple[int, ...], outputs: int, *, api: str = "sequential", scale: str = "small",
                    alpha: float | None = None, depth_multiplier: int = 1, activation: str = "relu6",
                    dropout: float = 0.001, initializer: str = "glorot_uniform", l1: float = 0.0,
                    l2: float = 0.0, bn_momentum: float = 0.99,
                    output_activation: str | None = None) -> keras.Model:
    """MobileNet v1 (Howard et al. 2017; notes 001:1743): depthwise-separable convolutions.

    A 3×3 depthwise convolution (one filter per channel) followed by a 1×1 pointwise one replaces a
    full 3×3 convolution at about 1/9 of the multiply-adds (3×3·C + C·C' instead of 3×3·C·C'). Each
    is followed by BN and ReLU6, convolutions have no bias. `alpha` multiplies every width.
    Canonical (224×224×3, alpha 1): conv 32@3×3/2 and the 13 separable blocks of Table 1, global
    average pool, dropout, dense 1000 — 4,253,864 parameters, equal to
    keras.applications.MobileNet (whose 1×1 conv classifier is this dense layer).
    Small (alpha 0.25 by default): stride-1 stem and the first five separable blocks.
    `bn_momentum`: batch-norm moving-average momentum (0.99 as Keras; see the note at the top).
    """
    check_choice("scale", scale, SCALES)
    _check_image(input_shape, "mobilenet")
    canonical = scale == "canonical"
    alpha = (1.0 if canonical else 0.25) if alpha is None else float(alpha)
    blocks = MOBILENET_V1 if canonical else MOBILENET_V1[:5]
    regularizer = weight_regularizer(l1, l2)

    def bn_act(name):
        return [keras.layers.BatchNormalization(epsilon=1e-3, momentum=bn_momentum, name=f"{name}_bn"),
                activation_layer(activation, name=f"{name}_{activation}")]

    def layers():
        out = [keras.layers.Conv2D(int(32 * alpha), 3, strides=2 if canonical else 1, padding="same", use_bias=False,
                                   kernel_initializer=initializer, kernel_regularizer=regularizer, name="stem_conv"),
               *bn_act("stem")]
        for i, (filters, strides) in enumerate(blocks, start=1):
            out += [keras.layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False,
                                                 depth_multiplier=depth_multiplier,
                                                 depthwise_initializer=initializer,
                                                 depthwise_regularizer=regularizer, name=f"block{i}_depthwise"),
                    *bn_act(f"block{i}_depthwise"),
                    keras.layers.Conv2D(int(filters * alpha), 1, use_bias=False, kernel_initializer=initializer,
                                        kernel_regularizer=regularizer, name=f"block{i}_pointwise"),
                    *bn_act(f"block{i}_pointwise")]
        out.append(keras.layers.GlobalAveragePooling2D(name="global_pool"))
        if dropout:
            out.append(keras.layers.Dropout(dropout, name="dropout"))
        out.append(keras.layers.Dense(outputs, activation=output_activation or default_output_activation(outputs),
                                      kernel_initializer=initializer, name="output"))
        return out

    return assemble(layers, input_shape, api, name="mobilenet")
