"""The harness's hooks for models that are not one array in, one compile, one val_loss out: a
keras-io style GAN through a trainer, several named inputs fed by a dict, a tf.data pipeline, a
user's own builder function, and misdeclared experiments as user errors."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from kerasdl.data.dataset import Dataset
from kerasdl.errors import ConfigurationError, UserError
from kerasdl.harness import Experiment, Variant, run


def _splits(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    return {"train": np.sort(order[: n // 2]), "val": np.sort(order[n // 2: 3 * n // 4]),
            "test": np.sort(order[3 * n // 4:])}


def _heights(n: int = 96) -> Dataset:
    """The notes' 1-D GAN target (002:251-301): heights drawn from N(150, 30), in units of 100 cm."""
    x = (np.random.default_rng(0).normal(150, 30, size=(n, 1)) / 100).astype(np.float32)
    return Dataset(name="heights", task="generation", features=x, target=x, splits=_splits(n),
                   provenance="generated in tests: N(150, 30) / 100", license="CC0", origin="generated")


def tiny_gan(input_shape, outputs, *, latent_dim: int = 4, poison_g_loss: bool = False):
    """A keras-io style GAN (examples/generative/dcgan_overriding_train_step.py), dense and tiny."""
    import keras
    import tensorflow as tf

    class GAN(keras.Model):
        def __init__(self, discriminator, generator):
            super().__init__()
            self.discriminator, self.generator = discriminator, generator
            self.seed_generator = keras.random.SeedGenerator(1337)

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn
            self.d_loss_metric = keras.metrics.Mean(name="d_loss")
            self.g_loss_metric = keras.metrics.Mean(name="g_loss")

        @property
        def metrics(self):
            return [self.d_loss_metric, self.g_loss_metric]

        def train_step(self, real):
            n = tf.shape(real)[0]
            fake = self.generator(keras.random.normal((n, latent_dim), seed=self.seed_generator))
            both = tf.concat([fake, real], axis=0)
            labels = tf.concat([tf.ones((n, 1)), tf.zeros((n, 1))], axis=0)
            with tf.GradientTape() as tape:
                d_loss = self.loss_fn(labels, self.discriminator(both))
            grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
            self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
            with tf.GradientTape() as tape:
                z = keras.random.normal((n, latent_dim), seed=self.seed_generator)
                g_loss = self.loss_fn(tf.zeros((n, 1)), self.discriminator(self.generator(z)))
            grads = tape.gradient(g_loss, self.generator.trainable_weights)
            self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
            if poison_g_loss:  # what an exploding generator looks like in the logs
                g_loss = g_loss * float("nan")
            self.d_loss_metric.update_state(d_loss)
            self.g_loss_metric.update_state(g_loss)
            return {m.name: m.result() for m in self.metrics}

        def generate(self, n):
            return self.generator.predict(keras.random.normal((n, latent_dim), seed=7), verbose=0)

    discriminator = keras.Sequential([keras.Input(input_shape), keras.layers.Dense(8, activation="relu"),
                                      keras.layers.Dense(1, activation="sigmoid")])
    generator = keras.Sequential([keras.Input((latent_dim,)), keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(outputs)])
    return GAN(discriminator, generator)


def _gan_experiment(**hyper) -> Experiment:
    from kerasdl.trainers import AdversarialTrainer

    return Experiment(name="gan", dataset=_heights(), variants=[
        Variant("gan", builder=tiny_gan, hyperparameters=hyper, trainer=AdversarialTrainer(), epochs=2,
                batch_size=16, patience=5)])


