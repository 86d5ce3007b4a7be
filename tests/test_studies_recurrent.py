"""Recurrent family, part A: the generated sequence datasets, the recursive net, truncated BPTT, the
topology builders and the studies' helpers (experiments/rnn_cells.py … char_rnn.py).

Fast: generators and layers are checked against their definitions directly; models are built and
called, not trained, except the tiny "hello" fit. Every study also runs in quick mode in
tests/test_experiments.py.
"""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasdl import data, models  # noqa: E402
from kerasdl.data import sequences  # noqa: E402
from kerasdl.errors import UserError  # noqa: E402
from kerasdl.experiments import bptt, char_rnn  # noqa: E402
from kerasdl.layers import TruncatedBPTT  # noqa: E402
from kerasdl.models.recursive import TreeComposition  # noqa: E402


# ------------------------------------------------------------------------------------ datasets

def test_adding_problem_targets_are_the_sum_of_the_marked_values_and_padding_is_masked():
    x, y, lengths = sequences.adding_problem(50, 20, min_length=8, rng=np.random.default_rng(0))
    for row, target, size in zip(x, y, lengths):
        marked = np.flatnonzero(row[:size, 1] == 1.0)
        assert len(marked) == 2 and marked[0] < size // 2 <= marked[1]
        assert target == pytest.approx(row[marked, 0].sum())
        assert (row[size:] == -1.0).all() and (row[:size] >= 0).all()
    again = data.load("adding-problem", length=12, samples=40)
    assert again.input_shape == (12, 2) and again.task == "regression"
    np.testing.assert_array_equal(again.features, data.load("adding-problem", length=12, samples=40).features)
    with pytest.raises(UserError, match="min_length"):
        data.load("adding-problem", length=10, min_length=20)


def test_future_tags_depend_on_the_token_offset_steps_ahead():
    tokens, tags, lengths = sequences.future_tags(30, 12, 2, rng=np.random.default_rng(1))
    for seq, tag, size in zip(tokens, tags, lengths):
        assert (seq[size:] == 0).all() and (tag[size:] == sequences.PAD_TAG).all()
        np.testing.assert_array_equal(tag[:size - 2], (seq[2:size] - 1) % 3)
        assert (tag[size - 2:size] == 3).all()


def test_tree_encoding_round_trips_and_the_value_decides_the_label():
    rng = np.random.default_rng(2)
    tree = ((4, (sequences.MINUS_ID, 2)), (sequences.PLUS_ID, (6, (sequences.MINUS_ID, 10))))  # (3 − 1) + (5 − 9)
    assert sequences.tree_value(tree) == -2
    assert sequences.tree_text(tree) == "((3 − 1) + (5 − 9))"
    rows = sequences.encode_tree(tree, 17)
    assert rows[-1, 0] == 0 and rows[-1, 1] < rows[-1, 2] < 16           # the root is last, children earlier
    assert all(rows[i, 1] < i and rows[i, 2] < i for i in range(17) if rows[i, 0] == 0 and rows[i, 2])
    loaded = data.load("arithmetic-trees", samples=60)
    assert (loaded.target == (loaded.extras["value"] > 0)).all()
    with pytest.raises(ValueError, match="at most"):
        sequences.encode_tree(sequences.random_tree(5, rng), 4)


def test_tiny_corpora_and_shape_captions():
    hello = data.load("tiny-corpus", corpus="hello", copies=5)
    assert hello.class_names == ("h", "e", "l", "o")
    np.testing.assert_array_equal(hello.features[0], [1, 2, 3, 3])      # h e l l (ids = index + 1)
    np.testing.assert_array_equal(hello.target[0], [1, 2, 2, 3])        # e l l o
    story = data.load("tiny-corpus", corpus="steven", copies=5)
    assert story.n_samples == 60 and set(story.class_names) == {"steven", "saw", "mark", "john", "."}
    with pytest.raises(UserError, match="unknown corpus"):
        data.load("tiny-corpus", corpus="wikipedia")
    captions = data.load("shape-captions", samples=40)
    assert captions.input_shape == (16, 16, 1) and captions.target.shape == (40, 5)
    assert all(captions.class_names[i] == "end" for i in captions.target[:, -1])


# ------------------------------------------------------------------------------------ models and layers

def _compose(tree, embeddings, kernel, bias):
    if isinstance(tree, int):
        return embeddings[tree]
    left, (op, right) = tree
    phrase = np.tanh(np.concatenate([embeddings[op], _compose(right, embeddings, kernel, bias)]) @ kernel + bias)
    return np.tanh(np.concatenate([_compose(left, embeddings, kernel, bias), phrase]) @ kernel + bias)


