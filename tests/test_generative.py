"""GAN and DCGAN builders, the sample-quality measures and the generation datasets (heights, digits)."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasdl import data, models  # noqa: E402
from kerasdl.errors import UserError  # noqa: E402
from kerasdl.models.generative import (  # noqa: E402
    DigitFeatures, FittedNoise, SampleScores, frechet_distance, normal_fit_scores)
from kerasdl.trainers import AdversarialTrainer, make_optimizer  # noqa: E402


def _compiled(model):
    AdversarialTrainer().compile(model, optimizer=make_optimizer("adam", 1e-3), loss="binary_crossentropy", metrics=[])
    return model


@pytest.mark.parametrize("name, shape, hyper", [
    ("gan", (1,), {"latent_dim": 3, "generator_units": (8,), "discriminator_units": (8,)}),
    ("gan", (8, 8, 1), {"latent_dim": 4, "generator_units": (16,), "discriminator_units": (16,)}),
    ("dcgan", (8, 8, 1), {"latent_dim": 4, "generator_filters": (8, 4), "discriminator_filters": (4, 8)}),
])
def test_both_apis_build_the_same_generator_and_discriminator(name, shape, hyper):
    outputs = int(np.prod(shape))
    keras.utils.set_random_seed(0)
    built = {api: models.build(name, shape, outputs, api=api, **hyper) for api in ("sequential", "functional")}
    sequential, functional = built["sequential"], built["functional"]
    assert sequential.count_params() == functional.count_params() > 0
    z = np.random.default_rng(0).normal(size=(5, hyper["latent_dim"])).astype("float32")
    for part in ("generator", "discriminator"):
        getattr(functional, part).set_weights(getattr(sequential, part).get_weights())
    np.testing.assert_allclose(sequential(z), functional(z), atol=1e-6)
    assert sequential.generate(6).shape == (6, *shape)
    assert tuple(sequential.discriminator.output_shape) == (None, 1)


def test_dcgan_upsamples_to_28x28_and_refuses_sizes_it_cannot_reach():
    model = models.build("dcgan", (28, 28, 1), 784, api="functional", latent_dim=4, generator_filters=(4, 4),
                         discriminator_filters=(4,))
    assert tuple(model.generator.output_shape) == (None, 28, 28, 1)
    with pytest.raises(UserError, match="divisible by 2"):
        models.build("dcgan", (10, 10, 1), 100, api="functional")
    with pytest.raises(UserError, match="outputs equal"):
        models.build("gan", (8, 8, 1), 10, api="functional")


def test_a_train_step_updates_both_networks_and_logs_both_losses(tmp_path):
    keras.utils.set_random_seed(0)
    heights = np.random.default_rng(0).normal(150, 30, (64, 1)).astype("float32")
    model = _compiled(models.build("gan", (1,), 1, api="functional", latent_dim=2, generator_units=(8,),
                                   discriminator_units=(8,), output_activation="linear", data_scale=100.0))
    before = [w.copy() for w in (model.generator.get_weights()[0], model.discriminator.get_weights()[0])]
    logs = model.fit(heights, batch_size=16, epochs=2, verbose=0).history
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(logs) and all(len(v) == 2 for v in logs.values())
    assert np.isfinite([v for values in logs.values() for v in values]).all()
    after = (model.generator.get_weights()[0], model.discriminator.get_weights()[0])
    assert all(not np.allclose(a, b) for a, b in zip(before, after))
    # the harness saves the model: it loads back and generates the same samples
    model.save(tmp_path / "gan.keras")
    loaded = keras.saving.load_model(tmp_path / "gan.keras")
    np.testing.assert_allclose(loaded.generate(5), model.generate(5), atol=1e-5)


def test_the_data_scale_layers_put_centimetres_on_a_unit_scale():
    model = models.build("gan", (1,), 1, api="functional", latent_dim=2, generator_units=(4,),
                         discriminator_units=(4,), output_activation="linear", data_offset=150.0, data_scale=30.0)
    standardise = model.discriminator.get_layer("d_standardise")
    np.testing.assert_allclose(standardise(np.array([[120.0], [150.0], [210.0]], "float32")), [[-1], [0], [2]],
                               atol=1e-6)


def test_frechet_distance_is_zero_for_identical_sets_and_grows_with_a_shift():
    x = np.random.default_rng(0).normal(size=(400, 3))
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)
    shifts = [frechet_distance(x, x + d) for d in (0.5, 1.0, 2.0)]
    # a pure shift by d in each of 3 features: ‖μ_a − μ_b‖² = 3d², the covariance terms cancel
    np.testing.assert_allclose(shifts, [3 * 0.25, 3 * 1.0, 3 * 4.0], rtol=1e-6)
    assert frechet_distance(x, 2 * x) > frechet_distance(x, 1.2 * x) > 0  # a wider spread too
    with pytest.raises(ValueError, match="same number of features"):
        frechet_distance(x, x[:, :2])


def test_the_digits_score_ranks_noise_far_behind_real_digits():
    digits = data.load("digits-generation")
    features = DigitFeatures(digits.features, digits.extras["digit"], hidden=16, max_iter=60)
    real_a, real_b = digits.features[:600], digits.features[600:1200]
    noise = FittedNoise("normal", shape=(8, 8, 1)).fit(real_a.reshape(600, -1)).predict(real_b)
    assert features.score(real_a, real_a) == pytest.approx(0.0, abs=1e-6)
    assert features.score(real_a, noise) > 3 * features.score(real_a, real_b) > 0


def test_fitted_noise_matches_training_moments_within_the_training_range():
    x = np.random.default_rng(1).normal(150, 30, (2000, 1))
    normal = FittedNoise("normal").fit(x).predict(np.zeros((3000, 1)))
    uniform = FittedNoise("uniform", seed=2).fit(x).predict(np.zeros((3000, 1)))
    assert normal.shape == uniform.shape == (3000, 1)
    assert abs(normal.mean() - 150) < 2 and abs(normal.std() - 30) < 2
    assert uniform.min() >= x.min() and uniform.max() <= x.max() and uniform.std() > 1.5 * normal.std()
    with pytest.raises(UserError, match="distribution"):
        FittedNoise("cauchy").fit(x)


def test_normal_fit_scores_tell_the_right_family_from_a_wrong_one():
    rng = np.random.default_rng(3)
    right = normal_fit_scores(rng.normal(150, 30, 5000), 150, 30)
    wrong = normal_fit_scores(rng.uniform(90, 210, 5000), 150, 30)
    shifted = normal_fit_scores(rng.normal(165, 30, 5000), 150, 30)
    assert right["ks"] < 0.03 < wrong["ks"] and right["ks"] < shifted["ks"]
    assert 0 <= right["js"] < wrong["js"] <= np.log(2) and 0 <= right["kl"] < wrong["kl"]
    assert right["sample_mean"] == pytest.approx(150, abs=2)


def test_sample_scores_adds_its_numbers_to_the_epoch_logs_and_keeps_samples():
    class Generator:
        def generate(self, n, *, seed=None):
            return np.full((n, 2), float(seed))

    callback = SampleScores(lambda s: {"mean": s.mean()}, n=10, shown=3, keep=(1,), seed=7)
    callback.set_model(Generator())
    callback.on_train_begin()
    for epoch in range(3):
        logs = {"d_loss": 0.5}
        callback.on_epoch_end(epoch, logs)
        assert logs == {"d_loss": 0.5, "mean": 7.0}
    callback.on_train_end()
    assert sorted(callback.model.epoch_samples) == [1, 3] and callback.model.epoch_samples[3].shape == (3, 2)


def test_generation_datasets():
    heights = data.load("heights")
    assert heights.task == "generation" and heights.features.shape == (3000, 1)
    assert abs(heights.features.mean() - 150) < 2 and abs(heights.features.std() - 30) < 2
    np.testing.assert_array_equal(heights.features, data.load("heights").features)  # fixed seed
    assert not np.array_equal(heights.features, data.load("heights", seed=1).features)
    assert sum(len(s) for s in heights.splits.values()) == 3000
    digits = data.load("digits-generation")
    assert digits.features.shape == (1797, 8, 8, 1) and np.array_equal(digits.features, digits.target)
    with pytest.raises(UserError, match="source"):
        data.load("digits-generation", source="cifar")