def test_a_keras_io_style_gan_trains_through_the_harness(tmp_path):
    from kerasdl.report import render_run

    record = run(_gan_experiment(), out=tmp_path, quiet=True)
    gan = record.variant("gan")
    assert record.status == "completed", gan["error"]
    assert gan["builder"].endswith("tiny_gan") and gan["fit"]["trainer"] == "AdversarialTrainer"
    assert gan["fit"]["monitor"] is None and gan["folds"][0]["best_epoch"] is None
    assert gan["folds"][0]["epochs_run"] == 2  # nothing to watch: patience does not stop it
    assert gan["parameter_count"] == 16 + 9 + 40 + 9  # discriminator + generator, counted once built
    assert [layer["output_shape"] for layer in gan["model_summary"]] == ["(None, 1)", "(None, 1)"]
    assert record.data["experiment"]["headline_metric"] == "wasserstein"
    assert 0 <= gan["metrics"]["ks"]["mean"] <= 1 and gan["metrics"]["wasserstein"]["mean"] >= 0
    with open(record.path / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 and {"d_loss", "g_loss"} <= set(rows[0])
    with np.load(record.path / "predictions.npz", allow_pickle=False) as arrays:
        assert arrays["gan/fold0/y_score"].shape == arrays["gan/fold0/y_true"].shape == (24, 1)
    html = render_run(record.path).read_text()
    assert "g_loss" in html and "d_loss" in html


def test_a_non_finite_generator_loss_marks_the_variant_diverged(tmp_path):
    from kerasdl.report import render_run

    record = run(_gan_experiment(poison_g_loss=True), out=tmp_path, quiet=True)
    gan = record.variant("gan")
    assert gan["status"] == "diverged" and record.status == "diverged"
    assert "g_loss became NaN/inf at epoch 1 of fold 1" in gan["error"]
    assert gan["folds"][0]["epochs_run"] == 1  # stopped at the first non-finite batch
    assert render_run(record.path).is_file()


def two_inputs(input_shape, outputs, *, units: int = 8):
    """A user's own builder: two named inputs joined in a functional model."""
    import keras

    a, b = keras.Input(input_shape["a"], name="a"), keras.Input(input_shape["b"], name="b")
    joined = keras.layers.Concatenate()([keras.layers.Dense(units, activation="relu")(a), b])
    return keras.Model({"a": a, "b": b}, keras.layers.Dense(outputs, activation="sigmoid")(joined))


def _two_input_data(n: int = 120, pipeline=None) -> Dataset:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(n, 3)).astype(np.float32), rng.normal(size=(n, 2)).astype(np.float32)
    y = (a[:, 0] + b[:, 1] > 0).astype(int)
    return Dataset(name="two-inputs", task="binary", features={"a": a, "b": b}, target=y, splits=_splits(n),
                   class_names=("no", "yes"), origin="generated", pipeline=pipeline)


def test_a_two_input_model_is_fed_by_a_dict_of_arrays(tmp_path):
    record = run(Experiment(name="dict", dataset=_two_input_data(), variants=[
        Variant("two", builder=two_inputs, hyperparameters={"units": 4}, epochs=2, batch_size=16)]),
        out=tmp_path, quiet=True)
    two = record.variant("two")
    assert record.status == "completed", two["error"]
    assert two["builder"] == "two_inputs" and two["parameter_count"] == (3 * 4 + 4) + (6 + 1)
    assert record.data["dataset"]["input_shape"] == {"a": [3], "b": [2]}
    assert 0 <= two["metrics"]["roc_auc"]["mean"] <= 1
    assert sum(map(sum, two["confusion_matrix"])) == 30


def test_a_variant_is_fed_by_the_datasets_tf_data_pipeline(tmp_path):
    seen = []

    def batches(x, y, *, batch_size, training):
        import tensorflow as tf

        seen.append((len(y), batch_size, training))
        data = tf.data.Dataset.from_tensor_slices((x, y))
        return (data.shuffle(len(y), seed=0) if training else data).batch(batch_size)

    record = run(Experiment(name="tfdata", dataset=_two_input_data(pipeline=batches), variants=[
        Variant("two", builder=two_inputs, epochs=2, batch_size=16)]), out=tmp_path, quiet=True)
    assert record.status == "completed", record.variant("two")["error"]
    assert seen == [(60, 16, True), (30, 16, False), (30, 1024, False)]
    with np.load(record.path / "predictions.npz", allow_pickle=False) as arrays:
        assert arrays["two/fold0/y_score"].shape == (30, 2)
    with open(record.path / "history.csv") as handle:
        assert {"loss", "val_loss", "val_auc"} <= set(next(csv.DictReader(handle)))


def test_a_user_builder_with_unknown_hyperparameters_is_refused_before_writing(tmp_path):
    with pytest.raises(UserError, match="two_inputs' has no hyperparameter depth; accepted: units"):
        run(Experiment(name="dict", dataset=_two_input_data(), variants=[
            Variant("two", builder=two_inputs, hyperparameters={"depth": 2})]), out=tmp_path, quiet=True)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("make, message", [
    (lambda: Variant("v", builder="mlp", epochs=0), "epochs= as an integer ≥ 1. Received: epochs=0"),
    (lambda: Variant("v", builder="mlp", batch_size="half"), "Received: batch_size='half'"),
    (lambda: Variant("v", builder="mlp", api="keras"), "api in"),
    (lambda: Variant("v"), "exactly one of builder= or estimator="),
    (lambda: Variant("v", builder="mlp", trainer=object()), "trainer= with compile, fit and evaluate"),
    (lambda: Experiment("e", "iris", [Variant("v", builder="mlp")], evaluation="kfold"), "evaluation in"),
    (lambda: Experiment("e", "iris", [Variant("v", builder="mlp")] * 2), "unique variant names"),
    (lambda: Experiment("e", "iris", ["mlp"]), "variants= as a list of kerasdl.harness.Variant"),
])
def test_misdeclared_experiments_are_configuration_errors(make, message):
    with pytest.raises(ConfigurationError, match=message) as info:
        make()
    assert isinstance(info.value, UserError) and isinstance(info.value, ValueError)
    assert "Expected" in str(info.value) or "expected" in str(info.value)


