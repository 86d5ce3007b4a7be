"""Recurrent builders (CATALOG.md §1 "Recurrent and sequence"): acceptors, taggers and their variants.

Every builder here reads a sequence the same way and differs only in the layer that carries state
through time, so a comparison between them (the `rnn-cells` study) changes one thing at a time:

- inputs: ``vocab_size > 0`` means integer token ids of shape (T,) through
  ``Embedding(vocab_size, embedding_dim, mask_zero=mask_zero)`` (id 0 is padding when masked);
  ``vocab_size == 0`` means real-valued steps of shape (T, F) — or (T,), read as F = 1 — with a
  ``Masking(mask_value)`` layer first when ``mask_value`` is given. Either way the mask travels with
  the tensor, so padded steps are skipped by the recurrent layer (its state is carried over them).
- ``return_sequences=False`` is the acceptor (many-to-one, 000:1405-1417, 001:2400-2436): the last
  state feeds ``Dense(outputs)``. ``return_sequences=True`` is the transducer (many-to-many of equal
  length): a Dense head at every step, e.g. a tagger.
- ``output_activation=None`` follows `build_mlp`: sigmoid for one unit, softmax for several.

Cells (000:1362-1827, 001:2279-2834, 002:65-211, 004:904-1128): ``simple_rnn`` (h = tanh(Wx + Uh + b)),
``lstm`` (forget/input/output gates and a cell state), ``gru`` (update and reset gates;
``reset_after=True`` is Keras's default and the convention of 000:1683 and 004:1102, False that of
002:208), and ``leaky`` (:class:`kerasdl.layers.LeakyRNNCell`, leaky units and skips through time).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from kerasdl.errors import UserError
from kerasdl.layers import LeakyRNNCell, TruncatedBPTT
from kerasdl.models._assemble import assemble, check_choice
from kerasdl.models.feedforward import default_output_activation

__all__ = ["build_simple_rnn", "build_lstm", "build_gru", "build_leaky_rnn", "build_bidirectional_rnn",
           "build_stacked_rnn", "build_conv1d", "build_char_rnn", "build_image_captioner", "build_caption_mlp",
           "sequence_inputs",
           "recurrent_layer", "rnn_parameter_count", "simple_rnn_step", "lstm_step", "gru_step", "CELLS",
           "MERGE_MODES"]

CELLS = ("simple_rnn", "lstm", "gru", "leaky")
MERGE_MODES = ("concat", "sum", "mul", "ave")
_GATE_BLOCKS = {"simple_rnn": 1, "lstm": 4, "gru": 3}


def rnn_parameter_count(cell: str, inputs: int, units: int, *, reset_after: bool = False) -> int:
    """Weights of one recurrent layer: blocks × (m² + n·m + m) for m units and n inputs (002:229-243).

    One block is U (m×m), W (n×m) and a bias b (m): SimpleRNN has 1, LSTM 4 (forget, input, output
    gates and the candidate), GRU 3 (update, reset, candidate). Keras's GRU with ``reset_after=True``
    (its default) keeps the recurrent product's bias apart from the input's — the reset gate
    multiplies (U h + b_U), not (U h) — so it has 3m more biases: 3(m² + n·m + 2m). The notes' count
    is the ``reset_after=False`` one.
    """
    check_choice("cell", cell, tuple(_GATE_BLOCKS))
    blocks = _GATE_BLOCKS[cell]
    extra = blocks * units if (cell == "gru" and reset_after) else 0
    return blocks * (units * units + inputs * units + units) + extra


def sequence_inputs(input_shape: tuple[int, ...], *, vocab_size: int, embedding_dim: int, mask_zero: bool,
                    mask_value: float | None, name: str = "sequence") -> list[keras.layers.Layer]:
    """The layers that turn the builder input into a masked (T, features) sequence (module docstring)."""
    shape = tuple(input_shape)
    if vocab_size:
        if len(shape) != 1:
            raise UserError(f"{name}: token inputs (vocab_size={vocab_size}) must have shape (T,). "
                            f"Received: input_shape={shape}")
        return [keras.layers.Embedding(int(vocab_size), int(embedding_dim), mask_zero=bool(mask_zero),
                                       name="embedding")]
    if len(shape) not in (1, 2):
        raise UserError(f"{name}: expected sequences of shape (T,) or (T, features). Received: input_shape={shape}")
    out: list[keras.layers.Layer] = []
    if len(shape) == 1:
        out.append(keras.layers.Reshape((shape[0], 1), name="steps"))  # one feature per step
    if mask_value is not None:
        # A step is padding when every feature equals mask_value (keras.layers.Masking).
        out.append(keras.layers.Masking(mask_value=float(mask_value), name="masking"))
    return out


def recurrent_layer(cell: str, units: int, *, return_sequences: bool, dropout: float = 0.0,
                    recurrent_dropout: float = 0.0, name: str, activation: str = "tanh",
                    reset_after: bool = True, alpha: float = 0.5, learn_alpha: bool = False,
                    skip: int = 1, truncate: int = 0) -> keras.layers.Layer:
    """One recurrent layer of kind `cell` (one of CELLS); the other builders and seq2seq use this.

    ``truncate=k`` > 0 trains it by truncated BPTT over chunks of k steps (:class:`TruncatedBPTT`).
    """
    check_choice("cell", cell, CELLS)
    if int(truncate) < 0:
        raise UserError(f"Expected truncate >= 0 (0: full backpropagation through time). Received: {truncate}")
    common = dict(return_sequences=return_sequences, dropout=dropout, recurrent_dropout=recurrent_dropout,
                  return_state=bool(truncate), name=f"{name}_cell" if truncate else name)
    if cell == "simple_rnn":
        layer = keras.layers.SimpleRNN(int(units), activation=activation, **common)
    elif cell == "lstm":
        layer = keras.layers.LSTM(int(units), activation=activation, **common)
    elif cell == "gru":
        layer = keras.layers.GRU(int(units), activation=activation, reset_after=bool(reset_after), **common)
    else:
        leaky = LeakyRNNCell(int(units), alpha=alpha, learn_alpha=learn_alpha, skip=skip, activation=activation,
                             dropout=dropout, recurrent_dropout=recurrent_dropout)
        layer = keras.layers.RNN(leaky, return_sequences=return_sequences, return_state=bool(truncate),
                                 name=common["name"])
    return TruncatedBPTT(layer, int(truncate), name=name) if truncate else layer


def _head(outputs: int, output_activation: str | None) -> keras.layers.Layer:
    # On a (T, units) sequence Dense acts on every step with shared weights (what TimeDistributed(Dense)
    # does), and it passes the mask on, so padded steps carry no loss.
    return keras.layers.Dense(int(outputs), activation=output_activation or default_output_activation(outputs),
                              name="output")


def _acceptor(input_shape, outputs, api, name, body, *, vocab_size, embedding_dim, mask_zero, mask_value,
              output_activation) -> keras.Model:
    def layers():
        out = sequence_inputs(input_shape, vocab_size=vocab_size, embedding_dim=embedding_dim,
                              mask_zero=mask_zero, mask_value=mask_value, name=name)
        out += body()
        out.append(_head(outputs, output_activation))
        return out

    return assemble(layers, tuple(input_shape), api, name=name)


def build_simple_rnn(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional", units: int = 32,
                     vocab_size: int = 0, embedding_dim: int = 32, mask_zero: bool = True,
                     mask_value: float | None = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                     return_sequences: bool = False, activation: str = "tanh", truncate: int = 0,
                     output_activation: str | None = None) -> keras.Model:
    """Elman RNN: h_t = tanh(W x_t + U h_{t−1} + b) → Dense (000:1362-1611, 001:2279-2436).

    ``truncate=k`` > 0 trains it by truncated BPTT over k-step chunks (here and in `lstm`, `gru`).
    """
    return _acceptor(input_shape, outputs, api, "simple_rnn",
                     lambda: [recurrent_layer("simple_rnn", units, return_sequences=return_sequences,
                                              dropout=dropout, recurrent_dropout=recurrent_dropout,
                                              activation=activation, truncate=truncate, name="simple_rnn")],
                     vocab_size=vocab_size, embedding_dim=embedding_dim, mask_zero=mask_zero,
                     mask_value=mask_value, output_activation=output_activation)


def build_lstm(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional", units: int = 32,
               vocab_size: int = 0, embedding_dim: int = 32, mask_zero: bool = True,
               mask_value: float | None = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
               return_sequences: bool = False, truncate: int = 0,
               output_activation: str | None = None) -> keras.Model:
    """LSTM: forget, input and output gates over a cell state (000:1729-1827, 002:163-190, 004:1018-1090)."""
    return _acceptor(input_shape, outputs, api, "lstm",
                     lambda: [recurrent_layer("lstm", units, return_sequences=return_sequences, dropout=dropout,
                                              recurrent_dropout=recurrent_dropout, truncate=truncate,
                                              name="lstm")],
                     vocab_size=vocab_size, embedding_dim=embedding_dim, mask_zero=mask_zero,
                     mask_value=mask_value, output_activation=output_activation)


def build_gru(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional", units: int = 32,
              vocab_size: int = 0, embedding_dim: int = 32, mask_zero: bool = True,
              mask_value: float | None = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
              return_sequences: bool = False, reset_after: bool = True, truncate: int = 0,
              output_activation: str | None = None) -> keras.Model:
    """GRU (update and reset gates, 000:1642-1727, 002:191-211, 004:1092-1128) → Dense.

    ``reset_after=True`` (Keras's default) resets after the recurrent product, r ⊙ (U h + b_U), as
    000:1683 and 004:1102 write it; ``reset_after=False`` resets before it, U (r ⊙ h), as 002:208
    does. The two are different models, not just different parameter counts.
    """
    return _acceptor(input_shape, outputs, api, "gru",
                     lambda: [recurrent_layer("gru", units, return_sequences=return_sequences, dropout=dropout,
                                              recurrent_dropout=recurrent_dropout, reset_after=reset_after,
                                              truncate=truncate, name="gru")],
                     vocab_size=vocab_size, embedding_dim=embedding_dim, mask_zero=mask_zero,
                     mask_value=mask_value, output_activation=output_activation)


def build_leaky_rnn(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional", units: int = 32,
                    alpha: float = 0.5, learn_alpha: bool = False, skip: int = 1, vocab_size: int = 0,
                    embedding_dim: int = 32, mask_zero: bool = True, mask_value: float | None = None,
                    dropout: float = 0.0, recurrent_dropout: float = 0.0, return_sequences: bool = False,
                    output_activation: str | None = None) -> keras.Model:
    """RNN of leaky units h_t = α h_{t−1} + (1 − α) tanh(W x_t + U h_{t−1} + b) (001 Unit III, 001:2836).

    α near 1 keeps a unit's past (a long time constant); α = 0 with skip = 1 is SimpleRNN.
    ``learn_alpha=True`` learns one α per unit (kept in (0, 1) by a sigmoid); ``skip=d`` > 1 adds a
    connection through time, V h_{t−d} inside the tanh, so gradients cross T steps in about T/d
    hops. See :class:`kerasdl.layers.LeakyRNNCell`.
    """
    return _acceptor(input_shape, outputs, api, "leaky_rnn",
                     lambda: [recurrent_layer("leaky", units, return_sequences=return_sequences, dropout=dropout,
                                              recurrent_dropout=recurrent_dropout, alpha=alpha,
                                              learn_alpha=learn_alpha, skip=skip, name="leaky_rnn")],
                     vocab_size=vocab_size, embedding_dim=embedding_dim, mask_zero=mask_zero,
                     mask_value=mask_value, output_activation=output_activation)


def build_bidirectional_rnn(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional",
                            cell: str = "lstm", merge_mode: str = "concat", units: int = 32, vocab_size: int = 0,
                            embedding_dim: int = 32, mask_zero: bool = True, mask_value: float | None = None,
                            dropout: float = 0.0, recurrent_dropout: float = 0.0,
                            return_sequences: bool = False, output_activation: str | None = None) -> keras.Model:
    """A forward and a backward RNN over the same sequence, merged (001:2592-2678, 002:218-224).

    At step t the forward state has read x_1..x_t and the backward state x_t..x_T, so a per-step output
    (``return_sequences=True``) can depend on later inputs. ``merge_mode`` joins the two states:
    "concat" (2·units features), "sum", "mul" or "ave" (units features).
    """
    check_choice("merge_mode", merge_mode, MERGE_MODES)
    check_choice("cell", cell, CELLS)

    def body():
        inner = recurrent_layer(cell, units, return_sequences=return_sequences, dropout=dropout,
                                recurrent_dropout=recurrent_dropout, name=f"{cell}")
        return [keras.layers.Bidirectional(inner, merge_mode=merge_mode, name="bidirectional")]

    return _acceptor(input_shape, outputs, api, "bidirectional_rnn", body, vocab_size=vocab_size,
                     embedding_dim=embedding_dim, mask_zero=mask_zero, mask_value=mask_value,
                     output_activation=output_activation)


def build_stacked_rnn(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional", cell: str = "lstm",
                      depth: int = 2, units: int | Sequence[int] = 32, vocab_size: int = 0,
                      embedding_dim: int = 32, mask_zero: bool = True, mask_value: float | None = None,
                      dropout: float = 0.0, recurrent_dropout: float = 0.0, return_sequences: bool = False,
                      output_activation: str | None = None) -> keras.Model:
    """Deep RNN: `depth` recurrent layers, each reading the state sequence of the one below (001:2519-2556).

    Every layer but the top returns its whole state sequence (the next layer's input); the top one
    returns the last state, or the sequence when ``return_sequences=True``. `units` is one width for
    every layer or a list of `depth` widths.
    """
    check_choice("cell", cell, CELLS)
    widths = [int(units)] * int(depth) if isinstance(units, int) else [int(u) for u in units]
    if int(depth) < 1 or len(widths) != int(depth):
        raise UserError(f"stacked_rnn: expected depth >= 1 and one width per layer. Received: depth={depth}, "
                        f"units={units}")

    def body():
        return [recurrent_layer(cell, width, return_sequences=return_sequences or i < len(widths),
                                dropout=dropout, recurrent_dropout=recurrent_dropout, name=f"{cell}_{i}")
                for i, width in enumerate(widths, start=1)]

    return _acceptor(input_shape, outputs, api, "stacked_rnn", body, vocab_size=vocab_size,
                     embedding_dim=embedding_dim, mask_zero=mask_zero, mask_value=mask_value,
                     output_activation=output_activation)


def build_conv1d(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional",
                 filters: int | Sequence[int] = (32,), kernel_size: int = 5, pool: str | None = "global_max",
                 activation: str = "relu", units: int = 32, vocab_size: int = 0, embedding_dim: int = 32,
                 mask_zero: bool = True, mask_value: float | None = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, return_sequences: bool = False,
                 output_activation: str | None = None) -> keras.Model:
    """1-D convolutions over the time axis (001:1687, 004:695): a window of `kernel_size` steps per unit.

    Each block is Conv1D(padding="same") → activation; then "global_max"/"global_avg" pooling over
    time (a fixed-size summary whatever T is), or "max"/"avg" (pool size 2) and Flatten, or None
    (Flatten). ``return_sequences=True`` keeps one output per step (no pooling). ``units`` > 0 adds a
    hidden Dense layer before the output. Unlike an RNN, a convolution cannot read a mask, so
    none is made: padded steps enter the windows near the end of a sequence as their values (zeros)
    or as the padding token's embedding; global max pooling makes that matter little. ``recurrent_dropout``
    is accepted for the shared contract and has no effect (there is no recurrence).
    """
    check_choice("pool", pool, ("global_max", "global_avg", "max", "avg", None))
    widths = [int(filters)] if isinstance(filters, int) else [int(f) for f in filters]
    del recurrent_dropout

    def body():
        out: list[keras.layers.Layer] = []
        for i, width in enumerate(widths, start=1):
            out.append(keras.layers.Conv1D(width, int(kernel_size), padding="same", activation=activation,
                                           name=f"conv1d_{i}"))
            if not return_sequences and pool in ("max", "avg"):
                pooling = keras.layers.MaxPooling1D if pool == "max" else keras.layers.AveragePooling1D
                out.append(pooling(2, padding="same", name=f"pool_{i}"))
        if not return_sequences:
            out.append({"global_max": keras.layers.GlobalMaxPooling1D,
                        "global_avg": keras.layers.GlobalAveragePooling1D}.get(pool, keras.layers.Flatten)(
                name="global_pool" if pool in ("global_max", "global_avg") else "flatten"))
        if dropout:
            out.append(keras.layers.Dropout(dropout, name="dropout"))
        if units:
            out.append(keras.layers.Dense(int(units), activation=activation, name="dense"))
        return out

    # No mask is made: Conv1D cannot read one (Keras would warn and drop it). mask_zero and
    # mask_value are accepted so every sequence builder takes the same settings.
    del mask_zero, mask_value
    return _acceptor(input_shape, outputs, api, "conv1d", body, vocab_size=vocab_size,
                     embedding_dim=embedding_dim, mask_zero=False, mask_value=None,
                     output_activation=output_activation)


# --- NumPy references: the notes' cell equations, one step, on Keras-layout weights -----------------

def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def simple_rnn_step(x, h, kernel, recurrent_kernel, bias):
    """h_t = tanh(x_t W + h_{t−1} U + b) (000:1444-1516, 002:65-110), row vectors as Keras stores them."""
    return np.tanh(np.asarray(x) @ kernel + np.asarray(h) @ recurrent_kernel + bias)


def lstm_step(x, h, c, kernel, recurrent_kernel, bias):
    """One LSTM step as 004:1035-1047 writes it; weights in Keras's gate order i, f, g (candidate), o.

    i, f, o = σ(x W_· + h U_· + b_·), g = tanh(x W_g + h U_g + b_g), c_t = f ⊙ c_{t−1} + i ⊙ g,
    h_t = o ⊙ tanh(c_t). Returns (h_t, c_t).
    """
    a = np.asarray(x) @ kernel + np.asarray(h) @ recurrent_kernel + bias
    i, f, g, o = np.split(a, 4, axis=-1)
    c_new = _sigmoid(f) * np.asarray(c) + _sigmoid(i) * np.tanh(g)
    return _sigmoid(o) * np.tanh(c_new), c_new


def gru_step(x, h, kernel, recurrent_kernel, bias, *, reset_after: bool = True):
    """One GRU step; weights in Keras's gate order z (update), r (reset), h̃ (candidate).

    z = σ(x W_z + h U_z + b_z), r = σ(x W_r + h U_r + b_r), then the candidate
    - ``reset_after=True``: h̃ = tanh(x W_h + b_h + r ⊙ (h U_h + b'_h)) — the reset gate multiplies
      the recurrent product, as 000:1683 and 004:1102 write it (Keras's default; b' is its second bias row);
    - ``reset_after=False``: h̃ = tanh(x W_h + (r ⊙ h) U_h + b_h) — reset before the product (002:208);
    and h_t = z ⊙ h_{t−1} + (1 − z) ⊙ h̃ (000:1714-1721 and Keras). 002:209 and 004:1104 write
    h_t = (1 − z) ⊙ h_{t−1} + z ⊙ h̃: the same cell with z relabelled 1 − z (negated update weights).
    """
    x, h = np.asarray(x), np.asarray(h)
    bias = np.asarray(bias)
    b_in, b_rec = (bias[0], bias[1]) if bias.ndim == 2 else (bias, np.zeros_like(bias))
    xz, xr, xh = np.split(x @ kernel + b_in, 3, axis=-1)
    uz, ur, uh = np.split(recurrent_kernel, 3, axis=-1)
    bz, br, bh = np.split(b_rec, 3, axis=-1)
    z = _sigmoid(xz + h @ uz + bz)
    r = _sigmoid(xr + h @ ur + br)
    candidate = np.tanh(xh + r * (h @ uh + bh)) if reset_after else np.tanh(xh + (r * h) @ uh)
    return z * h + (1.0 - z) * candidate


# --- topologies beyond the acceptor ----------------------------------------------------------------

def build_char_rnn(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional", cell: str = "simple_rnn",
                   units: int = 32, vocab_size: int = 0, one_hot: bool = True, embedding_dim: int = 16,
                   dropout: float = 0.0, output_activation: str | None = None) -> keras.Model:
    """Character- (or word-) level language model: at every step a softmax over the next token (000:1423-1611).

    Inputs are token ids (0 = padding) of shape (T,); outputs are the vocabulary's `outputs` tokens.
    ``one_hot=True`` feeds one-hot vectors as the notes' "hello" model does (a frozen identity
    Embedding, so padding is still masked); otherwise a learned Embedding of `embedding_dim`.
    `vocab_size` counts input ids including padding (0: outputs + 1).
    """
    vocab = int(vocab_size) or int(outputs) + 1
    if len(tuple(input_shape)) != 1:
        raise UserError(f"char_rnn: expected token ids of shape (T,). Received: input_shape={tuple(input_shape)}")

    def layers():
        embed = (keras.layers.Embedding(vocab, vocab, embeddings_initializer="identity", trainable=False,
                                        mask_zero=True, name="one_hot")
                 if one_hot else keras.layers.Embedding(vocab, int(embedding_dim), mask_zero=True, name="embedding"))
        return [embed, recurrent_layer(cell, units, return_sequences=True, dropout=dropout, name=cell),
                keras.layers.Dense(int(outputs), activation=output_activation or "softmax", name="next_token")]

    return assemble(layers, tuple(input_shape), api, name="char_rnn")


def build_image_captioner(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional",
                          caption_length: int = 5, filters: int | Sequence[int] = (8, 16), units: int = 32,
                          cell: str = "lstm", output_activation: str | None = None) -> keras.Model:
    """One-to-many (001:2400-2436, 003:939-976 "image in, words out"): a CNN encodes the image once, an RNN
    emits one word per step.

    Conv(3×3, ReLU) → max pool per entry of `filters`, then Flatten → Dense(units) is the image code;
    RepeatVector feeds that code to the decoder RNN at each of `caption_length` steps, and a shared
    softmax over the `outputs` words reads every step's state. The RNN's state is what lets step t
    say a different word than step t − 1 from the same input.
    """
    if len(tuple(input_shape)) != 3:
        raise UserError(f"image_captioner: expected images (height, width, channels). "
                        f"Received: input_shape={tuple(input_shape)}")
    widths = [int(filters)] if isinstance(filters, int) else [int(f) for f in filters]

    def layers():
        return [*_image_encoder(widths, units),
                keras.layers.RepeatVector(int(caption_length), name="every_step"),
                recurrent_layer(cell, units, return_sequences=True, name=f"decoder_{cell}"),
                keras.layers.Dense(int(outputs), activation=output_activation or "softmax", name="word")]

    return assemble(layers, tuple(input_shape), api, name="image_captioner")


def _image_encoder(widths: Sequence[int], units: int) -> list[keras.layers.Layer]:
    """The captioning demos' image code: Conv(3×3, ReLU) → 2×2 max pool per width, Flatten, Dense(units)."""
    out: list[keras.layers.Layer] = []
    for i, width in enumerate(widths, start=1):
        out += [keras.layers.Conv2D(width, 3, padding="same", activation="relu", name=f"conv_{i}"),
                keras.layers.MaxPooling2D(2, name=f"pool_{i}")]
    return [*out, keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(int(units), activation="relu", name="image_code")]


def build_caption_mlp(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional",
                      caption_length: int = 5, filters: int | Sequence[int] = (8, 16), units: int = 32,
                      output_activation: str | None = None) -> keras.Model:
    """One-to-one counterpart of `image_captioner`: the same CNN encoder, then one Dense layer that emits all
    `caption_length` words at once (a fixed-size output vector, reshaped to one softmax per word)."""
    if len(tuple(input_shape)) != 3:
        raise UserError(f"caption_mlp: expected images (height, width, channels). "
                        f"Received: input_shape={tuple(input_shape)}")
    widths = [int(filters)] if isinstance(filters, int) else [int(f) for f in filters]

    def layers():
        return [*_image_encoder(widths, units),
                keras.layers.Dense(int(caption_length) * int(outputs), name="all_words"),
                keras.layers.Reshape((int(caption_length), int(outputs)), name="per_word"),
                keras.layers.Activation(output_activation or "softmax", name="word")]

    return assemble(layers, tuple(input_shape), api, name="caption_mlp")
