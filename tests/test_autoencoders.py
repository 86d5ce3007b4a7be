"""The autoencoder family (kerasdl/models/autoencoders.py, _autoencoder_layers.py): shapes, training,
encoder/decoder composition, Sequential/functional parity, save/load, and the exact quantities —
the VAE's KL term, the contractive penalty, sparsity penalties, training-only corruption, and the
linear autoencoder's subspace against PCA's."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasdl import models  # noqa: E402
from kerasdl.errors import UserError  # noqa: E402
from kerasdl.models import autoencoders  # noqa: E402
from kerasdl.models._autoencoder_layers import (  # noqa: E402
    KLSparsity, MaskingNoise, SaltAndPepperNoise, Sampling, gaussian_kl)

IMAGE = (8, 8, 1)
FAMILY = [info.name for info in models.available() if info.family == "autoencoder"]
# (builder, hyperparameters): every builder and its main configurations, on 8x8 images
CASES = [
    ("autoencoder", {"code_size": 4}), ("autoencoder", {"hidden": (16,), "code_size": 4}),
    ("linear_autoencoder", {"code_size": 4}), ("sparse_autoencoder", {"code_size": 16}),
    ("sparse_autoencoder", {"code_size": 16, "sparsity": "kl"}),
    ("denoising_autoencoder", {"code_size": 8, "corruption": "salt_and_pepper", "noise": 0.2}),
    ("denoising_autoencoder", {"conv": True, "filters": 4}),
    ("contractive_autoencoder", {"code_size": 4}),
    ("stochastic_autoencoder", {"decoder_distribution": "gaussian", "hidden": (8,), "code_size": 4}),
    ("stochastic_autoencoder", {"decoder_distribution": "categorical", "hidden": (8,), "code_size": 4}),
    ("vae", {"hidden": (16,)}), ("vae", {"hidden": (8,), "conv": True}),
]


def _digits(n=32):
    from sklearn.datasets import load_digits

    return (load_digits().images[:n] / 16.0).astype("float32")[..., None]


def test_every_registered_autoencoder_has_a_case():
    assert sorted({name for name, _ in CASES}) == sorted(FAMILY)


@pytest.mark.parametrize("name, hyper", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_builder_shapes_composition_training_and_save(name, hyper, tmp_path):
    keras.utils.set_random_seed(0)
    x = _digits()
    model = models.build(name, IMAGE, 1, api="functional", **hyper)
    assert tuple(model(x).shape) == (32, *IMAGE)
    # encoder and decoder compose to the model (deterministic path)
    code = model.encoder(x, training=False)
    code = code[0] if isinstance(code, (list, tuple)) else code  # the VAE's encoder gives (μ, log σ²)
    decoded = model.decoder(code, training=False)
    if hasattr(model, "mean"):
        decoded = model.mean(decoded)
    np.testing.assert_allclose(np.asarray(decoded), np.asarray(model(x, training=False)), atol=1e-5)
    # a few full-batch Adam steps lower the loss (eager: tracing costs more than it tests here)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", run_eagerly=True)
    losses = [float(np.ravel(model.train_on_batch(x, x))[0]) for _ in range(4)]
    assert np.isfinite(losses).all() and min(losses[1:]) < losses[0], losses
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)), np.asarray(model(x, training=False)),
                               atol=1e-5)


@pytest.mark.parametrize("name", [n for n in FAMILY if "sequential" in models.get(n).apis])
def test_sequential_and_functional_forms_are_the_same_network(name):
    hyper = {"conv": True, "filters": 4} if name == "denoising_autoencoder" else {"code_size": 4}
    x = _digits(8)
    sequential = models.build(name, IMAGE, 1, api="sequential", **hyper)
    functional = models.build(name, IMAGE, 1, api="functional", **hyper)
    assert sequential.count_params() == functional.count_params()
    functional.set_weights(sequential.get_weights())
    np.testing.assert_allclose(np.asarray(sequential(x)), np.asarray(functional(x)), atol=1e-6)


def test_notes_parameter_counts_and_flat_inputs():
    # 784-32-784 (001:3303-3337): 784·32 + 32 + 32·784 + 784 = 50,992
    assert models.build("autoencoder", (784,), 784).count_params() == 50_992
    stacked = models.build("autoencoder", (784,), 784, hidden=(128,), code_size=32)
    assert stacked.count_params() == (784 * 128 + 128) + (128 * 32 + 32) + (32 * 128 + 128) + (128 * 784 + 784)
    assert stacked.encoder.output_shape == (None, 32) and stacked.decoder.output_shape == (None, 784)
    # the generation task passes the number of features (64 for 8x8 images): the image comes back whole
    assert tuple(models.build("vae", IMAGE, 64, api="functional")(_digits(2)).shape) == (2, *IMAGE)


def test_bad_choices_are_user_errors():
    with pytest.raises(UserError, match="corruption"):
        models.build("denoising_autoencoder", IMAGE, 1, corruption="speckle")
    with pytest.raises(UserError, match="decoder_distribution"):
        models.build("vae", IMAGE, 1, api="functional", decoder_distribution="poisson")
    with pytest.raises(UserError, match="multiples of 4"):
        models.build("denoising_autoencoder", (6, 6, 1), 1, conv=True)
    with pytest.raises(UserError, match="sequential"):
        models.build("vae", IMAGE, 1, api="sequential")


def test_corruption_acts_only_in_training():
    x = np.full((4, 8, 8, 1), 0.5, dtype="float32")
    for layer in (SaltAndPepperNoise(0.3, seed=1), MaskingNoise(0.3, seed=1), keras.layers.GaussianNoise(0.3)):
        np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
        assert np.mean(np.asarray(layer(x, training=True)) != x) > 0.1
    noisy = np.asarray(SaltAndPepperNoise(0.3, seed=2)(x, training=True))
    changed = noisy[noisy != 0.5]
    assert set(np.unique(changed)) <= {0.0, 1.0} and 0.2 < changed.size / x.size < 0.4
    dae = models.build("denoising_autoencoder", IMAGE, 1, corruption="masking", noise=0.5)
    x = _digits(4)
    np.testing.assert_array_equal(np.asarray(dae(x, training=False)), np.asarray(dae(x, training=False)))
    assert not np.allclose(np.asarray(dae(x, training=True)), np.asarray(dae(x, training=False)))


def test_sampling_and_the_closed_form_kl():
    rng = np.random.default_rng(0)
    mean = rng.normal(size=(4000, 3)).astype("float32")
    log_var = rng.normal(scale=0.5, size=(4000, 3)).astype("float32")
    z = np.asarray(Sampling(seed=3)([mean, log_var]))
    assert z.shape == mean.shape
    standardized = (z - mean) / np.exp(0.5 * log_var)  # should be N(0, 1)
    assert abs(standardized.mean()) < 0.05 and abs(standardized.std() - 1) < 0.05
    # KL(N(μ, σ²) ‖ N(0, 1)) per dimension = ½(σ² + μ² − 1 − log σ²), summed over dimensions
    expected = 0.5 * np.sum(np.exp(log_var) + mean ** 2 - 1 - log_var, axis=1)
    np.testing.assert_allclose(np.asarray(gaussian_kl(mean, log_var)), expected, rtol=1e-5)
    # and it is the Monte-Carlo estimate E_q[log q(z) − log p(z)] for one sample point
    m, lv = np.array([[0.7, -0.3]], "float32"), np.array([[0.4, -1.0]], "float32")
    draws = m + np.exp(0.5 * lv) * rng.normal(size=(200_000, 2))
    log_q = -0.5 * np.sum((draws - m) ** 2 / np.exp(lv) + lv + np.log(2 * np.pi), axis=1)
    log_p = -0.5 * np.sum(draws ** 2 + np.log(2 * np.pi), axis=1)
    assert abs(float(gaussian_kl(m, lv)[0]) - np.mean(log_q - log_p)) < 0.01


def test_vae_loss_terms_generate_and_encode():
    keras.utils.set_random_seed(0)
    x = _digits(16)
    vae = models.build("vae", IMAGE, 1, api="functional", hidden=(8,), latent_size=3)
    terms = {k: float(v) for k, v in vae.loss_terms(x, x, training=False).items()}
    mean, log_var = vae.encode(x)
    assert mean.shape == log_var.shape == (16, 3)
    assert terms["kl_loss"] == pytest.approx(float(np.mean(gaussian_kl(mean, log_var))), rel=1e-4)
    assert terms["loss"] == pytest.approx(terms["reconstruction_loss"] + terms["kl_loss"], rel=1e-5)
    samples = vae.generate(5)
    assert samples.shape == (5, *IMAGE) and np.all((samples >= 0) & (samples <= 1))
    vae.compile(optimizer="adam", run_eagerly=True)
    history = vae.fit(x, x, epochs=1, verbose=0)
    assert {"loss", "reconstruction_loss", "kl_loss"} <= set(history.history)
    # the generation task's SamplingTrainer fits on inputs alone and scores generate(n)
    from kerasdl.trainers import SamplingTrainer

    trainer = SamplingTrainer()
    trainer.fit(vae, (x, None), None, epochs=1, batch_size=8, callbacks=[], verbose=0)
    assert trainer.evaluate(vae, (x, None), n=7).shape == (7, *IMAGE)


def test_stochastic_decoder_likelihoods_are_exact():
    x = _digits(4)
    for distribution in ("gaussian", "bernoulli", "categorical"):
        model = models.build("stochastic_autoencoder", IMAGE, 1, api="functional", hidden=(8,), code_size=4,
                             decoder_distribution=distribution, levels=3, sigma=0.5)
        params = np.asarray(model.decoder(model.encoder(x)))
        nll = np.asarray(model.negative_log_likelihood(x, params))
        flat = x.reshape(4, -1)
        if distribution == "gaussian":
            expected = -np.sum(-0.5 * ((flat - params) / 0.5) ** 2 - np.log(0.5 * np.sqrt(2 * np.pi)), axis=1)
        elif distribution == "bernoulli":
            p = 1 / (1 + np.exp(-params))
            expected = -np.sum(flat * np.log(p) + (1 - flat) * np.log(1 - p), axis=1)
        else:
            k = np.round(flat * 2).astype(int)
            log_p = params - np.log(np.exp(params).sum(-1, keepdims=True))
            expected = -np.take_along_axis(log_p, k[..., None], -1)[..., 0].sum(1)
        np.testing.assert_allclose(nll, expected, rtol=1e-4)
        assert model.sample(x).shape == x.shape


def test_contractive_penalty_is_the_jacobian_norm():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).uniform(size=(3, 5)).astype("float64").astype("float32")
    model = models.build("contractive_autoencoder", (5,), 5, api="functional", code_size=3)
    tape = np.asarray(model.jacobian_norm(x))
    # central finite differences of h = encoder(x), in float64 on the same weights
    w, b = (np.asarray(v, dtype=np.float64) for v in model.encoder.get_weights())
    encode = lambda v: 1 / (1 + np.exp(-(v @ w + b)))  # noqa: E731
    eps, x64 = 1e-5, x.astype(np.float64)
    fd = np.zeros(3)
    for i in range(5):
        step = np.zeros(5)
        step[i] = eps
        fd += np.sum(((encode(x64 + step) - encode(x64 - step)) / (2 * eps)) ** 2, axis=1)
    np.testing.assert_allclose(tape, fd, rtol=1e-3)
    # and Rifai et al.'s closed form for one sigmoid layer: Σⱼ (hⱼ(1 − hⱼ))² Σᵢ Wᵢⱼ²
    h = encode(x64)
    np.testing.assert_allclose(tape, np.sum((h * (1 - h)) ** 2 * np.sum(w ** 2, axis=0), axis=1), rtol=1e-4)
    model.compile(optimizer="adam", loss="mse")
    terms = {k: float(v) for k, v in model.loss_terms(x, x, training=False).items()}
    assert terms["contraction"] == pytest.approx(float(np.mean(tape)), rel=1e-5)
    assert terms["loss"] == pytest.approx(terms["reconstruction_loss"] + 0.1 * terms["contraction"], rel=1e-5)


def test_sparsity_penalties_are_the_notes_formulas():
    keras.utils.set_random_seed(0)
    x = _digits(8)
    l1 = models.build("sparse_autoencoder", IMAGE, 1, code_size=16, l1=1e-4)
    _ = l1(x)
    code = np.asarray(l1.encoder(x))
    # Keras adds λ·Σ|h| per batch divided by the batch size: λ·mean over samples of Σᵢ|hᵢ|
    assert float(sum(l1.losses)) == pytest.approx(1e-4 * np.abs(code).sum(axis=1).mean(), rel=1e-4)
    rho_hat = np.array([0.1, 0.5, 0.02])
    kl = KLSparsity(rho=0.05, beta=2.0).penalty(np.tile(rho_hat, (4, 1)).astype("float32"))
    expected = 2.0 * np.sum(0.05 * np.log(0.05 / rho_hat) + 0.95 * np.log(0.95 / (1 - rho_hat)))
    assert float(kl) == pytest.approx(expected, rel=1e-5)


def test_linear_autoencoder_spans_the_pca_subspace():
    from scipy.linalg import subspace_angles
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(6, 2)))[0]
    x = (rng.normal(size=(256, 2)) * [3.0, 1.5]) @ basis.T + 0.05 * rng.normal(size=(256, 6))
    x = x.astype("float32")
    keras.utils.set_random_seed(0)
    model = models.build("linear_autoencoder", (6,), 6, code_size=2)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    steps = np.tile(x, (300, 1))  # 300 full-batch steps in one epoch: one traced loop, no per-epoch overhead
    model.fit(steps, steps, epochs=1, batch_size=256, shuffle=False, verbose=0)
    decoder_rows = model.decoder.get_weights()[0]  # (code, 6)
    angles = np.degrees(subspace_angles(decoder_rows.T, PCA(2).fit(x).components_.T))
    assert angles.max() < 2.0, angles
