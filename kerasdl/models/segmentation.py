"""Semantic segmentation builders: a class for every pixel (notes 002:381-420, 001:1805-1813, 001:2880-2889).

Both networks map an (H, W, C) image to (H, W, k) per-pixel class probabilities (softmax over the k
classes, background included), trained with sparse categorical cross-entropy on (H, W) integer masks.

* `fcn` — a fully convolutional network (002:410): convolutions and pooling shrink the image by
  2^depth, a 1×1 convolution scores every class at that coarse resolution, and one Conv2DTranspose
  upsamples the scores back to full size in a single step (the FCN-32s design). No dense layer, so
  any image size divisible by 2^depth works; no skip, so fine detail must survive the bottleneck.
* `unet` — the encoder-decoder with long skips (001:2880-2889): the decoder doubles the resolution
  with Conv2DTranspose and concatenates the encoder's map of the same size, so "global information
  resolves what, local information resolves where".
"""

from __future__ import annotations

import keras

from kerasdl.errors import UserError

from ._assemble import assemble

__all__ = ["build_fcn", "build_unet"]


def _check(name: str, input_shape: tuple[int, ...], depth: int, filters: int) -> None:
    if len(input_shape) != 3:
        raise UserError(f"{name}: expected an image input (height, width, channels). Received: {input_shape}")
    if not isinstance(depth, int) or depth < 1 or not isinstance(filters, int) or filters < 1:
        raise UserError(f"{name}: expected depth >= 1 and filters >= 1. Received: depth={depth!r}, filters={filters!r}")
    factor = 2 ** depth
    if input_shape[0] % factor or input_shape[1] % factor:
        raise UserError(f"{name}: image size {input_shape[:2]} must be divisible by 2**depth = {factor}; "
                        f"lower depth")


def _conv(width: int, name: str) -> keras.layers.Layer:
    return keras.layers.Conv2D(width, 3, padding="same", activation="relu", name=name)


def build_fcn(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional", filters: int = 32,
              depth: int = 2, output_activation: str = "softmax") -> keras.Model:
    """Conv-Conv-MaxPool blocks (filters doubling), a 1×1 class-score convolution, and one
    Conv2DTranspose with stride 2^depth (kernel 2·stride) back to the input size."""
    _check("fcn", input_shape, depth, filters)
    factor = 2 ** depth

    def layers() -> list[keras.layers.Layer]:
        out: list[keras.layers.Layer] = []
        for level in range(depth):
            width = filters * 2 ** level
            out += [_conv(width, f"conv{level}a"), _conv(width, f"conv{level}b"),
                    keras.layers.MaxPooling2D(2, name=f"pool{level}")]
        out += [_conv(filters * 2 ** depth, "bottleneck"),
                keras.layers.Conv2D(outputs, 1, name="class_scores"),
                keras.layers.Conv2DTranspose(outputs, 2 * factor, strides=factor, padding="same", name="upsample"),
                keras.layers.Activation(output_activation, name="pixel_classes")]
        return out

    return assemble(layers, tuple(input_shape), api, "fcn")


def build_unet(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional", filters: int = 16,
               depth: int = 2, output_activation: str = "softmax") -> keras.Model:
    """U-Net: `depth` encoder blocks (two 3×3 convs, 2×2 max pool; filters doubling), a bottleneck,
    and `depth` decoder blocks (2×2 stride-2 Conv2DTranspose, concatenation with the encoder map of
    the same size, two 3×3 convs), then a 1×1 convolution to the classes."""
    if api != "functional":
        raise UserError("unet: concatenating skip connections needs api='functional' (Sequential has one path)")
    _check("unet", input_shape, depth, filters)
    inputs = keras.Input(shape=tuple(input_shape))
    x, skips = inputs, []
    for level in range(depth):
        width = filters * 2 ** level
        x = _conv(width, f"down{level}b")(_conv(width, f"down{level}a")(x))
        skips.append(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{level}")(x)
    width = filters * 2 ** depth
    x = _conv(width, "bottleneck_b")(_conv(width, "bottleneck_a")(x))
    for level in reversed(range(depth)):
        width = filters * 2 ** level
        x = keras.layers.Conv2DTranspose(width, 2, strides=2, padding="same", name=f"up{level}")(x)
        x = keras.layers.Concatenate(name=f"skip{level}")([x, skips[level]])  # the long skip
        x = _conv(width, f"up{level}b")(_conv(width, f"up{level}a")(x))
    x = keras.layers.Conv2D(outputs, 1, name="class_scores")(x)
    return keras.Model(inputs, keras.layers.Activation(output_activation, name="pixel_classes")(x), name="unet")
