"""Encoder-decoder builders, greedy decoding, attention weights and the seq2seq task's metrics.

Tiny vocabularies and a handful of sequences: the checks are shapes, masks, that one training step
lowers the loss, and that decoding stops at END. The metrics are checked against hand-counted values.
"""

from __future__ import annotations

import numpy as np
import pytest

from kerasdl import tasks
from kerasdl.errors import UserError

SHAPE = {"encoder": (6,), "decoder": (4,)}
SOURCE_VOCAB, TARGET_VOCAB = 9, 7


def _batch(n: int = 8, seed: int = 0):
    """Copy task: target = the first 2 source ids (as target ids 3..), then END; source padded at the end."""
    rng = np.random.default_rng(seed)
    encoder = np.zeros((n, 6), np.int32)
    decoder = np.zeros((n, 4), np.int32)
    target = np.zeros((n, 4), np.int32)
    for row in range(n):
        length = int(rng.integers(2, 7))
        encoder[row, :length] = rng.integers(2, SOURCE_VOCAB, size=length)
        digits = [3 + int(v) % 4 for v in encoder[row, :2]]
        decoder[row, :3] = [1, *digits]
        target[row, :3] = [*digits, 2]
    return {"encoder": encoder, "decoder": decoder}, target


def _builders():
    from kerasdl.models import seq2seq

    return {
        "seq2seq": lambda: seq2seq.build_seq2seq(SHAPE, TARGET_VOCAB, vocab_size=SOURCE_VOCAB, units=8,
                                                 embedding_dim=4),
        "seq2seq_gru": lambda: seq2seq.build_seq2seq(SHAPE, TARGET_VOCAB, vocab_size=SOURCE_VOCAB, cell="gru",
                                                     units=8, embedding_dim=4),
        "seq2seq_attention": lambda: seq2seq.build_seq2seq_attention(SHAPE, TARGET_VOCAB, vocab_size=SOURCE_VOCAB,
                                                                     units=8, embedding_dim=4, attention_units=8),
        "transformer": lambda: seq2seq.build_transformer_encoder(SHAPE, TARGET_VOCAB, vocab_size=SOURCE_VOCAB,
                                                                 embedding_dim=8, num_heads=2, ff_dim=8,
                                                                 dropout=0.0),
    }


@pytest.mark.parametrize("name", ["seq2seq", "seq2seq_attention", "transformer"])
def test_translation_builders_train_one_step_and_decode_to_end(name):
    import keras

    from kerasdl.models.seq2seq import greedy_decode

    keras.utils.set_random_seed(0)
    model = _builders()[name]()
    x, y = _batch()
    loss = tasks.get("seq2seq").loss()
    probabilities = model(x)
    assert tuple(probabilities.shape) == (8, 4, TARGET_VOCAB)
    np.testing.assert_allclose(np.asarray(probabilities).sum(axis=-1), 1.0, rtol=1e-5)
    model.compile(keras.optimizers.Adam(0.05), loss)
    before = float(loss(y, model(x)))
    model.train_on_batch(x, y)
    assert float(loss(y, model(x))) < before
    decoded = greedy_decode(model, x["encoder"], length=4)
    assert decoded.shape == (8, 4)
    for row in decoded:  # nothing after the first END
        ends = np.flatnonzero(row == 2)
        if ends.size:
            assert not row[ends[0] + 1:].any()


def test_gru_seq2seq_carries_one_state():
    model = _builders()["seq2seq_gru"]()
    assert model.output_shape == (None, 4, TARGET_VOCAB)
    assert len(model.get_layer("encoder_rnn").output) == 2  # sequence output and h: no cell state


def test_greedy_decoding_feeds_back_its_own_tokens_and_stops_at_end():
    """A fake model that emits 5, 6, END from its decoder input: decoding must reproduce it exactly."""
    from kerasdl.models.seq2seq import greedy_decode

    class Scripted:
        calls = 0

        def predict(self, inputs, **_):
            Scripted.calls += 1
            decoder = inputs["decoder"]
            out = np.zeros((*decoder.shape, 7))
            following = {1: 5, 5: 6, 6: 2, 0: 3}
            for i, row in enumerate(decoder):
                for t, token in enumerate(row):
                    out[i, t, following[int(token)]] = 1.0
            return out

    decoded = greedy_decode(Scripted(), np.ones((2, 3), np.int32), length=6)
    assert decoded.tolist() == [[5, 6, 2, 0, 0, 0]] * 2
    assert Scripted.calls == 3  # stops once every row has produced END


