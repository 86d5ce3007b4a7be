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
    assert "hidden_and_inputs" in [layer["name"] for layer in variants["mlp"]["model_summary"]]  # fit's linear path
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
    # With the last hidden layer's share of the output weights at zero, what is left is the linear model.
    output = sequential.get_layer("output")
    kernel, bias = (np.array(w) for w in output.get_weights())
    assert kernel[:3].any() and not kernel[3:].any()  # the linear part starts at zero: the plain MLP at first
    kernel[:3], kernel[3:] = 0.0, np.random.default_rng(1).normal(size=(4, outputs))
    output.set_weights([kernel, bias])
    logits = x @ kernel[3:] + bias
    linear = 1 / (1 + np.exp(-logits)) if outputs == 1 else np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(np.asarray(sequential(x)), linear, rtol=1e-5, atol=1e-6)
    sequential.save(tmp_path / "wide.keras")
    loaded = keras.saving.load_model(tmp_path / "wide.keras")
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(sequential(x)), atol=1e-6)


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
