"""The feedforward studies' own claims and helpers: perceptron-logic, activations, optimizers, losses,
losses-classification and regularization.

Each experiment also runs end to end in --quick mode in test_experiments.py; here the pieces that carry
a study's argument are checked directly and fast (small models, eager gradient tapes, no harness runs).
"""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasdl import data, measures, models  # noqa: E402
from kerasdl import losses as robust  # noqa: E402
from kerasdl.errors import UserError  # noqa: E402
from kerasdl.experiments.optimizers import OPTIMIZERS, updates_per_epoch  # noqa: E402
from kerasdl.models.feedforward import perceptron_learning_rule  # noqa: E402
from kerasdl.report import study_helpers as sections  # noqa: E402


# --- perceptron-logic ---------------------------------------------------------------------------------

@pytest.mark.parametrize("gate, converges", [("logic-and", True), ("logic-or", True), ("xor", False)])
def test_learning_rule_converges_exactly_on_the_separable_gates(gate, converges):
    dataset = data.load(gate, seed=0)
    x, y = dataset.features.to_numpy(), dataset.target
    order = np.random.default_rng(0).permutation(len(y))
    _, _, mistakes = perceptron_learning_rule(x[order], y[order], lr=0.1, epochs=100, seed=0)
    assert (mistakes[-1] == 0) is converges
    if not converges:
        assert len(mistakes) == 100 and min(mistakes) > 0  # not one error-free epoch in 100


def test_train_gate_xor_perceptron_fails_and_mlp_succeeds():
    from kerasdl.experiments.perceptron_logic import train_gate

    result = train_gate("xor", seed=0, steps=150)
    assert result["mlp"]["errors"] == 0
    assert result["perceptron"]["errors"] >= 50  # a line gets at most 3 of the 4 corners right
    assert result["rule"]["mistakes"][-1] > 0
    grid = result["mlp"]["grid"]
    assert np.shape(grid["z"]) == (len(grid["ys"]), len(grid["xs"]))
    # P(class 1) is high at the (0, 1) corner and low at (1, 1), i.e. the MLP draws XOR
    z, xs, ys = np.asarray(grid["z"]), np.asarray(grid["xs"]), np.asarray(grid["ys"])
    at = lambda px, py: z[np.abs(ys - py).argmin(), np.abs(xs - px).argmin()]  # noqa: E731
    assert at(0.0, 1.0) > 0.5 > at(1.0, 1.0)


def test_full_batch_descent_learns_and_with_a_keras_perceptron():
    dataset = data.load("logic-and", seed=0)
    keras.utils.set_random_seed(0)
    model = models.build("perceptron", (2,), 1)
    run = measures.full_batch_descent(model, dataset.features.to_numpy(), dataset.target,
                                      optimizer=keras.optimizers.Adam(0.1), steps=150)
    assert len(run["loss"]) == 150 and run["loss"][-1] < run["loss"][0]
    assert run["accuracy"][-1] == 1.0


# --- activations --------------------------------------------------------------------------------------

def _norms(activation: str) -> list[float]:
    keras.utils.set_random_seed(0)
    model = models.build("mlp", (8, 8, 1), 10, units=32, depth=8, activation=activation)
    dataset = data.load("digits", seed=0)
    rows = dataset.splits["train"][:64]
    return measures.dense_gradient_norms(model, dataset.features[rows], dataset.target[rows],
                                         "sparse_categorical_crossentropy")


def test_gradient_norms_vanish_through_sigmoid_layers_but_not_relu():
    sigmoid, relu = _norms("sigmoid"), _norms("relu")
    assert len(sigmoid) == 9  # 8 hidden Dense layers and the output layer
    assert sigmoid[0] / sigmoid[-1] < 1e-3
    assert np.all(np.diff(np.log(sigmoid[:-1])) > 0)  # grows monotonically towards the output
    assert relu[0] / relu[-1] > 0.1


