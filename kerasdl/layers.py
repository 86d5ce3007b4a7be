"""Custom layers the notes need and Keras 3 does not ship.

Written by hand because no library has them (DESIGN.md, "Dependencies"):

- :class:`TiledConv2D` — tiled convolution, k untied kernels per layer (notes 001:2119-2129).
- :class:`HardThreshold` — the perceptron's step function at prediction time (notes 004:252-338).
- :class:`LeakyRNNCell` — leaky recurrent units with optional skip connections through time
  (notes 001 Unit III "Leaky Units: Skip connections", 001:2836).
- :class:`TruncatedBPTT` — an RNN layer trained by truncated backpropagation through time (002:113-161).
- :class:`StochasticPooling2D` — Zeiler & Fergus's stochastic pooling (001:2121).

Every layer is registered with ``keras.saving.register_keras_serializable(package="kerasdl")`` and
implements ``get_config`` so that a ``model.keras`` file containing it loads back with
``keras.saving.load_model`` once ``kerasdl.layers`` has been imported.
"""

from __future__ import annotations

import math

import keras
from keras import ops

__all__ = ["TiledConv2D", "HardThreshold", "LeakyRNNCell", "TruncatedBPTT", "StochasticPooling2D",
           "conv_output_size"]


def conv_output_size(size: int, kernel_size: int, strides: int = 1, padding: str | int = "valid",
                     dilation_rate: int = 1) -> int:
    """Spatial length after a convolution or pooling window, ⌊(n + 2p − k_eff)/s⌋ + 1.

    The notes give this formula at 000:1345-1358 and 004:819; their variants at 001:2012 and
    001:2115 are wrong (CATALOG.md §6). ``k_eff = k + (k−1)(d−1)`` is the dilated kernel's extent
    (001:2161-2196). ``padding`` is an explicit p, or Keras's "valid" (p = 0) or "same"
    (output ⌈n/s⌉, whatever k is).
    """
    effective = kernel_size + (kernel_size - 1) * (dilation_rate - 1)
    if padding == "same":
        return math.ceil(size / strides)
    pad = 0 if padding == "valid" else int(padding)
    return (size + 2 * pad - effective) // strides + 1


def _pair(value, name: str) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"Expected {name} as an int or a pair of ints. Received: {name}={value}")
    return value


