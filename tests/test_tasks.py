"""The task registry: what each task kind says, and the metrics of the tasks the new families need."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from kerasdl import metrics, tasks
from kerasdl.data.dataset import Dataset

PROBA3 = np.array([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])


def test_registry_lists_every_task_and_refuses_unknown_names():
    assert set(tasks.names()) >= {"binary", "multiclass", "regression", "reconstruction", "tagging", "generation"}
    with pytest.raises(ValueError, match=r"Expected a task in .*Received: task='ranking'"):
        tasks.get("ranking")
    with pytest.raises(ValueError, match="Dataset task must be one of"):
        Dataset("d", "ranking", np.zeros((2, 1)), np.zeros(2), {})


@pytest.mark.parametrize("name", ["binary", "multiclass", "regression", "reconstruction", "tagging", "generation"])
def test_every_task_declares_a_complete_contract(name):
    task = tasks.get(name)
    assert task.name == name and task.description and task.headline
    assert task.is_lower_better(task.headline) == task.headline_lower_is_better
    assert task.monitor in (None, "val_loss")
    assert isinstance(task.report_sections, tuple)
    assert callable(task.default_trainer().fit)


@pytest.mark.parametrize("task,y,s", [
    ("binary", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]),
    ("binary", [0, 0, 1, 1], np.column_stack([[0.9, 0.6, 0.65, 0.2], [0.1, 0.4, 0.35, 0.8]])),
    ("multiclass", [0, 1, 2, 2], PROBA3),
    ("regression", [1.0, 2.0, 3.0, 5.0], [1.1, 1.9, 3.3, 4.0]),
])
def test_metrics_are_flat_floats_with_the_headline(task, y, s):
    found = tasks.get(task).metrics(y, tasks.get(task).scores(s), n_features=1)
    assert found and all(type(v) is float for v in found.values())
    assert math.isfinite(found[tasks.get(task).headline])
    assert {"rmse", "log_loss", "fpr", "mse"} <= metrics.LOWER_IS_BETTER and "roc_auc" not in metrics.LOWER_IS_BETTER


def test_binary_scores_become_two_columns_and_directions_follow_the_metric():
    scores = tasks.get("binary").scores(np.array([[0.25], [0.75]]))
    np.testing.assert_allclose(scores, [[0.75, 0.25], [0.25, 0.75]])
    assert tasks.is_lower_better("val_loss") and tasks.is_lower_better("g_loss")
    assert not tasks.is_lower_better("val_auc", "binary") and tasks.is_lower_better("wasserstein", "generation")
    assert tasks.headline_of("sequence") is None  # an old record's task name still reads


def test_reconstruction_refuses_shapes_that_differ():
    with pytest.raises(ValueError, match="reconstructions shaped like their targets"):
        tasks.get("reconstruction").metrics(np.zeros((2, 4)), np.zeros((2, 3)))


# -- tagging ---------------------------------------------------------------------------------------
TAGS = np.array([[0, 1, 2, -1], [1, 1, -1, -1]])  # -1: padding


def _one_hot(predicted: list[list[int]], n_tags: int = 3) -> np.ndarray:
    return np.eye(n_tags, dtype=np.float32)[np.asarray(predicted)]


def test_tagging_counts_real_tokens_only():
    # padded positions predict nonsense (tag 0): they must not count
    scores = _one_hot([[0, 1, 1, 0], [1, 1, 0, 0]])
    found = tasks.get("tagging").metrics(TAGS, scores, class_names=("O", "B", "I"))
    assert found["tokens"] == 5.0
    assert found["token_accuracy"] == 4 / 5
    assert found["exact_match"] == 0.5  # the second sentence is right on every real token
    # per-tag F1 by hand: O 2·1/(2+0+0)=1, B 2·3/(6+1+0)=6/7, I 0 → macro (1 + 6/7 + 0)/3
    assert found["macro_f1"] == pytest.approx((1 + 6 / 7 + 0) / 3)
    matrix = tasks.get("tagging").confusion(TAGS, scores, 3)
    assert matrix.tolist() == [[1, 0, 0], [0, 3, 0], [0, 1, 0]] and matrix.sum() == 5


def test_tagging_refuses_a_score_array_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"tags \(n, T\) and scores \(n, T, n_tags\)"):
        tasks.get("tagging").metrics(TAGS, np.zeros((2, 4)))


def test_tagging_loss_ignores_padded_positions():
    loss = tasks.get("tagging").loss()
    probabilities = np.array([[[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]]], dtype=np.float32)
    padded = float(loss(np.array([[0, 1, -1]]), probabilities))
    expected = -(np.log(0.7) + np.log(0.8)) / 2  # the mean over the two real tokens
    assert padded == pytest.approx(expected, rel=1e-5)


# -- generation ------------------------------------------------------------------------------------
def test_generation_distances_are_zero_for_the_same_samples_and_grow_with_a_shift():
    rng = np.random.default_rng(0)
    real = rng.normal(150, 30, size=(400, 1))
    same = tasks.get("generation").metrics(real, real.copy())
    assert same["wasserstein"] == 0.0 and same["ks"] == 0.0 and same["mmd2"] == pytest.approx(0.0, abs=1e-12)
    assert same["std_ratio"] == pytest.approx(1.0)
    shifted = real + 30
    found = tasks.get("generation").metrics(real, shifted)
    assert found["wasserstein"] == pytest.approx(30.0)
    assert found["ks"] == stats.ks_2samp(real[:, 0], shifted[:, 0]).statistic
    assert found["mean_gap"] == pytest.approx(30.0) and found["mmd2"] > 0.1


def test_generation_refuses_samples_of_another_size():
    with pytest.raises(ValueError, match="same number of features"):
        tasks.distribution_distances(np.zeros((5, 2)), np.zeros((5, 3)))
    assert tasks.get("generation").supervised is False and tasks.get("generation").monitor is None


def test_a_task_without_metrics_cannot_be_made():
    class Nameless(tasks.Task):
        name = "nameless"

    with pytest.raises(TypeError, match="abstract"):
        Nameless()
