"""Worked numbers of recurrent cells: the "hello" RNN's intermediate sums, LSTM and GRU steps, bag-of-words sizes.

The "hello" rows complete _worked_dense.py's (which check h_t, y_t and the softmax) with the sums the notes
print on the way (000:1475-1571): W_xh·x_t, W_hh·h_{t−1} + b and their sum before tanh, computed by Keras
layers with the notes' weights (_worked_dense.WXH, WHH, RNN_BIAS). 000:1382 and 000:1511 write
h_t = tanh(W_hh h_{t−1} + W_xh x_t) without a bias, but the worked example adds one (0.567001) — so does
Keras's SimpleRNN.

The LSTM and GRU rows put one step of the notes' equations, written out in NumPy
(kerasdl.models.recurrent.lstm_step / gru_step), next to Keras's cells with the same weights. The notes
do not agree on the GRU:

* reset gate: 002:208 resets before the recurrent product, h̃ = tanh(W·[r ⊙ h_{t−1}, x_t]) — Keras's
  ``reset_after=False``; 000:1683 (r = tanh(gate_reset ⊙ (W_h1·h_{t−1}) + W_x1·x_t)) and 004:1102
  (h′ = tanh(W_xh x + r ⊙ (W_hh h_{t−1}) + b)) reset after it — Keras's default ``reset_after=True``, whose
  extra bias per gate (r multiplies U h + b_U) is where Keras's larger GRU count comes from.
* update gate: 000:1714-1721 (h_t = r ⊙ (1 − z) + z ⊙ h_{t−1}) is Keras's
  h = z ⊙ h_{t−1} + (1 − z) ⊙ h̃;
  002:209 and 004:1104 write h_t = (1 − z) ⊙ h_{t−1} + z ⊙ h̃, the same cell with z renamed 1 − z
  (negating the update gate's weights and bias turns one into the other, since σ(−a) = 1 − σ(a)).

Weights for the LSTM/GRU rows are drawn from N(0, 0.5²) with a fixed seed (the notes give no numbers);
n = 3 inputs, m = 2 units, float64.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from kerasdl.experiments._worked_common import Registry, digits

REGISTRY = Registry()
N_IN, M_UNITS = 3, 2


# --------------------------------------------------------------------------- "hello": intermediate sums
@lru_cache(maxsize=1)
def hello_sums() -> dict[str, Any]:
    """W_xh·x_t, W_hh·h_{t−1} + b and their sum for 'h' then 'e', from Keras layers with the notes' weights."""
    import keras

    from kerasdl.experiments._worked_dense import RNN_BIAS, VOCABULARY, WHH, WXH

    one_hot = np.eye(4)[[VOCABULARY.index(c) for c in "he"]]
    input_term = keras.layers.Dense(3, use_bias=False, dtype="float64")          # W_xh·x_t
    input_term.build((None, 4))
    input_term.set_weights([WXH.T])
    recurrent_term = keras.layers.Dense(3, dtype="float64")                    # W_hh·h_{t−1} + b
    recurrent_term.build((None, 3))
    recurrent_term.set_weights([WHH * np.eye(3), np.full(3, RNN_BIAS)])
    # The pre-activation sum is a SimpleRNN cell with no activation; the state it passes on is the tanh'd one.
    linear = keras.layers.SimpleRNNCell(3, activation=None, dtype="float64")
    linear.build((None, 4))
    linear.set_weights([WXH.T, WHH * np.eye(3), np.full(3, RNN_BIAS)])
    h_prev = np.zeros((1, 3))
    out: dict[str, Any] = {}
    for t, letter in enumerate("he"):
        x = one_hot[t:t + 1]
        out[f"wx_{letter}"] = np.asarray(input_term(x))[0]
        out[f"uh_{letter}"] = np.asarray(recurrent_term(h_prev))[0]
        total, _ = linear(x, [h_prev])
        out[f"sum_{letter}"] = np.asarray(total)[0]
        h_prev = np.tanh(np.asarray(total))
    return out


@REGISTRY.add("hello-wx-h", "Char RNN 'hello': W_xh·x for 'h' (the first column of W_xh)", "000:1448-1466",
              tolerance=digits(6))
def hello_wx_h():
    return [0.287027, 0.902874, 0.537524], hello_sums()["wx_h"]


@REGISTRY.add("hello-uh-h", "Char RNN 'hello': W_hh·h_{t−1} + b for 'h' (h_{t−1} = 0)", "000:1487-1501",
              tolerance=digits(6))
