"""Layers, a regularizer and closed forms that the autoencoder family needs and Keras 3 does not ship.

- :class:`Sampling` — the VAE's reparameterization z = μ + σ·ε, ε ~ N(0, I) (notes 001:3678-3758).
- :class:`SaltAndPepperNoise` and :class:`MaskingNoise` — corruptions of a denoising autoencoder's
  input (001:3594-3630: "Gaussian noise or salt-and-pepper noise"; masking is the imputation case).
  Keras has `GaussianNoise` (used as is) but neither of these; like it, both are the identity unless
  `training=True`, so a trained model denoises clean or noisy inputs with the same weights.
- :class:`KLSparsity` — the sparse autoencoder's KL-divergence penalty toward a target activation ρ.
- :func:`gaussian_kl` — KL(N(μ, σ²) ‖ N(0, I)) in closed form, the VAE's second loss term.

Everything is registered as serializable so a `model.keras` holding it loads back.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["KLSparsity", "MaskingNoise", "SaltAndPepperNoise", "Sampling", "gaussian_kl"]


def gaussian_kl(mean, log_var):
    """Per sample: KL(N(μ, diag σ²) ‖ N(0, I)) = −½ Σⱼ (1 + log σⱼ² − μⱼ² − σⱼ²), in nats."""
    return -0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)


@keras.saving.register_keras_serializable(package="kerasdl")
class Sampling(keras.layers.Layer):
    """z = μ + exp(½·log σ²)·ε with ε ~ N(0, I): a sample that stays differentiable in μ and log σ².

    The notes' sampler (001:3735-3745) takes log σ and uses exp(log σ); this layer takes log σ², as
    keras-io's VAE does — the same distribution, since exp(½·log σ²) = σ. Sampling happens in
    training and at inference alike (the notes: "the actual encoding will somewhat vary on every
    single pass"); a deterministic reconstruction decodes μ instead (VariationalAutoencoder.call).
    """

    def __init__(self, seed: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape=None):
        self.built = True  # no weights: the noise comes from the seed generator

    def call(self, inputs):
        mean, log_var = inputs
        epsilon = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * epsilon

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class _TrainingNoise(keras.layers.Layer):
    """A weightless corruption applied only when `training=True` (the identity otherwise)."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"{type(self).__name__}: expected 0 <= rate < 1. Received: rate={rate}")
        self.rate, self.seed = float(rate), seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return self.corrupt(inputs)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="kerasdl")
class SaltAndPepperNoise(_TrainingNoise):
    """Each value, with probability `rate`, is replaced by 0 (pepper) or 1 (salt), half each."""

    def corrupt(self, inputs):
        hit = keras.random.uniform(ops.shape(inputs), seed=self.seed_generator) < self.rate
        salt = keras.random.uniform(ops.shape(inputs), seed=self.seed_generator) < 0.5
        return ops.where(hit, ops.cast(salt, inputs.dtype), inputs)


@keras.saving.register_keras_serializable(package="kerasdl")
class MaskingNoise(_TrainingNoise):
    """Each value, with probability `rate`, is set to 0 (a missing pixel). Unlike `Dropout` the kept
    values are not rescaled by 1/(1 − rate): the model must learn to fill holes, not undo a scale."""

    def corrupt(self, inputs):
        keep = keras.random.uniform(ops.shape(inputs), seed=self.seed_generator) >= self.rate
        return inputs * ops.cast(keep, inputs.dtype)


@keras.saving.register_keras_serializable(package="kerasdl")
class KLSparsity(keras.regularizers.Regularizer):
    """β·Σⱼ KL(ρ ‖ ρ̂ⱼ), ρ̂ⱼ = the batch's mean activation of code unit j (must lie in (0, 1): sigmoid).

    KL(ρ‖ρ̂) = ρ log(ρ/ρ̂) + (1 − ρ) log((1 − ρ)/(1 − ρ̂)) (Ng's sparse-autoencoder notes): it is 0 when
    unit j is active on a share ρ of the inputs and grows as ρ̂ moves away. Keras 3 divides an
    activity regularizer's value by the batch size (layer.py); the penalty is a property of the
    whole batch, not a sum over samples, so it is multiplied back here and the loss carries exactly
    β·Σⱼ KL(ρ ‖ ρ̂ⱼ).
    """

    def __init__(self, rho: float = 0.05, beta: float = 1.0) -> None:
        if not 0.0 < float(rho) < 1.0:
            raise ValueError(f"KLSparsity: expected 0 < rho < 1. Received: rho={rho}")
        self.rho, self.beta = float(rho), float(beta)

    def penalty(self, activations):
        """β·Σⱼ KL(ρ ‖ ρ̂ⱼ) of one batch of code activations (what the loss gets)."""
        rho_hat = ops.clip(ops.mean(activations, axis=0), 1e-7, 1.0 - 1e-7)
        rho = self.rho
        kl = rho * ops.log(rho / rho_hat) + (1.0 - rho) * ops.log((1.0 - rho) / (1.0 - rho_hat))
        return self.beta * ops.sum(kl)

    def __call__(self, activations):
        batch = ops.cast(ops.shape(activations)[0], activations.dtype)
        return self.penalty(activations) * batch  # Keras divides by the batch size again

    def get_config(self):
        return {"rho": self.rho, "beta": self.beta}
