"""Recurrent builders and cells: shapes, masks, Sequential/functional parity, parameter counts, training,
and the Keras cells against the notes' equations in NumPy."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasdl import models  # noqa: E402
from kerasdl.errors import UserError  # noqa: E402
from kerasdl.layers import LeakyRNNCell  # noqa: E402
from kerasdl.models import recurrent  # noqa: E402

ACCEPTORS = ["simple_rnn", "lstm", "gru", "leaky_rnn", "bidirectional_rnn", "stacked_rnn", "conv1d"]
T, F, VOCAB = 6, 2, 12


def _tokens(n=4, seed=0):
    return np.random.default_rng(seed).integers(1, VOCAB, (n, T))


@pytest.mark.parametrize("name", ACCEPTORS)
def test_builder_parity_training_step_and_save(name, tmp_path):
    """Both APIs build the same network; one batch's loss falls with Adam; a saved model loads back."""
    keras.utils.set_random_seed(0)
    built = {api: models.build(name, (T,), 3, api=api, units=4, vocab_size=VOCAB, embedding_dim=3)
             for api in ("sequential", "functional")}
    x = _tokens(8)
    sequential, functional = built["sequential"], built["functional"]
    assert sequential.output_shape == functional.output_shape == (None, 3)
    assert sequential.count_params() == functional.count_params()
    functional.set_weights(sequential.get_weights())
    np.testing.assert_allclose(np.asarray(sequential(x)), np.asarray(functional(x)), atol=1e-6)

    y = np.arange(8) % 3
    functional.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy",
                       run_eagerly=True)
    losses = [float(functional.train_on_batch(x, y)) for _ in range(3)]
    assert np.isfinite(losses).all() and min(losses[1:]) < losses[0], losses

    path = tmp_path / f"{name}.keras"
    functional.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(functional(x)), atol=1e-6)


@pytest.mark.parametrize("name", ACCEPTORS)
def test_per_step_outputs_and_real_valued_inputs(name):
    per_step = models.build(name, (T, F), 5, api="functional", units=4, return_sequences=True)
    assert per_step.output_shape == (None, T, 5)
    one_feature = models.build(name, (T,), 1, api="sequential", units=4, output_activation="linear")
    out = np.asarray(one_feature(np.ones((2, T), "float32")))
    assert out.shape == (2, 1)
    assert one_feature.layers[-1].activation.__name__ == "linear"
    assert models.build(name, (T, F), 1, units=4).layers[-1].activation.__name__ == "sigmoid"


@pytest.mark.parametrize("name", ["simple_rnn", "lstm", "gru", "leaky_rnn", "stacked_rnn", "bidirectional_rnn"])
def test_padding_does_not_change_the_output(name):
    """A sequence padded at the end (token 0, or steps equal to mask_value) gives the same output as the
    same sequence padded differently: masked steps are skipped, for token and real-valued inputs."""
    keras.utils.set_random_seed(1)
    tokens = models.build(name, (T,), 2, units=4, vocab_size=VOCAB, embedding_dim=3)
    short = np.array([[3, 5, 7, 0, 0, 0]])
    other_padding = np.array([[3, 5, 7, 0, 0, 0], [3, 5, 7, 9, 0, 0]])
    a = np.asarray(tokens(short))[0]
    b = np.asarray(tokens(other_padding))
    np.testing.assert_allclose(a, b[0], atol=1e-6)
    assert not np.allclose(a, b[1])  # the fourth token is read when it is not padding

    steps = models.build(name, (T, F), 2, units=4, mask_value=-1.0)
    x = np.random.default_rng(0).normal(size=(1, T, F)).astype("float32")
    padded = x.copy()
    padded[0, 3:] = -1.0
    garbage = padded.copy()
    garbage[0, 3:, 0] = 5.0  # not all features equal mask_value: a real step
    out_padded = np.asarray(steps(padded))
    shorter = models.build(name, (3, F), 2, units=4)
    shorter.set_weights(steps.get_weights())
    np.testing.assert_allclose(out_padded, np.asarray(shorter(x[:, :3])), atol=1e-5)
    assert not np.allclose(out_padded, np.asarray(steps(garbage)))


def test_bidirectional_merge_modes_and_stacked_widths():
    widths = {mode: models.build("bidirectional_rnn", (T, F), 2, units=4, merge_mode=mode, return_sequences=True)
              .get_layer("bidirectional").output.shape[-1] for mode in recurrent.MERGE_MODES}
    assert widths == {"concat": 8, "sum": 4, "mul": 4, "ave": 4}
    stacked = models.build("stacked_rnn", (T, F), 2, cell="gru", depth=3, units=4)
    grus = [layer.name for layer in stacked.layers if isinstance(layer, keras.layers.GRU)]
    assert grus == ["gru_1", "gru_2", "gru_3"]
    with pytest.raises(UserError, match="one width per layer"):
        models.build("stacked_rnn", (T, F), 2, depth=3, units=[4, 4])
    with pytest.raises(UserError, match="merge_mode"):
        models.build("bidirectional_rnn", (T, F), 2, merge_mode="max")
    with pytest.raises(UserError, match="shape \\(T,\\)"):
        models.build("lstm", (T, F), 2, vocab_size=VOCAB)


