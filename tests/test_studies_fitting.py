"""Study-specific checks for the training-technique studies (issue 3): initializers, capacity,
batch-size, batch-norm, cross-validation, baselines.

The probes are checked on tiny Keras models with known answers; the analyze hooks on hand-made run
records, so a wrong rule or a claim the numbers do not support fails here. Running every study end to
end in quick mode is tests/test_experiments.py's job; the one end-to-end check here is marked slow.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from kerasdl.harness import Analysis, FoldArrays


# --- probes -----------------------------------------------------------------------------------------

def _mlp(initializer, activation="tanh", depth=3, width=16, inputs=8, outputs=3):
    import keras

    from kerasdl import models

    keras.utils.set_random_seed(0)
    return models.build("mlp", (inputs,), outputs, units=width, depth=depth, activation=activation,
                        initializer=initializer)


def test_zeros_initialisation_leaves_every_unit_identical():
    from kerasdl.probes import activation_statistics

    x = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
    stats = activation_statistics(_mlp("zeros", "relu"), x)
    assert [s["layer"] for s in stats] == [1, 2, 3]
    assert all(s["std"] == 0.0 and s["distinct_units"] == 1 and s["zero"] == 1.0 for s in stats)
    glorot = activation_statistics(_mlp("glorot_uniform"), x)
    assert glorot[0]["distinct_units"] == 16 and glorot[0]["std"] > 0.1


def test_large_normal_initialisation_saturates_tanh_and_small_one_shrinks_the_signal():
    from kerasdl.probes import activation_statistics

    x = np.random.default_rng(1).normal(size=(128, 8)).astype("float32")
    large = activation_statistics(_mlp({"class_name": "RandomNormal", "config": {"stddev": 1.0}}, width=64), x)
    small = activation_statistics(_mlp({"class_name": "RandomNormal", "config": {"stddev": 0.01}}, width=64), x)
    assert large[-1]["saturated"] > 0.5
    # σ·sqrt(fan_in) = 0.01·8 = 0.08 per layer: two layers shrink the spread to well under 2% of layer 1's
    assert small[0]["std"] < 0.1 and small[-1]["std"] < 0.02 * small[0]["std"]


def test_epoch_clock_and_initial_weights_record_the_fit():
    import keras

    from kerasdl.callbacks import EpochClock, InitialWeights

    model = _mlp("glorot_uniform")
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss="sparse_categorical_crossentropy")
    before = [np.array(w) for w in model.get_weights()]
    clock, initial = EpochClock(), InitialWeights()
    x = np.random.default_rng(2).normal(size=(40, 8)).astype("float32")
    y = np.arange(40) % 3
    model.fit(x, y, validation_data=(x, y), epochs=3, batch_size=8, verbose=0,
              callbacks=[clock.callback(), initial.callback()])
    seconds = clock.take()
    assert len(seconds) == 3 and all(s > 0 for s in seconds)
    restored = initial.model_at_start(model).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(before, restored))
    assert not all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))  # fit did move them


def test_error_rates_match_a_model_with_known_outputs():
    import keras

    from kerasdl.probes import error_rates

    probabilities = np.array([0.7, 0.2, 0.1])
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, activation="softmax")])
    model.set_weights([np.zeros((2, 3)), np.log(probabilities)])  # every row gets the same probabilities
    x = np.ones((4, 2), dtype="float32")
    arrays = FoldArrays(0, x, np.array([0, 0, 0, 0]), x, np.array([0, 1, 2, 0]), x[:0], np.array([], dtype=int))
    found = error_rates(model, arrays, per_example_val_loss=True)
    assert found["train_error"] == 0.0 and found["val_error"] == 0.5
    assert found["train_loss"] == pytest.approx(-math.log(0.7), rel=1e-5)
    assert found["val_losses"] == pytest.approx([-math.log(p) for p in (0.7, 0.2, 0.1, 0.7)], rel=1e-5)
    assert "test_error" not in found  # no test rows, nothing invented


# --- analyze hooks on hand-made records -------------------------------------------------------------

def _variant(name, *, metrics=None, probe=None, folds=None, **extra):
    fold = {"fold": 0, "status": "completed", "epochs_run": 10, "best_epoch": 4, "fit_s": 1.0}
    if probe is not None:
        fold["probe"] = probe
    return {"name": name, "label": name.upper(), "status": "completed", "parameter_count": 100,
            "metrics": {k: {"mean": v, "std": 0.01} for k, v in (metrics or {}).items()},
            "folds": folds or [fold], "timings": {"fit_s": 1.0}, **extra}


def _analysis(variants, *, dataset=None, history=(), quick=False):
    return Analysis({"variants": variants}, dataset, quick, list(history), {}, 0)


def test_capacity_regions_follow_the_rules():
    from kerasdl.experiments.capacity import regions

    def m(params, train_error, val_error, val_losses):
        return {"parameters": params, "train_error": train_error, "val_error": val_error,
                "val_loss": float(np.mean(val_losses)), "val_losses": val_losses}

    rng = np.random.default_rng(0)
    base = rng.uniform(0.1, 0.3, size=200)
    noise = rng.normal(0, 0.5, size=200)
    found = {
        "tiny": m(10, 0.5, 0.55, list(base + 1.0)),          # cannot fit its training rows
        "mid": m(100, 0.01, 0.08, list(base)),               # lowest loss
        "big": m(1000, 0.0, 0.08, list(base + 0.2)),         # same error, clearly higher loss
        "huge-noisy": m(5000, 0.0, 0.07, list(base + 0.01 + noise - noise.mean())),  # not significantly worse
    }
    best_error, best_loss, labels = regions(found, {"all": list(found)})
    assert (best_error, best_loss) == ("huge-noisy", {"all": "mid"})
    assert labels == {"tiny": "underfitting", "mid": "good fit", "big": "overfitting", "huge-noisy": "good fit"}
    # overfitting is judged within a sweep: against its own best, "big" alone is a good fit
    assert regions(found, {"a": ["tiny", "mid"], "b": ["big"]})[2]["big"] == "good fit"


def test_batch_size_measure_counts_updates_and_story_flags_the_capped_run():
    from kerasdl.experiments.batch_size import _measure, _story

    def fold(best, run):
        return [{"fold": 0, "epochs_run": run, "best_epoch": best,
                 "probe": {"epoch_seconds": [0.5, 0.1, 0.1, 0.1], "n_train": 100}}]

    record = {"variants": [
        _variant("batch-30", metrics={"accuracy": 0.95, "roc_auc": 0.99}, folds=fold(3, 4)),
        _variant("batch-full", metrics={"accuracy": 0.80, "roc_auc": 0.90}, folds=fold(4, 4)),
    ]}
    small, full = _measure(record, "batch-30", 30), _measure(record, "batch-full", "full")
    assert (small["updates_per_epoch"], small["updates_to_best"]) == (4, 12)
    assert (full["size"], full["updates_per_epoch"]) == (100, 1)
    assert small["seconds_per_epoch"] == pytest.approx(0.1) and small["seconds_to_best"] == pytest.approx(0.7)
    small["best_val_loss"], full["best_val_loss"] = 0.1, 0.4
    small["curve"], full["curve"] = [0.5, 0.2, 0.1, 0.15], [0.6, 0.5, 0.45, 0.4]
    small["seconds"], full["seconds"] = [0.5, 0.5, 0.5, 0.5], [0.2, 0.2, 0.2, 0.2]  # full finishes in 0.8 s
    text = _story({"batch-30": small, "batch-full": full}, {"batch-30": "batch 30", "batch-full": "full"}, 4)
    assert "Still improving when the epoch budget ran out (best epoch = last of 4): full." in text
    assert "from 0.800 (full) to 0.950 (batch 30)" in text
    assert "picks batch 30" in text
    # equal time (0.8 s): batch 30 completed one epoch (0.5), full batch all four (0.4)
    assert "reached: batch 30 0.500, full 0.400; full got furthest in that time" in text


def test_batch_norm_story_credits_bn_only_when_the_numbers_do():
    from kerasdl.experiments.batch_norm import _epochs_to, _story

    assert _epochs_to([2.0, 0.9, 0.4, 0.3], 0.5) == 3 and _epochs_to([2.0, 1.0], 0.5) is None

    def rows(plain_high):
        out = {}
        for lr in (0.01, 0.5):
            for p, acc in ((None, plain_high if lr == 0.5 else 0.9), ("before", 0.96), ("after", 0.95)):
                out[f"{p or 'none'}-lr{lr:g}"] = {"accuracy": acc, "epochs_to_target": 5, "status": "completed"}
        return out

    names = {n: n for n in rows(0.1)}
    failing = _story(rows(0.1), names, chance=0.1)
    assert "stays at chance level" in failing and "lets this network train" in failing
    fine = _story(rows(0.955), names, chance=0.1)
    assert "no clear difference" in fine and "lets this network train" not in fine


def test_baselines_text_states_the_margin_over_the_best_dummy():
    from kerasdl.experiments.baselines import analyze

    record = [
        _variant("dummy-most-frequent", metrics={"accuracy": 0.627, "roc_auc": 0.5}),
        _variant("dummy-stratified", metrics={"accuracy": 0.52, "roc_auc": 0.49}),
        _variant("dummy-prior", metrics={"accuracy": 0.627, "roc_auc": 0.5}),
        _variant("logistic", metrics={"accuracy": 0.975, "roc_auc": 0.995}),
        _variant("knn-5", metrics={"accuracy": 0.965, "roc_auc": 0.98}),
        _variant("mlp", metrics={"accuracy": 0.970, "roc_auc": 0.993}),
    ]
    sections = analyze(_analysis(record))
    table, text = sections[0], sections[1]["body"]
    assert [row[0] for row in table["rows"]][-1] == "MLP"
    assert table["rows"][-1][4] == pytest.approx(0.970 - 0.627)
    assert "34.3 percentage points above the best dummy" in text
    assert "behind by 0.5 points, within the fold-to-fold spread" in text


def test_cross_validation_estimates_are_fold_means_of_the_named_splitter():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold
    from sklearn.pipeline import make_pipeline

    from kerasdl import data
    from kerasdl.experiments.cross_validation import PROTOCOLS, protocol_estimates, splitter

    dataset = data.load("heart-disease")
    found = protocol_estimates(dataset, LogisticRegression(max_iter=1000), [3, 4])
    assert list(found) == PROTOCOLS
    manual = []
    for train, test in KFold(5, shuffle=True, random_state=3).split(dataset.features):
        model = make_pipeline(dataset.preprocessor(), LogisticRegression(max_iter=1000))
        model.fit(dataset.features.iloc[train], dataset.target[train])
        manual.append(model.score(dataset.features.iloc[test], dataset.target[test]))
    assert found["5-fold"]["accuracy"][0] == pytest.approx(np.mean(manual))
    assert found["holdout 50/50"]["accuracy"][0] != found["holdout 50/50"]["accuracy"][1]
    train, test = next(splitter("60/20/20", 0).split(np.zeros((100, 1))))
    assert (len(train), len(test)) == (60, 20)  # the other 20 rows are the unused validation part


def test_cross_validation_calls_a_spread_difference_real_only_when_the_f_test_does():
    from kerasdl.experiments.cross_validation import _story, spread_p_value

    assert spread_p_value(0.032, 0.009, 30) == pytest.approx(spread_p_value(0.009, 0.032, 30))
    assert spread_p_value(0.032, 0.009, 30) < 1e-6 and spread_p_value(0.0075, 0.009, 30) > 0.3

    def stats(stds):
        return {p: {"accuracy": {"std": s, "mean": 0.8}, "roc_auc": {"std": s, "mean": 0.9}}
                for p, s in stds.items()}

    text = _story({"logistic": stats({"holdout 50/50": 0.026, "holdout 80/20": 0.032, "60/20/20": 0.034,
                                      "5-fold": 0.009, "stratified 5-fold": 0.0075})}, {}, 30, 303)
    assert "varies least under stratified 5-fold" in text and "most under 60/20/20" in text
    assert "narrows the spread" in text
    assert ("Stratified vs plain 5-fold: std 0.007 vs 0.009 (p = 0.332) — not a difference 30 repeats can "
            "resolve") in text
