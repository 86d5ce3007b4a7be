"""The generalisation studies' own pieces: the plain/residual deep CNN, the corrupted test copies, the
digits 0-4 / 5-9 datasets, the few-label trainer (transfer, freezing, pseudo-labels) and the padding /
pool-size search unit. The studies themselves run in --quick mode in test_experiments.py.
"""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasdl import data, models  # noqa: E402
from kerasdl.errors import UserError  # noqa: E402
from kerasdl.harness.spec import FoldArrays  # noqa: E402

# --- deep_cnn: the degradation pair -----------------------------------------------------------------


@pytest.mark.parametrize("depth", [4, 10])
def test_plain_and_residual_deep_cnns_differ_only_by_the_additions(depth):
    plain = models.build("deep_cnn", (8, 8, 1), 10, api="functional", depth=depth, skip=False)
    residual = models.build("deep_cnn", (8, 8, 1), 10, api="functional", depth=depth, skip=True)
    assert plain.count_params() == residual.count_params()
    blocks = (depth - 2) // 2
    kinds = [[type(layer).__name__ for layer in m.layers] for m in (plain, residual)]
    assert kinds[0].count("Add") == 0 and kinds[1].count("Add") == blocks
    # layers with weights: convolutions + the output layer = depth
    for names in kinds:
        assert names.count("Conv2D") + names.count("Dense") == depth
    assert [k for k in kinds[1] if k != "Add"] == kinds[0]
    assert plain.output_shape == residual.output_shape == (None, 10)
    # The same weights in both: with skips the function differs, so the outputs must too.
    residual.set_weights(plain.get_weights())
    x = np.random.default_rng(0).random((4, 8, 8, 1)).astype("float32")
    assert not np.allclose(np.asarray(plain(x)), np.asarray(residual(x)))


def test_deep_cnn_rejects_odd_or_tiny_depths_and_sequential():
    for depth in (3, 5, 2, 0):
        with pytest.raises(UserError, match="even integer"):
            models.build("deep_cnn", (8, 8, 1), 10, api="functional", depth=depth)
    with pytest.raises(UserError, match="functional"):
        models.build("deep_cnn", (8, 8, 1), 10, api="sequential")


# --- corrupted test copies ------------------------------------------------------------------------


def test_corruptions_are_fixed_transformations_and_strength_zero_is_clean():
    from kerasdl.corruptions import STRENGTHS, corrupt, corrupted_copies
    from kerasdl.probes import shift_images

    x = np.random.default_rng(1).random((5, 8, 8, 1)).astype("float32")
    for kind in STRENGTHS:
        (clean,) = corrupted_copies(x, kind, 0)
        assert clean is x
    shifted = corrupted_copies(x, "shift", 2)
    assert len(shifted) == 4 and np.array_equal(shifted[0], shift_images(x, 2, 0))
    assert np.array_equal(corrupt(x, "shift", 1), shift_images(x, 1, 1))
    rotated = corrupted_copies(x, "rotation", 30)
    assert len(rotated) == 2 and not np.allclose(rotated[0], rotated[1])
    noisy = corrupted_copies(x, "noise", 0.3)[0]
    assert noisy.min() >= 0 and noisy.max() <= 1 and not np.allclose(noisy, x)
    assert np.array_equal(noisy, corrupted_copies(x, "noise", 0.3)[0])  # every model sees the same noise
    with pytest.raises(ValueError, match="kind"):
        corrupted_copies(x, "blur", 1)


def test_corruption_probe_scores_every_copy_and_starts_at_clean_accuracy():
    from kerasdl.corruptions import STRENGTHS, corruption_probe

    rng = np.random.default_rng(2)
    x = rng.random((40, 8, 8, 1)).astype("float32")
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype(int)  # top half brighter?
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    found = corruption_probe()(model, FoldArrays(0, x, y, x, y, x, y))
    clean = float(np.mean(np.asarray(model(x)).argmax(axis=1) == y))
    for kind, levels in STRENGTHS.items():
        values = found["corrupted_accuracy"][kind]
        assert len(values) == len(levels) and all(0.0 <= v <= 1.0 for v in values)
        assert values[0] == pytest.approx(clean)
    # a flat-input model gets the corrupted images reshaped to its input
    flat = keras.Sequential([keras.Input((64,)), keras.layers.Dense(2, activation="softmax")])
    x_flat = x.reshape(40, 64)
    found = corruption_probe()(flat, FoldArrays(0, x_flat, y, x_flat, y, x_flat, y))
    assert len(found["corrupted_accuracy"]["rotation"]) == len(STRENGTHS["rotation"])


# --- digits 0-4 / 5-9 ------------------------------------------------------------------------------


def test_digit_halves_are_disjoint_complete_and_recoded():
    low, high = data.load("digits-0-4"), data.load("digits-5-9")
    assert (low.n_samples, high.n_samples) == (901, 896)
    assert low.class_names == ("0", "1", "2", "3", "4") and high.class_names == ("5", "6", "7", "8", "9")
    assert set(np.unique(low.target)) == set(np.unique(high.target)) == set(range(5))
    assert np.array_equal(high.extras["digit"], high.target + 5)
    assert set(np.unique(low.extras["digit"])).isdisjoint(np.unique(high.extras["digit"]))
    for dataset in (low, high):
        rows = np.concatenate([dataset.splits[s] for s in ("train", "val", "test")])
        assert sorted(rows) == list(range(dataset.n_samples))
        assert dataset.input_shape == (8, 8, 1) and 0.0 <= dataset.features.min() <= dataset.features.max() <= 1.0


