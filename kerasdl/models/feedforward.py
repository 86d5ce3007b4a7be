"""Feedforward builders (CATALOG.md §1 "Feedforward"): perceptron, MLP, stack of linear layers.

Also home of two NumPy references the Keras models are checked against: the perceptron learning
rule (notes 004:252-338) and the collapse of a linear stack into one matrix (001:1504, 003:149-163).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from kerasdl.errors import UserError
from kerasdl.layers import HardThreshold
from kerasdl.models._assemble import activation_layer, assemble, weight_regularizer

__all__ = ["build_mlp", "build_perceptron", "PlusLinear", "build_linear_stack", "collapse_linear_stack",
           "perceptron_learning_rule", "perceptron_predict", "default_output_activation", "PerceptronRule",
           "perceptron_rule"]


def default_output_activation(outputs: int) -> str:
    """Sigmoid for one output unit (binary), softmax for several (one unit per class)."""
    return "sigmoid" if outputs == 1 else "softmax"


def _widths(units: int | Sequence[int], depth: int | None) -> list[int]:
    """One width per hidden layer: a list as given, or one int repeated `depth` times."""
    if isinstance(units, int):
        return [units] * (depth if depth is not None else 1)
    if depth is not None:
        raise ValueError("Expected either units as a list or units as an int with depth. "
                         f"Received: units={list(units)}, depth={depth}")
    return [int(u) for u in units]


def _flatten_if_image(input_shape: tuple[int, ...]) -> list[keras.layers.Layer]:
    return [keras.layers.Flatten(name="flatten")] if len(input_shape) > 1 else []


def _input_regularizers(noise: float, shift: float, rotation: float) -> list[keras.layers.Layer]:
    """Training-only input perturbations: augmentation (images), then additive Gaussian noise.

    None of these layers has weights, and all are the identity at inference, so a model with them
    predicts exactly like the same model without them once trained.
    """
    out: list[keras.layers.Layer] = []
    if shift:
        out.append(keras.layers.RandomTranslation(shift, shift, fill_mode="constant", name="augment_shift"))
    if rotation:
        out.append(keras.layers.RandomRotation(rotation, fill_mode="constant", name="augment_rotation"))
    if noise:
        out.append(keras.layers.GaussianNoise(noise, name="gaussian_noise"))
    return out


# --- perceptron -----------------------------------------------------------------------------------

def perceptron_predict(X: np.ndarray, weights: np.ndarray, bias: float) -> np.ndarray:
    """Heaviside unit: 1 where w·x + b > 0, else 0 (notes 000:80, "if the sum > 0 the output is 1")."""
    return (np.asarray(X, dtype=float) @ weights + bias > 0).astype(int)


@keras.saving.register_keras_serializable(package="kerasdl")
class PerceptronRule(keras.Model):
    """The notes' learning rule as a Keras model, so the harness can train it like any other variant.

    `train_step` applies w ← w + η(y − ŷ)x, b ← b + η(y − ŷ) (004:320-330) to the batch it is given,
    with no gradient and no optimizer: fitted with batch_size=1 and shuffle=False it is exactly
    `perceptron_learning_rule`, one sample at a time. The step output ŷ = [w·x + b > 0] is what it
    predicts. It logs `loss` (the fraction of samples it got wrong before updating) and `mistakes`
    (their number in the epoch), the quantity the notes' convergence argument counts.
    """

    def __init__(self, n_inputs: int, *, eta: float = 0.1, seed: int | None = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.n_inputs, self.eta, self.seed = int(n_inputs), float(eta), seed
        start = (keras.initializers.Zeros() if seed is None
                 else keras.initializers.RandomNormal(0.0, 0.01, seed=seed))
        self.kernel = self.add_weight(shape=(n_inputs, 1), initializer=start, name="kernel")
        self.bias = self.add_weight(shape=(1,), initializer=keras.initializers.Zeros() if seed is None
                                    else keras.initializers.RandomNormal(0.0, 0.01, seed=seed + 1), name="bias")
        self.error_rate = keras.metrics.Mean(name="loss")
        self.mistake_count = keras.metrics.Sum(name="mistakes")

    @property
    def metrics(self):
        return [self.error_rate, self.mistake_count]

    def get_config(self):
        return {**super().get_config(), "n_inputs": self.n_inputs, "eta": self.eta, "seed": self.seed}

    def call(self, x):
        return keras.ops.cast(keras.ops.matmul(x, self.kernel) + self.bias > 0, "float32")

    def _errors(self, data):
        x, y = data[0], data[1]
        y = keras.ops.reshape(keras.ops.cast(y, "float32"), (-1, 1))
        x = keras.ops.cast(x, "float32")
        return x, y - self(x)  # y − ŷ ∈ {−1, 0, 1}

    def _track(self, error):
        wrong = keras.ops.abs(error)
        self.error_rate.update_state(wrong)
        self.mistake_count.update_state(wrong)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        x, error = self._errors(data)
        self.kernel.assign_add(self.eta * keras.ops.matmul(keras.ops.transpose(x), error))
        self.bias.assign_add(self.eta * keras.ops.sum(error, axis=0))
        return self._track(error)

    def test_step(self, data):
        return self._track(self._errors(data)[1])


def perceptron_rule(input_shape, outputs: int = 1, *, eta: float = 0.1, seed: int | None = 0) -> PerceptronRule:
    """A `PerceptronRule` for 1-D inputs (builder contract; train it with `kerasdl.trainers.RuleTrainer`)."""
    if len(tuple(input_shape)) != 1 or outputs != 1:
        raise UserError(f"perceptron_rule: expected flat inputs and one output unit. Received: "
                        f"input_shape={tuple(input_shape)}, outputs={outputs}")
    model = PerceptronRule(int(tuple(input_shape)[0]), eta=eta, seed=seed, name="perceptron_rule")
    model.build((None, int(tuple(input_shape)[0])))
    return model


def perceptron_learning_rule(X, y, lr: float = 0.1, epochs: int = 100, *,
                             seed: int | None = 0) -> tuple[np.ndarray, float, list[int]]:
    """Rosenblatt's rule, one sample at a time: w ← w + η(y − ŷ)x, b ← b + η(y − ŷ) (004:320-330).

    Labels are 0/1 (the Heaviside form of 004:262-270). Weights start small and random as in the
    notes' step 1 (``seed=None`` starts from zeros instead). Training stops after the first epoch
    without a mistake — the perceptron convergence theorem guarantees one for linearly separable
    data (AND, OR) — or after `epochs`; on XOR no such epoch exists, which is the notes' limitation
    (004:336-338). Returns (weights, bias, mistakes made in each epoch run).
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=int).ravel()
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError(f"Expected X of shape (n, d) and y of shape (n,). Received: {X.shape}, {y.shape}")
    rng = np.random.default_rng(seed)
    weights = np.zeros(X.shape[1]) if seed is None else rng.normal(0.0, 0.01, X.shape[1])
    bias = 0.0 if seed is None else float(rng.normal(0.0, 0.01))
    errors_per_epoch: list[int] = []
    for _ in range(epochs):
        mistakes = 0
        for x_i, y_i in zip(X, y):
            error = y_i - int(x_i @ weights + bias > 0)   # y − ŷ ∈ {−1, 0, 1}
            if error:
                weights = weights + lr * error * x_i        # Δw = η(y − ŷ)x
                bias += lr * error                          # the bias is the weight of x_0 = 1
                mistakes += 1
        errors_per_epoch.append(mistakes)
        if mistakes == 0:
            break
    return weights, bias, errors_per_epoch


