"""Generative adversarial networks (CATALOG.md §1 "Autoencoders and generative models"): `gan`, `dcgan`.

The notes' GAN (001:3767-3921) is a generator G(z) and a discriminator D(x) playing
min_G max_D E[log D(x)] + E[log(1 − D(G(z)))]; 002:251-301 first solves the 1-D problem "generate
heights like N(150, 30)" and judges the result by a QQ plot, the KS test, KL/JS divergence and the
log loss of a model that tries to tell real (class 1) from generated (class 0). Both builders return
a `GAN`, the keras-io shape (examples/generative/dcgan_overriding_train_step.py): a `keras.Model`
with `compile(d_optimizer, g_optimizer, loss_fn)`, a `train_step` that updates D then G and logs
`d_loss` and `g_loss`, and `generate(n)`; `kerasdl.trainers.AdversarialTrainer` fits it through the
harness unchanged.

Also here, because they judge what these models produce: `frechet_distance` and `DigitFeatures`
(an FID-style sample-quality score computed on a small digits classifier's hidden features),
`FittedNoise` (the explicit / Gaussian-noise baseline a generator must beat), and `SampleScores` (a callback
that scores a fixed batch of samples after every epoch and keeps a few for the report).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

from kerasdl.errors import UserError
from kerasdl.models._assemble import assemble

__all__ = ["GAN", "DigitFeatures", "FittedNoise", "SampleScores", "build_dcgan", "build_gan",
           "frechet_distance"]


def _deserialize(config: Any) -> Any:
    return config if isinstance(config, keras.Model) else keras.saving.deserialize_keras_object(config)


@keras.saving.register_keras_serializable(package="kerasdl")
class GAN(keras.Model):
    """A generator and a discriminator trained in turn (001:3880-3921, 002:293-301).

    One `train_step`: the discriminator learns to call the real batch 1 and as many generated
    samples 0 (its binary cross-entropy is `d_loss`, the notes' "model based similarity" log loss);
    then the generator learns to make the discriminator call fresh samples 1 (`g_loss`, the
    non-saturating form of minimising log(1 − D(G(z))), which gives useful gradients while D still
    wins easily). `d_real` and `d_fake` are D's mean output on the two kinds: both near 0.5 when D
    can no longer tell them apart. Calling the model maps latent vectors z to samples.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, *, latent_dim: int, seed: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.generator, self.discriminator = _deserialize(generator), _deserialize(discriminator)
        self.latent_dim, self.seed = int(latent_dim), int(seed)
        self.noise = keras.random.SeedGenerator(self.seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "latent_dim": self.latent_dim, "seed": self.seed,
                "generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(self.discriminator)}

    def compile(self, d_optimizer: Any = None, g_optimizer: Any = None, loss_fn: Any = None, **kwargs: Any) -> None:
        """Two optimizers (each keeps its own moments) and the adversarial loss. Defaults, used when a
        saved model is loaded: Adam(2e-4, β₁ = 0.5) as in the DCGAN paper, binary cross-entropy."""
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.loss_fn = keras.losses.get(loss_fn or "binary_crossentropy")

    def get_compile_config(self) -> dict[str, Any]:
        return {}  # optimizers are not saved with the model: a loaded GAN compiles with the defaults

    def compile_from_config(self, config: dict[str, Any]) -> None:
        self.compile()

    @property
    def metrics(self) -> list[Any]:
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker]

    def call(self, z: Any, training: bool = False) -> Any:
        return self.generator(z, training=training)

    def _loss(self, labels: Any, predicted: Any) -> Any:
        return keras.ops.mean(self.loss_fn(labels, predicted))

    def train_step(self, data: Any) -> dict[str, Any]:
        import tensorflow as tf  # GradientTape: the TensorFlow backend's way to own the update

        real = data[0] if isinstance(data, tuple) else data
        n = tf.shape(real)[0]
        fake = self.generator(keras.random.normal((n, self.latent_dim), seed=self.noise), training=True)
        with tf.GradientTape() as tape:
            d_real = self.discriminator(real, training=True)
            d_fake = self.discriminator(fake, training=True)
            d_loss = (self._loss(tf.ones_like(d_real), d_real) + self._loss(tf.zeros_like(d_fake), d_fake)) / 2
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        z = keras.random.normal((n, self.latent_dim), seed=self.noise)
        with tf.GradientTape() as tape:
            judged = self.discriminator(self.generator(z, training=True), training=True)
            g_loss = self._loss(tf.ones_like(judged), judged)  # "call my samples real"
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_real_tracker.update_state(keras.ops.mean(d_real))
        self.d_fake_tracker.update_state(keras.ops.mean(d_fake))
        return {m.name: m.result() for m in self.metrics}

    def generate(self, n: int, *, seed: int | None = None) -> np.ndarray:
        """`n` samples G(z), z ~ N(0, I); the same `seed` (default: the model's) gives the same z."""
        z = np.random.default_rng(self.seed if seed is None else seed).normal(size=(int(n), self.latent_dim))
        return np.asarray(self.generator.predict(z.astype(np.float32), batch_size=512, verbose=0))


def _built(model: GAN) -> GAN:
    model.build((None, model.latent_dim))  # sub-models are built; this marks the whole as built
    return model


def _check_shapes(name: str, input_shape: tuple[int, ...], outputs: int) -> None:
    if int(np.prod(input_shape)) != int(outputs):
        raise UserError(f"{name}: expected outputs equal to the number of values in one sample "
                        f"({int(np.prod(input_shape))} for input_shape={tuple(input_shape)}). "
                        f"Received: outputs={outputs}")


def build_gan(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional", latent_dim: int = 8,
              generator_units: Sequence[int] = (32, 32), discriminator_units: Sequence[int] = (32, 32),
              alpha: float = 0.2, output_activation: str = "sigmoid", data_offset: float = 0.0,
              data_scale: float = 1.0, seed: int = 0) -> GAN:
    """Dense GAN: G = Dense stack z → sample, D = Dense stack sample → P(real), LeakyReLU(`alpha`) inside.

    Samples of any shape (1-D heights, 8×8 digits) are generated flat and reshaped. `data_offset` and
    `data_scale` put the networks on a standardised scale: G's last layer is followed by
    x = offset + scale·x̃ and D starts with x̃ = (x − offset)/scale, so 1-D heights in centimetres
    (150 ± 30) are learned as values near 0 ± 1 (give them the training data's mean and standard
    deviation; images in [0, 1] keep 0 and 1). `output_activation` is G's: "sigmoid" for pixels in
    [0, 1], "linear" for unbounded values. `api` says how both sub-models are built.
    """
    _check_shapes("gan", input_shape, outputs)
    if data_scale <= 0:
        raise UserError(f"gan: expected data_scale > 0. Received: data_scale={data_scale}")
    shape = tuple(int(d) for d in input_shape)

    def generator_layers():
        layers = []
        for i, units in enumerate(generator_units, start=1):
            layers += [keras.layers.Dense(units, name=f"g_dense_{i}"), keras.layers.LeakyReLU(alpha, name=f"g_act_{i}")]
        layers.append(keras.layers.Dense(outputs, activation=output_activation, name="g_out"))
        if data_offset != 0.0 or data_scale != 1.0:
            layers.append(keras.layers.Rescaling(data_scale, offset=data_offset, name="g_to_data_scale"))
        if len(shape) > 1:
            layers.append(keras.layers.Reshape(shape, name="g_reshape"))
        return layers

    def discriminator_layers():
        layers = [keras.layers.Flatten(name="d_flatten")] if len(shape) > 1 else []
        if data_offset != 0.0 or data_scale != 1.0:
            layers.append(keras.layers.Rescaling(1.0 / data_scale, offset=-data_offset / data_scale,
                                                 name="d_standardise"))
        for i, units in enumerate(discriminator_units, start=1):
            layers += [keras.layers.Dense(units, name=f"d_dense_{i}"), keras.layers.LeakyReLU(alpha, name=f"d_act_{i}")]
        layers.append(keras.layers.Dense(1, activation="sigmoid", name="d_out"))
        return layers

    generator = assemble(generator_layers, (latent_dim,), api, "generator")
    discriminator = assemble(discriminator_layers, shape, api, "discriminator")
    return _built(GAN(generator, discriminator, latent_dim=latent_dim, seed=seed, name="gan"))


def build_dcgan(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional", latent_dim: int = 32,
                generator_filters: Sequence[int] = (64, 32), discriminator_filters: Sequence[int] = (32, 64),
                kernel_size: int = 4, alpha: float = 0.2, dropout: float = 0.3, seed: int = 0) -> GAN:
    """Deep convolutional GAN (Radford et al. 2016) for H×W×C images in [0, 1], H = W.

    G: z → Dense → s×s×f₀ map → one Conv2DTranspose(f, `kernel_size`, stride 2, "same") block per
    entry of `generator_filters` (each doubles the side: output (i − 1)·2 + k − 2p, 001:2131-2159),
    batch norm and LeakyReLU between → 3×3 convolution to C channels with a sigmoid. s = H / 2^blocks,
    so (64, 32) makes 8×8 digits from 2×2 and 28×28 MNIST from 7×7. D: stride-2 3×3 convolutions
    (no pooling, as in the paper) with LeakyReLU, then dropout and one sigmoid unit.
    """
    _check_shapes("dcgan", input_shape, outputs)
    shape = tuple(int(d) for d in input_shape)
    blocks = len(generator_filters)
    if len(shape) != 3 or shape[0] != shape[1] or shape[0] % (2 ** blocks):
        raise UserError(f"dcgan: expected square images (H, H, C) with H divisible by 2^{blocks} (one halving per "
                        f"generator block). Received: input_shape={shape}")
    side = shape[0] // 2 ** blocks

    def generator_layers():
        layers = [keras.layers.Dense(side * side * generator_filters[0], name="g_project"),
                  keras.layers.LeakyReLU(alpha, name="g_project_act"),
                  keras.layers.Reshape((side, side, generator_filters[0]), name="g_reshape")]
        for i, filters in enumerate(generator_filters, start=1):
            layers += [keras.layers.Conv2DTranspose(filters, kernel_size, strides=2, padding="same",
                                                    name=f"g_upconv_{i}"),
                       keras.layers.BatchNormalization(name=f"g_bn_{i}"),
                       keras.layers.LeakyReLU(alpha, name=f"g_act_{i}")]
        layers.append(keras.layers.Conv2D(shape[2], 3, padding="same", activation="sigmoid", name="g_out"))
        return layers

    def discriminator_layers():
        layers = []
        for i, filters in enumerate(discriminator_filters, start=1):
            layers += [keras.layers.Conv2D(filters, 3, strides=2, padding="same", name=f"d_conv_{i}"),
                       keras.layers.LeakyReLU(alpha, name=f"d_act_{i}")]
        layers += [keras.layers.Flatten(name="d_flatten"), keras.layers.Dropout(dropout, seed=seed, name="d_dropout"),
                   keras.layers.Dense(1, activation="sigmoid", name="d_out")]
        return layers

    generator = assemble(generator_layers, (latent_dim,), api, "generator")
    discriminator = assemble(discriminator_layers, shape, api, "discriminator")
    return _built(GAN(generator, discriminator, latent_dim=latent_dim, seed=seed, name="dcgan"))


# --- judging samples ----------------------------------------------------------------------------------

def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two sets of feature vectors (rows):
    ‖μ_a − μ_b‖² + Tr(Σ_a + Σ_b − 2(Σ_a Σ_b)^½), the formula of the FID (Heusel et al. 2017).
    0 for identical sets; grows with a shift of the mean or a change of spread. SciPy's sqrtm gives
    the matrix square root (its tiny imaginary part from round-off is dropped)."""
    import warnings

    from scipy import linalg

    a, b = (np.asarray(x, dtype=np.float64).reshape(len(x), -1) for x in (a, b))
    if a.shape[1] != b.shape[1] or len(a) < 2 or len(b) < 2:
        raise ValueError(f"frechet_distance: expected two sets of ≥ 2 rows with the same number of features. "
                         f"Received: {a.shape} and {b.shape}")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    with warnings.catch_warnings():  # a singular product (fewer samples than features) is handled below
        warnings.simplefilter("ignore")
        root = linalg.sqrtm(cov_a @ cov_b)
        if not np.all(np.isfinite(root)):  # nudge both covariances, as the reference FID code does
            eps = 1e-6 * np.eye(len(cov_a))
            root = linalg.sqrtm((cov_a + eps) @ (cov_b + eps))
    value = float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * np.real(root)))
    return max(value, 0.0)


class DigitFeatures:
    """The hidden layer of a small digits classifier as the feature space of an FID-style score.

    The FID compares Inception-network features of real and generated images; here a one-hidden-layer
    scikit-learn MLP (64 ReLU units) fitted on real digit images plays Inception's part, so the score
    sees what distinguishes digits (strokes, shapes) rather than raw pixels. `score(real, generated)`
    is the Fréchet distance between the two sets' hidden activations.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, *, hidden: int = 64, max_iter: int = 300,
                 seed: int = 0) -> None:
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        x = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
        with warnings.catch_warnings():  # a judge need not be fully converged, only fixed and good at digits
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.classifier = MLPClassifier((hidden,), max_iter=max_iter, random_state=seed).fit(x, labels)
        self.train_accuracy = float(self.classifier.score(x, labels))

    def features(self, images: np.ndarray) -> np.ndarray:
        x = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
        return np.maximum(x @ self.classifier.coefs_[0] + self.classifier.intercepts_[0], 0.0)

    def score(self, real: np.ndarray, generated: np.ndarray) -> float:
        return frechet_distance(self.features(real), self.features(generated))


