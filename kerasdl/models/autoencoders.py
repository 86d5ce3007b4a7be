"""Autoencoder builders (CATALOG.md §1 "Autoencoders and generative models", notes 001:3189-3758).

Every model here is an encoder f and a decoder g composed as g(f(x)); both are kept as the model's
`encoder` and `decoder` attributes (sub-models), so a study can read the code h = f(x) or decode a
code of its own. Inputs are flat vectors (d,) or images (h, w, c); a dense model flattens an image
and reshapes its output back, so `outputs` is the number of output units of a flat target and the
number of channels of an image target (what the `reconstruction` task passes).

- `autoencoder`: the notes' undercomplete 784-32-784 and stacked 784-128-32-128-784 (001:3287-3451);
  with a code larger than the input it is the overcomplete configuration the notes warn about.
- `linear_autoencoder`: no nonlinearity anywhere; with MSE it spans PCA's subspace (001:3439).
- `sparse_autoencoder`: the notes' L1 activity penalty on the code (001:3464-3556) or KL sparsity.
- `denoising_autoencoder`: dense, or the notes' convolutional DAE (001:3594-3614); the input is
  corrupted (Gaussian, salt-and-pepper, masking) in training only.
- `contractive_autoencoder`: reconstruction + λ‖∂h/∂x‖²_F, the Jacobian taken by a gradient tape.
- `stochastic_autoencoder`: p_encoder(h|x) = N(f(x), σ²) and p_decoder(x|h) Gaussian, Bernoulli or
  categorical, trained on −log p_decoder(x|h) (001:3633-3674).
- `vae`: μ and log σ² from the encoder, z = μ + σε, loss = reconstruction + KL (001:3678-3758).

The last three own their loss (`train_step`), so they are `keras.Model` subclasses that rebuild
their encoder and decoder from their config: the harness's model save and load work unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from kerasdl.errors import UserError
from kerasdl.models._assemble import assemble, check_choice
from kerasdl.models._autoencoder_layers import KLSparsity, MaskingNoise, SaltAndPepperNoise, Sampling, gaussian_kl

__all__ = ["CORRUPTIONS", "DISTRIBUTIONS", "ContractiveAutoencoder", "StochasticAutoencoder",
           "VariationalAutoencoder", "build_autoencoder", "build_contractive_autoencoder",
           "build_denoising_autoencoder", "build_linear_autoencoder", "build_sparse_autoencoder",
           "build_stochastic_autoencoder", "build_vae"]

CORRUPTIONS = ("gaussian", "salt_and_pepper", "masking", None)
DISTRIBUTIONS = ("gaussian", "bernoulli", "categorical")


# -- shapes and the dense halves ------------------------------------------------------------------

def _check_shape(name: str, input_shape: tuple[int, ...]) -> None:
    if len(input_shape) not in (1, 3):
        raise UserError(f"{name} expects flat vectors (d,) or images (height, width, channels). "
                        f"Received: input_shape={input_shape}")


def _output_shape(input_shape: tuple[int, ...], outputs: int) -> tuple[int, ...]:
    """The reconstruction's shape: `outputs` units for flat data, `outputs` channels for images (the
    reconstruction task), or the image's own shape when `outputs` counts all its values (the
    generation task passes the number of features)."""
    if len(input_shape) == 1:
        return (outputs,)
    if outputs == math.prod(input_shape) and outputs != input_shape[-1]:
        return tuple(input_shape)
    return (*input_shape[:-1], outputs)


def _corruption(kind: str | None, noise: float) -> list[keras.layers.Layer]:
    """The training-only corruption layer of a denoising autoencoder (nothing when noise is 0)."""
    check_choice("corruption", kind, CORRUPTIONS)
    if kind is None or not noise:
        return []
    if kind == "gaussian":
        return [keras.layers.GaussianNoise(noise, name="corrupt_gaussian")]  # stddev = noise
    layer = SaltAndPepperNoise if kind == "salt_and_pepper" else MaskingNoise
    if not 0 < noise < 1:
        raise UserError(f"Expected 0 < noise < 1 for corruption={kind!r} (a share of pixels). Received: {noise}")
    return [layer(noise, name=f"corrupt_{kind}")]


def _dense_encoder(input_shape, hidden: Sequence[int], code_size: int, activation: str, code_activation: str,
                   code_regularizer=None, first: Sequence[keras.layers.Layer] = ()) -> list[keras.layers.Layer]:
    out = list(first)
    if len(input_shape) > 1:
        out.append(keras.layers.Flatten(name="flatten"))
    out += [keras.layers.Dense(int(u), activation=activation, name=f"encode_{i}") for i, u in enumerate(hidden, 1)]
    out.append(keras.layers.Dense(code_size, activation=code_activation, activity_regularizer=code_regularizer,
                                  name="code"))
    return out


def _dense_decoder(shape_out, hidden: Sequence[int], activation: str, output_activation: str,
                   units: int | None = None) -> list[keras.layers.Layer]:
    """The mirror image of the encoder (001:3231 "typically the case"), then the output layer."""
    out = [keras.layers.Dense(int(u), activation=activation, name=f"decode_{i}")
           for i, u in enumerate(reversed(list(hidden)), 1)]
    out.append(keras.layers.Dense(units or math.prod(shape_out), activation=output_activation, name="reconstruction"))
    if len(shape_out) > 1 and units is None:
        out.append(keras.layers.Reshape(tuple(shape_out), name="image"))
    return out


def _compose(name: str, api: str, input_shape, code_shape, encoder_layers, decoder_layers) -> keras.Model:
    """Encoder and decoder as sub-models, composed as decoder(encoder(x)) in either API."""
    encoder = assemble(lambda: encoder_layers, input_shape, api, f"{name}_encoder")
    decoder = assemble(lambda: decoder_layers, tuple(code_shape), api, f"{name}_decoder")
    if api == "sequential":
        model = keras.Sequential([keras.Input(shape=input_shape), encoder, decoder], name=name)
    else:
        inputs = keras.Input(shape=input_shape)
        model = keras.Model(inputs, decoder(encoder(inputs)), name=name)
    model.encoder, model.decoder = encoder, decoder
    return model


def _dense_autoencoder(name, input_shape, outputs, api, *, hidden, code_size, activation, code_activation,
                       output_activation, code_regularizer=None, first=()) -> keras.Model:
    _check_shape(name, input_shape)
    shape_out = _output_shape(input_shape, outputs)
    return _compose(name, api, input_shape, (code_size,),
                    _dense_encoder(input_shape, hidden, code_size, activation, code_activation,
                                   code_regularizer, first),
                    _dense_decoder(shape_out, hidden, activation, output_activation or "sigmoid"))


# -- deterministic builders -----------------------------------------------------------------------

def build_autoencoder(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional",
                      hidden: Sequence[int] = (), code_size: int = 32, activation: str = "relu",
                      code_activation: str = "relu", output_activation: str | None = None) -> keras.Model:
    """Dense autoencoder x → [hidden…] → code → [reversed hidden…] → x̂ (001:3287-3451).

    Defaults are the notes' first model: 784 → 32 (ReLU) → 784 (sigmoid), trained with binary
    cross-entropy; hidden=(128,) is their stacked 784-128-32-128-784. A `code_size` larger than
    the input is the overcomplete configuration, which can learn to copy (001:3420-3428).
    """
    return _dense_autoencoder("autoencoder", input_shape, outputs, api, hidden=hidden, code_size=code_size,
                              activation=activation, code_activation=code_activation,
                              output_activation=output_activation)


def build_linear_autoencoder(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional",
                             code_size: int = 8, output_activation: str | None = "linear") -> keras.Model:
    """x → W₁x + b₁ → W₂h + b₂: no activation anywhere. Trained with MSE its decoder's columns span
    the top principal subspace (Baldi & Hornik 1989; notes 001:3439), though not PCA's orthonormal
    basis. Keep output_activation="linear" (the reconstruction task's default would be a sigmoid)."""
    return _dense_autoencoder("linear_autoencoder", input_shape, outputs, api, hidden=(), code_size=code_size,
                              activation="linear", code_activation="linear",
                              output_activation=output_activation or "linear")


def build_sparse_autoencoder(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional",
                             hidden: Sequence[int] = (), code_size: int = 64, sparsity: str = "l1",
                             l1: float = 1e-4, rho: float = 0.05, beta: float = 1.0, activation: str = "relu",
                             code_activation: str | None = None,
                             output_activation: str | None = None) -> keras.Model:
    """An autoencoder whose code pays a sparsity penalty (001:3464-3556).

    sparsity="l1": the notes' `activity_regularizer=regularizers.l1(10e-5)` on the code — λ·Σᵢ|aᵢ|
    per sample, λ = 10e-5 = 1e-4 (CATALOG §6: an activity penalty, not a weight penalty); code
    ReLU. sparsity="kl": β·Σⱼ KL(ρ ‖ ρ̂ⱼ) on the batch-mean activation ρ̂ⱼ; code sigmoid.
    """
    check_choice("sparsity", sparsity, ("l1", "kl"))
    regularizer = keras.regularizers.L1(l1) if sparsity == "l1" else KLSparsity(rho, beta)
    code_activation = code_activation or ("relu" if sparsity == "l1" else "sigmoid")
    return _dense_autoencoder("sparse_autoencoder", input_shape, outputs, api, hidden=hidden,
                              code_size=code_size, activation=activation, code_activation=code_activation,
                              output_activation=output_activation, code_regularizer=regularizer)


def build_denoising_autoencoder(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional",
                                conv: bool = False, hidden: Sequence[int] = (), code_size: int = 32,
                                filters: int = 32, corruption: str | None = "gaussian", noise: float = 0.3,
                                activation: str = "relu", output_activation: str | None = None) -> keras.Model:
    """Reconstructs the clean input from a corrupted one (001:3560-3630).

    The corruption is the encoder's first layer and acts only when `training=True`: Gaussian
    (stddev `noise`), salt-and-pepper or masking (a share `noise` of the pixels). conv=True is the
    notes' convolutional DAE: [Conv 3×3 ×filters → MaxPool 2] ×2 | [Conv → UpSampling 2] ×2 →
    Conv 3×3 sigmoid, all "same" padding (28×28 → 7×7×32 code → 28×28; 8×8 → 2×2×32 → 8×8).
    """
    first = _corruption(corruption, noise)
    if not conv:
        return _dense_autoencoder("denoising_autoencoder", input_shape, outputs, api, hidden=hidden,
                                  code_size=code_size, activation=activation, code_activation=activation,
                                  output_activation=output_activation, first=first)
    if len(input_shape) != 3 or input_shape[0] % 4 or input_shape[1] % 4:
        raise UserError("denoising_autoencoder(conv=True) expects images whose height and width are multiples "
                        f"of 4 (two 2×2 poolings and two upsamplings). Received: input_shape={input_shape}")

    def conv(name):
        return keras.layers.Conv2D(filters, 3, activation=activation, padding="same", name=name)

    encoder = [*first, conv("conv1_1"), keras.layers.MaxPooling2D(2, padding="same", name="pool1"),
               conv("conv1_2"), keras.layers.MaxPooling2D(2, padding="same", name="code")]
    decoder = [conv("conv2_1"), keras.layers.UpSampling2D(2, name="up1"), conv("conv2_2"),
               keras.layers.UpSampling2D(2, name="up2"),
               keras.layers.Conv2D(outputs, 3, activation=output_activation or "sigmoid", padding="same",
                                   name="reconstruction")]
    code_shape = (input_shape[0] // 4, input_shape[1] // 4, filters)
    return _compose("conv_denoising_autoencoder", api, input_shape, code_shape, encoder, decoder)


# -- autoencoders that own their loss ---------------------------------------------------------------

class _SelfLossAutoencoder(keras.Model):
    """Base for autoencoders whose loss is more than the compiled one: `loss_terms(x, y, training)`
    returns {"loss": total, term: value, ...}; train_step and test_step log every term by name
    (so `val_loss` exists for early stopping). `config` holds the builder's arguments and is the
    model's whole config: `from_config` rebuilds the same encoder and decoder, weights load after."""

    TERMS: tuple[str, ...] = ("loss",)

    def __init__(self, *, config: dict, **kwargs) -> None:
        super().__init__(**kwargs)
        self.config = dict(config)
        self.trackers = [keras.metrics.Mean(name=term) for term in self.TERMS]

    @property
    def metrics(self):
        return list(self.trackers)

    def get_config(self):
        return {**super().get_config(), "config": self.config}

    def _record(self, terms) -> dict:
        for tracker in self.trackers:
            tracker.update_state(terms[tracker.name])
        return {tracker.name: tracker.result() for tracker in self.trackers}

    @staticmethod
    def _xy(data):
        if isinstance(data, (tuple, list)):
            x, y = data[0], (data[1] if len(data) > 1 else None)
        else:
            x, y = data, None
        return x, (x if y is None else y)  # unsupervised use (generation task): the target is the input

    def train_step(self, data):
        import tensorflow as tf  # the gradient tape (TensorFlow backend)

        x, y = self._xy(data)
        with tf.GradientTape() as tape:
            terms = self.loss_terms(x, y, training=True)
        gradients = tape.gradient(terms["loss"], self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        return self._record(terms)

    def test_step(self, data):
        x, y = self._xy(data)
        return self._record(self.loss_terms(x, y, training=False))


@keras.saving.register_keras_serializable(package="kerasdl")
class ContractiveAutoencoder(_SelfLossAutoencoder):
    """Loss = the compiled reconstruction loss + λ·mean over the batch of ‖∂h/∂x‖²_F.

    The Frobenius norm of the encoder's Jacobian at each input is taken exactly with a gradient
    tape (`batch_jacobian`), for any encoder depth; the outer tape differentiates through it. A
    small norm means the code barely moves when the input moves: the encoder contracts the space
    around the training data (Rifai et al. 2011; named in the syllabus, no text in the notes).
    """

    TERMS = ("loss", "reconstruction_loss", "contraction")

    def __init__(self, *, config: dict, **kwargs) -> None:
        super().__init__(config=config, **kwargs)
        c = self.config
        shape_in, shape_out = tuple(c["input_shape"]), _output_shape(tuple(c["input_shape"]), c["outputs"])
        self.encoder = assemble(lambda: _dense_encoder(shape_in, c["hidden"], c["code_size"], c["activation"],
                                                       c["code_activation"]), shape_in, "functional", "encoder")
        self.decoder = assemble(lambda: _dense_decoder(shape_out, c["hidden"], c["activation"],
                                                       c["output_activation"]), (c["code_size"],),
                                "functional", "decoder")
        self.contraction_weight = float(c["contraction"])

    def call(self, x, training=False):
        return self.decoder(self.encoder(x, training=training), training=training)

    def jacobian_norm(self, x, training=False):
        """‖∂h/∂x‖²_F per sample (shape (batch,)): the squared Jacobian entries summed."""
        import tensorflow as tf

        x = tf.convert_to_tensor(x, dtype="float32")
        with tf.GradientTape() as tape:
            tape.watch(x)
            code = self.encoder(x, training=training)
        jacobian = tape.batch_jacobian(code, x)  # (batch, code, *input)
        return ops.sum(ops.reshape(ops.square(jacobian), (ops.shape(jacobian)[0], -1)), axis=1)

    def loss_terms(self, x, y, training):
        y_pred = self(x, training=training)
        reconstruction = self.compute_loss(x=x, y=y, y_pred=y_pred, training=training)
        contraction = ops.mean(self.jacobian_norm(x, training=training))
        return {"loss": reconstruction + self.contraction_weight * contraction,
                "reconstruction_loss": reconstruction, "contraction": contraction}


def build_contractive_autoencoder(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional",
                                  hidden: Sequence[int] = (), code_size: int = 32, contraction: float = 0.1,
                                  activation: str = "sigmoid", code_activation: str = "sigmoid",
                                  output_activation: str | None = None) -> ContractiveAutoencoder:
    """A dense autoencoder trained on reconstruction + `contraction`·‖∂h/∂x‖²_F (λ = contraction).

    Sigmoid code units as in Rifai et al.: for one sigmoid layer the norm is
    Σⱼ (hⱼ(1 − hⱼ))² Σᵢ Wᵢⱼ², which the tests check against the tape and finite differences."""
    _check_shape("contractive_autoencoder", input_shape)
    if contraction < 0:
        raise UserError(f"Expected contraction >= 0. Received: contraction={contraction}")
    config = {"input_shape": list(input_shape), "outputs": int(outputs), "hidden": [int(u) for u in hidden],
              "code_size": int(code_size), "contraction": float(contraction), "activation": activation,
              "code_activation": code_activation, "output_activation": output_activation or "sigmoid"}
    model = ContractiveAutoencoder(config=config, name="contractive_autoencoder")
    model.build((None, *input_shape))
    return model


@keras.saving.register_keras_serializable(package="kerasdl")
class StochasticAutoencoder(_SelfLossAutoencoder):
    """p_encoder(h|x) = N(f(x), σ_h²·I) and p_decoder(x|h) of a chosen family, trained on
    −log p_decoder(x|h) per sample, summed over pixels, in nats (001:3633-3674):

    - "gaussian": the decoder outputs the mean μ (linear units in the notes; any activation here);
      −log p = Σ (x − μ)²/(2σ²) + d·log(σ√(2π)) — mean squared error up to scale and a constant;
    - "bernoulli": the decoder outputs logits; −log p = Σ binary cross-entropy(x, sigmoid(logit));
    - "categorical": each pixel quantized to `levels` intensities k = round(x·(levels − 1)); the
      decoder outputs levels logits per pixel; −log p = Σ cross-entropy(k, softmax(logits)).

    The output variables are conditionally independent given h, as the notes say. `call` returns
    the decoder distribution's mean for the deterministic code f(x) (what the reconstruction task
    scores); `sample` draws h and then x from the two distributions.
    """

    TERMS = ("loss",)

    def __init__(self, *, config: dict, **kwargs) -> None:
        super().__init__(config=config, **kwargs)
        c = self.config
        self.distribution = c["decoder_distribution"]
        self.shape_in = tuple(c["input_shape"])
        self.shape_out = _output_shape(self.shape_in, c["outputs"])
        self.pixels = math.prod(self.shape_out)
        self.levels = int(c["levels"]) if self.distribution == "categorical" else 1
        self.encoder = self._make_encoder()
        self.decoder = self._make_decoder()
        self.seed_generator = keras.random.SeedGenerator(c.get("seed"))

    # the two halves: a dense or convolutional body, then the distribution's parameters
    def _body(self) -> list[keras.layers.Layer]:
        c = self.config
        if not c.get("conv"):
            return ([keras.layers.Flatten(name="flatten")] if len(self.shape_in) > 1 else []) + [
                keras.layers.Dense(int(u), activation=c["activation"], name=f"encode_{i}")
                for i, u in enumerate(c["hidden"], 1)]
        return [keras.layers.Conv2D(32, 3, strides=2, padding="same", activation=c["activation"], name="conv_1"),
                keras.layers.Conv2D(64, 3, strides=2, padding="same", activation=c["activation"], name="conv_2"),
                keras.layers.Flatten(name="flatten"),
                *[keras.layers.Dense(int(u), activation=c["activation"], name=f"encode_{i}")
                  for i, u in enumerate(c["hidden"], 1)]]

    def _make_encoder(self) -> keras.Model:
        c = self.config
        layers = [*self._body(), keras.layers.Dense(c["code_size"], name="code")]
        if c["encoder_noise"]:  # h ~ N(f(x), σ_h²): sampled in training, the mean f(x) otherwise
            layers.append(keras.layers.GaussianNoise(c["encoder_noise"], name="code_sample"))
        return assemble(lambda: layers, self.shape_in, "functional", "encoder")

    def _decoder_trunk(self) -> list[keras.layers.Layer]:
        c = self.config
        dense = [keras.layers.Dense(int(u), activation=c["activation"], name=f"decode_{i}")
                 for i, u in enumerate(reversed(c["hidden"]), 1)]
        if not c.get("conv"):
            return dense
        h, w = self.shape_in[0] // 4, self.shape_in[1] // 4
        return [*dense, keras.layers.Dense(h * w * 64, activation=c["activation"], name="seed"),
                keras.layers.Reshape((h, w, 64), name="seed_grid"),
                keras.layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation=c["activation"],
                                             name="upconv_1"),
                keras.layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation=c["activation"],
                                             name="upconv_2"),
                keras.layers.Conv2D(self.shape_out[-1] * self.levels, 3, padding="same", name="pixel_logits"),
                keras.layers.Flatten(name="flatten_pixels")]

    def _make_decoder(self) -> keras.Model:
        c = self.config
        head = [] if c.get("conv") else [keras.layers.Dense(
            self.pixels * self.levels, activation=c["output_activation"] if self.distribution == "gaussian" else None,
            name="distribution")]
        if self.distribution == "gaussian" and c.get("conv"):
            head = [keras.layers.Activation(c["output_activation"], name="mean")]
        if self.distribution == "categorical":
            head.append(keras.layers.Reshape((self.pixels, self.levels), name="level_logits"))
        return assemble(lambda: [*self._decoder_trunk(), *head], (c["code_size"],), "functional", "decoder")

    # the distribution
    def mean(self, parameters):
        """E[x | h] in the target's shape: μ, sigmoid(logit), or Σₖ softmaxₖ·k/(levels − 1)."""
        if self.distribution == "bernoulli":
            parameters = ops.sigmoid(parameters)
        elif self.distribution == "categorical":
            values = ops.linspace(0.0, 1.0, self.levels)
            parameters = ops.sum(ops.softmax(parameters, axis=-1) * values, axis=-1)
        return ops.reshape(parameters, (-1, *self.shape_out))

    def negative_log_likelihood(self, x, parameters):
        """−log p_decoder(x | h) per sample, in nats."""
        x = ops.reshape(ops.cast(x, "float32"), (-1, self.pixels))
        if self.distribution == "gaussian":
            sigma = float(self.config["sigma"])
            return (ops.sum(ops.square(x - parameters), axis=-1) / (2 * sigma ** 2)
                    + self.pixels * math.log(sigma * math.sqrt(2 * math.pi)))
        if self.distribution == "bernoulli":
            # softplus(l) − x·l is −[x log σ(l) + (1 − x) log(1 − σ(l))], stable for any logit
            return ops.sum(ops.softplus(parameters) - x * parameters, axis=-1)
        levels = ops.cast(ops.round(x * (self.levels - 1)), "int32")
        log_p = ops.log_softmax(parameters, axis=-1)
        return -ops.sum(ops.take_along_axis(log_p, levels[..., None], axis=-1)[..., 0], axis=-1)

    def call(self, x, training=False):
        return self.mean(self.decoder(self.encoder(x, training=False), training=training))

    def loss_terms(self, x, y, training):
        parameters = self.decoder(self.encoder(x, training=training), training=training)
        return {"loss": ops.mean(self.negative_log_likelihood(y, parameters))}

    def draw(self, parameters):
        """One x ~ p_decoder(x | parameters), in the target's shape."""
        if self.distribution == "gaussian":
            noise = keras.random.normal(ops.shape(parameters), seed=self.seed_generator)
            return ops.reshape(parameters + float(self.config["sigma"]) * noise, (-1, *self.shape_out))
        if self.distribution == "bernoulli":
            u = keras.random.uniform(ops.shape(parameters), seed=self.seed_generator)
            return ops.reshape(ops.cast(u < ops.sigmoid(parameters), "float32"), (-1, *self.shape_out))
        flat = ops.reshape(parameters, (-1, self.levels))
        k = keras.random.categorical(flat, 1, seed=self.seed_generator)
        return ops.reshape(ops.cast(k, "float32") / (self.levels - 1), (-1, *self.shape_out))

    def sample(self, x):
        """h ~ p_encoder(h|x), then x̃ ~ p_decoder(x|h): the fully stochastic pass, as NumPy."""
        return np.asarray(self.draw(self.decoder(self.encoder(x, training=True))))


def _stochastic_config(input_shape, outputs, *, hidden, code_size, decoder_distribution, levels, sigma,
                       encoder_noise, conv, activation, output_activation, seed, name) -> dict:
    _check_shape(name, input_shape)
    check_choice("decoder_distribution", decoder_distribution, DISTRIBUTIONS)
    if conv and (len(input_shape) != 3 or input_shape[0] % 4 or input_shape[1] % 4):
        raise UserError(f"{name}(conv=True) expects images whose height and width are multiples of 4. "
                        f"Received: input_shape={input_shape}")
    if decoder_distribution == "categorical" and levels < 2:
        raise UserError(f"Expected levels >= 2 for a categorical decoder. Received: levels={levels}")
    if sigma <= 0 or encoder_noise < 0:
        raise UserError(f"Expected sigma > 0 and encoder_noise >= 0. Received: sigma={sigma}, "
                        f"encoder_noise={encoder_noise}")
    return {"input_shape": list(input_shape), "outputs": int(outputs), "hidden": [int(u) for u in hidden],
            "code_size": int(code_size), "decoder_distribution": decoder_distribution, "levels": int(levels),
            "sigma": float(sigma), "encoder_noise": float(encoder_noise), "conv": bool(conv),
            "activation": activation, "output_activation": output_activation or "sigmoid", "seed": seed}


def build_stochastic_autoencoder(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional",
                                 hidden: Sequence[int] = (64,), code_size: int = 16,
                                 decoder_distribution: str = "bernoulli", levels: int = 4, sigma: float = 0.1,
                                 encoder_noise: float = 0.1, conv: bool = False, activation: str = "relu",
                                 output_activation: str | None = None,
                                 seed: int | None = None) -> StochasticAutoencoder:
    """A stochastic encoder N(f(x), encoder_noise²) and a decoder distribution (see the class).

    `output_activation` is the Gaussian mean's activation (the task's sigmoid keeps it in the
    pixels' [0, 1]; "linear" is the notes' choice); Bernoulli and categorical fix their own."""
    config = _stochastic_config(input_shape, outputs, hidden=hidden, code_size=code_size,
                                decoder_distribution=decoder_distribution, levels=levels, sigma=sigma,
                                encoder_noise=encoder_noise, conv=conv, activation=activation,
                                output_activation=output_activation, seed=seed, name="stochastic_autoencoder")
    model = StochasticAutoencoder(config=config, name=f"stochastic_autoencoder_{decoder_distribution}")
    model.build((None, *input_shape))
    return model


@keras.saving.register_keras_serializable(package="kerasdl")
class VariationalAutoencoder(StochasticAutoencoder):
    """The VAE (001:3678-3758): the encoder outputs μ and log σ² (the notes use log σ, the same
    model), `Sampling` draws z = μ + σ·ε, the decoder gives p(x|z); the loss is the negative ELBO,
    reconstruction −log p(x|z) + β·KL(q(z|x) ‖ N(0, I)), both terms logged by name. `generate(n)`
    decodes z ~ N(0, I): an explicit generative model, whose ELBO bounds log p(x) from below."""

    TERMS = ("loss", "reconstruction_loss", "kl_loss")

    def __init__(self, *, config: dict, **kwargs) -> None:
        super().__init__(config=config, **kwargs)
        self.sampling = Sampling(seed=config.get("seed"), name="sampling")
        self.sampling.build()
        self.beta = float(config["beta"])

    def _make_encoder(self) -> keras.Model:
        c = self.config
        inputs = keras.Input(shape=self.shape_in)
        h = inputs
        for layer in self._body():
            h = layer(h)
        mean = keras.layers.Dense(c["code_size"], name="z_mean")(h)
        log_var = keras.layers.Dense(c["code_size"], name="z_log_var")(h)
        return keras.Model(inputs, [mean, log_var], name="encoder")

    def encode(self, x):
        """(μ, log σ²) of q(z|x), as NumPy."""
        mean, log_var = self.encoder(x, training=False)
        return np.asarray(mean), np.asarray(log_var)

    def decode(self, z):
        """E[x | z] for codes z, as NumPy images."""
        return np.asarray(self.mean(self.decoder(ops.convert_to_tensor(z, "float32"), training=False)))

    def call(self, x, training=False):
        mean, _ = self.encoder(x, training=training)
        return self.mean(self.decoder(mean, training=training))

    def loss_terms(self, x, y, training):
        mean, log_var = self.encoder(x, training=training)
        z = self.sampling([mean, log_var])
        reconstruction = ops.mean(self.negative_log_likelihood(y, self.decoder(z, training=training)))
        kl = ops.mean(gaussian_kl(mean, log_var))
        return {"loss": reconstruction + self.beta * kl, "reconstruction_loss": reconstruction, "kl_loss": kl}

    def generate(self, n: int):
        """n new samples: E[x | z] for z ~ N(0, I) (the decoder's mean, as the keras-io VAE shows)."""
        z = keras.random.normal((int(n), self.config["code_size"]), seed=self.seed_generator)
        return self.decode(z)


def build_vae(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional",
              hidden: Sequence[int] = (128,), latent_size: int = 2, beta: float = 1.0,
              decoder_distribution: str = "bernoulli", levels: int = 4, sigma: float = 0.1, conv: bool = False,
              activation: str = "relu", output_activation: str | None = None,
              seed: int | None = None) -> VariationalAutoencoder:
    """A variational autoencoder, dense or (conv=True) convolutional: two stride-2 convolutions
    (32, 64 filters) down, two transposed convolutions up. latent_size=2 lets a study draw the
    latent space; the notes' example uses 5 (001:3721)."""
    if beta < 0:
        raise UserError(f"Expected beta >= 0. Received: beta={beta}")
    config = _stochastic_config(input_shape, outputs, hidden=hidden, code_size=latent_size,
                                decoder_distribution=decoder_distribution, levels=levels, sigma=sigma,
                                encoder_noise=0.0, conv=conv, activation=activation,
                                output_activation=output_activation, seed=seed, name="vae")
    config["beta"] = float(beta)
    model = VariationalAutoencoder(config=config, name="conv_vae" if conv else "vae")
    model.build((None, *input_shape))
    return model
