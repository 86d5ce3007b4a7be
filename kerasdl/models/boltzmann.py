"""Boltzmann machines (CATALOG.md §1): the restricted Boltzmann machine `rbm` trained by contrastive
divergence, and the deep belief net `dbn` that stacks RBMs to initialise an MLP.

The notes (003:1318-1581): a binary RBM has visible units v (biases a), hidden units h (biases b)
and weights W, energy E(v, h) = −Σ aᵢvᵢ − Σ bⱼhⱼ − Σ vᵢhⱼwᵢⱼ and p(v, h) = e^{−E}/Z. Because no two
units of one layer are connected, both conditionals factorise: p(hⱼ = 1 | v) = σ(bⱼ + Σᵢ vᵢwᵢⱼ) and
p(vᵢ = 1 | h) = σ(aᵢ + Σⱼ hⱼwᵢⱼ). Training alternates them k times from the data (Gibbs sampling,
v₀ → h₀ → v₁ → … → v_k) and moves the weights by ΔW = v₀ ⊗ p(h₀|v₀) − v_k ⊗ p(h_k|v_k) (contrastive
divergence, CD-k; the notes' W ← W + ΔW, here scaled by a learning rate and averaged over the batch).
That is a rule, not the gradient of a loss Keras could differentiate, so `RestrictedBoltzmannMachine`
applies it in its own `train_step` (fit it with `kerasdl.trainers.RuleTrainer`).

Unrated items of a recommender (003:1437-1438: "give yet unrated movies a value, e.g. −1.0, so that
the network can ignore the weights associated with them"): any negative visible value is "missing".
A missing unit is left out of p(h|v), is never sampled, and contributes nothing to ΔW or Δa — each
user's RBM has only the units of the movies they rated, all sharing one W (Salakhutdinov et al. 2007).

The DBN (001:577, "unsupervised pre-trained networks"): RBM 1 learns the inputs, RBM 2 learns RBM 1's
hidden probabilities, and so on (greedy, one layer at a time); their W and b then initialise the Dense
sigmoid layers of an MLP that is fine-tuned by backpropagation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from kerasdl.errors import UserError

__all__ = ["DeepBeliefNet", "RestrictedBoltzmannMachine", "binary_states", "build_dbn", "build_rbm", "enumerate_rbm",
           "exact_log_likelihood"]


@keras.saving.register_keras_serializable(package="kerasdl")
class RestrictedBoltzmannMachine(keras.Model):
    """A binary RBM whose `train_step` is CD-k (no loss, no optimizer).

    Logged per epoch: `free_energy` (mean F(v) = −a·v − Σⱼ softplus(bⱼ + (vW)ⱼ) of the batch: the data
    should get lower free energy as training goes on; a gap between training and validation free
    energy signals overfitting) and `reconstruction_error` (mean squared difference between the
    observed v₀ and p(v|h₀) over observed units). With a target (a recommender's held-out ratings,
    −1 where none) `test_step` also reports `loss` (binary cross-entropy of the predicted p(v) on the
    held-out ratings) and `accuracy` (liked/not at 0.5). Calling the model gives p(v | p(h|v)): the
    one-step mean-field reconstruction, which is also the recommender's prediction for every item.
    """

    def __init__(self, n_visible: int, n_hidden: int, *, k: int = 1, learning_rate: float = 0.1,
                 seed: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n_visible, self.n_hidden, self.k = int(n_visible), int(n_hidden), int(k)
        self.learning_rate, self.seed = float(learning_rate), int(seed)
        # Small random weights, zero biases (Hinton, "A practical guide to training RBMs", 2010).
        self.W = self.add_weight(shape=(self.n_visible, self.n_hidden), name="W",
                                 initializer=keras.initializers.RandomNormal(0.0, 0.01, seed=self.seed))
        self.visible_bias = self.add_weight(shape=(self.n_visible,), initializer="zeros", name="visible_bias")
        self.hidden_bias = self.add_weight(shape=(self.n_hidden,), initializer="zeros", name="hidden_bias")
        self.gibbs = keras.random.SeedGenerator(self.seed + 1)
        self.free_energy_tracker = keras.metrics.Mean(name="free_energy")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_error")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy_tracker = keras.metrics.Mean(name="accuracy")

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n_visible": self.n_visible, "n_hidden": self.n_hidden, "k": self.k,
                "learning_rate": self.learning_rate, "seed": self.seed}

    @property
    def metrics(self) -> list[Any]:
        return [self.free_energy_tracker, self.reconstruction_tracker, self.loss_tracker, self.accuracy_tracker]

    # -- the model's formulas (003:1363-1401) ---------------------------------------------------------
    def hidden_probabilities(self, v: Any) -> Any:
        """p(hⱼ = 1 | v) = σ(bⱼ + Σᵢ vᵢwᵢⱼ), for every hidden unit at once."""
        return keras.ops.sigmoid(keras.ops.matmul(keras.ops.cast(v, self.W.dtype), self.W) + self.hidden_bias)

    def visible_probabilities(self, h: Any) -> Any:
        """p(vᵢ = 1 | h) = σ(aᵢ + Σⱼ hⱼwᵢⱼ)."""
        h = keras.ops.cast(h, self.W.dtype)
        return keras.ops.sigmoid(keras.ops.matmul(h, keras.ops.transpose(self.W)) + self.visible_bias)

    def energy(self, v: Any, h: Any) -> Any:
        """E(v, h) = −Σ aᵢvᵢ − Σ bⱼhⱼ − Σ vᵢhⱼwᵢⱼ, one value per row of v and h."""
        ops = keras.ops
        v, h = ops.cast(v, self.W.dtype), ops.cast(h, self.W.dtype)
        return (-ops.sum(v * self.visible_bias, axis=-1) - ops.sum(h * self.hidden_bias, axis=-1)
                - ops.sum(ops.matmul(v, self.W) * h, axis=-1))

    def free_energy(self, v: Any) -> Any:
        """F(v) = −log Σ_h e^{−E(v,h)} = −a·v − Σⱼ softplus(bⱼ + (vW)ⱼ), so p(v) = e^{−F(v)}/Z."""
        ops = keras.ops
        v = ops.cast(v, self.W.dtype)
        return -ops.sum(v * self.visible_bias, axis=-1) - ops.sum(
            ops.softplus(ops.matmul(v, self.W) + self.hidden_bias), axis=-1)

    def sample(self, probabilities: Any) -> Any:
        """Bernoulli draws: 1 with probability p, else 0 (003:1457-1488)."""
        uniform = keras.random.uniform(keras.ops.shape(probabilities), seed=self.gibbs)
        return keras.ops.cast(uniform < probabilities, probabilities.dtype)

    @staticmethod
    def observed(x: Any) -> tuple[Any, Any]:
        """(v, mask): negative values mark missing units; they become 0 in v and 0 in the mask."""
        x = keras.ops.cast(x, "float32")
        mask = keras.ops.cast(x >= 0, "float32")
        return x * mask, mask

    def call(self, x: Any) -> Any:
        v, _ = self.observed(x)
        return self.visible_probabilities(self.hidden_probabilities(v))

    # -- contrastive divergence (003:1527-1581) -------------------------------------------------------
    def contrastive_divergence(self, v0: Any, mask: Any) -> dict[str, Any]:
        """One CD-k update from the batch v0 (missing units masked out); returns what it measured."""
        ops = keras.ops
        n = ops.cast(ops.shape(v0)[0], "float32")
        p_h0 = self.hidden_probabilities(v0)
        h = self.sample(p_h0)
        p_v1 = None
        v = v0
        for _ in range(self.k):  # Gibbs sampling: h → v → h, k times
            p_v = self.visible_probabilities(h)
            p_v1 = p_v if p_v1 is None else p_v1
            v = self.sample(p_v) * mask  # a missing unit is never sampled
            p_h = self.hidden_probabilities(v)
            h = self.sample(p_h)
        # ΔW = v₀ ⊗ p(h₀|v₀) − v_k ⊗ p(h_k|v_k), averaged over the batch
        delta_w = (ops.matmul(ops.transpose(v0), p_h0) - ops.matmul(ops.transpose(v), p_h)) / n
        self.W.assign_add(self.learning_rate * delta_w)
        self.visible_bias.assign_add(self.learning_rate * ops.sum(v0 - v, axis=0) / n)
        self.hidden_bias.assign_add(self.learning_rate * ops.sum(p_h0 - p_h, axis=0) / n)
        observed = ops.maximum(ops.sum(mask), 1.0)
        return {"free_energy": ops.mean(self.free_energy(v0)),
                "reconstruction_error": ops.sum(mask * ops.square(v0 - p_v1)) / observed}

    def _measure(self, v0: Any, mask: Any) -> tuple[Any, Any]:
        ops = keras.ops
        p_v1 = self.visible_probabilities(self.hidden_probabilities(v0))
        return ops.mean(self.free_energy(v0)), ops.sum(mask * ops.square(v0 - p_v1)) / ops.maximum(ops.sum(mask), 1.0)

    def train_step(self, data: Any) -> dict[str, Any]:
        x, y = (data[0], data[1]) if isinstance(data, tuple) else (data, None)
        if y is not None and tuple(y.shape[1:]) == tuple(x.shape[1:]):
            # A recommender's training users: their held-out ratings are training data too.
            y = keras.ops.cast(y, "float32")
            x = keras.ops.where(y >= 0, y, keras.ops.cast(x, "float32"))
        v0, mask = self.observed(x)
        measured = self.contrastive_divergence(v0, mask)
        self.free_energy_tracker.update_state(measured["free_energy"])
        self.reconstruction_tracker.update_state(measured["reconstruction_error"])
        return {m.name: m.result() for m in (self.free_energy_tracker, self.reconstruction_tracker)}

    def test_step(self, data: Any) -> dict[str, Any]:
        ops = keras.ops
        x, y = (data[0], data[1]) if isinstance(data, tuple) else (data, None)
        v0, mask = self.observed(x)
        free_energy, reconstruction = self._measure(v0, mask)
        self.free_energy_tracker.update_state(free_energy)
        self.reconstruction_tracker.update_state(reconstruction)
        shown = [self.free_energy_tracker, self.reconstruction_tracker]
        if y is not None and tuple(y.shape[1:]) == tuple(x.shape[1:]):
            y = ops.cast(y, "float32")
            held = ops.cast(y >= 0, "float32")
            target = y * held
            p = ops.clip(self(x), 1e-7, 1 - 1e-7)
            count = ops.maximum(ops.sum(held), 1.0)
            bce = -(target * ops.log(p) + (1 - target) * ops.log(1 - p))
            self.loss_tracker.update_state(ops.sum(held * bce) / count, sample_weight=count)
            right = ops.cast(ops.equal(ops.cast(p > 0.5, "float32"), target), "float32")
            self.accuracy_tracker.update_state(ops.sum(held * right) / count, sample_weight=count)
            shown += [self.loss_tracker, self.accuracy_tracker]
        return {m.name: m.result() for m in shown}

    def generate(self, n: int, *, steps: int = 200, seed: int | None = None) -> np.ndarray:
        """`n` samples from `steps` rounds of Gibbs sampling started at random visible states; the
        last round returns p(v|h) (the mean of the final Bernoulli draws, less noisy to look at)."""
        rng = np.random.default_rng(self.seed if seed is None else seed)
        W, a, b = (np.asarray(w, dtype=np.float64) for w in (self.W, self.visible_bias, self.hidden_bias))
        v = (rng.random((int(n), self.n_visible)) < 0.5).astype(np.float64)
        for _ in range(steps):
            h = (rng.random((int(n), self.n_hidden)) < _sigmoid(v @ W + b)).astype(np.float64)
            p_v = _sigmoid(h @ W.T + a)
            v = (rng.random(p_v.shape) < p_v).astype(np.float64)
        return p_v.astype(np.float32)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def build_rbm(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional", hidden_units: int = 16,
              k: int = 1, learning_rate: float = 0.1, seed: int = 0) -> RestrictedBoltzmannMachine:
    """A binary RBM with one visible unit per input value (flat inputs in [0, 1], negative = missing),
    `hidden_units` hidden units, trained by CD-`k` with `learning_rate`. Its output p(v|h) has one
    unit per visible unit, so `outputs` must equal the number of inputs."""
    shape = tuple(int(d) for d in input_shape)
    if len(shape) != 1 or outputs != shape[0]:
        raise UserError(f"rbm: expected flat inputs and outputs equal to their number (one probability per visible "
                        f"unit). Received: input_shape={shape}, outputs={outputs}")
    if k < 1 or hidden_units < 1 or learning_rate <= 0:
        raise UserError(f"rbm: expected k ≥ 1, hidden_units ≥ 1 and learning_rate > 0. Received: k={k}, "
                        f"hidden_units={hidden_units}, learning_rate={learning_rate}")
    model = RestrictedBoltzmannMachine(shape[0], hidden_units, k=k, learning_rate=learning_rate, seed=seed, name="rbm")
    model.build((None, shape[0]))
    return model


@keras.saving.register_keras_serializable(package="kerasdl")
class DeepBeliefNet(keras.Model):
    """An MLP of sigmoid Dense layers whose `fit` first pre-trains them greedily as a stack of RBMs.

    On the first `fit` (when `pretrain_epochs` > 0): RBM 1 is trained by CD-k on the inputs (flattened,
    values in [0, 1]) for `pretrain_epochs` epochs, RBM 2 on RBM 1's hidden probabilities, and so on;
    each RBM's W and hidden biases become the corresponding Dense layer's kernel and bias. Then the
    whole network (plus a freshly initialised output layer) is fine-tuned by the compiled optimizer
    and loss, with the callers' callbacks — the usual Keras fit. `pretrain_epochs=0` is the same MLP
    from Glorot-uniform initial weights: the "random initialisation" control. What each RBM logged
    per epoch is kept in `pretraining_log` (a list per layer of {free_energy, reconstruction_error}).
    """

    def __init__(self, input_shape: Sequence[int], hidden_units: Sequence[int], outputs: int, *,
                 output_activation: str = "softmax", pretrain_epochs: int = 10, k: int = 1,
                 rbm_learning_rate: float = 0.1, seed: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.input_dims = tuple(int(d) for d in input_shape)
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.outputs, self.output_activation = int(outputs), output_activation
        self.pretrain_epochs, self.k, self.rbm_learning_rate, self.seed = int(pretrain_epochs), int(k), \
            float(rbm_learning_rate), int(seed)
        self.flatten = keras.layers.Flatten(name="flatten")
        self.hidden = [keras.layers.Dense(u, activation="sigmoid", name=f"dense_{i}",
                                          kernel_initializer=keras.initializers.GlorotUniform(seed=self.seed + i))
                       for i, u in enumerate(self.hidden_units, start=1)]
        self.head = keras.layers.Dense(self.outputs, activation=output_activation, name="output",
                                       kernel_initializer=keras.initializers.GlorotUniform(seed=self.seed))
        self.pretrained = False
        self.pretraining_log: list[dict[str, Any]] = []

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "input_shape": list(self.input_dims), "hidden_units": list(self.hidden_units),
                "outputs": self.outputs, "output_activation": self.output_activation,
                "pretrain_epochs": self.pretrain_epochs, "k": self.k, "rbm_learning_rate": self.rbm_learning_rate,
                "seed": self.seed}

    def build(self, input_shape: Any) -> None:
        width = int(np.prod(self.input_dims))
        for layer in self.hidden:
            layer.build((None, width))
            width = layer.units
        self.head.build((None, width))
        self.built = True

    def call(self, x: Any, training: bool = False) -> Any:
        x = self.flatten(x)
        for layer in self.hidden:
            x = layer(x)
        return self.head(x)

    def pretrain(self, x: np.ndarray, *, batch_size: int = 32) -> list[dict[str, Any]]:
        """Greedy layer-wise CD-k pre-training on `x`; sets the hidden layers' weights, returns the logs."""
        h = np.asarray(x, dtype=np.float32).reshape(len(x), -1)
        if h.min() < 0 or h.max() > 1:
            raise UserError(f"dbn: pre-training needs inputs in [0, 1] (binary or probabilities). Received values "
                            f"from {h.min():.3g} to {h.max():.3g}; rescale the data first")
        self.pretraining_log = []
        for index, layer in enumerate(self.hidden):
            rbm = RestrictedBoltzmannMachine(h.shape[1], layer.units, k=self.k, learning_rate=self.rbm_learning_rate,
                                             seed=self.seed + 100 * (index + 1), name=f"rbm_{index + 1}")
            rbm.compile()
            logs = rbm.fit(h, batch_size=batch_size, epochs=self.pretrain_epochs, shuffle=True, verbose=0).history
            layer.kernel.assign(rbm.W)
            layer.bias.assign(rbm.hidden_bias)
            self.pretraining_log.append({"layer": layer.name, "visible": int(h.shape[1]), "hidden": int(layer.units),
                                         **{key: [float(v) for v in values] for key, values in logs.items()}})
            h = np.asarray(rbm.hidden_probabilities(h))
        self.pretrained = True
        return self.pretraining_log

    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1, **kwargs: Any) -> Any:
        if self.pretrain_epochs and not self.pretrained:
            if not isinstance(x, np.ndarray):
                raise UserError("dbn: greedy pre-training needs the training inputs as one array. Received: "
                                f"{type(x).__name__}")
            self.pretrain(x, batch_size=batch_size or 32)
        return super().fit(x, y, batch_size=batch_size, epochs=epochs, **kwargs)