class FittedNoise:
    """Explicit baseline generator (the notes' steps 1-2, 002:258-268: find the distribution's
    parameters, then draw new samples with them): every value drawn independently from a normal
    (`distribution="normal"`, its training mean and standard deviation) or a uniform (over its training
    range), clipped to the training range. On images that is Gaussian noise that knows the average
    digit but nothing about strokes. A scikit-learn-style estimator, so the harness fits and scores it
    like any baseline: `predict(x)` returns len(x) samples in `shape` (the harness hands it flat rows)."""

    def __init__(self, distribution: str = "normal", shape: tuple[int, ...] = (), seed: int = 0) -> None:
        self.distribution, self.shape, self.seed = distribution, shape, seed

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"distribution": self.distribution, "shape": self.shape, "seed": self.seed}

    def set_params(self, **params: Any) -> FittedNoise:
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def fit(self, x: np.ndarray, y: Any = None) -> FittedNoise:
        if self.distribution not in ("normal", "uniform"):
            raise UserError(f"FittedNoise: expected distribution 'normal' or 'uniform'. "
                            f"Received: {self.distribution!r}")
        x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        self.mean_, self.std_ = x.mean(axis=0), x.std(axis=0)
        self.low_, self.high_ = x.min(axis=0), x.max(axis=0)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        size = (len(x), len(self.mean_))
        if self.distribution == "uniform":
            samples = rng.uniform(self.low_, self.high_, size=size)
        else:
            samples = np.clip(rng.normal(self.mean_, self.std_, size=size), self.low_, self.high_)
        return samples.reshape(len(x), *self.shape) if self.shape else samples