@keras.saving.register_keras_serializable(package="kerasdl")
class TiledConv2D(keras.layers.Layer):
    """2-D tiled convolution: ``tiles``×``tiles`` untied kernels, cycled over the output grid.

    The notes (001:2119-2129, after Ngiam et al. 2010, "Tiled convolutional neural networks") describe
    a layer that learns k separate kernels, each "applied over every k'th unit". Tiling scheme chosen
    here, in two dimensions: output position (i, j) — counted on the output grid, so after strides —
    is computed with kernel ``kernel[i mod k, j mod k]``. Units k steps apart along either axis share
    weights, neighbours within a k×k tile do not. That gives k² kernels of shape
    (kh, kw, channels_in, filters), i.e. k² times the weights of a Conv2D, while the layer still has
    far fewer weights than a locally connected one. ``tiles=1`` is exactly ``Conv2D``.

    The bias stays one per filter (shared by all tiles): it is the offset of a feature map, and
    untying it would not change what a tile can detect. Padding, strides and dilation mean what they
    mean for Conv2D (channels-last only).

    Implementation: all k² kernels are applied at every position in one convolution with k²·filters
    output channels, and a constant one-hot mask over (i mod k, j mod k) keeps the right one. That
    costs k² times a Conv2D's arithmetic but needs only standard ops, so it runs on every Keras
    backend and differentiates without a custom gradient.
    """

    def __init__(self, filters: int, kernel_size, *, tiles: int = 2, strides=1, padding: str = "valid",
                 dilation_rate=1, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if int(tiles) < 1:
            raise ValueError(f"Expected tiles >= 1. Received: tiles={tiles}")
        padding = str(padding).lower()
        if padding not in ("valid", "same"):
            raise ValueError(f"Expected padding 'valid' or 'same'. Received: padding={padding!r}")
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.tiles = int(tiles)
        self.strides = _pair(strides, "strides")
        self.padding = padding
        self.dilation_rate = _pair(dilation_rate, "dilation_rate")
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError("TiledConv2D needs a known number of input channels (channels-last).")
        # kernel[a, b] is the kernel of every output unit (i, j) with i mod k == a and j mod k == b.
        self.kernel = self.add_weight(
            name="kernel", shape=(self.tiles, self.tiles, *self.kernel_size, channels, self.filters),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer)
        self.bias = (self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                                     regularizer=self.bias_regularizer)
                     if self.use_bias else None)
        self.input_spec = keras.layers.InputSpec(ndim=4, axes={-1: channels})

    def call(self, inputs):
        k2 = self.tiles * self.tiles
        kh, kw = self.kernel_size
        # (k, k, kh, kw, cin, f) → (kh, kw, cin, k·k·f), tile index major so a reshape splits it back.
        stacked = ops.transpose(self.kernel, (2, 3, 4, 0, 1, 5))
        stacked = ops.reshape(stacked, (kh, kw, -1, k2 * self.filters))
        every = ops.conv(inputs, stacked, strides=self.strides, padding=self.padding,
                         dilation_rate=self.dilation_rate, data_format="channels_last")
        shape = ops.shape(every)
        height, width = shape[1], shape[2]
        every = ops.reshape(every, (-1, height, width, k2, self.filters))
        # Tile index of output position (i, j): (i mod k)·k + (j mod k), as a one-hot mask.
        rows = ops.mod(ops.arange(height), self.tiles)
        cols = ops.mod(ops.arange(width), self.tiles)
        index = ops.expand_dims(rows, 1) * self.tiles + ops.expand_dims(cols, 0)
        mask = ops.cast(ops.one_hot(index, k2), every.dtype)
        outputs = ops.sum(every * ops.expand_dims(mask, -1), axis=3)
        if self.use_bias:
            outputs = ops.add(outputs, self.bias)
        return self.activation(outputs) if self.activation is not None else outputs

    def compute_output_shape(self, input_shape):
        spatial = []
        for size, k, s, d in zip(input_shape[1:3], self.kernel_size, self.strides, self.dilation_rate):
            spatial.append(None if size is None else conv_output_size(size, k, s, self.padding, d))
        return (input_shape[0], *spatial, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "tiles": self.tiles,
            "strides": self.strides,
            "padding": self.padding,
            "dilation_rate": self.dilation_rate,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
        })
        return config


@keras.saving.register_keras_serializable(package="kerasdl")
class HardThreshold(keras.layers.Layer):
    """The perceptron's step function, applied at prediction time only.

    During training the layer is the identity, so the differentiable surrogate in front of it (a
    sigmoid or softmax unit) is what the loss and its gradient see; the Heaviside step has zero
    gradient almost everywhere and could not be trained by backpropagation (notes 004:252-338 train
    it with the perceptron rule instead; see ``kerasdl.models.feedforward.perceptron_learning_rule``).
    At inference one unit gives step(p − 0.5) ∈ {0, 1} — for a sigmoid unit exactly
    step(w·x + b) — and several units give the one-hot winner (the multi-class perceptron's argmax).
    """

    def call(self, inputs, training=None):
        if training:
            return inputs
        if inputs.shape[-1] == 1:
            return ops.cast(ops.greater_equal(inputs, 0.5), inputs.dtype)
        return ops.one_hot(ops.argmax(inputs, axis=-1), inputs.shape[-1], dtype=inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="kerasdl")
