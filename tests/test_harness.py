"""The shared harness: run records, statuses, determinism, and user errors before any write."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from kerasdl.data.dataset import Dataset
from kerasdl.errors import UserError
from kerasdl.harness import Experiment, Variant, run


def _tabular(task: str = "binary", n: int = 120, seed: int = 0) -> Dataset:
    """Generated tabular data with a categorical column and missing values, like real user files."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n)
    x1[::17] = np.nan  # missing values must be imputed inside the pipeline
    signal = np.nan_to_num(x1) + 0.5 * x2 + (colour == "red")
    if task == "regression":
        target, names = signal + rng.normal(scale=0.1, size=n), ()
    else:
        target, names = (signal > np.median(signal)).astype(int), ("no", "yes")
    order = rng.permutation(n)
    splits = {"train": order[: n // 2], "val": order[n // 2: 3 * n // 4], "test": order[3 * n // 4:]}
    frame = pd.DataFrame({"x1": x1, "x2": x2, "colour": colour})
    return Dataset(name="synthetic", task=task, features=frame, target=target, splits=splits,
                   class_names=names, provenance="generated in tests", license="CC0", origin="generated",
                   numeric_columns=("x1", "x2"), categorical_columns=("colour",))


def _experiment(**overrides) -> Experiment:
    from sklearn.dummy import DummyClassifier

    settings = dict(name="unit", dataset=_tabular(), variants=[
        Variant("mlp", builder="mlp", hyperparameters={"units": [8]}, epochs=3, batch_size=16, patience=None),
        Variant("dummy", estimator=DummyClassifier(strategy="prior")),
    ])
    settings.update(overrides)
    return Experiment(**settings)


def test_holdout_run_writes_a_complete_record(tmp_path):
    record = run(_experiment(), out=tmp_path, quiet=True)
    assert record.status == "completed"
    assert record.path.parent == tmp_path / "unit" and not record.path.name.startswith(".")
    data = json.loads((record.path / "run.json").read_text())
    assert data["schema_version"] == 2 and data["seed"] == 0
    assert data["dataset"]["provenance"] == "generated in tests"
    assert data["environment"]["keras"] and data["environment"]["backend"] == "tensorflow"
    mlp = record.variant("mlp")
    assert mlp["parameter_count"] == sum(row["params"] for row in mlp["model_summary"])
    assert 0.0 <= mlp["metrics"]["roc_auc"]["mean"] <= 1.0
    assert sum(map(sum, mlp["confusion_matrix"])) == 30  # every test row counted once
    with np.load(record.path / "predictions.npz", allow_pickle=False) as arrays:
        assert arrays["mlp/fold0/y_score"].shape == (30, 2)
        np.testing.assert_allclose(arrays["mlp/fold0/y_score"].sum(axis=1), 1.0, rtol=1e-6)
    history = pd.read_csv(record.path / "history.csv")
    assert list(history["epoch"]) == [1, 2, 3] and "val_loss" in history
    assert (record.path / "models" / "mlp.keras").is_file()
    assert (record.path / "logs" / "mlp" / "fold0" / "history.csv").is_file()
    assert record.variant("dummy")["metrics"]["roc_auc"]["mean"] == pytest.approx(0.5)


def _custom_gradients() -> set[str]:
    """TensorFlow's registered custom gradients (one per traced train step: kerasdl/harness/fit_memory.py)."""
    from tensorflow.python.framework import ops

    return {name for name in ops._gradient_registry.list() if name.startswith("CustomGradient-")}


def test_cross_validation_reports_mean_and_spread(tmp_path):
    before = _custom_gradients()
    record = run(_experiment(evaluation="cv", folds=3), out=tmp_path, quiet=True)
    assert _custom_gradients() == before  # every fold's train step added one, holding its graph: all dropped
    auc = record.variant("mlp")["metrics"]["roc_auc"]
    assert len(auc["folds"]) == 3 and auc["std"] >= 0.0
    assert auc["mean"] == pytest.approx(np.mean(auc["folds"]))
    tested = sorted(np.concatenate([np.load(record.path / "predictions.npz")[f"mlp/fold{k}/index"]
                                    for k in range(3)]))
    assert tested == list(range(120))  # k-fold: every row is tested exactly once


def test_garbage_between_variants_is_collected_within_its_time_budget():
    import gc
    import weakref

    from kerasdl.harness.fit_memory import GarbageBudget

    class Node:
        pass

    collect = GarbageBudget(share=0.05, first_cost=0.1)  # CPU seconds
    cycle = Node()
    cycle.self, gone = cycle, weakref.ref(cycle)
    del cycle
    gc.disable()  # only the budget may collect here
    try:
        assert not collect() and gone() is not None  # 0.1 s would be over 5 % of the time since it began
        collect.since -= 10.0  # ten seconds of CPU later
        assert collect() and gone() is None
        assert collect.cost < 10.0 and not collect()  # the budget starts again from this collection
    finally:
        gc.enable()


def test_same_seed_gives_same_metrics(tmp_path):
    first = run(_experiment(), out=tmp_path / "a", quiet=True, seed=3)
    second = run(_experiment(), out=tmp_path / "b", quiet=True, seed=3)
    assert first.variant("mlp")["metrics"] == second.variant("mlp")["metrics"]


def test_regression_task_uses_regression_metrics(tmp_path):
    from sklearn.dummy import DummyRegressor

    experiment = _experiment(dataset=_tabular("regression"), variants=[
        Variant("mlp", builder="mlp", hyperparameters={"units": [8]}, epochs=2, patience=None),
        Variant("mean", estimator=DummyRegressor()),
    ])
    record = run(experiment, out=tmp_path, quiet=True)
    assert {"mse", "mae", "rmse", "r2"} <= set(record.variant("mlp")["metrics"])
    assert record.variant("mlp")["confusion_matrix"] is None


def test_divergence_is_recorded_and_the_run_goes_on(tmp_path):
    from sklearn.dummy import DummyRegressor

    experiment = _experiment(dataset=_tabular("regression"), variants=[
        Variant("exploding", builder="mlp", hyperparameters={"units": [64, 64]}, optimizer="sgd",
                learning_rate=1e12, epochs=5, patience=None),
        Variant("mean", estimator=DummyRegressor()),
    ])
    record = run(experiment, out=tmp_path, quiet=True)
    assert record.variant("exploding")["status"] == "diverged"
    assert record.variant("mean")["status"] == "completed"
    assert record.status == "diverged"


class _Broken:
    """A scikit-learn-like estimator whose fit raises what it is given."""

    def __init__(self, error=RuntimeError):
        self.error = error

    def get_params(self, deep=False):
        return {"error": self.error}

    def set_params(self, **params):
        self.error = params.get("error", self.error)
        return self

    def fit(self, x, y):
        raise self.error("boom")


def test_failed_variant_keeps_its_traceback_and_others_run(tmp_path):
    from sklearn.dummy import DummyClassifier

    experiment = _experiment(variants=[Variant("broken", estimator=_Broken()),
                                       Variant("dummy", estimator=DummyClassifier())])
    record = run(experiment, out=tmp_path, quiet=True)
    assert record.status == "failed"
    assert "RuntimeError: boom" in record.variant("broken")["error"]
    assert record.variant("dummy")["status"] == "completed"


def test_interrupt_leaves_a_valid_interrupted_record(tmp_path):
    from sklearn.dummy import DummyClassifier

    experiment = _experiment(variants=[Variant("dummy", estimator=DummyClassifier()),
                                       Variant("stopped", estimator=_Broken(KeyboardInterrupt)),
                                       Variant("never", estimator=DummyClassifier())])
    with pytest.raises(KeyboardInterrupt):
        run(experiment, out=tmp_path, quiet=True)
    (run_dir,) = (tmp_path / "unit").iterdir()
    assert not run_dir.name.startswith(".")
    data = json.loads((run_dir / "run.json").read_text())
    assert data["status"] == "interrupted"
    assert [v["status"] for v in data["variants"]] == ["completed", "interrupted"]


@pytest.mark.parametrize("variant, message", [
    (Variant("x", builder="mlpp"), "closest: mlp"),
    (Variant("x", builder="mlp", hyperparameters={"unitz": 3}), "accepted: "),
])
def test_user_errors_are_raised_before_anything_is_written(tmp_path, variant, message):
    with pytest.raises(UserError, match=message):
        run(_experiment(variants=[variant]), out=tmp_path, quiet=True)
    assert not any(tmp_path.iterdir())


def test_reconstruction_task_compares_keras_and_pca(tmp_path):
    """Image-to-image variants (autoencoders, upsampling decoders) are scored on pixel errors."""
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA

    pixels = (load_digits().data[:200] / 16.0).astype("float32")
    order = np.random.default_rng(0).permutation(200)
    dataset = Dataset(name="digit-pixels", task="reconstruction", features=pixels, target=pixels,
                      splits={"train": order[:120], "val": order[120:160], "test": order[160:]},
                      provenance="scikit-learn digits", origin="sklearn")
    experiment = _experiment(dataset=dataset, variants=[
        Variant("dense-ae", builder="mlp", hyperparameters={"units": [16]}, epochs=2, patience=None),
        Variant("pca-16", estimator=PCA(n_components=16)),
    ])
    record = run(experiment, out=tmp_path, quiet=True)
    assert record.status == "completed"
    for name in ("dense-ae", "pca-16"):
        assert record.metric(name, "mse") > 0.0
    # PCA with 16 of 64 components keeps most of the variance: far better than an untrained network.
    assert record.metric("pca-16", "mse") < record.metric("dense-ae", "mse")
    with np.load(record.path / "predictions.npz") as arrays:
        assert arrays["pca-16/fold0/y_score"].shape == (40, 64)


def test_analyze_hook_adds_sections_from_history_and_probes(tmp_path):
    def probe(model, arrays):
        return {"n_test": int(len(arrays.x_test)), "params": int(model.count_params())}

    def analyze(analysis):
        curve = analysis.curve("mlp", "loss")
        probes = [f["probe"] for f in analysis.record["variants"][0]["folds"]]
        return [{"kind": "lines", "title": "loss", "x_label": "epoch", "y_label": "loss",
                 "series": [{"label": "mlp", "x": list(range(1, len(curve) + 1)), "y": curve}]},
                {"kind": "text", "title": "probe", "body": f"tested {probes[0]['n_test']} rows"}]

    experiment = _experiment(analyze=analyze, variants=[
        Variant("mlp", builder="mlp", hyperparameters={"units": [4]}, epochs=3, patience=None, probe=probe)])
    record = run(experiment, out=tmp_path, quiet=True)
    lines, text = record.data["sections"]
    assert len(lines["series"][0]["y"]) == 3
    assert text["body"] == "tested 30 rows"
    assert json.loads((record.path / "run.json").read_text())["sections"][1]["body"] == "tested 30 rows"


def test_a_failing_analysis_marks_the_run_failed_but_keeps_it(tmp_path):
    def analyze(analysis):
        raise ZeroDivisionError("bug in a study")

    record = run(_experiment(analyze=analyze), out=tmp_path, quiet=True)
    assert record.status == "failed" and "ZeroDivisionError" in record.data["error"]
    assert record.variant("mlp")["status"] == "completed"


def test_optimizer_options_reach_keras_and_bad_ones_are_user_errors(tmp_path):
    momentum = Variant("mlp", builder="mlp", hyperparameters={"units": [4]}, epochs=1, patience=None,
                       optimizer="sgd", learning_rate=0.01, optimizer_options={"momentum": 0.9, "nesterov": True})
    record = run(_experiment(variants=[momentum]), out=tmp_path, quiet=True)
    assert record.variant("mlp")["compile"]["nesterov"] is True
    with pytest.raises(UserError, match="optimizer 'sgdd'"):
        run(_experiment(variants=[Variant("x", builder="mlp", optimizer="sgdd")]), out=tmp_path / "b", quiet=True)
    assert not (tmp_path / "b").exists()


def test_checkpoint_keeps_each_folds_best_model(tmp_path):
    record = run(_experiment(evaluation="cv", folds=2), out=tmp_path, quiet=True, checkpoint=True,
                 tensorboard=False)
    saved = sorted(p.name for p in (record.path / "checkpoints" / "mlp").iterdir())
    assert saved == ["fold0.keras", "fold1.keras"]
    assert not (record.path / "logs" / "mlp" / "fold0" / "backup").exists()  # removed after a clean fit


def test_records_keep_number_lists_on_one_line_and_round_trip():
    from kerasdl import runs

    record = {"image": [[0.5, 1.0], [0.0, 0.25]], "rows": [{"label": "a \"quoted\" é"}], "empty": [], "none": {}}
    text = runs.dumps(record)
    assert json.loads(text) == record
    assert "[0.5, 1.0]" in text and text.count("\n") == 12


def test_epoch_tensorboard_writes_epoch_scalars_and_no_batch_scalars(tmp_path):
    import keras
    import numpy as np
    import tensorflow as tf

    from kerasdl.callbacks import EpochTensorBoard

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).random((32, 3)).astype("float32")
    model.fit(x, x[:, :1], validation_data=(x, x[:, :1]), epochs=2, batch_size=8, verbose=0,
              callbacks=[EpochTensorBoard(log_dir=str(tmp_path), write_graph=False, profile_batch=0)])
    tags = {value.tag for events in tmp_path.rglob("events.out.tfevents.*")
            for event in tf.compat.v1.train.summary_iterator(str(events)) for value in event.summary.value}
    assert "epoch_loss" in tags and not any(tag.startswith("batch_") for tag in tags), tags


@pytest.mark.parametrize("owned", ["validation_freq", "epochs", "callbacks"])
def test_fit_kwargs_cannot_override_what_the_harness_records(owned):
    with pytest.raises(ValueError, match=owned):
        Variant("v", builder="mlp", fit_kwargs={owned: 2, "shuffle": False})
    assert Variant("v", builder="mlp", fit_kwargs={"shuffle": False}).fit_kwargs == {"shuffle": False}


def test_quick_variants_keeps_only_the_named_variants_in_quick_mode(tmp_path):
    from sklearn.dummy import DummyClassifier

    experiment = _experiment(variants=[Variant("prior", estimator=DummyClassifier(strategy="prior")),
                                       Variant("uniform", estimator=DummyClassifier(strategy="uniform"))],
                             quick_variants=["uniform"])
    assert experiment.quick_variants == ("uniform",)
    quick = run(experiment, quick=True, out=tmp_path, quiet=True)
    assert [v["name"] for v in quick.data["variants"]] == ["uniform"]
    full = run(experiment, out=tmp_path, quiet=True)
    assert [v["name"] for v in full.data["variants"]] == ["prior", "uniform"]
    with pytest.raises(UserError, match=r"quick_variants= as a non-empty list of variant names \(prior, uniform\)"):
        _experiment(variants=experiment.variants, quick_variants=["typo"])