class SampleScores(keras.callbacks.Callback):
    """After every epoch: draw `n` samples from the same latent vectors (`model.generate(n, seed=...)`),
    add `score(samples)` — a {name: float} dict — to the epoch's logs (so history.csv and the learning
    curves carry it), and keep the first `shown` samples of the epochs in `keep` (plus the last) on the
    model as `model.epoch_samples` {epoch: array}, for a probe to put in the record."""

    def __init__(self, score: Callable[[np.ndarray], dict[str, float]], *, n: int = 500, shown: int = 16,
                 keep: Sequence[int] = (1, 2, 5, 10, 20, 50, 100, 200), seed: int = 1234) -> None:
        super().__init__()
        self.score, self.n, self.shown, self.keep, self.seed = score, n, shown, set(keep), seed

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.model.epoch_samples = {}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        samples = self.model.generate(self.n, seed=self.seed)
        if logs is not None:
            logs.update({k: float(v) for k, v in self.score(samples).items()})
        number = epoch + 1
        self._last = (number, samples[: self.shown])
        if number in self.keep:
            self.model.epoch_samples[number] = self._last[1]

    def on_train_end(self, logs: dict | None = None) -> None:
        if getattr(self, "_last", None) is not None:  # the final epoch, whatever it was
            self.model.epoch_samples[self._last[0]] = self._last[1]


