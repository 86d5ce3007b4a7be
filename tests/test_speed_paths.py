"""The harness's fast feed (kerasdl/harness/feeding.py): a seeded, reshuffled tf.data pipeline and
steps_per_execution > 1 keep shuffling, determinism, Ctrl-C and divergence as plain Keras has them.

Speed itself is measured by benchmarks/harness_overhead.py, never asserted here.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from kerasdl.harness import Experiment, Variant, feeding, run


@pytest.fixture
def long_fit_threshold(monkeypatch):
    """Multi-step executions even for the few steps a test can afford."""
    monkeypatch.setattr(feeding, "_AMORTIZED_AFTER_STEPS", 0)


def _tiny(n=48, features=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    return x, (x[:, 0] > 0).astype("float32")


def _model(steps: int):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=steps)
    return model


def test_pipeline_reshuffles_every_epoch_and_repeats_with_the_seed():
    x = np.arange(40, dtype="float32")[:, None]
    y = np.zeros(40, dtype="float32")

    def epochs(seed):
        data = feeding.pipeline(x, y, batch_size=8, training=True, seed=seed)
        return [np.concatenate([b[0].numpy()[:, 0] for b in data]) for _ in range(2)]

    first, second = epochs(1)
    assert sorted(first) == list(range(40)) and not np.array_equal(first, second)
    assert all(np.array_equal(a, b) for a, b in zip(epochs(1), (first, second)))
    unshuffled = feeding.pipeline(x, y, batch_size=8, training=True, seed=1, shuffle=False)
    assert np.array_equal(np.concatenate([b[0].numpy()[:, 0] for b in unshuffled]), np.arange(40))
    validation = feeding.pipeline(x, None, batch_size=8, training=False, seed=1)
    assert [len(b) for b in validation] == [40]  # evaluation batches are large, unshuffled, x only


def test_steps_per_execution_is_one_for_short_fits_large_nets_and_batch_callbacks():
    import keras

    from kerasdl.callbacks import StopOnNonFiniteLoss, StopOnRequest

    harness_own = [StopOnRequest(threading.Event()), StopOnNonFiniteLoss(), keras.callbacks.CSVLogger("/dev/null")]
    assert feeding.steps_per_execution(700, (30,), 16, 12, 300, harness_own) == 12  # one epoch per call
    assert feeding.steps_per_execution(700, (30,), 16, 400, 300, harness_own) == 32  # capped
    assert feeding.steps_per_execution(700, (30,), 16, 12, 2, harness_own) == 1  # --quick: tracing not repaid
    assert feeding.steps_per_execution(5_000_000, (64, 64, 3), 32, 100, 50, harness_own) == 1  # a real CNN

    class PerBatch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            pass

    assert feeding.steps_per_execution(700, (30,), 16, 12, 300, [*harness_own, PerBatch()]) == 1


def test_only_plain_fits_of_plain_arrays_take_the_pipeline():
    from kerasdl.trainers import DecodingTrainer, Trainer

    x, y = _tiny()
    model = _model(1)
    assert feeding.can_feed(model, Trainer(), {"shuffle": False}, [], x, y, x, y)
    assert not feeding.can_feed(model, Trainer(), {"sample_weight": np.ones(len(x))}, [], x, y)
    assert not feeding.can_feed(model, Trainer(), {}, [], np.array(["a"] * len(x), dtype=object), y)

    class OwnFit(Trainer):
        def fit(self, *args, **kwargs):
            return super().fit(*args, **kwargs)

    assert not feeding.can_feed(model, OwnFit(), {}, [], x, y)
    assert feeding.can_feed(model, DecodingTrainer(), {}, [], {"encoder": x, "decoder": x}, y)


@pytest.mark.parametrize("poison", ["request", "nan"])
def test_stop_callbacks_act_after_the_execution_that_tripped_them(poison):
    """With 4 batches per call, Ctrl-C and a NaN loss stop training after that call's 4 batches."""
    from kerasdl.callbacks import StopOnNonFiniteLoss, StopOnRequest

    x, y = _tiny()
    flag = threading.Event()
    if poison == "request":
        flag.set()
    else:
        y = y.copy()
        y[5] = np.nan  # batch 1 of the first execution: the running mean of the loss is NaN from then on
    model = _model(4)
    data = feeding.pipeline(x, y, batch_size=4, training=True, seed=0, shuffle=False)  # 12 batches per epoch
    history = model.fit(data, epochs=3, callbacks=[StopOnRequest(flag), StopOnNonFiniteLoss()], verbose=0,
                        shuffle=False)
    assert int(model.optimizer.iterations.numpy()) == 4
    assert len(history.history["loss"]) == 1


def test_fast_feed_is_recorded_deterministic_and_catches_divergence(long_fit_threshold, tmp_path, monkeypatch):
    monkeypatch.delenv("KERASDL_PLAIN_FEED", raising=False)  # this test is about the fast feed, whatever the suite's
    x, y = _tiny(96)
    from kerasdl.data.dataset import Dataset

    order = np.random.default_rng(0).permutation(96)
    dataset = Dataset(name="tiny", task="regression", features=x, target=y, splits={
        "train": order[:64], "val": order[64:80], "test": order[80:]}, provenance="generated in tests",
        license="CC0", origin="generated")
    experiment = Experiment(name="speed", dataset=dataset, variants=[
        Variant("mlp", builder="mlp", hyperparameters={"units": [8]}, epochs=3, batch_size=8, patience=1),
        Variant("exploding", builder="mlp", hyperparameters={"units": [32, 32]}, optimizer="sgd",
                learning_rate=1e12, epochs=3, batch_size=8, patience=None)])
    first = run(experiment, out=tmp_path / "a", quiet=True, seed=2)
    experiment.variants = experiment.variants[:1]
    second = run(experiment, out=tmp_path / "b", quiet=True, seed=2)
    fold = first.variant("mlp")["folds"][0]
    assert fold["feed"] == "tf.data" and fold["steps_per_execution"] == 8
    assert first.variant("mlp")["metrics"] == second.variant("mlp")["metrics"]
    assert first.variant("exploding")["status"] == "diverged"
