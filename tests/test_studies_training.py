"""Checks for the training-topic studies of issue 12: learning-rate (schedules through make_optimizer, the
learning-rate log), the notes' momentum loop, data-size (nested training sets), ensembling (a Keras network
inside scikit-learn's BaggingClassifier), exhaustive cross-validation, knn-k, the "faster" readings of
optimizers and batch-size, and the mlp-training search unit.

Running each study end to end in --quick mode is tests/test_experiments.py's job; here the pieces are
checked against answers worked out by hand, and the analyze hooks on hand-made records.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from kerasdl.harness import Analysis


def _analysis(variants, *, history=(), quick=False, dataset=None):
    return Analysis({"variants": variants}, dataset, quick, list(history), {}, 0)


# --- optimizers: schedules and the notes' momentum loop ---------------------------------------------

def test_make_optimizer_takes_a_serialized_schedule_from_the_options():
    import json

    import keras

    from kerasdl.trainers import make_optimizer

    schedule = keras.optimizers.schedules.serialize(keras.optimizers.schedules.ExponentialDecay(0.5, 1, 0.1))
    json.dumps(schedule)  # what the run record stores must stay JSON
    optimizer = make_optimizer("sgd", 0.5, learning_rate=schedule, momentum=0.5)  # the options' rate wins
    assert optimizer.momentum == 0.5
    variable = keras.Variable(np.zeros(1, dtype="float32"))
    rates = []
    for _ in range(3):
        rates.append(float(optimizer.learning_rate))
        optimizer.apply_gradients([(np.ones(1, dtype="float32"), variable)])
    assert rates == pytest.approx([0.5, 0.05, 0.005])
    assert float(make_optimizer("adam", 0.25).learning_rate) == pytest.approx(0.25)  # a plain rate as before


def test_the_notes_momentum_loop_follows_003_234_238_step_by_step():
    import keras

    from kerasdl.optimizers import NOTES_MOMENTUM, effective_step_factor
    from kerasdl.trainers import make_optimizer

    lr, momentum, gradients = 0.1, 0.1, [2.0, -1.0, 0.5, 3.0]
    optimizer = make_optimizer(NOTES_MOMENTUM, lr, momentum=momentum)
    w = keras.Variable(np.array([1.0], dtype="float32"))
    expected, velocity, past = [], 0.0, 1.0
    for g in gradients:
        optimizer.apply_gradients([(np.array([g], dtype="float32"), w)])
        velocity = velocity * momentum + lr * g           # 003:234
        past = past + momentum * velocity - lr * g        # 003:238
        expected.append(past)
    assert float(w.numpy()[0]) == pytest.approx(expected[-1], rel=1e-6)
    # Under a constant gradient the step settles at −η·g·(1 − 2μ)/(1 − μ): uphill once μ > 0.5.
    assert effective_step_factor(0.1) == pytest.approx(8 / 9) and effective_step_factor(0.9) == pytest.approx(-8.0)
    steady = make_optimizer(NOTES_MOMENTUM, 0.01, momentum=0.9)
    w = keras.Variable(np.array([0.0], dtype="float32"))
    previous = 0.0
    for _ in range(200):
        steady.apply_gradients([(np.array([1.0], dtype="float32"), w)])
        step, previous = float(w.numpy()[0]) - previous, float(w.numpy()[0])
    assert step == pytest.approx(-0.01 * effective_step_factor(0.9), rel=1e-3)  # +0.08: against the gradient


def test_learning_rate_log_records_the_decayed_rate_each_epoch():
    import keras

    from kerasdl.optimizers import LearningRateLog

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    model.compile(optimizer=keras.optimizers.SGD(schedule), loss="mse")
    x = np.ones((8, 3), dtype="float32")
    history = model.fit(x, x[:, :1], epochs=2, batch_size=4, verbose=0, callbacks=[LearningRateLog()])
    # 2 updates per epoch, the rate halves every 2 updates: after epoch 1 (step 2) 0.05, after epoch 2 0.025
    assert history.history["learning_rate"] == pytest.approx([0.05, 0.025])


# --- analyze hooks on hand-made records -------------------------------------------------------------

def _entry(name, *, accuracy=0.9, status="completed", probe=None, fit_s=1.0, epochs_run=3, batch_size=32):
    fold = {"fold": 0, "status": status, "epochs_run": epochs_run, "best_epoch": epochs_run, "fit_s": fit_s,
            "n_train": 100, "n_test": 400}
    if probe is not None:
        fold["probe"] = probe
    return {"name": name, "label": name, "status": status, "parameter_count": 10,
            "metrics": {"accuracy": {"mean": accuracy, "std": 0.0}, "log_loss": {"mean": 0.3, "std": 0.0}},
            "folds": [fold], "timings": {"fit_s": fit_s}, "fit": {"batch_size": batch_size, "epochs": epochs_run},
            "compile": {"learning_rate": 0.05}}


def _history(name, key, values):
    return [{"variant": name, "fold": 0, "epoch": i + 1, key: v} for i, v in enumerate(values)]


def test_learning_rate_finding_states_that_a_lower_rate_trains_slower():
    from kerasdl.experiments import learning_rate as study

    curves = {"lr-0.001": [2.3, 2.2, 2.1], "lr-0.1": [1.0, 0.3, 0.15], "lr-3": [2.3, 2.3, 2.3]}
    history = [row for name, values in curves.items() for key in ("loss", "val_loss")
               for row in _history(name, key, values)]
    sections = study.analyze(_analysis([_entry(n) for n in curves], history=history))
    finding = sections[0]
    assert finding.kind == "finding" and finding.notes_ref == "001:3123"
    assert finding.answer.startswith("No — the opposite")
    assert "in 3 epochs at lr-0.1" in finding.answer and "not within 3 epochs at lr-0.001" in finding.answer
    assert "end worse" in finding.answer  # lr-3 ends above lr-0.1
    assert study.epochs_to([2.0, 0.5, 0.1], 0.2) == 3 and study.epochs_to([float("nan"), 0.3], 0.2) is None


def test_data_size_trains_on_nested_balanced_prefixes():
    from kerasdl.experiments.data_size import FirstRowsTrainer, epochs_for, nested_order

    y = np.repeat(np.arange(4), 25)
    order = nested_order(y)
    assert sorted(order.tolist()) == list(range(100))
    assert np.bincount(y[order[:20]]).tolist() == [5, 5, 5, 5]  # every prefix is balanced
    assert FirstRowsTrainer(20).rows(y).tolist() == order[:20].tolist()
    assert FirstRowsTrainer(None).rows(y).tolist() == order.tolist()

    class Recorder:
        def fit(self, x, y, **kwargs):
            self.seen = (x, y)

    model, x = Recorder(), np.arange(100)[:, None]
    FirstRowsTrainer(8).fit(model, (x, y), None, epochs=1, batch_size=4, callbacks=[], verbose=0)
    assert model.seen[0][:, 0].tolist() == order[:8].tolist()
    assert (epochs_for(50), epochs_for(400), epochs_for(5000)) == (100, 77, 20)


def test_data_size_finding_compares_the_smallest_and_largest_training_sets():
    from kerasdl.experiments.data_size import analyze

    def probe(n, train_error, val_error):
        return {"n_train": n, "train_error": train_error, "val_error": val_error, "test_error": val_error,
                "train_loss": 0.1, "val_loss": 0.5}

    variants = [_entry("large-50", probe=probe(50, 0.0, 0.3)), _entry("large-all", probe=probe(1078, 0.0, 0.05)),
                _entry("small-all", probe=probe(1078, 0.2, 0.25))]
    finding, lines, heatmap, table, text = analyze(_analysis(variants))
    assert finding.answer.startswith("Yes") and "from 0.300 with 50" in finding.answer
    assert "errs on 0.200 of its own 1078" in finding.answer
    assert heatmap.panels[0]["row_labels"] == ["1 × 4 units", "2 × 256 units"]
    assert len(table.rows) == 3


def test_ensembling_finding_pairs_each_ensemble_with_its_single_model():
    from kerasdl.experiments.ensembling import analyze

    accuracy = {"tree": 0.7, "bagged-trees": 0.9, "stump": 0.3, "adaboost": 0.8}
    sections = analyze(_analysis([_entry(n, accuracy=a) for n, a in accuracy.items()]))
    assert "Every ensemble beats the model it is built from." in sections[0].answer
    assert sections[1].labels == ["bagged-trees vs tree", "adaboost vs stump"]
    worse = analyze(_analysis([_entry(n, accuracy=a) for n, a in {"tree": 0.9, "bagged-trees": 0.7}.items()]))
    assert "Not better than its single model: bagged-trees (beyond two standard errors)" in worse[0].answer


def test_a_keras_network_bags_inside_scikit_learn():
    from sklearn.ensemble import BaggingClassifier

    from kerasdl.keras_classifier import KerasClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4)).astype("float32")
    y = np.where(x[:, 0] > 0, "yes", "no")
    bag = BaggingClassifier(KerasClassifier("mlp", {"units": [4]}, epochs=1, random_state=0), n_estimators=2,
                            random_state=0).fit(x, y)
    first, second = (m.model_.get_weights()[0] for m in bag.estimators_)
    assert not np.allclose(first, second)  # each member starts from its own seed
    proba = bag.predict_proba(x)
    assert proba.shape == (60, 2) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert set(bag.predict(x)) <= {"yes", "no"}


def test_optimizers_and_batch_size_time_to_a_target_loss():
    from kerasdl.experiments.batch_size import time_to_loss as clocked
    from kerasdl.experiments.optimizers import target_loss, time_to_loss

    curves = {"gd-full": [0.7, 0.6, 0.5], "sgd-1": [0.4, 0.2, 0.1], "sgd-32": [0.6, 0.3, 0.2]}
    assert target_loss(curves) == 0.5  # the highest of the lowest: every variant reached it
    assert time_to_loss(curves["sgd-1"], 0.5, 2.0) == (1, 2.0)
    assert time_to_loss(curves["gd-full"], 0.5, 0.1) == (3, pytest.approx(0.3))
    assert clocked([0.5, 0.2, 0.2], [0.9, 0.4, 0.3], 0.4) == (2, pytest.approx(0.7))
    assert clocked([0.5], [0.9], 0.4) == (None, None)


def test_optimizers_faster_text_reads_001_263_three_ways():
    from kerasdl.experiments.optimizers import analyze

    variants = [_entry("gd-full", fit_s=0.3, batch_size="full"), _entry("sgd-1", fit_s=6.0, batch_size=1),
                _entry("sgd-32", fit_s=0.6, batch_size=32)]
    history = (_history("gd-full", "loss", [0.7, 0.6, 0.5]) + _history("sgd-1", "loss", [0.3, 0.2, 0.1])
               + _history("sgd-32", "loss", [0.6, 0.45, 0.3]))
    faster = analyze(_analysis(variants, history=history))[-1]
    assert faster.title == "Is SGD faster? (001:263)"
    # 100 training rows: batch 1 makes 100 updates per epoch at 2 s per epoch → 20 ms per update
    assert "Per update: sgd-1 20 ms" in faster.body and "true: batch-1 SGD is first, as one" in faster.body
    assert "gd-full 0.1 s (1 update)" in faster.body and "false: batch-1 SGD is not first: every update" in faster.body
    # to loss 0.5: sgd-1 at epoch 1 (2 s), sgd-32 at epoch 2 (0.4 s), gd-full at epoch 3 (0.3 s)
    assert "gd-full 0.3 s (epoch 3), sgd-32 0.4 s (epoch 2), sgd-1 2 s (epoch 1) — false" in faster.body


# --- cross-validation and k ---------------------------------------------------------------------------

def test_exhaustive_cross_validation_counts_n_and_n_choose_2_fits():
    from sklearn.linear_model import LogisticRegression

    from kerasdl import data
    from kerasdl.experiments.cross_validation import exhaustive_estimates

    found = exhaustive_estimates(data.load("heart-disease"), LogisticRegression(max_iter=200), 6, 0)
    assert [found[p]["splits"] for p in ("leave-one-out", "leave-2-out", "5-fold")] == [6, 15, 5]
    assert all(0.0 <= m["estimate"] <= 1.0 for m in found.values())
    assert found["leave-one-out"]["part_std"] == pytest.approx(
        math.sqrt(found["leave-one-out"]["estimate"] * (1 - found["leave-one-out"]["estimate"])))  # 0/1 scores


def test_knn_rule_of_thumb_and_validation_curve():
    from kerasdl import data
    from kerasdl.experiments.knn_k import curve, rule_of_thumb

    assert (rule_of_thumb(303), rule_of_thumb(100), rule_of_thumb(1)) == (17, 11, 1)
    found = curve(data.load("heart-disease"), [1, 51], 3, 0)
    assert found["train"][0] == pytest.approx(1.0)  # k = 1 reproduces its own training labels
    assert found["train"][1] < 1.0 and len(found["cv"]) == 2


# --- the search unit ----------------------------------------------------------------------------------

def test_mlp_training_unit_searches_its_four_hyperparameters(tmp_path):
    from kerasdl import tuning

    unit = tuning.load_unit("mlp-training")
    found = tuning.search(unit, tuning.SearchSettings(strategy="random", max_trials=1, epochs=1, quick=True,
                                                      out=tmp_path, quiet=True))
    (trial,) = found.trials
    assert trial.status == "completed" and math.isfinite(trial.score) and found.objective == "val_loss"
    assert set(trial.hyperparameters) == {"initializer", "l2", "momentum", "epochs"}
    best = unit.variant(trial.hyperparameters)
    assert best.optimizer == "sgd" and best.optimizer_options == {"momentum": trial.hyperparameters["momentum"]}
    assert best.epochs == trial.hyperparameters["epochs"]