def build_perceptron(input_shape: tuple[int, ...], outputs: int, *, api: str = "sequential",
                     initializer: str = "glorot_uniform", l1: float = 0.0, l2: float = 0.0,
                     hard_output: bool = False, output_activation: str | None = None) -> keras.Model:
    """Single-layer perceptron: Dense(outputs) on the (flattened) inputs, no hidden layer.

    Why a sigmoid and not the notes' step function: the Heaviside step has zero gradient almost
    everywhere, so gradient descent cannot train it. The unit is therefore trained through its
    differentiable surrogate — sigmoid(w·x + b) with binary cross-entropy, i.e. logistic
    regression — and the step is the decision rule: sigmoid(z) ≥ 0.5 exactly when z ≥ 0, so
    thresholding the score at 0.5 is the perceptron's step(w·x + b). By default the model returns
    the score (the harness thresholds it and still gets ROC curves); ``hard_output=True`` appends
    :class:`~kerasdl.layers.HardThreshold`, which is the identity in training and the step at
    prediction, so ``predict`` returns 0/1 like the notes' unit. The notes' own training rule
    Δw = η(y − ŷ)x is :func:`perceptron_learning_rule`. Several outputs follow the suite's output
    convention (softmax), and the hard output is then the one-hot winner.
    """
    activation = output_activation or default_output_activation(outputs)
    if hard_output and activation not in ("sigmoid", "softmax"):
        raise UserError("hard_output=True thresholds a probability at 0.5; it needs a sigmoid or "
                        f"softmax output. Received: output_activation={output_activation!r}")
    regularizer = weight_regularizer(l1, l2)

    def layers():
        out = _flatten_if_image(input_shape)
        out.append(keras.layers.Dense(outputs, activation=activation, kernel_initializer=initializer,
                                      kernel_regularizer=regularizer, name="threshold_unit"))
        if hard_output:
            out.append(HardThreshold(name="step"))
        return out

    return assemble(layers, input_shape, api, name="perceptron")


