"""RBM and DBN: the formulas against brute-force enumeration, CD-k, masking of unrated items, the
recommendation task and the ratings data."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasdl import data, models, tasks  # noqa: E402
from kerasdl.data.ratings import binarize, five_movies  # noqa: E402
from kerasdl.errors import UserError  # noqa: E402
from kerasdl.models.boltzmann import binary_states, enumerate_rbm, exact_log_likelihood  # noqa: E402
from kerasdl.tasks.recommendation import PopularityBaseline, held_out_metrics, masked_binary_crossentropy  # noqa: E402


def _rbm(n_visible, n_hidden, seed=0, **hyper):
    model = models.build("rbm", (n_visible,), n_visible, api="functional", hidden_units=n_hidden, seed=seed, **hyper)
    rng = np.random.default_rng(seed)
    model.W.assign(rng.normal(0, 1.0, (n_visible, n_hidden)).astype("float32"))
    model.visible_bias.assign(rng.normal(0, 0.5, n_visible).astype("float32"))
    model.hidden_bias.assign(rng.normal(0, 0.5, n_hidden).astype("float32"))
    return model


def _params(model):
    return [np.asarray(w, dtype=np.float64) for w in (model.W, model.visible_bias, model.hidden_bias)]


@pytest.mark.parametrize("n_visible, n_hidden", [(3, 2), (4, 3)])
def test_conditionals_energy_and_free_energy_equal_brute_force_enumeration(n_visible, n_hidden):
    model = _rbm(n_visible, n_hidden, seed=n_visible)
    brute = enumerate_rbm(*_params(model))
    v, h = brute["v"].astype("float32"), brute["h"].astype("float32")
    assert brute["joint"].sum() == pytest.approx(1.0) and brute["joint"].shape == (2 ** n_visible, 2 ** n_hidden)
    np.testing.assert_allclose(model.hidden_probabilities(v), brute["p_h_given_v"], atol=1e-6)
    np.testing.assert_allclose(model.visible_probabilities(h), brute["p_v_given_h"], atol=1e-6)
    np.testing.assert_allclose(model.free_energy(v), brute["free_energy"], atol=1e-5)
    np.testing.assert_allclose(np.exp(-np.asarray(model.free_energy(v), dtype=float)) / brute["Z"], brute["p_v"],
                               rtol=1e-5)
    energies = np.stack([model.energy(np.repeat(v[i:i + 1], len(h), 0), h) for i in range(len(v))])
    np.testing.assert_allclose(energies, brute["energy"], atol=1e-5)
    data_rows = brute["v"][[1, 2, 2, 3]]
    expected = np.mean(np.log(brute["p_v"][[1, 2, 2, 3]]))
    assert exact_log_likelihood(*_params(model), data_rows) == pytest.approx(expected, rel=1e-9)


def test_binary_states_count_in_order():
    np.testing.assert_array_equal(binary_states(2), [[0, 0], [0, 1], [1, 0], [1, 1]])


@pytest.mark.parametrize("k", [1, 3])
def test_cd_k_moves_the_model_toward_the_data(k):
    keras.utils.set_random_seed(0)
    rows = np.array([[1, 1, 0, 0]] * 48 + [[0, 0, 1, 1]] * 12, dtype="float32")
    model = models.build("rbm", (4,), 4, api="functional", hidden_units=2, k=k, learning_rate=0.2, seed=1)
    model.compile()
    before = exact_log_likelihood(*_params(model), rows)
    start = np.asarray(model.W).copy()
    logs = model.fit(rows, batch_size=10, epochs=10, shuffle=True, verbose=0).history
    after = exact_log_likelihood(*_params(model), rows)
    assert after > before + 0.3, (before, after)
    assert not np.allclose(start, model.W)
    assert logs["free_energy"][-1] < logs["free_energy"][0]  # the data's free energy went down
    assert logs["reconstruction_error"][-1] < logs["reconstruction_error"][0]


def test_one_cd_1_step_is_the_notes_update_when_the_draws_are_forced():
    """With p(h|v) and p(v|h) saturated (huge weights) the Gibbs draws are certain, so ΔW is the notes'
    v₀ ⊗ p(h₀|v₀) − v₁ ⊗ p(h₁|v₁) exactly; a NumPy computation of it must match the Keras step."""
    model = models.build("rbm", (2,), 2, api="functional", hidden_units=1, k=1, learning_rate=0.5)
    model.compile()
    model.W.assign(np.array([[30.0], [-30.0]], "float32"))
    model.visible_bias.assign(np.array([0.0, 0.0], "float32"))
    model.hidden_bias.assign(np.array([-10.0], "float32"))
    v0 = np.array([[1.0, 0.0], [1.0, 1.0]], "float32")
    W, a, b = _params(model)
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    p_h0 = sig(v0 @ W + b)
    h0 = (p_h0 > 0.5).astype(float)                   # saturated: the draw is certain
    v1 = (sig(h0 @ W.T + a) > 0.5).astype(float)
    p_h1 = sig(v1 @ W + b)
    expected = W + 0.5 * (v0.T @ p_h0 - v1.T @ p_h1) / 2
    model.train_on_batch(v0)
    np.testing.assert_allclose(model.W, expected, atol=1e-4)


def test_unrated_items_are_masked_out_of_cd_and_of_p_h_given_v():
    keras.utils.set_random_seed(0)
    model = models.build("rbm", (4,), 4, api="functional", hidden_units=3, learning_rate=0.5, seed=2)
    model.compile()
    rows = np.random.default_rng(0).integers(0, 2, (20, 4)).astype("float32")
    rows[:, 2] = -1.0   # nobody rated item 2
    np.testing.assert_allclose(model.hidden_probabilities(np.where(rows < 0, 0, rows)),
                               model.hidden_probabilities(model.observed(rows)[0]), atol=1e-7)
    w_before, a_before = np.asarray(model.W).copy(), np.asarray(model.visible_bias).copy()
    model.fit(rows, batch_size=5, epochs=2, verbose=0)
    np.testing.assert_array_equal(model.W[2], w_before[2])            # no update through the unrated item
    assert model.visible_bias[2] == a_before[2]
    assert not np.allclose(model.W[0], w_before[0])                   # rated items do learn


def test_the_rbm_reports_held_out_ratings_and_survives_save_and_load(tmp_path):
    keras.utils.set_random_seed(0)
    ratings = data.load("ratings", n_users=60)
    x, y = ratings.features, ratings.target
    model = models.build("rbm", (40,), 40, api="functional", hidden_units=4)
    model.compile()
    logs = model.fit(x[:40], y[:40], validation_data=(x[40:], y[40:]), batch_size=10, epochs=1, verbose=0).history
    assert {"free_energy", "reconstruction_error", "val_loss", "val_accuracy", "val_free_energy"} <= set(logs)
    p = np.asarray(model(x[40:]))
    expected = held_out_metrics(y[40:], p)
    assert logs["val_accuracy"][0] == pytest.approx(expected["accuracy"], abs=1e-5)
    assert logs["val_loss"][0] == pytest.approx(expected["log_loss"], abs=1e-4)
    model.save(tmp_path / "rbm.keras")
    np.testing.assert_allclose(keras.saving.load_model(tmp_path / "rbm.keras")(x[:3]), model(x[:3]), atol=1e-6)
    assert model.generate(4, steps=3).shape == (4, 40)


def test_rbm_builder_refuses_what_it_cannot_be():
    with pytest.raises(UserError, match="flat inputs"):
        models.build("rbm", (8, 8, 1), 64, api="functional")
    with pytest.raises(UserError, match="k ≥ 1"):
        models.build("rbm", (4,), 4, api="functional", k=0)
    with pytest.raises(UserError, match="no 'sequential' form"):
        models.build("rbm", (4,), 4)


def test_dbn_pretraining_initialises_the_mlp_from_rbms_and_the_control_does_not(tmp_path):
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).random((40, 4, 4, 1)).astype("float32")
    y = np.random.default_rng(1).integers(0, 3, 40)
    pre = models.build("dbn", (4, 4, 1), 3, api="functional", hidden_units=(6, 4), pretrain_epochs=2)
    random = models.build("dbn", (4, 4, 1), 3, api="functional", hidden_units=(6, 4), pretrain_epochs=0)
    assert pre.count_params() == random.count_params() == (16 * 6 + 6) + (6 * 4 + 4) + (4 * 3 + 3)
    np.testing.assert_allclose(pre.get_weights()[0], random.get_weights()[0])  # same start before pre-training
    for model in (pre, random):
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    pre.pretrain(x, batch_size=10)
    assert [layer["layer"] for layer in pre.pretraining_log] == ["dense_1", "dense_2"]
    assert pre.pretrained and not np.allclose(pre.get_weights()[0], random.get_weights()[0])
    kernel = pre.get_weights()[0].copy()
    pre.fit(x, y, batch_size=10, epochs=1, verbose=0)  # already pre-trained: fine-tunes only
    assert len(pre.pretraining_log) == 2 and not np.allclose(kernel, pre.get_weights()[0])
    random.fit(x, y, batch_size=10, epochs=1, verbose=0)
    assert random.pretraining_log == [] and pre(x).shape == (40, 3)
    pre.save(tmp_path / "dbn.keras")
    np.testing.assert_allclose(keras.saving.load_model(tmp_path / "dbn.keras")(x), pre(x), atol=1e-6)
    with pytest.raises(UserError, match=r"inputs in \[0, 1\]"):
        models.build("dbn", (4,), 2, api="functional", pretrain_epochs=1).pretrain(np.full((4, 4), 2.0))


# --- recommendation: task and data ---------------------------------------------------------------------

def test_held_out_metrics_score_only_the_held_out_entries():
    y = np.array([[1, -1, 0], [-1, 1, -1]], dtype=float)
    p = np.array([[0.9, 0.0, 0.2], [1.0, 0.6, 0.0]])
    found = held_out_metrics(y, p)
    assert found["accuracy"] == 1.0 and found["n_ratings"] == 3 and found["roc_auc"] == 1.0
    other = p.copy()
    other[y < 0] = 0.5  # what the model says about entries that were not held out does not count
    assert held_out_metrics(y, other) == found
    assert held_out_metrics(y, np.array([[0.1, 0, 0.2], [0, 0.4, 0]]))["accuracy"] == pytest.approx(1 / 3)


def test_masked_cross_entropy_ignores_unrated_entries():
    y = np.array([[1.0, -1.0, 0.0]], "float32")
    p = np.array([[0.8, 0.01, 0.3]], "float32")
    expected = -(np.log(0.8) + np.log(0.7)) / 2
    assert float(masked_binary_crossentropy(y, p)[0]) == pytest.approx(expected, rel=1e-5)


def test_popularity_baseline_and_the_registered_task():
    x = np.array([[1, 0, -1], [1, -1, -1], [0, 1, -1]], dtype=float)
    y = np.array([[-1, -1, 1], [-1, -1, -1], [-1, -1, -1]], dtype=float)
    share = PopularityBaseline().fit(x, y).predict(np.zeros((2, 3)))
    np.testing.assert_allclose(share[0], [(2 + 1) / (3 + 2), (1 + 1) / (2 + 2), (1 + 1) / (1 + 2)])
    task = tasks.get("recommendation")
    assert task.headline == "accuracy" and not task.is_lower_better("accuracy") and task.is_lower_better("log_loss")
    assert isinstance(task.dummy_estimator(), PopularityBaseline)


def test_ratings_hide_a_part_of_each_users_ratings_and_binarise_stars():
    ratings = data.load("ratings")
    x, y, stars = ratings.features, ratings.target, ratings.extras["stars"]
    assert x.shape == y.shape == stars.shape == (1200, 40) and ratings.task == "recommendation"
    assert not np.any((x >= 0) & (y >= 0))                       # shown and held-out never overlap
    np.testing.assert_array_equal((x >= 0) | (y >= 0), stars > 0)  # together: every rating, nothing else
    np.testing.assert_array_equal(np.where(y >= 0, y, x), binarize(stars))
    assert (y >= 0).sum(axis=1).min() >= 0 and (y >= 0).sum() > 0.15 * (stars > 0).sum()
    np.testing.assert_array_equal(binarize(np.array([0, 1, 3, 4, 5])), [-1, 0, 0, 1, 1])
    np.testing.assert_array_equal(data.load("ratings").features, x)  # fixed seed
    five = five_movies()
    assert five["ratings"].shape == (60, 5) and list(five["movies"])[1] == "The Hobbit"
    assert ((five["ratings"] < 0).sum(axis=1) == 1).all()
