"""Stochastic pooling, Inception v3, the LeNet-5/ZFNet errata, and the DeepDream ascent (issue 12, part A/D)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerasdl import models
from kerasdl.errors import UserError
from kerasdl.layers import StochasticPooling2D


def _windows(x: np.ndarray, k: int = 2) -> np.ndarray:
    """(n, h, w, c) → (n, h//k, w//k, c, k·k), cropping what does not fit, in NumPy."""
    n, h, w, c = x.shape
    h, w = h // k, w // k
    x = x[:, : h * k, : w * k].reshape(n, h, k, w, k, c).transpose(0, 1, 3, 5, 2, 4)
    return x.reshape(n, h, w, c, k * k)


def _activations(seed: int = 0) -> np.ndarray:
    x = np.maximum(np.random.default_rng(seed).normal(size=(4, 7, 6, 3)), 0).astype("float32")
    x[0, :2, :2, 0] = 0.0                    # one all-zero window
    return x


# --------------------------------------------------------------------------- stochastic pooling
def test_stochastic_pooling_inference_is_the_probability_weighted_average():
    x = _activations()
    a = _windows(x)
    total = a.sum(-1)
    expected = np.where(total > 0, (a * a).sum(-1) / np.where(total > 0, total, 1), 0.0)   # Σ p_i a_i, p = a/Σa
    out = np.asarray(StochasticPooling2D(2)(x))
    assert out.shape == (4, 3, 3, 3)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-7)
    assert out[0, 0, 0, 0] == 0.0
    # between the window's mean and its maximum
    assert np.all(out <= a.max(-1) + 1e-6) and np.all(out >= a.mean(-1) - 1e-6)


def test_stochastic_pooling_training_samples_a_nonzero_window_value_in_proportion():
    x = _activations(1)
    a = _windows(x)
    layer = StochasticPooling2D(2, seed=3)
    # 400 draws in one call: every window of every batch row is sampled independently
    draws = np.asarray(layer(np.tile(x, (400, 1, 1, 1)), training=True)).reshape(400, *a.shape[:-1])
    # every output is one of its window's values, and never a zero when the window has a positive one
    is_member = np.isclose(draws[..., None], a[None]).any(-1)
    assert is_member.all()
    positive = a.max(-1) > 0
    assert np.all(draws[:, positive] > 0)
    # frequency of each value ≈ its probability a_i / Σa (400 draws: a few standard errors)
    n, i, j, c = 1, 1, 2, 1
    window = a[n, i, j, c]
    freq = np.array([np.mean(np.isclose(draws[:, n, i, j, c], v)) for v in window])
    p = window / window.sum()
    assert np.all(np.abs(freq - p) <= 4 * np.sqrt(p * (1 - p) / 400) + 1e-9), (freq, p)
    assert not np.allclose(draws[0], draws[1])   # sampling, not a fixed rule


def test_stochastic_pooling_gradient_reaches_the_sampled_unit_only_and_layer_round_trips(tmp_path):
    import tensorflow as tf

    x = tf.constant(_activations(2))
    layer = StochasticPooling2D(2, seed=0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(layer(x, training=True))
    grad = _windows(tape.gradient(total, x).numpy())
    assert np.all(grad.sum(-1)[_windows(x.numpy()).max(-1) > 0] == 1.0)       # one unit per window
    assert StochasticPooling2D.from_config(layer.get_config()).pool_size == (2, 2)
    model = keras.Sequential([keras.Input((7, 6, 3)), StochasticPooling2D(2)])
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), rtol=1e-6)


def test_cnn_builder_offers_stochastic_pooling():
    model = models.build("cnn", (8, 8, 1), 10, filters=(4, 8), pool="stochastic")
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("StochasticPooling2D") == 2 and "MaxPooling2D" not in kinds
    assert model.output_shape == (None, 10)


# --------------------------------------------------------------------------- Inception v3
def test_inception_v3_canonical_parameter_count_equals_keras_applications():
    """Built once each (a few seconds): ours and keras.applications.InceptionV3(weights=None)."""
    ours = models.build("inception_v3", (299, 299, 3), 1000, api="functional", scale="canonical",
                        initializer="zeros")
    assert ours.count_params() == 23_851_784
    del ours
    theirs = keras.applications.InceptionV3(weights=None)
    assert theirs.count_params() == 23_851_784
    keras.backend.clear_session()


def test_inception_v3_small_and_its_checks():
    small = models.build("inception_v3", (8, 8, 1), 10, api="functional")
    assert small.output_shape == (None, 10)
    assert sum(isinstance(layer, keras.layers.Conv2D) for layer in small.layers) == 41
    wider = models.build("inception_v3", (8, 8, 1), 10, api="functional", width=0.25)
    assert wider.count_params() > small.count_params()
    with pytest.raises(UserError, match="75×75"):
        models.build("inception_v3", (32, 32, 3), 10, api="functional", scale="canonical")
    with pytest.raises(UserError, match="functional"):
        models.build("inception_v3", (8, 8, 1), 10, api="sequential")
    with pytest.raises(UserError, match="width"):
        models.build("inception_v3", (8, 8, 1), 10, api="functional", width=0)


# --------------------------------------------------------------------------- classic CNN errata
def test_lenet5_pools_by_average_by_default_and_max_on_request():
    def pools(model):
        return {type(layer).__name__ for layer in model.layers if "Pooling" in type(layer).__name__}

    assert pools(models.build("lenet5", (8, 8, 1), 10)) == {"AveragePooling2D"}
    assert pools(models.build("lenet5", (8, 8, 1), 10, pool="max")) == {"MaxPooling2D"}
    assert models.hyperparameters("lenet5")["pool"] == "avg"


def test_classic_cnns_errata_table_names_lenet_pooling_and_zfnet_layers():
    from kerasdl.experiments import classic_cnns

    table = classic_cnns._errata({})
    rows = {row[0]: row for row in table["rows"]}
    assert "8 in the zfnet builder" in rows["ZFNet layers"][4] and "seven" in rows["ZFNet layers"][2]
    assert "max" in rows["LeNet-5 pooling"][2] and "pool='max'" in rows["LeNet-5 pooling"][4]
    assert classic_cnns.learned_layers("zfnet") == {"Conv2D": 5, "Dense": 3}


# --------------------------------------------------------------------------- DeepDream ascent
def test_gradient_ascent_climbs_its_objective_and_the_random_control_does_not_follow():
    from kerasdl.experiments.deep_dream import gradient_ascent

    weights = np.linspace(-1, 1, 64).reshape(1, 8, 8, 1).astype("float32")

    def objective(images):       # a linear score per image: rises fastest along `weights`
        return keras.ops.sum(images * weights, axis=(1, 2, 3))

    start = np.full((2, 8, 8, 1), 0.5, dtype="float32")
    final, values = gradient_ascent(objective, start, 20)
    assert values.shape == (21, 2)
    assert np.all(np.diff(values, axis=0) > 0)
    assert final.min() >= 0 and final.max() <= 1
    _, control = gradient_ascent(objective, start, 20, random_directions=True)
    assert control[-1].max() < values[-1].min()


def test_receptive_field_counts_stochastic_pools_like_max_pools():
    from kerasdl.probes import receptive_field_of

    fields = {pool: receptive_field_of(models.build("cnn", (8, 8, 1), 10, filters=(4, 8), pool=pool))
              for pool in ("max", "stochastic")}
    assert fields["max"]["receptive_field"] == fields["stochastic"]["receptive_field"]
    assert fields["max"]["jump"] == fields["stochastic"]["jump"]
