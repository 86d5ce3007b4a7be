"""`kerasdl fit` good on the first try: regression targets standardized on the training rows inside the
model (predictions mapped back), a linear / logistic baseline beside the dummy one, and fit defaults under
which the MLP is at least as good as the linear baseline."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kerasdl import tasks
from kerasdl.cli import main


@pytest.mark.parametrize("api", ["sequential", "functional"])
def test_the_scaled_model_predicts_sd_times_the_network_plus_mean(api):
    import keras

    from kerasdl import models
    from kerasdl.tasks.target_scaling import LAYER_NAME

    rng = np.random.default_rng(0)
    y_train = rng.normal(150.0, 77.0, size=200)
    network = models.build("mlp", (5,), 1, api=api, units=[4], output_activation="linear")
    x = rng.normal(size=(7, 5)).astype("float32")
    z = np.asarray(network(x))
    model, note = tasks.get("regression").prepare_model(network, y_train)
    assert model.layers[-1].name == LAYER_NAME and not model.layers[-1].trainable_weights
    assert type(model) is (keras.Sequential if api == "sequential" else type(network))
    assert note["mean"] == pytest.approx(y_train.mean()) and note["std"] == pytest.approx(y_train.std())
    np.testing.assert_allclose(np.asarray(model(x)), z * y_train.std() + y_train.mean(), rtol=1e-5)
    assert model.count_params() == network.count_params()


def test_only_plain_regression_targets_are_scaled():
    import keras

    from kerasdl import models

    def build():
        return models.build("mlp", (3,), 1, units=[2], output_activation="linear")

    y = np.linspace(0.0, 1.0, 10)
    for name in ("reconstruction", "forecasting", "binary", "multiclass"):  # pixels in [0, 1]; pre-scaled series
        model = build()
        assert tasks.get(name).prepare_model(model, y) == (model, None)

    class Subclassed(keras.Model):  # its own call: wrapping it would drop what it does
        def call(self, x):
            return x[:, :1]

    model = Subclassed()
    assert tasks.get("regression").prepare_model(model, y) == (model, None)
    constant, note = tasks.get("regression").prepare_model(build(), np.full(10, 3.0))
    assert note["std"] == 1.0 and note["mean"] == 3.0  # nothing to divide by: the offset alone


def test_fit_puts_a_linear_baseline_beside_the_dummy_and_records_the_scaling(tmp_path):
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True, scaled=False).frame
    frame["clinic"] = np.random.default_rng(0).choice(["north", "south", "east"], len(frame))  # a text column
    path = tmp_path / "diabetes.csv"
    frame.to_csv(path, index=False)
    code = main(["fit", "mlp", "--data", str(path), "--target", "target", "--quick", "--quiet",
                 "--no-tensorboard", "--out", str(tmp_path / "reports")])
    assert code == 0
    (run_json,) = (tmp_path / "reports").glob("fit-mlp-diabetes/*/run.json")
    record = json.loads(run_json.read_text())
    variants = {v["name"]: v for v in record["variants"]}
    assert list(variants) == ["mlp", "linear", "dummy"]
    assert variants["linear"]["builder"] == "LinearRegression" and variants["linear"]["label"] == \
        "LinearRegression baseline"
    fold = variants["mlp"]["folds"][0]
    scaling = fold["target_scaling"]
    assert 120 < scaling["mean"] < 180 and 60 < scaling["std"] < 95  # the training rows' target, not 0 and 1
    assert variants["mlp"]["model_summary"][-1]["name"] == "target_scaling"
    assert "wide_and_deep" in [layer["name"] for layer in variants["mlp"]["model_summary"]]  # fit's linear path
    assert fold["start"]["linear_path"].startswith("LinearRegression fitted on")  # started as the baseline
    assert variants["mlp"]["fit"]["trainer"] == "LinearStartTrainer"
    finding = next(section for section in record["sections"] if section.get("kind") == "finding")
    assert "against the LinearRegression baseline" in finding["answer"]  # the report opens with the comparison
    # after two epochs an unscaled network still predicts near 0; this one predicts in the target's units
    predictions = np.load(run_json.parent / "predictions.npz")
    assert abs(predictions["mlp/fold0/y_score"].mean() - scaling["mean"]) < 0.5 * scaling["std"]


def test_the_linear_baselines_are_the_tasks():
    from sklearn.linear_model import LinearRegression, LogisticRegression

    assert isinstance(tasks.get("regression").linear_estimator(), LinearRegression)
    assert isinstance(tasks.get("binary").linear_estimator(), LogisticRegression)
    assert isinstance(tasks.get("multiclass").linear_estimator(), LogisticRegression)
    assert tasks.get("generation").linear_estimator() is None


@pytest.mark.parametrize("outputs", [1, 3])
def test_the_linear_skip_puts_the_linear_model_inside_the_mlp(outputs, tmp_path):
    import keras

    from kerasdl import models

    x = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    built = {api: models.build("mlp", (4,), outputs, api=api, units=[5, 3], linear_skip=True)
             for api in ("sequential", "functional")}
    sequential, functional = built["sequential"], built["functional"]
    assert sequential.count_params() == functional.count_params() == \
        models.build("mlp", (4,), outputs, units=[5, 3]).count_params() + 4 * outputs  # the inputs' weights
    functional.set_weights(sequential.get_weights())
    np.testing.assert_allclose(np.asarray(sequential(x)), np.asarray(functional(x)), atol=1e-6)
    wide = sequential.get_layer("wide_and_deep")
    assert not np.asarray(wide.linear.kernel).any()  # the linear part starts at zero: the plain MLP at first
    # With the hidden path's output weights at zero, what is left is the linear model.
    logits = wide.layer.get_layer("hidden_logits")
    kernel, bias = np.zeros((3, outputs)), np.random.default_rng(2).normal(size=outputs)
    logits.set_weights([kernel, bias])
    linear_kernel = np.random.default_rng(1).normal(size=(4, outputs))
    wide.linear.set_weights([linear_kernel])
    z = x @ linear_kernel + bias
    linear = 1 / (1 + np.exp(-z)) if outputs == 1 else np.exp(z) / np.exp(z).sum(1, keepdims=True)
    np.testing.assert_allclose(np.asarray(sequential(x)), linear, rtol=1e-5, atol=1e-6)
    sequential.save(tmp_path / "wide.keras")
    loaded = keras.saving.load_model(tmp_path / "wide.keras")
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(sequential(x)), atol=1e-6)


@pytest.mark.parametrize("task, n_classes", [("binary", 2), ("multiclass", 3), ("multiclass", 4), ("regression", 0)])
def test_the_linear_start_makes_the_network_the_fitted_baseline(task, n_classes):
    """LinearStartTrainer: at epoch 0 the MLP predicts what the harness's linear baseline predicts — the
    task's linear model after the dataset's preprocessing (numeric columns standardized, indicators as
    they are), fitted on the training + validation rows — although the network's inputs were
    standardized on the training rows alone. The linear path is frozen, the hidden path trainable. The
    4-class case lacks class 2 in its rows: that class keeps zero weights, the others their own."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from kerasdl import models
    from kerasdl.trainers import LinearStartTrainer

    rng = np.random.default_rng(0)
    raw = np.column_stack([rng.normal(3.0, 2.0, size=(90, 4)), rng.integers(0, 2, size=90)])  # 4 numeric, 1 indicator
    score = (raw[:, :4] - 3.0) @ rng.normal(size=4) + raw[:, 4]
    if task == "regression":
        y = 150 + 70 * score + rng.normal(size=90)
    elif n_classes == 4:
        y = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))
        y[y == 2] = 3  # classes 0, 1 and 3 present, 2 absent
    else:
        y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    x = raw.copy()  # what the network sees: numeric columns standardized on the 60 training rows
    x[:, :4] = (raw[:, :4] - raw[:60, :4].mean(0)) / raw[:60, :4].std(0)
    x = x.astype("float32")
    the_task = tasks.get(task)
    units = 1 if task in ("binary", "regression") else n_classes
    model = models.build("mlp", (5,), units, units=[6], linear_skip=True,
                         **({"output_activation": "linear"} if task == "regression" else {}))
    model, scaling = the_task.prepare_model(model, y[:60])
    note = LinearStartTrainer().initialize(model, (x[:60], y[:60]), (x[60:80], y[60:80]), task=the_task,
                                      target_scaling=scaling)
    assert note["linear_path"].endswith("fitted on 80 training and validation rows, frozen; the hidden path "
                                        "starts at zero")
    preprocess = ColumnTransformer([("numeric", StandardScaler(), [0, 1, 2, 3]), ("indicator", "passthrough", [4])])
    baseline = make_pipeline(preprocess, the_task.linear_estimator()).fit(raw[:80], the_task.estimator_target(y[:80]))
    predicted = np.asarray(model(x[80:]))
    if task == "regression":
        expected = baseline.predict(raw[80:]).reshape(-1, 1)
    elif task == "binary":
        expected = baseline.predict_proba(raw[80:])[:, 1:]
    else:
        expected = np.zeros((10, n_classes))
        expected[:, baseline.classes_] = baseline.predict_proba(raw[80:])
    if n_classes == 4:  # softmax over the absent class too: its logit 0 takes a share, the rest keep their ratios
        present = predicted[:, baseline.classes_]
        np.testing.assert_allclose(present / present.sum(1, keepdims=True), expected[:, baseline.classes_],
                                   rtol=1e-4, atol=1e-5)
    else:
        np.testing.assert_allclose(predicted, expected, rtol=1e-4, atol=1e-4 * (70 if task == "regression" else 1))
    wide = model.get_layer("wide_and_deep")
    trainable = {id(v) for v in model.trainable_weights}
    assert id(wide.linear.kernel) not in trainable and id(wide.layer.get_layer("hidden_logits").kernel) in trainable