def test_tree_composition_is_the_recursive_formula_with_one_shared_matrix():
    """The layer's root vector equals h = tanh(W [h_left; h_right] + b) applied recursively in NumPy."""
    rng = np.random.default_rng(3)
    trees = [sequences.random_tree(k, rng) for k in (1, 2, 4)]
    rows = np.stack([sequences.encode_tree(t, 13) for t in trees])
    layer = TreeComposition(13, 4, dtype="float64")
    layer.build((None, 13, 3))
    root = np.asarray(layer(rows))
    embeddings, kernel, bias = (np.asarray(w) for w in (layer.embeddings, layer.kernel, layer.bias))
    for tree, vector in zip(trees, root):
        np.testing.assert_allclose(vector, _compose(tree, embeddings, kernel, bias), atol=1e-12)
    model = models.build("recursive_nn", (13, 3), 1, api="functional", units=4, vocab_size=13)
    assert model.output_shape == (None, 1)
    with pytest.raises(UserError, match="no 'sequential' form"):
        models.build("recursive_nn", (13, 3), 1, api="sequential")
    with pytest.raises(UserError, match="rows"):
        models.build("recursive_nn", (13, 2), 1, api="functional")


def test_postorder_baseline_reads_the_trees_as_token_sequences_and_learns():
    trees = data.load("arithmetic-trees", samples=64)
    x, y = np.asarray(trees.features), np.asarray(trees.target, dtype="float32")
    model = models.build("postorder_rnn", x.shape[1:], 1, api="functional", units=8, vocab_size=13)
    assert model.output_shape == (None, 1)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=3, batch_size=64, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before
    with pytest.raises(UserError, match="no 'sequential' form"):
        models.build("postorder_rnn", x.shape[1:], 1, api="sequential")


def test_truncated_bptt_keeps_the_forward_pass_and_cuts_the_gradient():
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    full = models.build("lstm", (12, 2), 1, units=4, output_activation="linear")
    cut = models.build("lstm", (12, 2), 1, api="sequential", units=4, truncate=5, output_activation="linear")
    cut.set_weights(full.get_weights())
    x = tf.constant(np.random.default_rng(0).normal(size=(3, 12, 2)).astype("float32"))
    np.testing.assert_allclose(np.asarray(full(x)), np.asarray(cut(x)), atol=1e-6)
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(cut(x))
    per_step = np.abs(tape.gradient(total, x).numpy()).sum(axis=(0, 2))
    assert (per_step[:10] == 0).all() and (per_step[10:] > 0).all()   # chunks 0-4, 5-9 | 10-11
    assert isinstance(cut.layers[0], TruncatedBPTT)


@pytest.mark.parametrize("name,input_shape,x", [
    ("image_captioner", (16, 16, 1), np.random.default_rng(0).random((2, 16, 16, 1), dtype="float32")),
    ("caption_mlp", (16, 16, 1), np.random.default_rng(0).random((2, 16, 16, 1), dtype="float32")),
    ("char_rnn", (4,), np.array([[1, 2, 3, 3], [4, 1, 0, 0]]))])
def test_topology_builders_have_both_apis(name, input_shape, x):
    outputs = 4 if name == "char_rnn" else 10
    sequential, functional = (models.build(name, input_shape, outputs, api=api) for api in ("sequential", "functional"))
    assert sequential.count_params() == functional.count_params()
    functional.set_weights(sequential.get_weights())
    np.testing.assert_allclose(np.asarray(sequential(x)), np.asarray(functional(x)), atol=1e-6)
    assert sequential.output_shape == ((None, 4, 4) if name == "char_rnn" else (None, 5, 10))


def test_char_rnn_one_hot_input_is_frozen_and_masked():
    lm = models.build("char_rnn", (4,), 4, api="sequential", units=3)
    one_hot = lm.get_layer("one_hot")
    np.testing.assert_array_equal(np.asarray(one_hot(np.array([[1, 2, 3, 0]])))[0], np.eye(5)[[1, 2, 3, 0]])
    assert not one_hot.trainable_weights
    assert np.asarray(one_hot.compute_mask(np.array([[1, 0]]))).tolist() == [[True, False]]


# ------------------------------------------------------------------------------------ study helpers

def test_bptt_recurrence_profiles_vanish_below_one_and_explode_above():
    profiles = bptt.recurrence_profiles(length=20, units=8)
    shrink = profiles["linear, U = 0.5·Q"]
    grow = profiles["linear, U = 1.5·Q"]
    level = profiles["linear, U = 1.0·Q"]
    assert shrink[0] / shrink[-1] < 1e-4 and grow[0] / grow[-1] > 1e2
    assert 0.2 < level[0] / level[-1] < 5


def test_char_rnn_ceilings_and_generation():
    memoryless, with_memory = char_rnn.accuracy_ceilings()
    assert memoryless == pytest.approx(5 / 12) and with_memory == pytest.approx((5 / 12 + 5) / 6)
    model = models.build("char_rnn", (6,), 5, api="functional", units=4)
    written = char_rnn.generate(model, [0], 8, window=6, sample=True)
    assert len(written) == 9 and all(0 <= w < 5 for w in written)


def test_hello_model_learns_hello():
    """The notes' 4-3-4 character RNN fitted to 'hell' → 'ello' predicts every next letter."""
    found = char_rnn.train_hello(epochs=150, seed=0)
    assert [row[1] for row in found["rows"]] == [row[2] for row in found["rows"]], found["rows"]
    assert found["written"] == "hello"
    assert found["parameters"] == 3 * 5 + 3 * 3 + 3 + 3 * 4 + 4 + 25  # RNN, head, frozen one-hot table
