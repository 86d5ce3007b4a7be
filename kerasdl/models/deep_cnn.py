"""A deep CNN of one constant width, plain or with residual skips: the degradation experiment's model.

Notes 001:2840-2863 say a skip connection gives the gradient "an alternative path" and that with
H(x) = F(x) + x the gradient is multiplied by (∂F/∂x + 1) instead of ∂F/∂x, so early layers still
learn in a deep stack. He et al. (2016) showed what goes wrong without it: a deeper *plain* network
reaches a higher *training* error than a shallower one (degradation — not over-fitting, which would
lower the training error). Their test compares a plain net with the same net plus identity skips,
layer for layer; `build_deep_cnn` is that pair for small images. Every convolution keeps the width
and the spatial size ("same" padding), so the skips are pure identities: the plain and the residual
network have exactly the same parameters and differ only by the Add layers. The one downsampling
is a parameter-free 2×2 max pool between two blocks, outside every skip.
"""

from __future__ import annotations

import keras

from kerasdl.errors import UserError
from kerasdl.models._assemble import activation_layer, check_choice
from kerasdl.models.feedforward import default_output_activation

__all__ = ["build_deep_cnn", "weight_layers_to_blocks"]


def weight_layers_to_blocks(depth: int) -> int:
    """Two-convolution blocks in a deep_cnn of `depth` weight layers (stem conv + 2·blocks + dense)."""
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 4 or depth % 2:
        raise UserError("deep_cnn: expected depth (layers with weights: stem convolution, two per block, "
                        f"output layer) as an even integer ≥ 4. Received: depth={depth!r}")
    return (depth - 2) // 2


def build_deep_cnn(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional", depth: int = 8,
                   skip: bool = False, filters: int = 16, kernel_size: int = 3, batch_norm: bool = True,
                   bn_momentum: float = 0.9, activation: str = "relu", initializer: str = "he_normal",
                   output_activation: str | None = None) -> keras.Model:
    """Stem conv → (depth − 2)/2 blocks of [conv → BN → act → conv → BN (+ x) → act] → GAP → dense.

    `depth` counts the layers with weights, as "plain-20 / ResNet-20" do: one stem convolution,
    two convolutions per block and the output layer (so 4, 6, 8, ...). `skip=True` adds the block's
    input to its second convolution's output before the activation (ResNet v1's basic block,
    001:2852-2863); `skip=False` is the same stack without the additions. A 2×2 max pool after
    the first half of the blocks halves the map (8×8 → 4×4 for digits). `batch_norm` follows every
    convolution in both networks (He et al. compare them with BN, so degradation is not a matter
    of missing normalisation); `bn_momentum` 0.9 because small data sets take few steps per epoch
    (see the note in modern_cnns.py).
    """
    if api != "functional":
        raise UserError(f"deep_cnn has skip branches and exists only as a functional model. Received: api={api!r}")
    if len(input_shape) != 3:
        raise UserError(f"deep_cnn expects images (height, width, channels). Received: input_shape={input_shape}")
    check_choice("skip", skip, (False, True))
    check_choice("batch_norm", batch_norm, (False, True))
    blocks = weight_layers_to_blocks(depth)

    def conv(x, name):
        x = keras.layers.Conv2D(filters, kernel_size, padding="same", use_bias=not batch_norm,
                                kernel_initializer=initializer, name=f"{name}_conv")(x)
        return keras.layers.BatchNormalization(momentum=bn_momentum, name=f"{name}_bn")(x) if batch_norm else x

    def act(x, name):
        return activation_layer(activation, name=f"{name}_{activation}")(x)

    inputs = keras.Input(shape=input_shape)
    x = act(conv(inputs, "stem"), "stem")
    for index in range(1, blocks + 1):
        name = f"block{index}"
        y = act(conv(x, f"{name}_1"), f"{name}_1")
        y = conv(y, f"{name}_2")
        if skip:
            # The identity path (001:2852-2863): ∂H/∂x = ∂F/∂x + 1, so the gradient reaching x keeps
            # a term that no stack of small factors can shrink.
            y = keras.layers.Add(name=f"{name}_add")([x, y])
        x = act(y, f"{name}_out")
        if index == (blocks + 1) // 2 and min(x.shape[1], x.shape[2]) >= 4:
            x = keras.layers.MaxPooling2D(2, name=f"{name}_pool")(x)
    x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    out = keras.layers.Dense(outputs, activation=output_activation or default_output_activation(outputs),
                             kernel_initializer="glorot_uniform", name="output")(x)
    return keras.Model(inputs, out, name=f"{'residual' if skip else 'plain'}_cnn_{depth}")