@pytest.mark.parametrize("start_weight, kept", [(2.0, "start"), (0.0, "trained")])
def test_the_start_is_kept_when_no_epoch_beats_it_on_the_validation_rows(start_weight, kept):
    """StartIsACandidate: y = 2x + noise; a start near the solution is kept when training (a rate that overshoots)
    makes it worse; a start at zero gives way to what training reached. The weight penalty is left out
    of the comparison: the L2 term on an unused layer would otherwise always make the start look worse."""
    import keras

    from kerasdl.callbacks import StartIsACandidate

    keras.utils.set_random_seed(0)
    x = np.linspace(-1, 1, 32, dtype="float32").reshape(-1, 1)
    y = 2 * x + 0.05 * np.random.default_rng(0).normal(size=x.shape).astype("float32")
    unused = keras.layers.Dense(1, kernel_regularizer=keras.regularizers.L2(10.0), name="unused")
    inputs = keras.Input((1,))
    outputs = keras.layers.Dense(1, name="line")(inputs) + 0.0 * unused(inputs)
    model = keras.Model(inputs, outputs)
    model.get_layer("line").set_weights([np.array([[start_weight]]), np.zeros(1)])
    rate = 5.0 if kept == "start" else 0.1  # 5 overshoots the minimum of this quadratic, further each step
    model.compile(optimizer=keras.optimizers.SGD(rate), loss="mse")
    note = {}
    model.fit(x, y, validation_data=(x, y), epochs=3, batch_size=32, verbose=0,
              callbacks=[StartIsACandidate((x, y), "val_loss", True, note)])
    assert note["validation"]["kept"] == kept and note["validation"]["monitor"] == "val_loss"
    weight = float(np.asarray(model.get_layer("line").kernel)[0, 0])
    if kept == "start":
        assert weight == start_weight and note["validation"]["start"] < note["validation"]["trained"]
    else:
        assert weight != 0.0 and note["validation"]["trained"] < note["validation"]["start"]