def build_dbn(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional",
              hidden_units: Sequence[int] = (64, 32), pretrain_epochs: int = 10, k: int = 1,
              rbm_learning_rate: float = 0.1, output_activation: str | None = None, seed: int = 0) -> DeepBeliefNet:
    """Deep belief net: sigmoid layers `hidden_units`, each pre-trained as an RBM for `pretrain_epochs`
    epochs of CD-`k` (0: no pre-training, random initialisation), then an output layer of `outputs`
    units (`output_activation`: sigmoid for one, softmax for several, unless given), all fine-tuned
    by the variant's optimizer and loss."""
    if pretrain_epochs < 0 or k < 1 or not hidden_units:
        raise UserError(f"dbn: expected pretrain_epochs ≥ 0, k ≥ 1 and at least one hidden layer. Received: "
                        f"pretrain_epochs={pretrain_epochs}, k={k}, hidden_units={list(hidden_units)}")
    activation = output_activation or ("sigmoid" if outputs == 1 else "softmax")
    model = DeepBeliefNet(input_shape, hidden_units, outputs, output_activation=activation,
                          pretrain_epochs=pretrain_epochs, k=k, rbm_learning_rate=rbm_learning_rate, seed=seed,
                          name="dbn")
    model.build((None, *tuple(int(d) for d in input_shape)))
    return model


