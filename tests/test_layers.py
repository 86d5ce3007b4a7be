"""Custom layers and the NumPy references the notes' claims are checked with.

TiledConv2D against Conv2D, the perceptron learning rule on AND/OR/XOR, the collapse of a linear
stack, and the size formulas of strided, dilated and transposed convolutions against Keras itself.
"""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasdl.layers import TiledConv2D, conv_output_size  # noqa: E402
from kerasdl.models import build  # noqa: E402
from kerasdl.models.convolutional import dilated_receptive_field, transposed_conv_output_size  # noqa: E402
from kerasdl.models.feedforward import (collapse_linear_stack, perceptron_learning_rule,  # noqa: E402
                                        perceptron_predict)

RNG = np.random.default_rng(0)
IMAGES = RNG.normal(size=(2, 9, 9, 3)).astype("float32")


# --- TiledConv2D ----------------------------------------------------------------------------------

@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [1, 2])
def test_tiled_conv_with_one_tile_is_conv2d(padding, strides):
    conv = keras.layers.Conv2D(4, 3, strides=strides, padding=padding)
    expected = np.asarray(conv(IMAGES))
    tiled = TiledConv2D(4, 3, tiles=1, strides=strides, padding=padding)
    tiled.build(IMAGES.shape)
    kernel, bias = conv.get_weights()
    tiled.set_weights([kernel[None, None], bias])
    np.testing.assert_allclose(np.asarray(tiled(IMAGES)), expected, atol=1e-6)


def test_tiled_conv_untied_kernels_cycle_over_the_output_grid():
    tiled = TiledConv2D(4, 3, tiles=2, bias_initializer="random_normal")
    outputs = np.asarray(tiled(IMAGES))
    conv = keras.layers.Conv2D(4, 3)
    conv.build(IMAGES.shape)
    assert tiled.kernel.shape == (2, 2, *conv.kernel.shape)  # 2×2 times the kernel parameters
    assert tiled.count_params() == 4 * int(np.prod(conv.kernel.shape)) + 4
    kernel, bias = tiled.get_weights()
    for a in range(2):
        for b in range(2):
            conv.set_weights([kernel[a, b], bias])
            plain = np.asarray(conv(IMAGES))
            # output unit (i, j) uses kernel (i mod 2, j mod 2) ...
            np.testing.assert_allclose(outputs[:, a::2, b::2], plain[:, a::2, b::2], atol=1e-5)
            # ... and no single kernel explains the whole map
            assert not np.allclose(outputs, plain, atol=1e-3)


def test_tiled_conv_config_round_trip():
    layer = TiledConv2D(5, (3, 2), tiles=3, strides=2, padding="same", activation="relu",
                        kernel_regularizer=keras.regularizers.L2(1e-3), name="tiled")
    outputs = np.asarray(layer(IMAGES))
    clone = TiledConv2D.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    clone.build(IMAGES.shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(np.asarray(clone(IMAGES)), outputs, atol=1e-6)


@pytest.mark.parametrize("size, kernel, strides, padding, dilation", [
    (9, 3, 1, "valid", 1), (9, 3, 2, "valid", 1), (9, 3, 2, "same", 1), (10, 4, 3, "valid", 1),
    (10, 4, 3, "same", 1), (9, 3, 1, "valid", 2), (12, 3, 1, "same", 3), (7, 7, 1, "valid", 1)])
def test_output_size_formula_matches_keras(size, kernel, strides, padding, dilation):
    x = np.zeros((1, size, size, 2), "float32")
    conv = keras.layers.Conv2D(1, kernel, strides=strides, padding=padding, dilation_rate=dilation)
    assert conv(x).shape[1] == conv_output_size(size, kernel, strides, padding, dilation)
    tiled = TiledConv2D(3, kernel, tiles=2, strides=strides, padding=padding, dilation_rate=dilation)
    expected = (1, conv_output_size(size, kernel, strides, padding, dilation))
    assert tiled(x).shape[:2] == expected
    assert tuple(tiled.compute_output_shape(x.shape)) == tuple(tiled(x).shape)


def test_tiled_conv_runs_inside_a_compiled_graph():
    model = keras.Sequential([keras.Input((9, 9, 3)), TiledConv2D(2, 3, tiles=2, padding="same")])
    np.testing.assert_allclose(model.predict(IMAGES, verbose=0), np.asarray(model(IMAGES)), atol=1e-5)


# --- perceptron learning rule ------------------------------------------------------------------------

LOGIC_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])


@pytest.mark.parametrize("gate, y", [("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1])])
def test_perceptron_rule_learns_linearly_separable_gates(gate, y):
    weights, bias, errors = perceptron_learning_rule(LOGIC_X, y, lr=0.1, epochs=50)
    assert errors[-1] == 0 and len(errors) < 50, (gate, errors)
    np.testing.assert_array_equal(perceptron_predict(LOGIC_X, weights, bias), y)


def test_perceptron_rule_never_converges_on_xor():
    _, _, errors = perceptron_learning_rule(LOGIC_X, [0, 1, 1, 0], lr=0.1, epochs=200)
    assert len(errors) == 200 and min(errors) > 0


def test_perceptron_rule_update_is_eta_times_error_times_x():
    # One sample, zero start: ŷ = step(0) = 0, y = 1 → Δw = η·1·x and Δb = η.
    weights, bias, errors = perceptron_learning_rule([[2.0, -1.0]], [1], lr=0.5, epochs=1, seed=None)
    np.testing.assert_allclose(weights, [1.0, -0.5])
    assert bias == 0.5 and errors == [1]


# --- linear stack ------------------------------------------------------------------------------------

@pytest.mark.parametrize("output_activation", ["linear", None])
def test_linear_stack_collapses_to_one_matrix(output_activation):
    keras.utils.set_random_seed(0)
    model = build("linear_stack", (6,), 1, units=(5, 4, 3), output_activation=output_activation)
    model.set_weights([RNG.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    W, b = collapse_linear_stack(model)
    assert W.shape == (6, 1)
    x = RNG.normal(size=(10, 6))
    z = x @ W + b
    expected = z if output_activation == "linear" else 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(np.asarray(model(x.astype("float32"))), expected, rtol=1e-4, atol=1e-5)


# --- dilated and transposed convolution sizes -----------------------------------------------------------

@pytest.mark.parametrize("kernel, dilation", [(3, 1), (3, 2), (3, 4), (5, 3), (2, 5)])
def test_dilated_receptive_field_is_the_impulse_response_width(kernel, dilation):
    rf = dilated_receptive_field(kernel, dilation)
    assert rf == kernel + (kernel - 1) * (dilation - 1)
    impulse = np.zeros((1, 25, 25, 1), "float32")
    impulse[0, 12, 12, 0] = 1.0
    conv = keras.layers.Conv2D(1, kernel, dilation_rate=dilation, padding="same", use_bias=False,
                               kernel_initializer="ones")
    touched = np.nonzero(np.asarray(conv(impulse))[0, :, :, 0].any(axis=1))[0]  # rows the impulse reaches
    assert touched.max() - touched.min() + 1 == rf
    assert dilated_receptive_field(3, 2, depth=3) == 13  # three stacked 3×3, l = 2 layers


@pytest.mark.parametrize("size, kernel, strides, pad", [
    (4, 3, 2, 0), (4, 3, 2, 1), (5, 4, 2, 1), (3, 5, 3, 2), (7, 2, 1, 0), (2, 4, 2, 0), (4, 2, 3, 0)])
def test_transposed_conv_output_size_formula_matches_keras(size, kernel, strides, pad):
    x = np.zeros((1, size, size, 1), "float32")
    up = keras.layers.Conv2DTranspose(1, kernel, strides=strides, padding="valid")(x)
    out = keras.layers.Cropping2D(pad)(up) if pad else up  # padding p removes p pixels per side
    assert out.shape[1] == transposed_conv_output_size(size, kernel, strides, pad)
    if kernel >= strides:
        assert out.shape[1] == (size - 1) * strides + kernel - 2 * pad  # the notes' (i − 1)s + k − 2p
    same = keras.layers.Conv2DTranspose(1, kernel, strides=strides, padding="same")(x)
    assert same.shape[1] == transposed_conv_output_size(size, kernel, strides, "same") == size * strides


@pytest.mark.parametrize("padding", ["same", "valid", 1])
def test_conv_decoder_output_follows_the_formula(padding):
    model = build("conv_decoder", (5, 5, 2), 3, padding=padding, kernel_size=4, strides=2)
    size = 5
    for _ in range(2):
        size = transposed_conv_output_size(size, 4, 2, padding)
    assert model.output_shape == (None, size, size, 3)
    coded = build("conv_decoder", (10,), 1, seed_shape=(3, 3, 4), padding=padding, kernel_size=4, strides=2)
    size = 3
    for _ in range(2):
        size = transposed_conv_output_size(size, 4, 2, padding)
    assert coded.output_shape == (None, size, size, 1)