def test_the_linear_start_needs_a_linear_path():
    from kerasdl import models
    from kerasdl.trainers import LinearStartTrainer

    x, y = np.zeros((4, 2), "float32"), np.array([0, 1, 0, 1])
    with pytest.raises(TypeError, match="expected a model with one linear path"):
        LinearStartTrainer().initialize(models.build("mlp", (2,), 1, units=[3]), (x, y), (x, y),
                                   task=tasks.get("binary"), target_scaling=None)


def test_fit_defaults_reach_the_variant_and_the_users_settings_win(tmp_path):
    from kerasdl import data
    from kerasdl.cli import _FIT_DEFAULTS, _FIT_MLP_DEFAULTS, fit_experiment

    path = tmp_path / "table.csv"
    rng = np.random.default_rng(0)
    path.write_text("a,b,y\n" + "".join(f"{a:.3f},{b:.3f},{int(a > b)}\n" for a, b in rng.normal(size=(40, 2))))
    table = data.load_csv(path, "y")
    (mlp, linear, dummy) = fit_experiment(table, "mlp", cv=2).variants
    assert {k: getattr(mlp, k) for k in _FIT_DEFAULTS} == _FIT_DEFAULTS
    assert mlp.hyperparameters == _FIT_MLP_DEFAULTS and _FIT_MLP_DEFAULTS["linear_skip"] is True
    assert (linear.name, dummy.name) == ("linear", "dummy")
    mine = fit_experiment(table, "mlp", hyperparameters={"l2": 0.0, "units": [4]}, settings={"epochs": 7}).variants[0]
    assert mine.hyperparameters == {**_FIT_MLP_DEFAULTS, "l2": 0.0, "units": [4]} and mine.epochs == 7
    assert fit_experiment(table, "perceptron").variants[0].hyperparameters == {}  # mlp's own, not every builder's


