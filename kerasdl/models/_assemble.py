"""Turn one list of layers into a Sequential or a functional model.

Builders that exist in both APIs describe their network once, as a list of fresh layers; this module
wires that list either way. Same layers in the same order means the two forms have identical parameter
counts and, with copied weights, identical outputs — which the test suite checks for every builder.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras

__all__ = ["assemble", "activation_layer", "check_choice", "unit_layers", "weight_regularizer"]


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


def weight_regularizer(l1: float = 0.0, l2: float = 0.0) -> keras.regularizers.Regularizer | None:
    """An L1/L2 weight penalty, or None when both are zero (so the model config stays minimal)."""
    return keras.regularizers.L1L2(l1=l1, l2=l2) if (l1 or l2) else None


def check_choice(name: str, value, choices: Sequence) -> None:
    """Reject a hyperparameter value outside `choices` with a message naming the accepted ones."""
    if value not in choices:
        from kerasdl.errors import UserError
        accepted = ", ".join(repr(c) for c in choices)
        raise UserError(f"Expected {name} to be one of {accepted}. Received: {name}={value!r}")


def unit_layers(core: keras.layers.Layer, activation: str, batch_norm: str | None,
                name: str, bn_momentum: float = 0.99) -> list[keras.layers.Layer]:
    """`core` (Dense or a convolution) → activation, with batch norm "before" or "after" it, or none.

    "before" is Ioffe & Szegedy's placement (normalise the affine output, then activate), "after"
    normalises the activations instead; both are tuning options (notes 004 batch normalization).
    `bn_momentum` is the batch norm's moving-average momentum (Keras's default 0.99).
    """
    check_choice("batch_norm", batch_norm, (None, "before", "after"))
    out = [core]
    if batch_norm == "before":
        out.append(keras.layers.BatchNormalization(momentum=bn_momentum, name=f"{name}_bn"))
    out.append(activation_layer(activation, name=f"{name}_{activation}"))
    if batch_norm == "after":
        out.append(keras.layers.BatchNormalization(momentum=bn_momentum, name=f"{name}_bn"))
    return out