@pytest.mark.parametrize("cell,layer,options", [("simple_rnn", keras.layers.SimpleRNN, {}),
                                                ("lstm", keras.layers.LSTM, {}),
                                                ("gru", keras.layers.GRU, {"reset_after": False}),
                                                ("gru", keras.layers.GRU, {"reset_after": True})])
@pytest.mark.parametrize("inputs,units", [(10, 20), (3, 7)])
def test_parameter_count_formula(cell, layer, options, inputs, units):
    """y(m² + nm + m) with y = 1/4/3 (002:229-243), plus 3m for Keras's reset_after GRU."""
    rnn = layer(units, **options)
    rnn.build((None, 5, inputs))
    assert rnn.count_params() == recurrent.rnn_parameter_count(cell, inputs, units, **options)
    assert recurrent.rnn_parameter_count("lstm", 10, 20) == 4 * (400 + 200 + 20) == 2480


def _cell_weights(cell, rng):
    return [rng.normal(scale=0.5, size=w.shape) for w in cell.weights]


def test_cells_match_the_notes_equations():
    """One step of Keras's SimpleRNN, LSTM and GRU cells (both reset conventions) equals the NumPy equations."""
    rng = np.random.default_rng(3)
    x, h, c = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))

    simple = keras.layers.SimpleRNNCell(4, dtype="float64")
    simple.build((None, 3))
    weights = _cell_weights(simple, rng)
    simple.set_weights(weights)
    out, _ = simple(x, [h])
    np.testing.assert_allclose(out, recurrent.simple_rnn_step(x, h, *weights), atol=1e-12)

    lstm = keras.layers.LSTMCell(4, dtype="float64")
    lstm.build((None, 3))
    weights = _cell_weights(lstm, rng)
    lstm.set_weights(weights)
    out, (h_new, c_new) = lstm(x, [h, c])
    h_ref, c_ref = recurrent.lstm_step(x, h, c, *weights)
    np.testing.assert_allclose(out, h_ref, atol=1e-12)
    np.testing.assert_allclose(c_new, c_ref, atol=1e-12)

    for reset_after in (True, False):
        gru = keras.layers.GRUCell(4, reset_after=reset_after, dtype="float64")
        gru.build((None, 3))
        weights = _cell_weights(gru, rng)
        gru.set_weights(weights)
        out, _ = gru(x, [h])
        np.testing.assert_allclose(out, recurrent.gru_step(x, h, *weights, reset_after=reset_after), atol=1e-12)
    # The conventions are different functions of the same weights, not just different counts.
    assert not np.allclose(recurrent.gru_step(x, h, *weights[:2], np.zeros(12), reset_after=True),
                           recurrent.gru_step(x, h, *weights[:2], np.zeros(12), reset_after=False))


def test_leaky_cell_equations_and_its_special_cases():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 5, 3))
    # alpha = 0 and no skip is SimpleRNN with the same weights.
    leaky = keras.layers.RNN(LeakyRNNCell(4, alpha=0.0, dtype="float64"), return_sequences=True, dtype="float64")
    simple = keras.layers.SimpleRNN(4, return_sequences=True, dtype="float64")
    leaky.build((None, 5, 3))
    simple.build((None, 5, 3))
    simple.set_weights(leaky.get_weights())
    np.testing.assert_allclose(leaky(x), simple(x), atol=1e-12)

    # Fixed alpha with a skip of d = 2: h_t = α h_{t−1} + (1 − α) tanh(x W + h_{t−1} U + h_{t−2} V + b).
    cell = LeakyRNNCell(4, alpha=0.7, skip=2, dtype="float64")
    layer = keras.layers.RNN(cell, return_sequences=True, dtype="float64")
    layer.build((None, 5, 3))
    W, U, V, b = (np.asarray(w) for w in (cell.kernel, cell.recurrent_kernel, cell.skip_kernel, cell.bias))
    states = [np.zeros((2, 4)), np.zeros((2, 4))]
    for t in range(5):
        h = 0.7 * states[-1] + 0.3 * np.tanh(x[:, t] @ W + states[-1] @ U + states[-2] @ V + b)
        states.append(h)
    np.testing.assert_allclose(layer(x), np.stack(states[2:], axis=1), atol=1e-12)

    # A learned alpha starts at the given value and is a trainable weight per unit.
    learned = LeakyRNNCell(4, alpha=0.9, learn_alpha=True)
    keras.layers.RNN(learned).build((None, 5, 3))
    np.testing.assert_allclose(np.asarray(learned.leak()), 0.9, atol=1e-6)
    assert "alpha_logit" in [w.name for w in learned.trainable_weights]
    with pytest.raises(ValueError, match="alpha"):
        LeakyRNNCell(4, alpha=1.0)
