"""Encoder-decoder builders (CATALOG.md §1 "Recurrent and sequence") and the Transformer comparator.

- `seq2seq` (001:2494-2590, 002:303-321): an encoder RNN reads the source; its final state is the
  "encoder vector" that becomes the decoder's initial state; the decoder RNN reads START and the
  previous target tokens and a softmax gives the next token at every step (y_t = softmax(W^S h_t)).
- `seq2seq_attention` (002:327-375, Bahdanau et al. 2015 "jointly learning to align and translate"):
  a BIDIRECTIONAL encoder keeps every annotation h_j; at each output step i the weights
  α_ij = softmax_j(e_ij), e_ij = a(s_i, h_j) = vᵀ tanh(W s_i + U h_j) (a small feed-forward net, the
  notes' "feed forward ANN (Small)") give the context c_i = Σ_j α_ij h_j, which joins the decoder
  state before the softmax. The score is Bahdanau's additive one (`keras.layers.AdditiveAttention`
  after the W and U projections); as in TensorFlow's NMT tutorial the query is the decoder state
  after reading y_{i−1} (s_i) rather than s_{i−1}, which lets a stock Keras RNN layer run the decoder.
  Note 002:372 writes Σ_i α_ij = 1; the softmax normalises over the source positions j (Σ_j α_ij = 1),
  which is what the weights here satisfy. `attention_weights(model, x)` returns them (n, T_out, T_in).
- `transformer_encoder` (002:377, 004:135): token + position embeddings and `blocks` of multi-head
  self-attention and a feed-forward layer, each with a residual connection and layer normalisation.
  With one token input (T,) it is a classifier (masked mean over positions → Dense); with the
  {"encoder", "decoder"} inputs of a translation it adds a decoder of causal self-attention,
  attention over the encoder and a feed-forward layer, so it trains and decodes like the RNNs.

Inputs of the translation builders: a dict of shapes {"encoder": (T_in,), "decoder": (T_out,)};
`vocab_size` is the SOURCE vocabulary (ids, 0 = padding), `outputs` the TARGET vocabulary. Padding is
masked everywhere (`mask_zero=True`). Training is teacher forcing; `greedy_decode` is inference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import numpy as np

from kerasdl.errors import UserError
from kerasdl.models._assemble import check_choice

__all__ = ["PositionalEmbedding", "attention_weights", "build_seq2seq", "build_seq2seq_attention",
           "build_transformer_encoder", "greedy_decode"]

_CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "simple_rnn": keras.layers.SimpleRNN}


def _translation_inputs(where: str, input_shape: Any, vocab_size: int) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    if not isinstance(input_shape, Mapping) or set(input_shape) != {"encoder", "decoder"}:
        raise UserError(f"{where}: expected input_shape as a dict with 'encoder' and 'decoder' shapes (T,). "
                        f"Received: {input_shape!r}")
    if not vocab_size or int(vocab_size) < 2:
        raise UserError(f"{where}: expected vocab_size= the source vocabulary size (≥ 2). Received: {vocab_size!r}")
    encoder = keras.Input(tuple(input_shape["encoder"]), dtype="int32", name="encoder")
    decoder = keras.Input(tuple(input_shape["decoder"]), dtype="int32", name="decoder")
    return encoder, decoder


def _check_api(where: str, api: str) -> None:
    if api != "functional":
        raise UserError(f"{where}: has only a functional form (two inputs). Received: api={api!r}")


def build_seq2seq(input_shape, outputs: int, *, api: str = "functional", vocab_size: int = 0, cell: str = "lstm",
                  units: int = 64, embedding_dim: int = 32, dropout: float = 0.0,
                  output_activation: str | None = "softmax") -> keras.Model:
    """Encoder RNN → final state → decoder RNN (initial state) → softmax over the target vocabulary."""
    _check_api("seq2seq", api)
    check_choice("cell", cell, tuple(_CELLS))
    enc_in, dec_in = _translation_inputs("seq2seq", input_shape, vocab_size)
    layer = _CELLS[cell]
    source = keras.layers.Embedding(int(vocab_size), embedding_dim, mask_zero=True, name="source_embedding")(enc_in)
    encoded = layer(units, return_state=True, dropout=dropout, name="encoder_rnn")(source)
    state = list(encoded[1:])  # LSTM: [h, c]; GRU / SimpleRNN: [h] — the "encoder vector"
    target = keras.layers.Embedding(int(outputs), embedding_dim, mask_zero=True, name="target_embedding")(dec_in)
    decoded = layer(units, return_sequences=True, dropout=dropout, name="decoder_rnn")(target, initial_state=state)
    probabilities = keras.layers.Dense(outputs, activation=output_activation or "softmax", name="next_token")(decoded)
    return keras.Model({"encoder": enc_in, "decoder": dec_in}, probabilities, name="seq2seq")


def build_seq2seq_attention(input_shape, outputs: int, *, api: str = "functional", vocab_size: int = 0,
                            cell: str = "lstm", units: int = 64, embedding_dim: int = 32, attention_units: int = 64,
                            dropout: float = 0.0, output_activation: str | None = "softmax") -> keras.Model:
    """Bidirectional encoder annotations h_j, decoder states s_i, additive attention c_i = Σ_j α_ij h_j."""
    _check_api("seq2seq_attention", api)
    check_choice("cell", cell, ("lstm", "gru"))
    enc_in, dec_in = _translation_inputs("seq2seq_attention", input_shape, vocab_size)
    layer = _CELLS[cell]
    source = keras.layers.Embedding(int(vocab_size), embedding_dim, mask_zero=True, name="source_embedding")(enc_in)
    both = keras.layers.Bidirectional(layer(units, return_sequences=True, return_state=True, dropout=dropout),
                                      name="encoder_birnn")(source)
    annotations, states = both[0], both[1:]
    half = len(states) // 2
    # The decoder starts from both directions' final states joined and projected to its own size
    # (Bahdanau's s_0 = tanh(W_s h_1 backward); here both directions are used).
    initial = [keras.layers.Dense(units, activation="tanh", name=f"initial_state_{k}")(
        keras.layers.Concatenate()([states[k], states[half + k]])) for k in range(half)]
    target = keras.layers.Embedding(int(outputs), embedding_dim, mask_zero=True, name="target_embedding")(dec_in)
    decoded = layer(units, return_sequences=True, dropout=dropout, name="decoder_rnn")(target, initial_state=initial)
    query = keras.layers.Dense(attention_units, use_bias=False, name="attention_W")(decoded)
    key = keras.layers.Dense(attention_units, use_bias=False, name="attention_U")(annotations)
    context, weights = keras.layers.AdditiveAttention(use_scale=True, name="attention")(
        [query, annotations, key], return_attention_scores=True)
    joined = keras.layers.Concatenate(name="state_and_context")([decoded, context])
    hidden = keras.layers.Dense(units, activation="tanh", name="attentional_state")(joined)
    probabilities = keras.layers.Dense(outputs, activation=output_activation or "softmax", name="next_token")(hidden)
    return keras.Model({"encoder": enc_in, "decoder": dec_in}, probabilities, name="seq2seq_attention")


@keras.saving.register_keras_serializable(package="kerasdl")
class PositionalEmbedding(keras.layers.Layer):
    """Token embedding plus a learned embedding of each position (self-attention has no notion of order
    otherwise); id 0 is padding and is masked, so attention and pooling skip it."""

    def __init__(self, sequence_length: int, vocab_size: int, embedding_dim: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sequence_length, self.vocab_size, self.embedding_dim = sequence_length, vocab_size, embedding_dim
        self.tokens = keras.layers.Embedding(vocab_size, embedding_dim)
        self.positions = keras.layers.Embedding(sequence_length, embedding_dim)

    def build(self, input_shape) -> None:
        self.tokens.build(input_shape)
        self.positions.build((self.sequence_length,))
        self.built = True

    def call(self, inputs):
        steps = keras.ops.arange(keras.ops.shape(inputs)[-1])
        return self.tokens(inputs) + self.positions(steps)

    def compute_mask(self, inputs, mask=None):
        return keras.ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.embedding_dim)

    def get_config(self) -> dict:
        return {**super().get_config(), "sequence_length": self.sequence_length, "vocab_size": self.vocab_size,
                "embedding_dim": self.embedding_dim}


def _feed_forward(x, ff_dim: int, width: int, dropout: float, name: str):
    hidden = keras.layers.Dense(ff_dim, activation="relu", name=f"{name}_ff1")(x)
    out = keras.layers.Dense(width, name=f"{name}_ff2")(hidden)
    out = keras.layers.Dropout(dropout, name=f"{name}_ff_dropout")(out)
    return keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm2")(keras.layers.Add()([x, out]))


def _encoder_block(x, *, heads: int, key_dim: int, ff_dim: int, dropout: float, name: str):
    attended = keras.layers.MultiHeadAttention(heads, key_dim, dropout=dropout, name=f"{name}_attention")(x, x)
    x = keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm1")(keras.layers.Add()([x, attended]))
    return _feed_forward(x, ff_dim, x.shape[-1], dropout, name)


def build_transformer_encoder(input_shape, outputs: int, *, api: str = "functional", vocab_size: int = 0,
                              embedding_dim: int = 32, num_heads: int = 2, ff_dim: int = 64, blocks: int = 1,
                              dropout: float = 0.1, output_activation: str | None = None) -> keras.Model:
    """Self-attention blocks over token + position embeddings: a classifier for (T,) token inputs, or an
    encoder-decoder for {"encoder", "decoder"} inputs (see the module docstring)."""
    _check_api("transformer_encoder", api)
    if not vocab_size or int(vocab_size) < 2:
        raise UserError(f"transformer_encoder: expected vocab_size= the (source) vocabulary size (≥ 2). "
                        f"Received: {vocab_size!r}")
    key_dim = max(1, embedding_dim // num_heads)
    block = {"heads": num_heads, "key_dim": key_dim, "ff_dim": ff_dim, "dropout": dropout}
    if isinstance(input_shape, Mapping):
        enc_in, dec_in = _translation_inputs("transformer_encoder", input_shape, vocab_size)
        x = PositionalEmbedding(int(enc_in.shape[1]), int(vocab_size), embedding_dim, name="source_embedding")(enc_in)
        for b in range(blocks):
            x = _encoder_block(x, name=f"encoder{b + 1}", **block)
        y = PositionalEmbedding(int(dec_in.shape[1]), int(outputs), embedding_dim, name="target_embedding")(dec_in)
        for b in range(blocks):
            name = f"decoder{b + 1}"
            # causal: position i sees targets ≤ i only, as in greedy decoding
            own = keras.layers.MultiHeadAttention(num_heads, key_dim, dropout=dropout, name=f"{name}_self")(
                y, y, use_causal_mask=True)
            y = keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm0")(keras.layers.Add()([y, own]))
            cross = keras.layers.MultiHeadAttention(num_heads, key_dim, dropout=dropout, name=f"{name}_cross")(y, x)
            y = keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm1")(keras.layers.Add()([y, cross]))
            y = _feed_forward(y, ff_dim, embedding_dim, dropout, name)
        probabilities = keras.layers.Dense(outputs, activation=output_activation or "softmax", name="next_token")(y)
        return keras.Model({"encoder": enc_in, "decoder": dec_in}, probabilities, name="transformer_seq2seq")
    shape = tuple(input_shape)
    if len(shape) != 1:
        raise UserError(f"transformer_encoder: token inputs must have shape (T,). Received: input_shape={shape}")
    inputs = keras.Input(shape, dtype="int32", name="tokens")
    x = PositionalEmbedding(shape[0], int(vocab_size), embedding_dim, name="embedding")(inputs)
    for b in range(blocks):
        x = _encoder_block(x, name=f"block{b + 1}", **block)
    pooled = keras.layers.GlobalAveragePooling1D(name="masked_mean")(x)  # padding excluded by the mask
    pooled = keras.layers.Dropout(dropout, name="head_dropout")(pooled)
    activation = output_activation or ("sigmoid" if outputs == 1 else "softmax")
    return keras.Model(inputs, keras.layers.Dense(outputs, activation=activation, name="output")(pooled),
                       name="transformer_encoder")


def greedy_decode(model: keras.Model, encoder_inputs: np.ndarray, *, length: int, start: int = 1, end: int = 2,
                  encoder_key: str = "encoder", decoder_key: str = "decoder", batch_size: int = 512) -> np.ndarray:
    """(n, length) token ids: START, then at each step the most probable next token fed back, until
    every sequence has produced END or `length` steps ran; positions after a sequence's END are 0.

    Works for any teacher-forced model whose output at step t depends on decoder inputs ≤ t (RNN
    decoders, and the causal Transformer decoder): step t runs the model on the tokens decoded so far.
    """
    encoder_inputs = np.asarray(encoder_inputs)
    n = len(encoder_inputs)
    decoder = np.zeros((n, length), dtype=np.int32)
    decoder[:, 0] = start
    out = np.zeros((n, length), dtype=np.int32)
    finished = np.zeros(n, dtype=bool)
    for step in range(length):
        # every row at every step (finished ones too): a fixed batch shape keeps one traced graph
        probabilities = model.predict({encoder_key: encoder_inputs, decoder_key: decoder},
                                      batch_size=batch_size, verbose=0)
        token = np.asarray(probabilities)[:, step].argmax(axis=-1).astype(np.int32)
        token[finished] = 0
        out[:, step] = token
        if step + 1 < length:
            decoder[:, step + 1] = token
        finished |= token == end
        if finished.all():
            break
    return out


def attention_weights(model: keras.Model, inputs: dict[str, np.ndarray], *, layer: str = "attention") -> np.ndarray:
    """The attention weights α (n, T_out, T_in) a `seq2seq_attention` model computes for `inputs`
    (rows sum to 1 over the unmasked source positions)."""
    scores = model.get_layer(layer).output[1]
    probe = keras.Model(model.input, scores)
    return np.asarray(probe.predict(inputs, verbose=0))