def hello_uh_h():
    return [0.567001] * 3, hello_sums()["uh_h"]


@REGISTRY.add("hello-sum-h", "Char RNN 'hello': pre-activation W_xh·x + W_hh·h + b for 'h' (before tanh)",
              "000:1515", tolerance=digits(6))
def hello_sum_h():
    return [0.854028, 1.469875, 1.104525], hello_sums()["sum_h"]


@REGISTRY.add("hello-uh-e", "Char RNN 'hello': W_hh·h_{t−1} + b for 'e' (W_hh and b have 6 decimals, so ±1e-6; "
              "the last value is printed with 5)", "000:1528-1552", tolerance=[1e-6, 1e-6, digits(5)])
def hello_uh_e():
    return [0.863013, 0.951149, 0.90954], hello_sums()["uh_e"]


@REGISTRY.add("hello-wx-e", "Char RNN 'hello': W_xh·x for 'e' (the second column of W_xh)", "000:1554-1571",
              tolerance=digits(6))
def hello_wx_e():
    return [0.84606, 0.871522, 0.09224], hello_sums()["wx_e"]


@REGISTRY.add("hello-sum-e", "Char RNN 'hello': tanh of the two columns' sum for 'e' (000:1579 adds them)",
              "000:1579", tolerance=5e-7)
def hello_sum_e():
    return [0.93653372, 0.94910403, 0.76234056], np.tanh(hello_sums()["sum_e"])


# --------------------------------------------------------------------------- LSTM and GRU cells
def _weights(cell, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(scale=0.5, size=tuple(w.shape)) for w in cell.weights]


def _inputs(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(1, N_IN)), rng.normal(scale=0.5, size=(1, M_UNITS)),
            rng.normal(scale=0.5, size=(1, M_UNITS)))


@REGISTRY.add("forget-gate-cell", "LSTM forget gate through Keras's LSTMCell: zero weights give f = i = o = σ(0) "
              "= ½ and g = tanh(0) = 0, so c_t = ½ ⊙ (2,8,9,4,0,6) + ½ ⊙ 0", "002:184-186", tolerance=1e-12)
def forget_gate_cell():
    import keras

    cell = keras.layers.LSTMCell(6, dtype="float64")
    cell.build((None, 1))
    cell.set_weights([np.zeros(w.shape) for w in cell.weights])
    _, (_, c) = cell(np.zeros((1, 1)), [np.zeros((1, 6)), np.array([[2, 8, 9, 4, 0, 6]], dtype=float)])
    return [1, 4, 4.5, 2, 0, 3], np.asarray(c)[0]


@REGISTRY.add("lstm-step", "One LSTM step: the equations of 004:1035-1047 in NumPy (notes' column) vs "
              "keras.layers.LSTMCell with the same weights: [h_t, c_t]", "004:1035-1047", tolerance=1e-12)
def lstm_step_row():
    import keras

    from kerasdl.models.recurrent import lstm_step

    cell = keras.layers.LSTMCell(M_UNITS, dtype="float64")
    cell.build((None, N_IN))
    weights = _weights(cell, 11)
    cell.set_weights(weights)
    x, h, c = _inputs(12)
    h_ref, c_ref = lstm_step(x, h, c, *weights)
    _, (h_new, c_new) = cell(x, [h, c])
    return [*h_ref[0], *c_ref[0]], [*np.asarray(h_new)[0], *np.asarray(c_new)[0]]


def _gru(reset_after: bool, seed: int):
    import keras

    cell = keras.layers.GRUCell(M_UNITS, reset_after=reset_after, dtype="float64")
    cell.build((None, N_IN))
    weights = _weights(cell, seed)
    cell.set_weights(weights)
    return cell, weights


@REGISTRY.add("gru-step-reset-after", "One GRU step, reset AFTER the recurrent product r ⊙ (U h + b′) as 000:1683 "
              "and 004:1102 write it (NumPy) vs keras GRUCell(reset_after=True), Keras's default",
              "000:1683, 004:1102", tolerance=1e-12)
def gru_step_reset_after():
    from kerasdl.models.recurrent import gru_step

    cell, weights = _gru(True, 21)
    x, h, _ = _inputs(22)
    return gru_step(x, h, *weights, reset_after=True)[0], np.asarray(cell(x, [h])[0])[0]


@REGISTRY.add("gru-step-reset-before", "One GRU step, reset BEFORE the product U (r ⊙ h) as 002:208 writes it "
              "(NumPy) vs keras GRUCell(reset_after=False)", "002:208", tolerance=1e-12)