def test_gradient_norms_are_of_the_mean_loss_like_keras_training():
    keras.utils.set_random_seed(0)
    model = models.build("mlp", (4,), 1, units=[3])
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    y = np.array([0, 1] * 4, dtype="float32")
    once = measures.dense_gradient_norms(model, x, y, "binary_crossentropy")
    twice = measures.dense_gradient_norms(model, np.concatenate([x, x]), np.concatenate([y, y]),
                                          "binary_crossentropy")
    np.testing.assert_allclose(once, twice, rtol=1e-5)  # duplicating the batch leaves a mean unchanged


def test_analysis_rebuild_reproduces_the_initial_weights():
    """The activations study rebuilds each model after the run to measure it at initialisation."""
    built = []
    for _ in range(2):
        keras.utils.set_random_seed(3)
        built.append(models.build("mlp", (8, 8, 1), 10, units=16, depth=3, activation="tanh").get_weights())
    for first, second in zip(*built):
        np.testing.assert_array_equal(first, second)


# --- optimizers ---------------------------------------------------------------------------------------

def test_updates_per_epoch():
    assert updates_per_epoch("full", 341) == 1
    assert updates_per_epoch(1, 341) == 341
    assert updates_per_epoch(32, 341) == 11
    names = {name for name, *_ in OPTIMIZERS}
    assert {"gd-full", "sgd-1", "sgd-32", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam"} <= names


@pytest.mark.parametrize("name, optimizer, lr, options", [(n, o, lr, opts) for n, _, o, lr, opts, _ in OPTIMIZERS])
def test_every_optimizer_config_is_accepted_by_keras(name, optimizer, lr, options):
    built = keras.optimizers.get({"class_name": optimizer, "config": {"learning_rate": lr, **options}})
    assert float(built.learning_rate) == pytest.approx(lr)
    if "momentum" in options:
        assert built.momentum == options["momentum"] and built.nesterov == options.get("nesterov", False)


# --- losses (regression) ------------------------------------------------------------------------------

def test_outliers_touch_only_training_and_validation_targets():
    clean = data.load("diabetes", seed=0)
    dirty = robust.with_training_outliers(clean, fraction=0.1, low=4.0, high=8.0, seed=0)
    test = clean.splits["test"]
    np.testing.assert_array_equal(dirty.target[test], clean.target[test])
    changed = np.flatnonzero(dirty.target != clean.target)
    learning = np.concatenate([clean.splits["train"], clean.splits["val"]])
    assert set(changed) <= set(learning)
    assert len(changed) == round(0.1 * len(learning))
    sigma = dirty.extras["outlier_sigma"]
    shift = (dirty.target - clean.target)[changed]
    assert np.all(shift >= 4.0 * sigma) and np.all(shift <= 8.0 * sigma)
    assert "Test targets are unchanged" in dirty.description


def test_named_huber_equals_keras_huber_and_names_its_delta():
    y = np.array([0.0, 10.0, 100.0, 200.0], dtype="float32")
    p = np.array([[5.0], [10.0], [40.0], [260.0]], dtype="float32")
    ours = float(robust.NamedHuber(50.0)(y, p))
    theirs = float(keras.losses.Huber(delta=50.0)(y.reshape(-1, 1), p))
    assert ours == pytest.approx(theirs)
    assert str(robust.NamedHuber(50.0)) == "huber (delta=50)"


# --- losses-classification ----------------------------------------------------------------------------

def test_sigmoid_hinge_is_hinge_on_the_logit_with_labels_in_minus_one_one():
    z = np.array([-3.0, -0.5, 0.0, 0.5, 2.0, 4.0], dtype="float32")
    y = np.array([0, 1, 1, 0, 1, 1], dtype="float32")
    p = 1.0 / (1.0 + np.exp(-z))
    expected = np.mean(np.maximum(0.0, 1.0 - (2 * y - 1) * z))
    assert float(robust.SigmoidHinge()(y, p.reshape(-1, 1))) == pytest.approx(expected, abs=1e-5)
    # beyond the margin (t·z ≥ 1) an example costs nothing: unlike cross-entropy
    assert float(robust.SigmoidHinge()(np.array([1.0]), np.array([[1 / (1 + np.exp(-2.0))]]))) == 0.0


def test_models_compiled_with_the_custom_losses_save_and_load(tmp_path):
    for loss in (robust.SigmoidHinge(), robust.NamedHuber(5.0)):
        model = models.build("mlp", (3,), 1, units=[4])
        model.compile(optimizer="adam", loss=loss)
        model.train_on_batch(np.ones((2, 3), "float32"), np.array([0.0, 1.0], "float32"))  # builds the optimizer
        model.save(tmp_path / "m.keras")
        loaded = keras.saving.load_model(tmp_path / "m.keras")
        assert type(loaded.loss) is type(loss)


def test_margin_shares_cover_every_example_once():
    from kerasdl.experiments.losses_classification import margin_shares, margins

    values = margins(np.array([1, 0, 1, 0]), np.array([0.9, 0.9, 0.55, 0.01]))
    assert values[0] > 1 and values[1] < 0 and 0 < values[2] < 1 and values[3] > 1
    assert margin_shares(values) == [0.25, 0.25, 0.5]


# --- regularization -----------------------------------------------------------------------------------

def test_weight_sparsity_counts_exact_zeros_and_small_weights():
    model = models.build("mlp", (4,), 2, units=[3])
    kernels = measures.dense_kernels(model)
    first = keras.ops.convert_to_numpy(kernels[0])
    first[0, :] = 0.0
    first[1, 0] = 5e-4
    kernels[0].assign(first)
    counts = measures.weight_sparsity(model, 1e-3)
    assert counts["weights"] == 4 * 3 + 3 * 2
    assert counts["exactly_zero"] == 3 + int(np.sum(keras.ops.convert_to_numpy(kernels[1]) == 0))
    assert counts["below_threshold"] >= 4


def test_input_regularizers_act_in_training_only():
    x = np.random.default_rng(0).random((4, 8, 8, 1)).astype("float32")
    keras.utils.set_random_seed(0)
    plain = models.build("mlp", (8, 8, 1), 10, units=[16])
    keras.utils.set_random_seed(0)
    noisy = models.build("mlp", (8, 8, 1), 10, units=[16], gaussian_noise=0.3, augment_shift=0.125,
                         augment_rotation=0.05)
    assert plain.count_params() == noisy.count_params()
    noisy.set_weights(plain.get_weights())
    np.testing.assert_allclose(np.asarray(noisy(x, training=False)), np.asarray(plain(x, training=False)), atol=1e-6)
    assert np.max(np.abs(np.asarray(noisy(x, training=True)) - np.asarray(plain(x, training=True)))) > 1e-3
    with pytest.raises(UserError, match="augment"):
        models.build("mlp", (6,), 2, augment_shift=0.1)


def test_small_training_digits_keeps_val_and_test_and_balances_train():
    from kerasdl.experiments.regularization import small_training_digits

    full = data.load("digits", seed=0)
    small = small_training_digits(seed=0, per_class=30)
    assert np.bincount(small.target[small.splits["train"]]).tolist() == [30] * 10
    assert len(small.splits["val"]) == len(full.splits["val"])
    assert len(small.splits["test"]) == len(full.splits["test"])
    np.testing.assert_array_equal(small.features[small.splits["test"]], full.features[full.splits["test"]])
    every = np.concatenate(list(small.splits.values()))
    assert len(set(every.tolist())) == len(every) == small.n_samples


# --- shared section helpers ---------------------------------------------------------------------------

def test_fmt_and_clearly_lower():
    assert sections.fmt(None) == "n/a" and sections.fmt(float("nan")) == "n/a"
    assert sections.fmt(4.65e-7) == "4.65e-07" and sections.fmt(0.256) == "0.256"
    assert sections.clearly_lower(0.9, 1.0) and not sections.clearly_lower(0.99, 1.0)
    assert not sections.clearly_lower(None, 1.0)