def normal_fit_scores(samples: np.ndarray, mean: float, sd: float, *, bins: int = 40) -> dict[str, float]:
    """How far 1-D samples are from N(mean, sd), by the measures 002:277-292 lists.

    `ks`: the one-sample Kolmogorov-Smirnov statistic against the N(mean, sd) CDF (largest gap between
    the CDFs; SciPy's `kstest`) and its p-value `ks_p`; `kl` and `js`: Kullback-Leibler KL(N ‖ samples)
    and Jensen-Shannon divergence (natural log, so JS ≤ ln 2) between the normal's probability mass
    and the samples' share in `bins` equal bins over mean ± 4 sd (outside values join the end bins;
    empty sample bins get one pseudo-count in 1e4 so KL stays finite). Also the samples' mean and sd.
    """
    from scipy import stats
    from scipy.spatial.distance import jensenshannon

    x = np.asarray(samples, dtype=np.float64).ravel()
    test = stats.kstest(x, "norm", args=(mean, sd))
    edges = np.linspace(mean - 4 * sd, mean + 4 * sd, bins + 1)
    p = np.diff(stats.norm.cdf(edges, mean, sd))
    p[0] += stats.norm.cdf(edges[0], mean, sd)
    p[-1] += stats.norm.sf(edges[-1], mean, sd)
    q = np.bincount(np.clip(np.searchsorted(edges, x, side="right") - 1, 0, bins - 1), minlength=bins) / len(x)
    q = (q + 1e-4) / (1 + bins * 1e-4)
    return {"ks": float(test.statistic), "ks_p": float(test.pvalue), "kl": float(stats.entropy(p, q)),
            "js": float(jensenshannon(p, q) ** 2), "sample_mean": float(x.mean()), "sample_sd": float(x.std())}