def _fit_record(mlp: float, linear: float, kept: list[str] | None, task: str = "binary", metric: str = "roc_auc"):
    folds = [{"fold": i, "start": {"linear_path": "...", "validation": {"kept": k}}} for i, k in enumerate(kept or [])]
    return {"experiment": {"headline_metric": metric}, "dataset": {"task": task}, "variants": [
        {"name": "mlp", "metrics": {metric: {"mean": mlp, "std": 0.01}}, "folds": folds},
        {"name": "linear", "label": "LogisticRegression baseline", "metrics": {metric: {"mean": linear, "std": 0.02}}},
        {"name": "dummy", "metrics": {metric: {"mean": 0.5, "std": 0.0}}}]}


@pytest.mark.parametrize("mlp, linear, kept, task, metric, says", [
    (0.9031, 0.9031, ["start"] * 5, "binary", "roc_auc", "found nothing the linear model misses"),
    (1.0, 0.4265, ["trained"] * 4 + ["start"], "binary", "roc_auc", "add 0.5735 to what the linear model reaches; "
                                                                   "the trained weights beat the linear start on 4 of 5"),
    (50.0, 55.0, ["trained"] * 2, "regression", "rmse", "add 5.0000"),  # lower is better: 5 less RMSE is a gain
    (0.80, 0.85, None, "binary", "roc_auc", "0.0500 below the linear model, which is the one to use (this network "
                                            "did not start as the linear model"),
])
def test_the_fit_report_opens_with_the_network_against_its_linear_baseline(mlp, linear, kept, task, metric, says):
    from types import SimpleNamespace

    from kerasdl.fit_finding import against_baselines

    (finding,) = against_baselines(SimpleNamespace(record=_fit_record(mlp, linear, kept, task, metric)))
    answer = finding.answer
    assert answer.startswith(f"mlp {metric} ") and "against the LogisticRegression baseline" in answer
    assert says in answer and finding.notes_ref == "001:3067"