def test_masks_padding_changes_nothing_and_attention_ignores_it():
    """Extra padding on the source leaves the outputs unchanged; attention gives padding weight 0 and
    each output step's weights sum to 1 over the source (Σ_j α_ij = 1, not 002:372's Σ_i)."""
    import keras

    from kerasdl.models.seq2seq import attention_weights, build_seq2seq_attention

    keras.utils.set_random_seed(1)
    x, _ = _batch(4)
    wide = {"encoder": np.pad(x["encoder"], ((0, 0), (0, 3))), "decoder": x["decoder"]}
    narrow_model = build_seq2seq_attention(SHAPE, TARGET_VOCAB, vocab_size=SOURCE_VOCAB, units=8, embedding_dim=4)
    wide_model = build_seq2seq_attention({"encoder": (9,), "decoder": (4,)}, TARGET_VOCAB,
                                         vocab_size=SOURCE_VOCAB, units=8, embedding_dim=4)
    wide_model.set_weights(narrow_model.get_weights())
    np.testing.assert_allclose(narrow_model(x), wide_model(wide), atol=1e-5)
    weights = attention_weights(wide_model, wide)
    assert weights.shape == (4, 4, 9)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-5)
    assert np.all(weights[wide["encoder"][:, None, :].repeat(4, axis=1) == 0] < 1e-6)


def test_transformer_classifier_and_user_errors():
    from kerasdl.models.seq2seq import build_seq2seq, build_transformer_encoder

    classifier = build_transformer_encoder((10,), 1, vocab_size=20, embedding_dim=8, num_heads=2, ff_dim=8)
    assert classifier.output_shape == (None, 1)
    tokens = np.array([[3, 4, 5] + [0] * 7, [3, 4, 5] + [0] * 7])
    out = np.asarray(classifier(tokens))
    assert np.all((out > 0) & (out < 1)) and out[0, 0] == pytest.approx(out[1, 0])
    with pytest.raises(UserError, match="vocab_size"):
        build_seq2seq(SHAPE, 5, vocab_size=0)
    with pytest.raises(UserError, match="'encoder' and 'decoder'"):
        build_seq2seq((6,), 5, vocab_size=9)
    with pytest.raises(UserError, match="only a functional form"):
        build_seq2seq(SHAPE, 5, vocab_size=9, api="sequential")


def test_seq2seq_metrics_count_whole_sequences_tokens_and_bleu():
    task = tasks.get("seq2seq")
    vocabulary = ("<pad>", "<start>", "<end>", *"0123456789")
    y_true = np.array([[4, 5, 2, 0], [6, 7, 8, 2], [3, 2, 0, 0]])
    decoded = np.array([[4, 5, 2, 0], [6, 9, 8, 2], [3, 4, 2, 0]])
    found = task.metrics(y_true, decoded, class_names=vocabulary)
    assert found["exact_match"] == pytest.approx(1 / 3)
    # per sequence: 3/3, 3/4, 1/2 of the true tokens (END included) right at their place
    assert found["token_accuracy"] == pytest.approx((1 + 0.75 + 0.5) / 3)
    assert found["bleu"] == pytest.approx(
        __import__("sacrebleu").corpus_bleu(["1 2", "3 6 5", "0 1"], [["1 2", "3 4 5", "0"]], tokenize="none").score)
    long = np.array([[4, 5, 6, 7, 8, 2], [9, 8, 7, 6, 2, 0]])  # BLEU needs 4-grams to be defined
    assert task.metrics(long, long, class_names=vocabulary)["bleu"] == pytest.approx(100.0)
    assert task.output_units(type("D", (), {"n_classes": 13})()) == 13 and not task.headline_lower_is_better
