"""Turn one list of layers into a Sequential or a functional model.

Builders that exist in both APIs describe their network once, as a list of fresh layers; this module
wires that list either way. Same layers in the same order means the two forms have identical parameter
counts and, with copied weights, identical outputs — which the test suite checks for every builder.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras

__all__ = ["assemble", "activation_layer"]


def assemble(make_layers: Callable[[], Sequence[keras.layers.Layer]], input_shape: tuple[int, ...],
             api: str, name: str) -> keras.Model:
    """Build `make_layers()` as a Sequential (api="sequential") or functional (api="functional") model."""
    layers = list(make_layers())
    if api == "sequential":
        return keras.Sequential([keras.Input(shape=input_shape), *layers], name=name)
    if api == "functional":
        inputs = keras.Input(shape=input_shape)
        x = inputs
        for layer in layers:
            x = layer(x)
        return keras.Model(inputs, x, name=name)
    raise ValueError(f"Expected api='sequential' or 'functional'. Received: api={api!r}")


def activation_layer(activation: str, name: str | None = None) -> keras.layers.Layer:
    """A layer applying `activation`; PReLU has trainable slopes, so it is a layer of its own."""
    if activation == "prelu":
        return keras.layers.PReLU(name=name)
    return keras.layers.Activation(activation, name=name)