def test_the_fit_finding_says_when_the_network_did_not_finish():
    from types import SimpleNamespace

    from kerasdl.fit_finding import against_baselines

    record = _fit_record(0.9, 0.9, None)
    record["variants"][0]["metrics"] = {}
    (finding,) = against_baselines(SimpleNamespace(record=record))
    assert finding.answer == "mlp did not finish, so this run cannot compare the two."


def test_started_as_the_linear_model_the_hidden_layers_still_learn_what_it_cannot(tmp_path):
    """The start (linear path frozen at the logistic fit, hidden output weights at zero, L2 on the hidden
    layers) must not trap the network at the linear model: on XOR, which no linear model separates, the
    fit's defaults (fewer epochs here) still find the pattern, and the record says the trained weights won."""
    from kerasdl import data, harness
    from kerasdl.cli import fit_experiment

    experiment = fit_experiment(data.load("xor", seed=0), "mlp", settings={"epochs": 120})
    record = harness.run(experiment, seed=0, out=tmp_path, quiet=True, tensorboard=False).data
    auc = {v["name"]: v["metrics"]["roc_auc"]["mean"] for v in record["variants"]}
    assert auc["mlp"] > 0.95 and auc["linear"] < 0.75, auc
    (fold,) = record["variants"][0]["folds"]
    assert fold["start"]["validation"]["kept"] == "trained"


def test_every_trainer_keeps_the_optional_steps_callable():
    """`initialize` and `fit_callbacks` are methods on every built-in trainer: an attribute of the same name
    (DecodingTrainer's START id was `start`, which clashed with an earlier name of the step) breaks every fit."""
    from kerasdl import trainers

    for made in (trainers.Trainer(), trainers.RuleTrainer(), trainers.SamplingTrainer(), trainers.AdversarialTrainer(),
                 trainers.DecodingTrainer(), trainers.LinearStartTrainer()):
        assert callable(made.initialize) and callable(made.fit_callbacks), type(made).__name__


def test_the_start_callback_gets_this_folds_rows_and_note_from_the_harness_not_from_the_trainer():
    """One trainer serves every fold: what `fit_callbacks` hands to StartIsACandidate is what the harness
    passes for that fold (its validation rows, the note `initialize` returned), so folds cannot mix."""
    from kerasdl.callbacks import StartIsACandidate
    from kerasdl.trainers import LinearStartTrainer

    trainer = LinearStartTrainer()
    folds = [((np.full((3, 2), i, "float32"), np.arange(3)), {"linear_path": f"fold {i}"}) for i in range(2)]
    made = [trainer.fit_callbacks("val_loss", True, validation=rows, start=note) for rows, note in folds]
    for (rows, note), (callback,) in zip(folds, made):
        assert isinstance(callback, StartIsACandidate) and callback.note is note and callback.validation is rows
    assert trainer.fit_callbacks("val_loss", True, validation=folds[0][0], start=None) == []  # no start, no candidate
    assert trainer.fit_callbacks("loss", True, validation=folds[0][0], start=folds[0][1]) == []  # nothing to score on


def test_a_trainer_attribute_named_like_a_step_is_an_error_not_a_skipped_step():
    from kerasdl.harness.fold import optional_step
    from kerasdl.trainers import LinearStartTrainer, Trainer

    class KeepsAToken(Trainer):
        initialize = 1  # e.g. a START token id under the step's name

    assert optional_step(object(), "initialize") is None  # a duck-typed trainer without the step: weights as built
    assert optional_step(LinearStartTrainer(), "fit_callbacks") is not None
    with pytest.raises(TypeError, match=r"KeepsAToken\.initialize must be a method.*Received: int 1"):
        optional_step(KeepsAToken(), "initialize")