# --- multilayer perceptron ------------------------------------------------------------------------

def build_mlp(input_shape: tuple[int, ...], outputs: int, *, api: str = "sequential",
              units: int | Sequence[int] = (32, 16), depth: int | None = None,
              activation: str = "relu", initializer: str = "glorot_uniform",
              l1: float = 0.0, l2: float = 0.0, dropout: float = 0.0,
              batch_norm: str | None = None, output_activation: str | None = None,
              gaussian_noise: float = 0.0, augment_shift: float = 0.0,
              augment_rotation: float = 0.0, linear_skip: bool = False) -> keras.Model:
    """Multilayer perceptron: [Dense → (BN) → activation → (BN) → (Dropout)] × depth → Dense(outputs).

    `units` is one width per hidden layer, or one width repeated `depth` times. `batch_norm` is None,
    "before" (BN between the affine map and the activation, as in Ioffe & Szegedy) or "after".
    Inputs of rank > 1 (images) are flattened first.

    Two more regularizers of the notes' list (004:563-571) act on the inputs, in training only
    (Keras switches them off in ``predict``/``evaluate``): ``gaussian_noise`` adds N(0, σ²) noise of
    that standard deviation ("addition of noise"); ``augment_shift`` (fraction of height and width,
    RandomTranslation) and ``augment_rotation`` (fraction of a full turn, RandomRotation) make
    "slightly modified versions of existing data" (data augmentation) — image inputs only.

    ``linear_skip=True`` adds a linear map of the (flattened) inputs to the output layer's logits
    ("wide & deep", Cheng et al. 2016): output = act(W_h·h + b + W_x·x), so the network contains the
    linear (logistic) model — W_h = 0 — and the hidden layers only have to learn what it misses. W_x
    is its own layer (`PlusLinear`, named "linear"), starting at zero (at initialisation the network is
    the plain MLP), so a trainer can also start it as a fitted linear model and freeze it
    (`kerasdl.trainers.LinearStartTrainer`, what `kerasdl fit` does). The two APIs build the same network.
    """
    units = _widths(units, depth)
    if batch_norm not in (None, "before", "after"):
        raise ValueError(f"Expected batch_norm None, 'before' or 'after'. Received: batch_norm={batch_norm!r}")
    if (augment_shift or augment_rotation) and len(input_shape) != 3:
        raise UserError("augment_shift/augment_rotation transform images; they need inputs of shape "
                        f"(height, width, channels). Received: input_shape={tuple(input_shape)}")
    regularizer = weight_regularizer(l1, l2)

    def layers():
        out = _input_regularizers(gaussian_noise, augment_shift, augment_rotation)
        out += _flatten_if_image(input_shape)
        activation_name = output_activation or default_output_activation(outputs)
        if not linear_skip:
            return out + hidden_layers() + [keras.layers.Dense(outputs, activation=activation_name,
                                                               kernel_initializer=initializer, name="output")]
        logits = keras.layers.Dense(outputs, kernel_initializer=initializer, name="hidden_logits")
        deep = keras.Sequential([*hidden_layers(), logits], name="hidden")
        return out + [PlusLinear(deep, outputs, name="wide_and_deep"), keras.layers.Activation(activation_name,
                                                                                                 name="output")]

    def hidden_layers():
        out = []
        for i, width in enumerate(units, start=1):
            out.append(keras.layers.Dense(int(width), kernel_initializer=initializer,
                                          kernel_regularizer=regularizer, name=f"dense_{i}"))
            if batch_norm == "before":
                out.append(keras.layers.BatchNormalization(name=f"batch_norm_{i}"))
            out.append(activation_layer(activation, name=f"{activation}_{i}"))
            if batch_norm == "after":
                out.append(keras.layers.BatchNormalization(name=f"batch_norm_{i}"))
            if dropout:
                out.append(keras.layers.Dropout(dropout, name=f"dropout_{i}"))
        return out

    return assemble(layers, input_shape, api, name="mlp")


