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
    # after two epochs an unscaled network still predicts near 0; this one predicts in the target's units
    predictions = np.load(run_json.parent / "predictions.npz")
    assert abs(predictions["mlp/fold0/y_score"].mean() - scaling["mean"]) < 0.5 * scaling["std"]


def test_the_linear_baselines_are_the_tasks():
    from sklearn.linear_model import LinearRegression, LogisticRegression

    assert isinstance(tasks.get("regression").linear_estimator(), LinearRegression)
    assert isinstance(tasks.get("binary").linear_estimator(), LogisticRegression)
    assert isinstance(tasks.get("multiclass").linear_estimator(), LogisticRegression)
    assert tasks.get("generation").linear_estimator() is None
