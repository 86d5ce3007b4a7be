"""Generic convolutional builders (CATALOG.md §1 "Convolutional"): the plain CNN and its variants.

`cnn`, `strided_cnn`, `dilated_cnn` and `tiled_cnn` share one body — conv blocks, then a dense head —
and differ only in how a block's convolution is made and in their defaults, so a comparison between
them (the `conv-variants` experiment) changes one thing at a time. `conv_decoder` runs the other
way, upsampling with transposed convolutions. The named architectures live in `classic_cnns.py`
(LeNet-5, AlexNet, ZFNet, VGG) and `modern_cnns.py` (GoogLeNet, ResNet, DenseNet, MobileNet).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import keras

from kerasdl.errors import UserError
from kerasdl.layers import StochasticPooling2D, TiledConv2D, conv_output_size
from kerasdl.models._assemble import assemble, check_choice, unit_layers, weight_regularizer
from kerasdl.models.feedforward import _widths, default_output_activation

__all__ = ["build_cnn", "build_strided_cnn", "build_dilated_cnn", "build_tiled_cnn", "build_conv_decoder",
           "conv_output_size", "dilated_receptive_field", "stacked_receptive_field",
           "transposed_conv_output_size", "POOL_KINDS"]

POOL_KINDS = ("max", "avg", "stochastic", "global_max", "global_avg", None)
LOCAL_POOLS = ("max", "avg", "stochastic")  # a window after every block (the others pool once, globally)


def dilated_receptive_field(kernel_size: int, dilation_rate: int, depth: int = 1) -> int:
    """Receptive field of `depth` stacked stride-1 convolutions with dilation l: 1 + depth·(k−1)·l.

    For one layer that is the notes' k + (k−1)(l−1) (001:2161-2196): l−1 skipped pixels between
    each of the k taps. Stacking adds (k−1)·l per layer, so a dilated stack sees far more input
    for the same number of weights.
    """
    return 1 + depth * (kernel_size - 1) * dilation_rate


def stacked_receptive_field(windows: Sequence[tuple[int, int, int]]) -> tuple[int, int]:
    """Receptive field r and jump j of one unit after a stack of sliding windows (k, s, l).

    Each window is a convolution or a local pool with kernel k, stride s and dilation l. A unit of
    the layer below is j input pixels from its neighbour (j = product of the strides so far), so a
    window of extent k_eff = k + (k−1)(l−1) (001:2161-2196) widens what a unit sees by
    (k_eff − 1)·j pixels; then j ← j·s. Padding moves the field, not its size. For stride-1 layers
    of one kernel and dilation this is :func:`dilated_receptive_field`; strides and pools make
    later layers' windows count several times more, which is how a CNN sees the whole image.
    """
    field, jump = 1, 1
    for kernel, strides, dilation in windows:
        field += (kernel + (kernel - 1) * (dilation - 1) - 1) * jump
        jump *= strides
    return field, jump


def transposed_conv_output_size(size: int, kernel_size: int, strides: int = 1,
                                padding: str | int = "valid") -> int:
    """Spatial length after a transposed convolution: (i − 1)·s + k − 2p (notes 001:2131-2159).

    It inverts the convolution formula: a stride-s convolution maps that length back to i.
    `padding` is an explicit p (cropped from each side, which is what padding means for a
    transposed convolution — it makes the output smaller, 001:2147), or Keras's "valid" (p = 0) or
    "same" (output i·s). Keras never returns less than i·s for "valid", so when k < s the result is
    (i − 1)·s + s, hence the max(k, s) below.
    """
    if padding == "same":
        return size * strides
    pad = 0 if padding == "valid" else int(padding)
    return (size - 1) * strides + max(kernel_size, strides) - 2 * pad


def _pool_layer(kind: str, pool_size: int, name: str) -> keras.layers.Layer:
    # The four pooling kinds of 001:2006-2072, and the stochastic pooling of 001:2121 (Keras has none).
    return {"max": keras.layers.MaxPooling2D, "avg": keras.layers.AveragePooling2D,
            "stochastic": StochasticPooling2D,
            "global_max": keras.layers.GlobalMaxPooling2D,
            "global_avg": keras.layers.GlobalAveragePooling2D}[kind](
        **({"pool_size": pool_size} if kind in LOCAL_POOLS else {}), name=name)


def _conv_classifier(input_shape, outputs, api, name, *, make_conv: Callable[[int, str], keras.layers.Layer],
                     shrink: Callable[[int], int], filters, depth, pool, pool_size, dense_units, dropout,
                     activation, batch_norm, initializer, l1, l2, output_activation) -> keras.Model:
    """[conv → (BN) → activation → (BN) → pool] × blocks → flatten or global pool → dense head.

    `make_conv(filters, name)` makes one block's convolution and `shrink(n)` is its output length,
    so the spatial size is tracked while the plan is made: a local pool that would leave less than
    one pixel is skipped (so small inputs such as 8×8 digits work with any depth) and a convolution
    that would is a user error naming the input size.
    """
    check_choice("pool", pool, POOL_KINDS)
    if len(input_shape) != 3:
        raise UserError(f"{name} expects images (height, width, channels). Received: input_shape={input_shape}")
    widths = _widths(filters, depth)
    heads = _widths(dense_units, None) if not isinstance(dense_units, int) else ([dense_units] if dense_units else [])
    regularizer = weight_regularizer(l1, l2)
    size = min(input_shape[:2])
    plan: list[bool] = []  # per block: pool after it?
    for i, _ in enumerate(widths, start=1):
        size = shrink(size)
        if size < 1:
            raise UserError(f"{name}: block {i} would shrink the {input_shape[0]}×{input_shape[1]} input to "
                            "nothing; use padding='same', fewer blocks, or smaller strides/kernels")
        local = pool in LOCAL_POOLS and size >= pool_size
        plan.append(local)
        size = size // pool_size if local else size

    def layers():
        out = []
        for i, (width, pooled) in enumerate(zip(widths, plan), start=1):
            out += unit_layers(make_conv(width, f"conv_{i}"), activation, batch_norm, name=f"block_{i}")
            if pooled:
                out.append(_pool_layer(pool, pool_size, name=f"pool_{i}"))
        out.append(_pool_layer(pool, pool_size, "global_pool") if pool in ("global_max", "global_avg")
                   else keras.layers.Flatten(name="flatten"))
        for i, width in enumerate(heads, start=1):
            if dropout:
                out.append(keras.layers.Dropout(dropout, name=f"dropout_{i}"))
            out += unit_layers(keras.layers.Dense(width, kernel_initializer=initializer,
                                                  kernel_regularizer=regularizer, name=f"dense_{i}"),
                               activation, batch_norm, name=f"head_{i}")
        if dropout:
            out.append(keras.layers.Dropout(dropout, name="dropout_out"))
        out.append(keras.layers.Dense(outputs, activation=output_activation or default_output_activation(outputs),
                                      kernel_initializer=initializer, name="output"))
        return out

    return assemble(layers, input_shape, api, name=name)


def build_cnn(input_shape: tuple[int, ...], outputs: int, *, api: str = "sequential",
              filters: int | Sequence[int] = (8, 16), depth: int | None = None, kernel_size: int = 3,
              strides: int = 1, padding: str = "same", pool: str | None = "max", pool_size: int = 2,
              dense_units: int | Sequence[int] = (32,), dropout: float = 0.0, activation: str = "relu",
              batch_norm: str | None = None, initializer: str = "glorot_uniform",
              l1: float = 0.0, l2: float = 0.0, output_activation: str | None = None) -> keras.Model:
    """The notes' ConvNet: conv → activation → pool, repeated, then flatten → dense (000:482-493,
    001:1789-1803, 004:669-877).

    `filters` is one count per block (or one count repeated `depth` times). `pool` is the pooling
    kind of 001:2006-2072: "max" or "avg" after every block, "global_max" or "global_avg" once in
    place of the flatten, or None; "stochastic" (001:2121, :class:`kerasdl.layers.StochasticPooling2D`)
    pools after every block like "max". `batch_norm` is None, "before" or "after" the activation.
    Dropout goes before each dense layer, where the parameters are.
    """
    check_choice("padding", padding, ("valid", "same"))
    regularizer = weight_regularizer(l1, l2)
    return _conv_classifier(
        input_shape, outputs, api, "cnn",
        make_conv=lambda width, name: keras.layers.Conv2D(width, kernel_size, strides=strides, padding=padding,
                                                          kernel_initializer=initializer,
                                                          kernel_regularizer=regularizer, name=name),
        shrink=lambda n: conv_output_size(n, kernel_size, strides, padding),
        filters=filters, depth=depth, pool=pool, pool_size=pool_size, dense_units=dense_units, dropout=dropout,
        activation=activation, batch_norm=batch_norm, initializer=initializer, l1=l1, l2=l2,
        output_activation=output_activation)


def build_strided_cnn(input_shape: tuple[int, ...], outputs: int, *, api: str = "sequential",
                      filters: int | Sequence[int] = (8, 16), depth: int | None = None, kernel_size: int = 3,
                      strides: int = 2, padding: str = "same", pool: str | None = None, pool_size: int = 2,
                      dense_units: int | Sequence[int] = (32,), dropout: float = 0.0, activation: str = "relu",
                      batch_norm: str | None = None, initializer: str = "glorot_uniform",
                      l1: float = 0.0, l2: float = 0.0, output_activation: str | None = None) -> keras.Model:
    """A CNN that downsamples with the convolution's stride instead of a pooling layer.

    A stride-s convolution computes only every s-th output of the stride-1 one (001:2079-2117,
    000:550-638), so it shrinks the maps like pooling does but with learned weights and s² less
    arithmetic. Same body as `cnn`; the defaults (strides=2, pool=None) are the difference.
    """
    check_choice("padding", padding, ("valid", "same"))
    regularizer = weight_regularizer(l1, l2)
    return _conv_classifier(
        input_shape, outputs, api, "strided_cnn",
        make_conv=lambda width, name: keras.layers.Conv2D(width, kernel_size, strides=strides, padding=padding,
                                                          kernel_initializer=initializer,
                                                          kernel_regularizer=regularizer, name=name),
        shrink=lambda n: conv_output_size(n, kernel_size, strides, padding),
        filters=filters, depth=depth, pool=pool, pool_size=pool_size, dense_units=dense_units, dropout=dropout,
        activation=activation, batch_norm=batch_norm, initializer=initializer, l1=l1, l2=l2,
        output_activation=output_activation)


def build_dilated_cnn(input_shape: tuple[int, ...], outputs: int, *, api: str = "sequential",
                      filters: int | Sequence[int] = (8, 16), depth: int | None = None, kernel_size: int = 3,
                      dilation_rate: int = 2, padding: str = "same", pool: str | None = None,
                      pool_size: int = 2, dense_units: int | Sequence[int] = (32,), dropout: float = 0.0,
                      activation: str = "relu", batch_norm: str | None = None,
                      initializer: str = "glorot_uniform", l1: float = 0.0, l2: float = 0.0,
                      output_activation: str | None = None) -> keras.Model:
    """A CNN of atrous (dilated) convolutions: k×k taps spread l pixels apart (001:2161-2196).

    Each layer sees k + (k−1)(l−1) pixels (:func:`dilated_receptive_field`) for the weights of a
    k×k kernel, so context grows without pooling and the maps keep their resolution — which is
    why pool defaults to None here. Stride is fixed at 1 (TensorFlow cannot combine a stride with
    a dilation).
    """
    check_choice("padding", padding, ("valid", "same"))
    regularizer = weight_regularizer(l1, l2)
    return _conv_classifier(
        input_shape, outputs, api, "dilated_cnn",
        make_conv=lambda width, name: keras.layers.Conv2D(width, kernel_size, padding=padding,
                                                          dilation_rate=dilation_rate,
                                                          kernel_initializer=initializer,
                                                          kernel_regularizer=regularizer, name=name),
        shrink=lambda n: conv_output_size(n, kernel_size, 1, padding, dilation_rate),
        filters=filters, depth=depth, pool=pool, pool_size=pool_size, dense_units=dense_units, dropout=dropout,
        activation=activation, batch_norm=batch_norm, initializer=initializer, l1=l1, l2=l2,
        output_activation=output_activation)


def build_tiled_cnn(input_shape: tuple[int, ...], outputs: int, *, api: str = "sequential",
                    filters: int | Sequence[int] = (8, 16), depth: int | None = None, kernel_size: int = 3,
                    tiles: int = 2, strides: int = 1, padding: str = "same", pool: str | None = "max",
                    pool_size: int | None = None, dense_units: int | Sequence[int] = (32,), dropout: float = 0.0,
                    activation: str = "relu", batch_norm: str | None = None,
                    initializer: str = "glorot_uniform", l1: float = 0.0, l2: float = 0.0,
                    output_activation: str | None = None) -> keras.Model:
    """A CNN of tiled convolutions (:class:`~kerasdl.layers.TiledConv2D`, 001:2119-2129).

    `tiles` = k untied kernels per axis; output unit (i, j) uses kernel (i mod k, j mod k), and k = 1
    is a plain CNN. The pool size defaults to k because the notes (after Ngiam et al.) report that
    pooling over a window the size of the tile (k = p) works well: each pool then sees one unit of
    every tile, which is where the learned invariances come from.
    """
    check_choice("padding", padding, ("valid", "same"))
    regularizer = weight_regularizer(l1, l2)
    pool_size = tiles if pool_size is None else pool_size
    return _conv_classifier(
        input_shape, outputs, api, "tiled_cnn",
        make_conv=lambda width, name: TiledConv2D(width, kernel_size, tiles=tiles, strides=strides, padding=padding,
                                                  kernel_initializer=initializer,
                                                  kernel_regularizer=regularizer, name=name),
        shrink=lambda n: conv_output_size(n, kernel_size, strides, padding),
        filters=filters, depth=depth, pool=pool, pool_size=max(pool_size, 1), dense_units=dense_units,
        dropout=dropout, activation=activation, batch_norm=batch_norm, initializer=initializer, l1=l1, l2=l2,
        output_activation=output_activation)


def build_conv_decoder(input_shape: tuple[int, ...], outputs: int, *, api: str = "sequential",
                       filters: int | Sequence[int] = (16, 8), depth: int | None = None, kernel_size: int = 3,
                       strides: int = 2, padding: str | int = "same", seed_shape: Sequence[int] = (4, 4, 16),
                       activation: str = "relu", batch_norm: str | None = None,
                       initializer: str = "glorot_uniform", l1: float = 0.0, l2: float = 0.0,
                       output_activation: str | None = None) -> keras.Model:
    """Upsampling decoder: [Conv2DTranspose → (BN) → activation] × blocks → Conv2D(outputs, "same").

    The decoder half of autoencoders, U-Net and DCGAN (001:2131-2159). Each block maps length i to
    (i − 1)·s + k − 2p (:func:`transposed_conv_output_size`); with "same" padding that is i·s, so
    two stride-2 blocks turn 8×8 into 32×32. An integer `padding` p is applied the way the formula
    means it: a "valid" transposed convolution, then p pixels cropped from each side. A vector
    input (a code, as in an autoencoder or a generator) first goes through Dense → reshape to
    `seed_shape`; an image input is upsampled directly. `outputs` is the number of output
    channels, activated per pixel (sigmoid for one channel, softmax over several, or
    `output_activation`, e.g. "tanh" for a GAN).
    """
    if not (padding in ("valid", "same") or (isinstance(padding, int) and padding >= 0)):
        raise UserError(f"Expected padding 'valid', 'same' or an int p >= 0. Received: padding={padding!r}")
    if len(input_shape) not in (1, 3):
        raise UserError("conv_decoder expects a code vector (d,) or an image (height, width, channels). "
                        f"Received: input_shape={input_shape}")
    widths = _widths(filters, depth)
    regularizer = weight_regularizer(l1, l2)
    keras_padding = padding if isinstance(padding, str) else "valid"
    size = min(input_shape[:2]) if len(input_shape) == 3 else min(seed_shape[:2])
    for i, _ in enumerate(widths, start=1):
        size = transposed_conv_output_size(size, kernel_size, strides, padding)
        if size < 1:
            raise UserError(f"conv_decoder: block {i} crops the maps to nothing; use a smaller padding p")

    def layers():
        out = []
        if len(input_shape) == 1:
            out += unit_layers(keras.layers.Dense(math.prod(seed_shape), kernel_initializer=initializer,
                                                  kernel_regularizer=regularizer, name="seed"),
                               activation, batch_norm, name="seed")
            out.append(keras.layers.Reshape(tuple(seed_shape), name="seed_grid"))
        for i, width in enumerate(widths, start=1):
            up = keras.layers.Conv2DTranspose(width, kernel_size, strides=strides, padding=keras_padding,
                                              kernel_initializer=initializer, kernel_regularizer=regularizer,
                                              name=f"upconv_{i}")
            block = unit_layers(up, activation, batch_norm, name=f"block_{i}")
            if isinstance(padding, int) and padding > 0:  # padding p removes p pixels per side
                block.insert(1, keras.layers.Cropping2D(padding, name=f"crop_{i}"))
            out += block
        out.append(keras.layers.Conv2D(outputs, kernel_size, padding="same", kernel_initializer=initializer,
                                       activation=output_activation or default_output_activation(outputs),
                                       name="output"))
        return out

    return assemble(layers, input_shape, api, name="conv_decoder")