class LeakyRNNCell(keras.layers.Layer):
    """Leaky recurrent units: h_t = α ⊙ h_{t−1} + (1 − α) ⊙ tanh(W x_t + U h_{t−1} [+ V h_{t−d}] + b).

    The notes' syllabus names leaky units and skip connections through time (001 Unit III, 001:2836)
    as the two ways of reaching further back than a SimpleRNN can. A leaky unit keeps the fraction α
    of its previous value: with α near 1 it integrates its inputs slowly (a time constant of about
    1/(1 − α) steps), and the path h_{t−1} → h_t has derivative α on top of the tanh path, so the
    gradient through k steps does not shrink like a product of tanh' · U factors. α = 0 is exactly
    ``keras.layers.SimpleRNNCell`` (same weight names and shapes for W, U, b).

    - ``alpha``: the fixed α (0 ≤ α < 1), or the starting value when ``learn_alpha=True``, where each
      unit learns its own α = sigmoid(a) (so it stays inside (0, 1)).
    - ``skip=d`` > 1 adds a second recurrent kernel V from the state d steps back (h_{t−d}), a
      direct connection through time: information and gradients cross T steps in about T/d hops.
      The cell's state is then the last d hidden states, newest first, flattened to d·units values.

    ``dropout`` drops inputs x_t and ``recurrent_dropout`` the recurrent input h_{t−1}; both with a
    fresh mask per step (not Keras's one-mask-per-sequence variational dropout).
    """

    def __init__(self, units: int, *, alpha: float = 0.5, learn_alpha: bool = False, skip: int = 1,
                 activation="tanh", dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: int | None = None,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= float(alpha) < 1.0:
            raise ValueError(f"Expected 0 <= alpha < 1. Received: alpha={alpha}")
        if int(skip) < 1:
            raise ValueError(f"Expected skip >= 1 (the delay d of h_(t-d)). Received: skip={skip}")
        if not (0.0 <= float(dropout) < 1.0 and 0.0 <= float(recurrent_dropout) < 1.0):
            raise ValueError(f"Expected dropout rates in [0, 1). Received: {dropout}, {recurrent_dropout}")
        self.units = int(units)
        self.alpha = float(alpha)
        self.learn_alpha = bool(learn_alpha)
        self.skip = int(skip)
        self.activation = keras.activations.get(activation)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.state_size = self.units * self.skip
        self.output_size = self.units

    def build(self, input_shape):
        features = input_shape[-1]
        self.kernel = self.add_weight(name="kernel", shape=(features, self.units),
                                      initializer=self.kernel_initializer)
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel", shape=(self.units, self.units),
                                                initializer=self.recurrent_initializer)
        self.skip_kernel = (self.add_weight(name="skip_kernel", shape=(self.units, self.units),
                                            initializer=self.recurrent_initializer)
                            if self.skip > 1 else None)
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer=self.bias_initializer)
        if self.learn_alpha:
            # Stored as a logit so that gradient steps can never push α outside (0, 1).
            start = math.log(max(self.alpha, 1e-3) / (1.0 - self.alpha))
            self.alpha_logit = self.add_weight(name="alpha_logit", shape=(self.units,),
                                               initializer=keras.initializers.Constant(start))
        else:
            self.alpha_logit = None

    def leak(self):
        """The per-unit α in use (the fixed value, or sigmoid of the learned logit)."""
        if self.alpha_logit is None:
            return ops.convert_to_tensor(self.alpha, dtype=self.compute_dtype)
        return ops.sigmoid(self.alpha_logit)

    def call(self, inputs, states, training=False):
        buffer = states[0] if isinstance(states, (list, tuple)) else states
        previous = buffer[:, :self.units]                       # h_{t−1}
        if training and self.dropout:
            inputs = keras.random.dropout(inputs, self.dropout, seed=self.seed_generator)
        recurrent_in = previous
        if training and self.recurrent_dropout:
            recurrent_in = keras.random.dropout(previous, self.recurrent_dropout, seed=self.seed_generator)
        z = ops.matmul(inputs, self.kernel) + ops.matmul(recurrent_in, self.recurrent_kernel) + self.bias
        if self.skip_kernel is not None:
            z = z + ops.matmul(buffer[:, self.units * (self.skip - 1):], self.skip_kernel)   # V h_{t−d}
        candidate = self.activation(z)
        alpha = self.leak()
        h = alpha * previous + (1.0 - alpha) * candidate
        if self.skip > 1:
            new_buffer = ops.concatenate([h, buffer[:, :self.units * (self.skip - 1)]], axis=-1)
        else:
            new_buffer = h
        return h, ([new_buffer] if isinstance(states, (list, tuple)) else new_buffer)

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units, "alpha": self.alpha, "learn_alpha": self.learn_alpha, "skip": self.skip,
            "activation": keras.activations.serialize(self.activation), "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout, "seed": self.seed,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        })
        return config