# --- few labels: transfer and pseudo-labels ----------------------------------------------------------


def test_few_labels_takes_k_per_class_reproducibly():
    from kerasdl.transfer import few_labels

    y = np.repeat(np.arange(3), [5, 20, 20])
    picked = few_labels(y, 10, seed=3)
    assert np.bincount(y[picked]).tolist() == [5, 10, 10]  # a short class gives all it has
    assert np.array_equal(picked, few_labels(y, 10, seed=3)) and not np.array_equal(picked, few_labels(y, 10, seed=4))


def _digits_5_9_arrays(n=120):
    dataset = data.load("digits-5-9")
    x, y = dataset.rows(dataset.splits["train"][:n])
    return np.asarray(x), np.asarray(y)


def test_frozen_transfer_keeps_the_pretrained_base_and_fine_tuning_moves_it():
    from kerasdl.trainers import make_optimizer
    from kerasdl.transfer import FewLabelTrainer, transferred_layers

    x, y = _digits_5_9_arrays()
    after = {}
    for init in ("frozen", "fine-tune"):
        keras.utils.set_random_seed(0)
        model = models.build("cnn", (8, 8, 1), 5, filters=(4, 8), dense_units=(8,))
        trainer = FewLabelTrainer(labels_per_class=4, init=init, pretrain_epochs=1)
        trainer.compile(model, optimizer=make_optimizer("adam", 1e-2), loss="sparse_categorical_crossentropy",
                        metrics=[])
        history = trainer.fit(model, (x, y), (x[:20], y[:20]), epochs=2, batch_size=8, callbacks=[], verbose=0)
        assert len(history.history["loss"]) == 2
        assert trainer.stats["labelled"] == 20 and trainer.stats["pretrain_epochs"] == 1
        assert 0.0 <= trainer.stats["source_test_accuracy"] <= 1.0
        after[init] = [w.copy() for layer in transferred_layers(model) for w in layer.get_weights()]
        frozen_flags = [layer.trainable for layer in transferred_layers(model)]
        assert not any(frozen_flags) if init == "frozen" else all(frozen_flags)
    # Both started from the same cached pre-trained base; only fine-tuning changed it.
    from kerasdl import transfer

    (pretrained, _), = [v for k, v in transfer._PRETRAINED.items() if k[2] == 1 and len(v[0]) == len(
        transferred_layers(model))][-1:]
    start = [w for layer_weights in pretrained for w in layer_weights]
    assert all(np.array_equal(a, b) for a, b in zip(after["frozen"], start))
    assert not all(np.array_equal(a, b) for a, b in zip(after["fine-tune"], start))


def test_pseudo_labels_add_confident_guesses_and_one_history_covers_both_phases():
    from kerasdl.trainers import make_optimizer
    from kerasdl.transfer import FewLabelTrainer

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2)).astype("float32")
    y = (x[:, 0] > 0).astype(int)  # an easy split: a few labels make the model sure of most others
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    trainer = FewLabelTrainer(labels_per_class=10, pseudo_labels=True, threshold=0.9)
    trainer.compile(model, optimizer=make_optimizer("adam", 0.1), loss="sparse_categorical_crossentropy", metrics=[])
    history = trainer.fit(model, (x, y), None, epochs=8, batch_size=16, callbacks=[], verbose=0)
    assert len(history.history["loss"]) == 16
    assert trainer.stats["labelled"] == 20 and trainer.stats["unlabelled"] == 180
    assert 0 < trainer.stats["pseudo_labelled"] <= 180 and trainer.stats["pseudo_label_accuracy"] > 0.8
    with pytest.raises(ValueError, match="init"):
        FewLabelTrainer(labels_per_class=5, init="warm")


# --- search unit: padding and pool size --------------------------------------------------------------


def test_padding_pooling_unit_declares_what_cnn_digits_does_not_and_refuses_the_impossible_net():
    import keras_tuner

    from kerasdl import tuning

    unit = tuning.load_unit("cnn-padding-pooling")
    declared = keras_tuner.HyperParameters()
    unit.module.settings(declared)
    assert {"padding", "pool_size", "blocks"} <= set(declared.values)
    cnn_digits = keras_tuner.HyperParameters()
    tuning.load_unit("cnn-digits").module.settings(cnn_digits)
    assert not {"padding", "pool_size"} & set(cnn_digits.values)
    impossible = tuning.replay(unit.module.settings, {"padding": "valid", "pool_size": 3, "blocks": 2})
    with pytest.raises(UserError, match="shrink"):
        models.build("cnn", (8, 8, 1), 10, **impossible)
    for values in unit.manual:
        settings = tuning.replay(unit.module.settings, values)
        assert models.build("cnn", (8, 8, 1), 10, **settings).output_shape == (None, 10)


def test_padding_pooling_unit_runs_a_quick_trial(tmp_path):
    from kerasdl import tuning

    unit = tuning.load_unit("cnn-padding-pooling")
    found = tuning.search(unit, tuning.SearchSettings(strategy="manual", max_trials=1, epochs=1, quick=True,
                                                      out=tmp_path, quiet=True))
    assert [t.status for t in found.trials] == ["completed"]
    assert 0.0 <= found.trials[0].score <= 1.0