def test_a_misdeclared_experiment_script_is_one_line_and_exit_2(tmp_path):
    script = tmp_path / "bad_study.py"
    script.write_text("from kerasdl.harness import Experiment, Variant\n"
                      "NAME = 'bad-study'\n"
                      "def experiment():\n"
                      "    return Experiment('bad-study', 'iris', [Variant('v', builder='mlp', epochs=-1)])\n")
    done = subprocess.run([sys.executable, "-m", "kerasdl.cli", "run", str(script), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "epochs= as an integer ≥ 1. Received: epochs=-1" in lines[0], done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "bad-study").exists()
    json.dumps(lines)  # a plain line, nothing else


def test_the_perceptron_rule_in_keras_is_the_notes_rule_and_trains_through_the_harness(tmp_path):
    from kerasdl.models.feedforward import perceptron_rule
    from kerasdl.trainers import RuleTrainer

    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 2)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    model = perceptron_rule((2,), 1, eta=0.1)
    w, b = model.kernel.numpy()[:, 0].astype(float), float(model.bias.numpy()[0])
    RuleTrainer().compile(model, optimizer=None, loss=None, metrics=[])
    history = model.fit(x, y, batch_size=1, epochs=3, shuffle=False, verbose=0).history
    mistakes = []
    for _ in range(3):  # the notes' rule by hand from the same start, sample by sample
        count = 0
        for x_i, y_i in zip(x.astype(float), y):
            error = y_i - int(x_i @ w + b > 0)
            w, b, count = w + 0.1 * error * x_i, b + 0.1 * error, count + abs(error)
        mistakes.append(count)
    assert history["mistakes"] == mistakes and history["loss"] == pytest.approx([m / 40 for m in mistakes])
    np.testing.assert_allclose(model.kernel.numpy()[:, 0], w, rtol=1e-5)

    record = run(Experiment(name="rule", dataset="logic-and", variants=[
        Variant("rule", builder=perceptron_rule, trainer=RuleTrainer(), epochs=3, batch_size=1, patience=None,
                fit_kwargs={"shuffle": False})]), out=tmp_path, quiet=True)
    rule = record.variant("rule")
    assert record.status == "completed", rule["error"]
    assert rule["parameter_count"] == 3 and rule["fit"]["trainer"] == "RuleTrainer"
    assert rule["metrics"]["accuracy"]["mean"] == 1.0  # AND is linearly separable
    with open(record.path / "history.csv") as handle:
        assert {"mistakes", "val_mistakes", "loss", "val_loss"} <= set(next(csv.DictReader(handle)))


def _tagging_data(n: int = 90, length: int = 8) -> Dataset:
    """Padded token sequences (0 = padding) whose tag is the token id modulo 3 (-1 at padding)."""
    rng = np.random.default_rng(2)
    tokens = np.zeros((n, length), dtype=np.int32)
    tags = np.full((n, length), -1, dtype=np.int32)
    for row, size in enumerate(rng.integers(3, length + 1, size=n)):
        tokens[row, :size] = rng.integers(1, 10, size=size)
        tags[row, :size] = tokens[row, :size] % 3
    return Dataset(name="mod3", task="tagging", features=tokens, target=tags, splits=_splits(n),
                   class_names=("zero", "one", "two"), origin="generated")


def masked_tagger(input_shape, outputs, *, units: int = 8):
    """Embedding with mask_zero: the mask flows through the RNN to the per-token softmax and the loss."""
    import keras

    return keras.Sequential([keras.Input(input_shape, dtype="int32"),
                             keras.layers.Embedding(10, 8, mask_zero=True),
                             keras.layers.SimpleRNN(units, return_sequences=True),
                             keras.layers.Dense(outputs, activation="softmax")])


def test_a_tagger_with_masks_is_scored_on_real_tokens_only(tmp_path):
    dataset = _tagging_data()
    record = run(Experiment(name="tags", dataset=dataset, variants=[
        Variant("rnn", builder=masked_tagger, epochs=2, batch_size=16, learning_rate=0.01)]),
        out=tmp_path, quiet=True)
    rnn = record.variant("rnn")
    assert record.status == "completed", rnn["error"]
    assert record.data["experiment"]["headline_metric"] == "token_accuracy"
    assert rnn["compile"]["loss"] == "sparse_categorical_crossentropy(ignore_class=-1)"
    real_tokens = int((dataset.target[dataset.splits["test"]] >= 0).sum())
    assert rnn["metrics"]["tokens"]["mean"] == real_tokens
    assert sum(map(sum, rnn["confusion_matrix"])) == real_tokens
    with np.load(record.path / "predictions.npz", allow_pickle=False) as arrays:
        assert arrays["rnn/fold0/y_score"].shape == (len(dataset.splits["test"]), 8, 3)