# --- brute force: what the formulas must equal on an RBM small enough to enumerate -----------------------

def binary_states(n: int) -> np.ndarray:
    """All 2ⁿ binary vectors of length n, in counting order (000, 001, 010, ...)."""
    if not 0 <= n <= 20:
        raise ValueError(f"binary_states: expected 0 ≤ n ≤ 20 (2ⁿ rows). Received: n={n}")
    return ((np.arange(2 ** n)[:, None] >> np.arange(n - 1, -1, -1)) & 1).astype(np.float64)


def enumerate_rbm(W: np.ndarray, visible_bias: np.ndarray, hidden_bias: np.ndarray) -> dict[str, np.ndarray]:
    """Every quantity of a small RBM by summing over all (v, h) configurations — no formula shortcuts.

    Returns the visible and hidden states (rows in counting order), the energies E[v, h], the
    partition function Z = Σ e^{−E}, p(v, h), the marginals p(v) and p(h), the free energy
    F(v) = −log Σ_h e^{−E(v,h)}, and the conditionals p(hⱼ = 1 | v) = Σ_h hⱼ p(v, h) / p(v) and
    p(vᵢ = 1 | h). Cost 2^(visible + hidden): a check for models of a few units only.
    """
    W, a, b = (np.asarray(x, dtype=np.float64) for x in (W, visible_bias, hidden_bias))
    v, h = binary_states(W.shape[0]), binary_states(W.shape[1])
    energy = -(v @ a)[:, None] - (h @ b)[None, :] - v @ W @ h.T
    weight = np.exp(-energy)
    Z = float(weight.sum())
    joint = weight / Z
    p_v, p_h = joint.sum(axis=1), joint.sum(axis=0)
    return {"v": v, "h": h, "energy": energy, "Z": Z, "joint": joint, "p_v": p_v, "p_h": p_h,
            "free_energy": -np.log(weight.sum(axis=1)),
            "p_h_given_v": (joint @ h) / p_v[:, None], "p_v_given_h": (joint.T @ v) / p_h[:, None]}


def exact_log_likelihood(W: np.ndarray, visible_bias: np.ndarray, hidden_bias: np.ndarray, data: np.ndarray) -> float:
    """Mean log p(v) of binary rows `data` under the RBM, with Z by enumeration over the hidden and visible
    states (log-sum-exp for stability): log p(v) = −F(v) − log Z."""
    from scipy.special import logsumexp

    W, a, b = (np.asarray(x, dtype=np.float64) for x in (W, visible_bias, hidden_bias))
    data = np.asarray(data, dtype=np.float64)

    def free(v):
        return -(v @ a) - np.logaddexp(0.0, v @ W + b).sum(axis=1)

    log_z = float(logsumexp(-free(binary_states(W.shape[0]))))
    return float(np.mean(-free(data)) - log_z)
