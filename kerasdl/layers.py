"""Custom layers the notes need and Keras 3 does not ship.

Written by hand because no library has them (DESIGN.md, "Dependencies"):

- :class:`TiledConv2D` — tiled convolution, k untied kernels per layer (notes 001:2119-2129).
- :class:`HardThreshold` — the perceptron's step function at prediction time (notes 004:252-338).

Every layer is registered with ``keras.saving.register_keras_serializable(package="kerasdl")`` and
implements ``get_config`` so that a ``model.keras`` file containing it loads back with
``keras.saving.load_model`` once ``kerasdl.layers`` has been imported.
"""

from __future__ import annotations

import math

import keras
from keras import ops

__all__ = ["TiledConv2D", "HardThreshold", "conv_output_size"]


def conv_output_size(size: int, kernel_size: int, strides: int = 1, padding: str | int = "valid",
                     dilation_rate: int = 1) -> int:
    """Spatial length after a convolution or pooling window, ⌊(n + 2p − k_eff)/s⌋ + 1.

    The notes give this formula at 000:1345-1358 and 004:819; their variants at 001:2012 and
    001:2115 are wrong (CATALOG.md §6). ``k_eff = k + (k−1)(d−1)`` is the dilated kernel's extent
    (001:2161-2196). ``padding`` is an explicit p, or Keras's "valid" (p = 0) or "same"
    (output ⌈n/s⌉, whatever k is).
    """
    effective = kernel_size + (kernel_size - 1) * (dilation_rate - 1)
    if padding == "same":
        return math.ceil(size / strides)
    pad = 0 if padding == "valid" else int(padding)
    return (size + 2 * pad - effective) // strides + 1


def _pair(value, name: str) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"Expected {name} as an int or a pair of ints. Received: {name}={value}")
    return value


@keras.saving.register_keras_serializable(package="kerasdl")
class TiledConv2D(keras.layers.Layer):
    """2-D tiled convolution: ``tiles``×``tiles`` untied kernels, cycled over the output grid.

    The notes (001:2119-2129, after Ngiam et al. 2010, "Tiled convolutional neural networks") describe
    a layer that learns k separate kernels, each "applied over every k'th unit". Tiling scheme chosen
    here, in two dimensions: output position (i, j) — counted on the output grid, so after strides —
    is computed with kernel ``kernel[i mod k, j mod k]``. Units k steps apart along either axis share
    weights, neighbours within a k×k tile do not. That gives k² kernels of shape
    (kh, kw, channels_in, filters), i.e. k² times the weights of a Conv2D, while the layer still has
    far fewer weights than a locally connected one. ``tiles=1`` is exactly ``Conv2D``.

    The bias stays one per filter (shared by all tiles): it is the offset of a feature map, and
    untying it would not change what a tile can detect. Padding, strides and dilation mean what they
    mean for Conv2D (channels-last only).

    Implementation: all k² kernels are applied at every position in one convolution with k²·filters
    output channels, and a constant one-hot mask over (i mod k, j mod k) keeps the right one. That
    costs k² times a Conv2D's arithmetic but needs only standard ops, so it runs on every Keras
    backend and differentiates without a custom gradient.
    """

    def __init__(self, filters: int, kernel_size, *, tiles: int = 2, strides=1, padding: str = "valid",
                 dilation_rate=1, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if int(tiles) < 1:
            raise ValueError(f"Expected tiles >= 1. Received: tiles={tiles}")
        padding = str(padding).lower()
        if padding not in ("valid", "same"):
            raise ValueError(f"Expected padding 'valid' or 'same'. Received: padding={padding!r}")
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.tiles = int(tiles)
        self.strides = _pair(strides, "strides")
        self.padding = padding
        self.dilation_rate = _pair(dilation_rate, "dilation_rate")
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError("TiledConv2D needs a known number of input channels (channels-last).")
        # kernel[a, b] is the kernel of every output unit (i, j) with i mod k == a and j mod k == b.
        self.kernel = self.add_weight(
            name="kernel", shape=(self.tiles, self.tiles, *self.kernel_size, channels, self.filters),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer)
        self.bias = (self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                                     regularizer=self.bias_regularizer)
                     if self.use_bias else None)
        self.input_spec = keras.layers.InputSpec(ndim=4, axes={-1: channels})

    def call(self, inputs):
        k2 = self.tiles * self.tiles
        kh, kw = self.kernel_size
        # (k, k, kh, kw, cin, f) → (kh, kw, cin, k·k·f), tile index major so a reshape splits it back.
        stacked = ops.transpose(self.kernel, (2, 3, 4, 0, 1, 5))
        stacked = ops.reshape(stacked, (kh, kw, -1, k2 * self.filters))
        every = ops.conv(inputs, stacked, strides=self.strides, padding=self.padding,
                         dilation_rate=self.dilation_rate, data_format="channels_last")
        shape = ops.shape(every)
        height, width = shape[1], shape[2]
        every = ops.reshape(every, (-1, height, width, k2, self.filters))
        # Tile index of output position (i, j): (i mod k)·k + (j mod k), as a one-hot mask.
        rows = ops.mod(ops.arange(height), self.tiles)
        cols = ops.mod(ops.arange(width), self.tiles)
        index = ops.expand_dims(rows, 1) * self.tiles + ops.expand_dims(cols, 0)
        mask = ops.cast(ops.one_hot(index, k2), every.dtype)
        outputs = ops.sum(every * ops.expand_dims(mask, -1), axis=3)
        if self.use_bias:
            outputs = ops.add(outputs, self.bias)
        return self.activation(outputs) if self.activation is not None else outputs

    def compute_output_shape(self, input_shape):
        spatial = []
        for size, k, s, d in zip(input_shape[1:3], self.kernel_size, self.strides, self.dilation_rate):
            spatial.append(None if size is None else conv_output_size(size, k, s, self.padding, d))
        return (input_shape[0], *spatial, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "tiles": self.tiles,
            "strides": self.strides,
            "padding": self.padding,
            "dilation_rate": self.dilation_rate,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
        })
        return config


@keras.saving.register_keras_serializable(package="kerasdl")
class HardThreshold(keras.layers.Layer):
    """The perceptron's step function, applied at prediction time only.

    During training the layer is the identity, so the differentiable surrogate in front of it (a
    sigmoid or softmax unit) is what the loss and its gradient see; the Heaviside step has zero
    gradient almost everywhere and could not be trained by backpropagation (notes 004:252-338 train
    it with the perceptron rule instead; see ``kerasdl.models.feedforward.perceptron_learning_rule``).
    At inference one unit gives step(p − 0.5) ∈ {0, 1} — for a sigmoid unit exactly
    step(w·x + b) — and several units give the one-hot winner (the multi-class perceptron's argmax).
    """

    def call(self, inputs, training=None):
        if training:
            return inputs
        if inputs.shape[-1] == 1:
            return ops.cast(ops.greater_equal(inputs, 0.5), inputs.dtype)
        return ops.one_hot(ops.argmax(inputs, axis=-1), inputs.shape[-1], dtype=inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape
