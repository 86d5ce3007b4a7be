"""Every registered builder: build, shape, Sequential/functional parity, one training step, save/load.

One parametrized test covers every row of the registry (DESIGN.md, "Habits"), so a new builder is
tested as soon as it is registered. The canonical parameter counts of the named CNNs are exact
numbers from the papers / keras.applications (built with weights=None, which downloads nothing).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasdl import models  # noqa: E402
from kerasdl.errors import UserError  # noqa: E402
from kerasdl.models.convolutional import transposed_conv_output_size  # noqa: E402

# A tiny input per family; families registered by other modules add theirs here.
TINY_INPUTS = {"feedforward": (6,), "convolutional": (8, 8, 1)}
OUTPUTS = 3
BUILDER_NAMES = [info.name for info in models.available()]


def _expected_shape(name: str, input_shape, outputs: int) -> tuple:
    if name == "conv_decoder":  # an image decoder: two stride-2 "same" blocks by default
        size = input_shape[0]
        for _ in range(2):
            size = transposed_conv_output_size(size, 3, 2, "same")
        return (None, size, size, outputs)
    return (None, outputs)


def _small_hyper(name: str) -> dict:
    # Dropout off so that the training-step check is deterministic; everything else at its default.
    return {"dropout": 0.0} if "dropout" in models.hyperparameters(name) else {}


def _data(model, input_shape, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(16, *input_shape)).astype("float32")
    shape = model.output_shape
    if len(shape) == 2:
        y = keras.utils.to_categorical(rng.integers(0, shape[-1], 16), shape[-1]) if shape[-1] > 1 \
            else rng.integers(0, 2, (16, 1)).astype("float32")
        loss = "categorical_crossentropy" if shape[-1] > 1 else "binary_crossentropy"
    else:  # image outputs: a learnable picture, the input's sign upsampled to the output grid
        factor = shape[1] // input_shape[0]
        sign = (x > 0).astype("float32").repeat(factor, axis=1).repeat(factor, axis=2)
        y = np.broadcast_to(sign[..., :1], (16, *shape[1:])).copy()
        loss = "binary_crossentropy"
    return x, y, loss


# Families whose builders take other inputs (token sequences, trees, image targets, boxes, ratings) are
# built, trained and saved by their own test files, with inputs of their kind.
FAMILY_TESTS = {"recurrent": ("test_recurrent.py", "test_studies_recurrent.py", "test_seq2seq.py"),
                "autoencoder": ("test_autoencoders.py",), "generative": ("test_generative.py",),
                "boltzmann": ("test_boltzmann.py",), "vision": ("test_vision.py",)}


def test_every_family_is_tested_here_or_in_its_own_file():
    from pathlib import Path

    for info in models.available():
        if info.family not in TINY_INPUTS:
            files = FAMILY_TESTS[info.family]
            text = "".join(Path(__file__).with_name(name).read_text(encoding="utf-8") for name in files)
            # by its registry name or its function (build_<name>), not as part of a longer name
            assert re.search(rf"(?<![a-z0-9]){info.name}(?![a-z0-9_])", text), \
                f"no test in {', '.join(files)} names {info.name!r}"


@pytest.mark.parametrize("name", [info.name for info in models.available() if info.family in TINY_INPUTS])
def test_every_builder(name, tmp_path):
    info = models.get(name)
    keras.utils.set_random_seed(0)
    input_shape = TINY_INPUTS[info.family]
    outputs = 1 if name == "conv_decoder" else OUTPUTS
    built = {api: models.build(name, input_shape, outputs, api=api, **_small_hyper(name)) for api in info.apis}

    for api, model in built.items():
        assert tuple(model.output_shape) == _expected_shape(name, input_shape, outputs), api
    first = next(iter(built.values()))
    x, y, loss = _data(first, input_shape)

    # Sequential and functional forms are the same network: same weights in, same outputs out.
    if len(built) == 2:
        sequential, functional = built["sequential"], built["functional"]
        assert sequential.count_params() == functional.count_params()
        functional.set_weights(sequential.get_weights())
        np.testing.assert_allclose(np.asarray(sequential(x, training=False)),
                                   np.asarray(functional(x, training=False)), atol=1e-6)

    # Gradients flow: Adam steps on one fixed batch lower its loss. Eagerly, because tracing a
    # training graph costs seconds per model and tests nothing the forward checks above do not;
    # graph-mode execution of the custom layers is tested in test_layers.py. (Adam's first step
    # moves every weight by ~lr, which can overshoot on a deep net, hence the best of two steps.)
    model = first
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2), loss=loss, run_eagerly=True)
    losses = [float(model.train_on_batch(x, y)) for _ in range(3)]
    assert np.isfinite(losses).all() and min(losses[1:]) < losses[0], losses

    # A saved model (custom layers included) loads back and computes the same function.
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)), np.asarray(model(x, training=False)),
                               atol=1e-6)


@pytest.mark.parametrize("name", BUILDER_NAMES)
def test_unknown_hyperparameter_is_a_user_error_listing_accepted_ones(name):
    accepted = models.hyperparameters(name)
    with pytest.raises(UserError) as error:
        models.build(name, TINY_INPUTS.get(models.get(name).family, (6,)), 2, api=models.get(name).apis[0],
                     no_such_knob=1)
    message = str(error.value)
    assert "no_such_knob" in message
    assert all(hyper in message for hyper in accepted)


@pytest.mark.parametrize("name", BUILDER_NAMES)
def test_hyperparameters_read_from_source_match_the_imported_signature(name):
    import importlib
    import inspect

    info = models.get(name)
    function = getattr(importlib.import_module(f"kerasdl.models.{info.module}"), info.function)
    expected = {p.name: p.default for p in inspect.signature(function).parameters.values()
                if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "api"}
    assert models.hyperparameters(name) == expected


@pytest.mark.parametrize("name", [info.name for info in models.available() if info.apis == ("functional",)
                                  and info.family == "convolutional"])
def test_functional_only_builders_refuse_sequential(name):
    with pytest.raises(UserError, match="functional"):
        models.build(name, (8, 8, 1), 3, api="sequential")


# --- canonical parameter counts (build only) ---------------------------------------------------------

_slow = pytest.mark.slow
# (builder, hyperparameters, input shape, classes, expected count, which count, keras.applications twin)
# "total" is Keras's count_params (with BN moving statistics); "trainable" is what torchvision counts.
CANONICAL = [
    pytest.param("lenet5", {}, (32, 32, 1), 10, 61_706, "total", None, id="lenet5"),
    pytest.param("vgg", {"variant": 16}, (224, 224, 3), 1000, 138_357_544, "total", "VGG16", id="vgg16", marks=_slow),
    pytest.param("vgg", {"variant": 19}, (224, 224, 3), 1000, 143_667_240, "total", "VGG19", id="vgg19", marks=_slow),
    pytest.param("resnet", {"depth": 18}, (224, 224, 3), 1000, 11_689_512, "trainable", None, id="resnet18",
                 marks=_slow),
    pytest.param("resnet", {"depth": 34}, (224, 224, 3), 1000, 21_797_672, "trainable", None, id="resnet34",
                 marks=_slow),
    pytest.param("resnet", {"depth": 50}, (224, 224, 3), 1000, 25_636_712, "total", "ResNet50", id="resnet50",
                 marks=_slow),
    pytest.param("resnet", {"depth": 50, "conv_bias": False}, (224, 224, 3), 1000, 25_557_032, "trainable", None,
                 id="resnet50-torchvision", marks=_slow),
    pytest.param("densenet", {"variant": 121}, (224, 224, 3), 1000, 8_062_504, "total", "DenseNet121",
                 id="densenet121", marks=_slow),
    pytest.param("mobilenet", {}, (224, 224, 3), 1000, 4_253_864, "total", "MobileNet", id="mobilenet", marks=_slow),
    pytest.param("alexnet", {}, (227, 227, 3), 1000, 62_378_344, "total", None, id="alexnet", marks=_slow),
    pytest.param("zfnet", {}, (224, 224, 3), 1000, 62_357_608, "total", None, id="zfnet", marks=_slow),
    pytest.param("googlenet", {}, (224, 224, 3), 1000, 6_998_552, "total", None, id="googlenet", marks=_slow),
]


@pytest.mark.parametrize("name, hyper, input_shape, classes, expected, kind, application", CANONICAL)
def test_canonical_parameter_count(name, hyper, input_shape, classes, expected, kind, application):
    api = models.get(name).apis[-1]
    model = models.build(name, input_shape, classes, api=api, scale="canonical", **hyper)
    assert model.output_shape == (None, classes)
    count = model.count_params() if kind == "total" else sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert count == expected
    del model
    if application is not None:
        keras.backend.clear_session()
        reference = getattr(keras.applications, application)(weights=None, input_shape=input_shape, classes=classes)
        assert reference.count_params() == expected


# --- builder-specific behaviour -----------------------------------------------------------------------

def test_perceptron_hard_output_is_the_step_of_the_score(tmp_path):
    keras.utils.set_random_seed(1)
    scores = models.build("perceptron", (6,), 1)
    hard = models.build("perceptron", (6,), 1, hard_output=True)
    hard.set_weights(scores.get_weights())
    x = np.random.default_rng(1).normal(size=(32, 6)).astype("float32")
    p = scores.predict(x, verbose=0)
    step = hard.predict(x, verbose=0)
    assert set(np.unique(step)) <= {0.0, 1.0}
    np.testing.assert_array_equal(step, (p >= 0.5).astype("float32"))
    # identity while training, so the loss sees the differentiable surrogate
    np.testing.assert_allclose(np.asarray(hard(x, training=True)), p, atol=1e-6)
    hard.save(tmp_path / "perceptron.keras")
    np.testing.assert_array_equal(keras.saving.load_model(tmp_path / "perceptron.keras").predict(x, verbose=0), step)


@pytest.mark.parametrize("pool", ["max", "avg", "global_max", "global_avg", None])
def test_cnn_pool_kinds(pool):
    model = models.build("cnn", (8, 8, 1), 3, pool=pool)
    kinds = {type(layer).__name__ for layer in model.layers}
    expected = {"max": "MaxPooling2D", "avg": "AveragePooling2D", "global_max": "GlobalMaxPooling2D",
                "global_avg": "GlobalAveragePooling2D"}.get(pool)
    assert (expected in kinds) if pool else not any("Pooling" in k for k in kinds)
    assert ("Flatten" in kinds) == (pool not in ("global_max", "global_avg"))


def test_cnn_skips_pools_that_would_empty_a_small_image_and_rejects_convs_that_would():
    deep = models.build("cnn", (8, 8, 1), 3, filters=4, depth=5)  # 8 → 4 → 2 → 1, then no more pools
    assert sum(type(layer).__name__ == "MaxPooling2D" for layer in deep.layers) == 3
    with pytest.raises(UserError, match="shrink"):
        models.build("cnn", (8, 8, 1), 3, filters=4, depth=4, padding="valid", kernel_size=3)


def test_tiled_cnn_with_one_tile_has_the_parameters_of_a_cnn():
    args = dict(filters=(4, 8), dense_units=16)
    plain = models.build("cnn", (8, 8, 1), 3, **args)
    assert models.build("tiled_cnn", (8, 8, 1), 3, tiles=1, pool_size=2, **args).count_params() == plain.count_params()
    conv_weights = 3 * 3 * 1 * 4 + 3 * 3 * 4 * 8
    assert (models.build("tiled_cnn", (8, 8, 1), 3, tiles=2, **args).count_params()
            == plain.count_params() + 3 * conv_weights)


def test_small_named_cnns_fit_28x28_digits():
    for name in ("lenet5", "alexnet", "zfnet", "vgg", "googlenet", "resnet", "densenet", "mobilenet"):
        model = models.build(name, (28, 28, 1), 10, api=models.get(name).apis[-1])
        assert model.output_shape == (None, 10), name
        assert model.count_params() < 300_000, (name, model.count_params())


def test_named_cnn_variants_are_checked():
    with pytest.raises(UserError, match="variant"):
        models.build("vgg", (8, 8, 1), 3, variant=17)
    with pytest.raises(UserError, match="depth"):
        models.build("resnet", (8, 8, 1), 3, api="functional", depth=20)
    with pytest.raises(UserError, match="too small"):
        models.build("alexnet", (32, 32, 3), 3, scale="canonical")


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "selu", "swish"])
@pytest.mark.parametrize("initializer, batch_norm", [("zeros", None), ("random_normal", "before"),
                                                     ("glorot_uniform", "after"), ("he_normal", None)])
def test_tuning_hyperparameters_build_and_run(activation, initializer, batch_norm):
    model = models.build("cnn", (8, 8, 1), 3, activation=activation, initializer=initializer,
                         batch_norm=batch_norm, l1=1e-4, l2=1e-3, dropout=0.2)
    out = np.asarray(model(np.ones((2, 8, 8, 1), "float32")))
    assert out.shape == (2, 3) and np.allclose(out.sum(axis=1), 1, atol=1e-5)
    assert len(model.losses) > 0  # the L1/L2 penalties are attached
    assert any(type(layer).__name__ == "BatchNormalization" for layer in model.layers) == bool(batch_norm)