def gru_step_reset_before():
    from kerasdl.models.recurrent import gru_step

    cell, weights = _gru(False, 31)
    x, h, _ = _inputs(32)
    return gru_step(x, h, *weights, reset_after=False)[0], np.asarray(cell(x, [h])[0])[0]


@REGISTRY.add("gru-update-convention", "GRU update as 002:209 / 004:1104 write it, h = (1−z)⊙h₋₁ + z⊙h̃ "
              "(NumPy), "
              "vs Keras's h = z⊙h₋₁ + (1−z)⊙h̃ with the update gate's weights and bias negated",
              "002:209, 004:1104, 000:1714-1721", tolerance=1e-12)
def gru_update_convention():
    from scipy.special import expit as sigmoid

    cell, weights = _gru(False, 41)
    kernel, recurrent, bias = weights
    x, h, _ = _inputs(42)
    m = M_UNITS
    # The notes' form, from the equations: z, r, h̃ (reset before, 002:206-209), then (1 − z) h + z h̃.
    z = sigmoid(x @ kernel[:, :m] + h @ recurrent[:, :m] + bias[:m])
    r = sigmoid(x @ kernel[:, m:2 * m] + h @ recurrent[:, m:2 * m] + bias[m:2 * m])
    candidate = np.tanh(x @ kernel[:, 2 * m:] + (r * h) @ recurrent[:, 2 * m:] + bias[2 * m:])
    notes = (1 - z) * h + z * candidate
    flipped = [w.copy() for w in weights]
    for w in flipped:
        w[..., :m] *= -1.0                                       # σ(−a) = 1 − σ(a): z ↔ 1 − z
    cell.set_weights(flipped)
    return notes[0], np.asarray(cell(x, [h])[0])[0]


# --------------------------------------------------------------------------- bag-of-words sizes
@lru_cache(maxsize=1)
def bag_of_words_sizes() -> dict[str, int]:
    """One-hot sizes of the notes' sentences over a 10,000-word vocabulary (002:40-58), with Keras layers.

    `TextVectorization` with a fixed vocabulary of 10,000 ids (its padding and OOV ids included) maps each
    sentence to ids; one-hot encoding gives one 10,000-vector per word, so a sentence of k words is k·10⁴
    numbers, and padding every sentence to 50 words makes it 500,000 numbers, mostly zero vectors.
    """
    import keras

    vocabulary = ["this", "phone", "is", "very", "fast", "good"] + [f"word{i}" for i in range(10_000 - 8)]
    vectorize = keras.layers.TextVectorization(vocabulary=vocabulary, output_mode="int")
    size = vectorize.vocabulary_size()
    sentences = {"five": "This phone is very fast", "four": "This phone is good.",
                 "twenty": " ".join(["this phone is very fast"] * 4)}
    out: dict[str, int] = {"vocabulary": size}
    for name, text in sentences.items():
        ids = np.asarray(vectorize([text]))[0]
        out[name] = int(np.asarray(keras.ops.one_hot(ids, size)).size)
    padded = keras.layers.TextVectorization(vocabulary=vocabulary, output_mode="int", output_sequence_length=50)
    ids = np.asarray(padded(["This phone is very fast"]))[0]
    # Padding (id 0) is a zero vector, "zero padding" in the notes' words; a word is a one-hot vector.
    encoded = np.asarray(keras.ops.one_hot(ids, size)) * (ids != 0)[:, None]
    filled = encoded.any(axis=1)
    out["padded_total"] = int(encoded.size)
    out["padded_words"] = int(filled.sum() * size)
    out["padded_zero_vectors"] = int((~filled).sum() * size)
    return out


@REGISTRY.add("bow-sizes", "One-hot words at 10k vocabulary: 5, 4 and 20 words → numbers per sentence "
              "(TextVectorization + one_hot)", "002:41-51")
def bow_sizes():
    found = bag_of_words_sizes()
    return [50_000, 40_000, 200_000], [found["five"], found["four"], found["twenty"]]


@REGISTRY.add("bow-padding", "Padded to 50 words: the 5-word sentence fills 50K of 500K, the other 450K are "
              "zero (padding) vectors", "002:58")
def bow_padding():
    found = bag_of_words_sizes()
    return [500_000, 50_000, 450_000], [found["padded_total"], found["padded_words"], found["padded_zero_vectors"]]