@keras.saving.register_keras_serializable(package="kerasdl")
class TruncatedBPTT(keras.layers.Wrapper):
    """Truncated backpropagation through time: an RNN layer run over chunks of `steps` time steps.

    The state is carried from chunk to chunk, so the forward pass is exactly the wrapped layer's over the
    whole sequence, but its gradient is stopped at every chunk boundary (``ops.stop_gradient``): a loss
    reaches back at most to the start of its own chunk — what training a stateful RNN on consecutive
    chunks does (notes 002:113-161 on why full BPTT over long sequences is costly and unstable). The
    wrapped layer must be built with ``return_state=True``; this layer returns what it would return
    without it (the last state, or the whole output sequence with ``return_sequences``).
    """

    def __init__(self, layer, steps: int, **kwargs):
        super().__init__(layer, **kwargs)
        if int(steps) < 1:
            raise ValueError(f"Expected steps >= 1. Received: steps={steps}")
        if not getattr(layer, "return_state", False):
            raise ValueError("TruncatedBPTT needs an RNN layer built with return_state=True.")
        self.steps = int(steps)
        self.supports_masking = True

    def build(self, input_shape):
        self.layer.build((input_shape[0], None, input_shape[-1]))
        self.built = True

    def call(self, inputs, mask=None, training=None):
        states, outputs, last = None, [], None
        for start in range(0, inputs.shape[1], self.steps):
            chunk_mask = None if mask is None else mask[:, start:start + self.steps]
            output, *carried = self.layer(inputs[:, start:start + self.steps], initial_state=states,
                                          mask=chunk_mask, training=training)
            outputs.append(output)
            last = carried[0]  # h_T (LSTM: [h, c]); a fully padded chunk still carries the real last state
            states = [ops.stop_gradient(s) for s in carried]
        return ops.concatenate(outputs, axis=1) if self.layer.return_sequences else last

    def compute_output_shape(self, input_shape):
        units = self.layer.cell.output_size if hasattr(self.layer, "cell") else self.layer.units
        if self.layer.return_sequences:
            return (input_shape[0], input_shape[1], units)
        return (input_shape[0], units)

    def compute_mask(self, inputs, mask=None):
        return mask if self.layer.return_sequences else None

    def get_config(self):
        return {**super().get_config(), "steps": self.steps}


@keras.saving.register_keras_serializable(package="kerasdl")
class StochasticPooling2D(keras.layers.Layer):
    """Stochastic pooling (Zeiler & Fergus 2013), the "stochastic combination of each p×p window" of 001:2121.

    Keras has max and average pooling only. Within each non-overlapping ``pool_size`` window (stride =
    window, as in the paper) of non-negative activations a_i — put the layer after a ReLU — the paper
    sets p_i = a_i / Σ_k a_k. Training: the output is a_j for one position j drawn with probability
    p_j, so the gradient reaches the sampled unit only (max pooling's rule with a random winner; it
    acts as a regulariser). Inference: the probability-weighted average Σ_i p_i a_i = Σ a_i² / Σ a_i,
    which lies between the window's mean and its maximum. A window of zeros gives 0. Negative inputs
    are clipped to 0 first, so that p is a distribution (the paper assumes ReLU units). Windows that
    do not fit at the bottom/right border are dropped, as Keras's "valid" pooling does.
    """

    def __init__(self, pool_size=2, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = _pair(pool_size, "pool_size")
        self.strides = self.pool_size   # non-overlapping windows, as in the paper (read by receptive-field code)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _windows(self, inputs):
        """(batch, h, w, c) → (batch, h // ph, w // pw, c, ph·pw): one row per pooling window."""
        ph, pw = self.pool_size
        h, w, c = inputs.shape[1] // ph, inputs.shape[2] // pw, inputs.shape[3]
        x = ops.reshape(inputs[:, : h * ph, : w * pw, :], (-1, h, ph, w, pw, c))
        return ops.reshape(ops.transpose(x, (0, 1, 3, 5, 2, 4)), (-1, h, w, c, ph * pw))

    def call(self, inputs, training=None):
        a = ops.relu(self._windows(inputs))
        total = ops.sum(a, axis=-1, keepdims=True)
        safe = ops.where(total > 0, total, ops.ones_like(total))  # an all-zero window outputs 0, not 0/0
        if not training:
            return ops.sum(a * a, axis=-1) / ops.squeeze(safe, axis=-1)
        # Draw j with P(j) = a_j / Σa: the first position whose running sum exceeds u·Σa, u ~ U[0, 1).
        # A zero activation never raises the running sum, so it is never drawn (its p is 0).
        running = ops.cumsum(a, axis=-1)
        u = keras.random.uniform(ops.shape(total), seed=self.seed_generator, dtype=a.dtype)
        chosen = ops.argmax(ops.cast(running > u * running[..., -1:], "int32"), axis=-1)
        return ops.sum(a * ops.one_hot(chosen, a.shape[-1], dtype=a.dtype), axis=-1)

    def compute_output_shape(self, input_shape):
        ph, pw = self.pool_size
        return (input_shape[0], input_shape[1] // ph, input_shape[2] // pw, input_shape[3])

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "seed": self.seed}
