"""The sequence family's data: generated reviews, series windows (no leakage), numbers to digits, the
forecasting task and its naive baselines, and a user's free-text CSV through `kerasdl fit`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kerasdl import data, tasks
from kerasdl.cli import main
from kerasdl.data import series, text, translation
from kerasdl.errors import UserError
from kerasdl.tasks.forecasting import ArimaForecaster, LastValue, SeasonalNaive


# -- reviews --------------------------------------------------------------------------------------

def test_reviews_are_deterministic_balanced_and_in_imdb_layout():
    first, labels, shapes = text.generate_reviews(400, seed=5)
    again, labels_again, _ = text.generate_reviews(400, seed=5)
    assert first == again and np.array_equal(labels, labels_again)
    assert labels.mean() == 0.5 and set(shapes) == {0, 1, 2}
    dataset = data.load("reviews", n=200, maxlen=40)
    assert dataset.features.shape == (200, 40) and dataset.features.dtype == np.int32
    word_index = dataset.extras["word_index"]
    row = dataset.features[0]
    assert row[np.flatnonzero(row)[0]] == 1  # every review starts with the start mark after the padding
    assert min(word_index.values()) == 3 and max(word_index.values()) < dataset.extras["vocabulary_size"]
    assert text.decode(row, {i: w for w, i in word_index.items()}).endswith(".")


def test_a_bag_of_words_is_at_chance_on_contrast_reviews_but_order_decides():
    """Swapping a contrast review's two parts keeps its bag of words and flips its label, so logistic
    regression on word counts cannot beat chance there, while the last clause's polarity (what an
    RNN can read) predicts every label."""
    from sklearn.linear_model import LogisticRegression

    dataset = data.load("reviews", n=3000)
    contrast = dataset.extras["shape"] > 0
    x, y = dataset.features[contrast], dataset.target[contrast]
    counts = text.TokenCounts().fit(x)
    half = len(y) // 2
    model = LogisticRegression(max_iter=1000).fit(counts.transform(x[:half]), y[:half])
    assert model.score(counts.transform(x[half:]), y[half:]) < 0.6
    index_to_word = {i: w for w, i in dataset.extras["word_index"].items()}
    positive, negators = set(text._POSITIVE), set(text._NEGATORS)
    for ids, label in zip(x[:300], y[:300]):
        words = text.decode(ids, index_to_word).split()
        cut = max(i for i, w in enumerate(words) if w in ("but", "yet", ","))
        last = words[cut + 1:]
        adjective = next(w for w in reversed(last) if w in positive or w in text._NEGATIVE)
        clause = last[max([i for i, w in enumerate(last) if w == "and"], default=-1) + 1:]
        assert int((adjective in positive) != any(w in negators for w in clause)) == label


# -- series ---------------------------------------------------------------------------------------

def test_series_are_split_in_time_before_windowing_and_scaled_on_training_rows_only():
    dataset = data.load("weather", hours=600, window=24, horizon=3)
    extras = dataset.extras
    parts, t = extras["parts"], extras["time_index"]
    train, val, test = (np.asarray(dataset.splits[k]) for k in ("train", "val", "test"))
    # the last step a training window touches (its last target) is before the validation part
    assert (t[train] + 3 - 1).max() < parts["val"][0]
    assert t[val].min() >= parts["val"][0] and (t[val] + 3).max() <= parts["test"][0]
    assert t[test].min() >= parts["test"][0] and (t[test] + 3).max() <= parts["test"][1]
    raw = extras["series"]
    lo, hi = parts["train"]
    np.testing.assert_allclose(extras["scaler_mean"], raw[lo:hi].mean(axis=0))
    # a window is exactly the scaled series before its first target
    k = int(test[0])
    scaled = (raw - extras["scaler_mean"]) / extras["scaler_std"]
    np.testing.assert_allclose(dataset.features[k], scaled[t[k] - 24:t[k]], rtol=1e-5)
    np.testing.assert_allclose(dataset.target[k], scaled[t[k]:t[k] + 3, 0], rtol=1e-5)
    sunspots = data.load("sunspots")
    assert sunspots.features.shape[1:] == (22, 1) and sunspots.target.ndim == 1
    assert sunspots.extras["time"][sunspots.splits["test"]].min() >= 1700 + sunspots.extras["parts"]["test"][0]


def test_naive_forecasts_and_arima_on_flattened_windows():
    history = np.arange(12, dtype=float).reshape(2, 3, 2)  # 2 windows, 3 steps, 2 variables
    flat = history.reshape(2, -1)
    y = np.zeros((2, 4))
    assert LastValue(n_variables=2, target_index=1).fit(flat, y).predict(flat).tolist() == [[5.0] * 4, [11.0] * 4]
    seasonal = SeasonalNaive(period=2, n_variables=2).fit(flat, y).predict(flat)
    assert seasonal.tolist() == [[2, 4, 2, 4], [8, 10, 8, 10]]
    # an AR(1) series: ARIMA recovers phi, and its one-step forecast is phi times the last value
    rng = np.random.default_rng(0)
    values = np.zeros(400)
    for i in range(1, 400):
        values[i] = 0.8 * values[i - 1] + rng.normal()
    windows = np.stack([values[i:i + 5] for i in range(390)])
    arima = ArimaForecaster(order=(1, 0, 0)).fit(windows, values[5:395])
    phi = arima.result_.params[1]
    assert phi == pytest.approx(0.8, abs=0.08)
    np.testing.assert_allclose(arima.predict(windows[:3]),
                               arima.result_.params[0] * (1 - phi) + phi * windows[:3, -1], rtol=1e-3)


def test_forecasting_metrics_per_step():
    task = tasks.get("forecasting")
    y = np.array([[1.0, 2.0], [3.0, 4.0]])
    found = task.metrics(y, y + [[1.0, 0.0], [-1.0, 2.0]])
    assert found["mae"] == pytest.approx(1.0) and found["mae_step1"] == 1.0 and found["mae_step2"] == 1.0
    assert found["rmse"] == pytest.approx(np.sqrt(6 / 4))
    assert task.is_lower_better("mae_step2") and task.headline == "mae"
    assert task.scores(np.ones((3, 1))).shape == (3,)


# -- translation ----------------------------------------------------------------------------------

def test_numbers_are_spelled_and_laid_out_for_teacher_forcing():
    assert " ".join(translation.spell(342005, british=True)) == "three hundred and forty two thousand five"
    assert " ".join(translation.spell(1_002_030)) == "one million two thousand thirty"
    assert translation.spell(0) == ["zero"]
    dataset = data.load("numbers-to-digits", n=50, max_digits=6)
    enc, dec, y = dataset.features["encoder"], dataset.features["decoder"], dataset.target
    assert dec.shape == y.shape == (50, 7) and (dec[:, 0] == translation.START).all()
    np.testing.assert_array_equal(dec[:, 1:][y[:, :-1] != translation.END], y[:, :-1][y[:, :-1] != translation.END])
    for row in range(5):
        digits = "".join(dataset.class_names[i] for i in y[row] if i > translation.END)
        assert int(digits) == dataset.extras["numbers"][row]
        assert (y[row] == translation.END).sum() == 1 and (enc[row] > 0).sum() == dataset.extras["input_length"][row]


# -- a user's free-text CSV through the CLI -------------------------------------------------------

def _write_reviews(path, n=40):
    texts, labels, _ = text.generate_reviews(n, seed=2)
    lines = ["id,comment,label"] + [f'{i},"{" ".join(w)}",{"good" if y else "bad"}'
                                    for i, (w, y) in enumerate(zip(texts, labels))]
    path.write_text("\n".join(lines) + "\n")


def test_fit_reads_a_free_text_column_with_a_training_only_vocabulary(tmp_path, capsys):
    path = tmp_path / "reviews.csv"
    _write_reviews(path)
    dataset = data.load_csv(path, "label")
    assert dataset.extras["text_column"] == "comment" and dataset.features.dtype == np.int32
    vocabulary = set(dataset.extras["vocabulary"])
    train_words = {w for i in dataset.splits["train"] for w in
                   __import__("re").findall(r"[a-z]+", " ".join(text.generate_reviews(40, seed=2)[0][i]))}
    assert vocabulary - {"", "[UNK]"} <= train_words
    code = main(["fit", "lstm", "--data", str(path), "--target", "label", "--hp", "epochs=1", "--hp", "units=4",
                 "--quick", "--quiet", "--no-tensorboard", "--out", str(tmp_path / "out")])
    assert code == 0, capsys.readouterr().err
    record = json.loads(next((tmp_path / "out").glob("*/*/run.json")).read_text())
    assert "free-text column 'comment'" in record["dataset"]["description"]
    lstm = next(v for v in record["variants"] if v["name"] == "lstm")
    assert lstm["status"] == "completed" and lstm["hyperparameters"]["vocab_size"] == len(vocabulary)


@pytest.mark.parametrize("extra, content, message", [
    (["--text", "words"], None, "text column 'words' not in"),
    (["--text", "note"], "note", "text column 'note' of"),
    (["--text", "comment", "--cv", "3"], None, "--cv cannot be used with the free-text column"),
])
def test_text_column_mistakes_are_one_line_and_exit_2(tmp_path, capsys, extra, content, message):
    path = tmp_path / "reviews.csv"
    _write_reviews(path)
    if content:
        rows = path.read_text().splitlines()
        path.write_text("\n".join([rows[0] + ",note"] + [r + "," for r in rows[1:]]) + "\n")
    code = main(["fit", "lstm", "--data", str(path), "--target", "label", "--out", str(tmp_path / "out"), *extra])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_dataset_options_are_checked():
    with pytest.raises(UserError, match="max_digits"):
        data.load("numbers-to-digits", max_digits=13)
    with pytest.raises(UserError, match="window"):
        data.load("sunspots", window=1)
    assert series.chronological_parts(100) == {"train": (0, 70), "val": (70, 85), "test": (85, 100)}


# -- the search unit ------------------------------------------------------------------------------

def test_rnn_polarity_unit_runs_a_quick_trial_and_replays_it_as_a_variant(tmp_path):
    from kerasdl import tuning

    unit = tuning.load_unit("rnn-polarity")
    found = tuning.search(unit, tuning.SearchSettings(strategy="manual", max_trials=1, epochs=1, quick=True,
                                                      out=tmp_path, quiet=True))
    assert [t.status for t in found.trials] == ["completed"] and found.objective == "val_accuracy"
    best = unit.variant(unit.manual[1])
    assert best.builder == "bidirectional_rnn" and best.hyperparameters["cell"] == "gru"
    assert best.learning_rate == 3e-3 and "learning_rate" not in best.hyperparameters