@keras.saving.register_keras_serializable(package="kerasdl")
class PlusLinear(keras.layers.Wrapper):
    """The wrapped layer's output plus a linear map of the same inputs, x·W (no bias: the wrapped
    layer has one): `mlp`'s ``linear_skip``, a skip connection that a Sequential model can hold.

    W (the sublayer `linear`) starts at zero, so at first the sum is the wrapped layer alone and the
    linear part grows only as the data ask: a random linear map would have to be unlearnt first, which
    early stopping on small data cuts short. Keras's `Wrapper` serializes the wrapped layer, so a saved
    model loads back without extra code.
    """

    def __init__(self, layer, units: int, **kwargs):
        super().__init__(layer, **kwargs)
        self.units = int(units)
        self.linear = keras.layers.Dense(self.units, use_bias=False, kernel_initializer="zeros", name="linear")

    def build(self, input_shape):
        self.layer.build(input_shape)
        self.linear.build(input_shape)
        self.built = True

    def call(self, inputs, training=None):
        return self.layer(inputs, training=training) + self.linear(inputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


# --- linear stack ---------------------------------------------------------------------------------

def build_linear_stack(input_shape: tuple[int, ...], outputs: int, *, api: str = "sequential",
                       units: int | Sequence[int] = (16, 8), depth: int | None = None,
                       initializer: str = "glorot_uniform", l1: float = 0.0, l2: float = 0.0,
                       use_bias: bool = True, output_activation: str | None = None) -> keras.Model:
    """Dense layers with no activation between them, then the output layer.

    The notes' point (001:1504, 003:149-163): without nonlinearities, depth buys nothing — the whole
    stack is one affine map x·W + b (see :func:`collapse_linear_stack`), so it can only learn what
    a single layer (logistic regression, with the default output) can. Compare it with `mlp` of
    the same widths to see what the activations add.
    """
    units = _widths(units, depth)
    regularizer = weight_regularizer(l1, l2)

    def layers():
        out = _flatten_if_image(input_shape)
        for i, width in enumerate(units, start=1):
            out.append(keras.layers.Dense(width, activation=None, use_bias=use_bias, kernel_initializer=initializer,
                                          kernel_regularizer=regularizer, name=f"linear_{i}"))
        out.append(keras.layers.Dense(outputs, activation=output_activation or default_output_activation(outputs),
                                      use_bias=use_bias, kernel_initializer=initializer,
                                      kernel_regularizer=regularizer, name="output"))
        return out

    return assemble(layers, input_shape, api, name="linear_stack")


def collapse_linear_stack(model: keras.Model) -> tuple[np.ndarray, np.ndarray]:
    """The single (W, b) with model(x) == output_activation(flatten(x)·W + b).

    Composes the Dense layers in order: (x·W1 + b1)·W2 + b2 = x·(W1·W2) + (b1·W2 + b2) — the notes'
    k·(m·x + d) + t = (k·m)·x + (k·d + t) (001:1504) with matrices. Only meaningful for a model
    whose Dense layers have no activation except the last one's (a `linear_stack`).
    """
    W = b = None
    for layer in model.layers:
        if not isinstance(layer, keras.layers.Dense):
            continue
        kernel = np.asarray(layer.kernel, dtype=np.float64)
        bias = (np.asarray(layer.bias, dtype=np.float64) if layer.use_bias
                else np.zeros(kernel.shape[1]))
        W, b = (kernel, bias) if W is None else (W @ kernel, b @ kernel + bias)
    if W is None:
        raise ValueError(f"Expected a model with Dense layers. Received: {model.name!r} has none")
    return W, b
