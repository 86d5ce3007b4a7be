"""kerasdl.metrics: the notes' worked confusion matrices exactly, scikit-learn agreement, degenerate folds."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as skm

from kerasdl import metrics as km

exact = lambda x: pytest.approx(x, rel=1e-12)  # noqa: E731  the notes' fractions, to rounding


# --------------------------------------------------------------------------- the notes' numbers
def test_notes_000_bowel_cancer_screen():
    # 000:1902-1906: TP 20, FP 180, FN 10, TN 1820.
    m = km.confusion_metrics(20, 180, 10, 1820)
    assert m["precision"] == exact(20 / 200) == m["ppv"]
    assert m["precision"] == exact(0.1)
    assert m["npv"] == exact(1820 / 1830)
    assert round(m["npv"] * 100, 1) == 99.5  # the notes print 99.5%
    assert m["sensitivity"] == exact(2 / 3) == m["recall"] == m["tpr"]
    assert m["specificity"] == exact(0.91)
    assert m["fpr"] == exact(0.09)
    assert m["accuracy"] == exact(1840 / 2030)
    assert round(m["accuracy"], 4) == 0.9064
    assert m["detection_rate"] == exact(20 / 2030)
    assert (m["tp"], m["fp"], m["fn"], m["tn"], m["n"]) == (20, 180, 10, 1820, 2030)


def _n165_arrays():
    """001:2969-2974 as label arrays: rows actual NO/YES, columns predicted NO/YES."""
    table = {(0, 0): 50, (0, 1): 10, (1, 0): 5, (1, 1): 100}
    y_true = np.concatenate([np.full(c, a) for (a, _), c in table.items()])
    y_pred = np.concatenate([np.full(c, p) for (_, p), c in table.items()])
    order = np.random.default_rng(0).permutation(len(y_true))
    return y_true[order], y_pred[order]


def test_notes_001_n165_confusion_matrix():
    y_true, y_pred = _n165_arrays()
    assert len(y_true) == 165
    np.testing.assert_array_equal(km.confusion_matrix(y_true, y_pred), [[50, 10], [5, 100]])
    precision, recall = 100 / 110, 100 / 105
    for m in (km.confusion_metrics(tp=100, fp=10, fn=5, tn=50), km.binary_metrics(y_true, y_pred.astype(float))):
        assert m["accuracy"] == exact(150 / 165)
        assert m["precision"] == exact(precision)
        assert m["recall"] == exact(recall)
        assert m["specificity"] == exact(50 / 60)
        assert m["f1"] == exact(2 * precision * recall / (precision + recall))
        assert m["f1"] == exact(40 / 43)


def test_confusion_matrix_multiclass_and_labels_order():
    cm = km.confusion_matrix([0, 1, 2, 2, 1], [0, 2, 2, 1, 1])
    np.testing.assert_array_equal(cm, [[1, 0, 0], [0, 1, 1], [0, 1, 1]])
    cm = km.confusion_matrix([1, 1, 0], [1, 0, 0], labels=[1, 0, 5])
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [0, 0, 0]])


def test_specificity_erratum_on_random_matrices():
    # 000 calls specificity "false positive rate": it is TN/(TN+FP), and FPR is its complement.
    rng = np.random.default_rng(1)
    for tp, fp, fn, tn in rng.integers(1, 500, size=(100, 4)):
        m = km.confusion_metrics(tp, fp, fn, tn)
        assert m["specificity"] + m["fpr"] == pytest.approx(1.0, abs=1e-12)
        assert m["specificity"] == exact(tn / (tn + fp))
        assert m["fpr"] == exact(fp / (fp + tn))


# --------------------------------------------------------------------------- ranking metrics
TINY_Y, TINY_S = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]


def test_roc_auc_hand_case_and_sklearn_agreement():
    # Pairs (positive, negative): 0.8 beats both, 0.35 beats 0.1 but not 0.4 -> 3/4.
    assert km.binary_metrics(TINY_Y, TINY_S)["roc_auc"] == exact(0.75)
    assert km.roc_curve(TINY_Y, TINY_S)["auc"] == exact(0.75)
    rng = np.random.default_rng(2)
    for _ in range(5):
        y = rng.integers(0, 2, 200)
        s = np.clip(0.3 * y + rng.random(200) * 0.7, 0, 1)
        assert km.binary_metrics(y, s)["roc_auc"] == exact(skm.roc_auc_score(y, s))


def test_average_precision_and_pr_auc_hand_cases():
    # Ranked: 0.8 (+), 0.4 (-), 0.35 (+), 0.1 (-). AP = sum of recall steps x precision there
    # = 0.5 * 1 + 0.5 * 2/3 = 5/6.
    m = km.binary_metrics(TINY_Y, TINY_S)
    assert m["average_precision"] == exact(5 / 6)
    # PR points (recall, precision) from threshold > 0.8 down to 0.1:
    # (0, 1), (0.5, 1), (0.5, 0.5), (1, 2/3), (1, 0.5). Trapezoids over recall:
    hand = 0.5 * (1 + 1) / 2 + 0 + 0.5 * (0.5 + 2 / 3) / 2 + 0
    assert hand == exact(19 / 24)
    assert m["pr_auc"] == exact(hand)
    curve = km.pr_curve(TINY_Y, TINY_S)
    assert curve["pr_auc"] == exact(hand)
    assert curve["average_precision"] == exact(5 / 6)
    assert curve["prevalence"] == 0.5
    assert len(curve["precision"]) == len(curve["recall"]) == len(curve["thresholds"]) + 1


def test_roc_curve_is_json_safe_with_finite_first_threshold():
    curve = km.roc_curve(TINY_Y, TINY_S)
    json.dumps(curve, allow_nan=False)
    assert curve["fpr"][0] == 0.0 and curve["tpr"][0] == 0.0
    assert math.isfinite(curve["thresholds"][0]) and curve["thresholds"][0] > max(TINY_S)
    assert curve["fpr"][-1] == 1.0 and curve["tpr"][-1] == 1.0


def test_binary_accepts_two_column_probabilities_and_clips_log_loss():
    s = np.array([0.2, 0.7, 0.6, 0.9])
    one = km.binary_metrics(TINY_Y, s)
    two = km.binary_metrics(TINY_Y, np.column_stack([1 - s, s]))
    assert one == two
    assert one["log_loss"] == exact(skm.log_loss(TINY_Y, s))
    assert one["brier"] == exact(np.mean((s - np.array(TINY_Y)) ** 2))
    confident_and_wrong = km.binary_metrics([0, 1], [1.0, 0.0])
    assert math.isfinite(confident_and_wrong["log_loss"]) and confident_and_wrong["log_loss"] > 30


def test_threshold_is_inclusive():
    assert km.binary_metrics([1, 0], [0.5, 0.49])["tp"] == 1
    assert km.binary_metrics([1, 0], [0.5, 0.49], threshold=0.51)["tp"] == 0


# --------------------------------------------------------------------------- degenerate cases
def test_confusion_metrics_zero_denominators_are_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        empty = km.confusion_metrics(0, 0, 0, 0)
        for key in ("accuracy", "detection_rate", "sensitivity", "specificity", "fpr", "precision", "npv", "f1"):
            assert math.isnan(empty[key]), key
        never_positive = km.confusion_metrics(tp=0, fp=0, fn=3, tn=7)
        no_negatives = km.confusion_metrics(tp=4, fp=0, fn=1, tn=0)
    assert math.isnan(never_positive["precision"])
    assert never_positive["recall"] == 0.0
    assert never_positive["f1"] == 0.0  # 2TP/(2TP+FP+FN): nothing found out of 3 positives
    assert math.isnan(no_negatives["specificity"]) and math.isnan(no_negatives["fpr"])
    assert no_negatives["precision"] == 1.0


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "3"])
def test_confusion_metrics_rejects_bad_counts(bad):
    with pytest.raises(ValueError, match="confusion_metrics"):
        km.confusion_metrics(bad, 1, 1, 1)


@pytest.mark.parametrize("label", [0, 1])
def test_single_class_in_y_true_gives_nan_areas_without_warnings(label):
    y = [label] * 6
    s = [0.1, 0.2, 0.6, 0.7, 0.9, 0.4]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = km.binary_metrics(y, s)
        roc, pr = km.roc_curve(y, s), km.pr_curve(y, s)
        km.threshold_sweep(y, s)
    for key in ("roc_auc", "average_precision", "pr_auc"):
        assert math.isnan(m[key]), key
    assert math.isfinite(m["log_loss"]) and m["log_loss"] > 0
    assert math.isnan(roc["auc"]) and roc["fpr"] == []
    assert math.isnan(pr["average_precision"]) and pr["prevalence"] == label


PROBA4 = np.array([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])


def test_multiclass_class_never_predicted():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = km.multiclass_metrics([0, 1, 2, 2], PROBA4, class_names=["a", "b", "c"])
    assert math.isnan(m["per_class"]["b"]["precision"])
    assert m["per_class"]["b"]["recall"] == 0.0
    # Same as scikit-learn with zero_division=nan: nan skipped in the macro mean, F1 of b is 0.
    sk = skm.precision_recall_fscore_support([0, 1, 2, 2], PROBA4.argmax(1), average="macro", zero_division=np.nan)
    assert m["macro_precision"] == exact(sk[0]) == exact(0.75)
    assert m["macro_recall"] == exact(sk[1])
    assert m["macro_f1"] == exact(sk[2])


def test_multiclass_class_absent_from_y_true():
    proba = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.5, 0.4, 0.1], [0.3, 0.6, 0.1]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = km.multiclass_metrics([0, 1, 0, 1], proba)
    absent = m["per_class"]["2"]
    assert math.isnan(absent["recall"]) and math.isnan(absent["roc_auc"]) and absent["support"] == 0
    assert m["macro"]["roc_auc"] == exact(1.0)  # the mean of classes 0 and 1 only
    assert m["confusion_matrix"] == [[2, 0, 0], [0, 2, 0], [0, 0, 0]]
    assert m["accuracy"] == 1.0


def test_multiclass_agrees_with_sklearn_when_every_class_is_predicted():
    rng = np.random.default_rng(3)
    n, k = 300, 4
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    pred = proba.argmax(axis=1)
    assert set(pred) == set(range(k)) and 0.3 < np.mean(pred == y) < 0.95
    m = km.multiclass_metrics(y, proba)
    p, r, f, _ = skm.precision_recall_fscore_support(y, pred, average="macro")
    assert (m["macro_precision"], m["macro_recall"], m["macro_f1"]) == (exact(p), exact(r), exact(f))
    assert m["micro_f1"] == exact(m["accuracy"]) == exact(np.mean(pred == y))
    assert m["micro"]["precision"] == exact(m["accuracy"])
    assert m["roc_auc"] == exact(skm.roc_auc_score(y, proba, multi_class="ovr", average="macro"))
    assert m["log_loss"] == exact(skm.log_loss(y, proba))
    per_f1 = skm.f1_score(y, pred, average=None)
    assert [m["per_class"][str(i)]["f1"] for i in range(k)] == [exact(v) for v in per_f1]


def test_multiclass_rejects_bad_inputs():
    with pytest.raises(ValueError, match="multiclass_metrics: expected y_true as integer class codes"):
        km.multiclass_metrics([0, 3, 1, 1], PROBA4)
    with pytest.raises(ValueError, match="multiclass_metrics: .*summing to 1"):
        km.multiclass_metrics([0, 1, 1, 1], PROBA4 * 3)
    with pytest.raises(ValueError, match="class_names"):
        km.multiclass_metrics([0, 1, 1, 1], PROBA4, class_names=["a", "b"])


# --------------------------------------------------------------------------- regression
def test_regression_agrees_with_sklearn():
    rng = np.random.default_rng(4)
    y = rng.random(50) * 10
    p = y + rng.normal(size=50)
    p = np.abs(p)
    m = km.regression_metrics(y, p, n_features=3)
    assert m["mse"] == exact(skm.mean_squared_error(y, p))
    assert m["mae"] == exact(skm.mean_absolute_error(y, p))
    assert m["rmse"] == exact(math.sqrt(skm.mean_squared_error(y, p)))
    assert m["msle"] == exact(skm.mean_squared_log_error(y, p))
    assert m["r2"] == exact(skm.r2_score(y, p))


def test_adjusted_r2_hand_case():
    # y mean 2: SS_tot = 9 + 0 + 1 + 4 = 14, SS_res = 1 + 0 + 0 + 1 = 2 -> R² = 6/7.
    # Adjusted with n = 4, k = 1: 1 - (1/7)(3/2) = 11/14.
    y, p = [-1, 2, 3, 4], [0, 2, 3, 5]
    m = km.regression_metrics(y, p, n_features=1)
    assert m["r2"] == exact(6 / 7)
    assert m["adjusted_r2"] == exact(11 / 14)
    assert math.isnan(m["msle"])  # negative target: log undefined
    assert math.isnan(km.regression_metrics(y, p)["adjusted_r2"])  # k unknown
    assert math.isnan(km.regression_metrics(y, p, n_features=3)["adjusted_r2"])  # n - k - 1 = 0


def test_regression_constant_target_and_column_vectors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = km.regression_metrics([2.0, 2.0, 2.0], [2.0, 2.5, 1.0])
        perfect = km.regression_metrics([2.0, 2.0], [2.0, 2.0])
    assert math.isnan(m["r2"]) and math.isnan(perfect["r2"])
    assert m["mse"] == exact((0.25 + 1) / 3)
    column = km.regression_metrics(np.array([[1.0], [2.0], [4.0]]), [1.0, 2.5, 3.0])
    assert column == km.regression_metrics([1.0, 2.0, 4.0], [1.0, 2.5, 3.0])


# --------------------------------------------------------------------------- sweep, folds, dispatch
def test_threshold_sweep_extremes_and_default_grid():
    rows = km.threshold_sweep(TINY_Y, TINY_S)
    assert [r["threshold"] for r in rows] == [round(0.05 * i, 2) for i in range(21)]
    first = rows[0]
    assert (first["tp"], first["fp"], first["fn"], first["tn"]) == (2, 2, 0, 0)
    assert first["sensitivity"] == 1.0 and first["specificity"] == 0.0 and first["fpr"] == 1.0
    (above,) = km.threshold_sweep(TINY_Y, TINY_S, thresholds=[0.81])
    assert (above["tp"], above["fp"], above["fn"], above["tn"]) == (0, 0, 2, 2)
    assert above["sensitivity"] == 0.0 and above["specificity"] == 1.0 and math.isnan(above["precision"])
    (mid,) = km.threshold_sweep(TINY_Y, TINY_S, thresholds=[0.38])
    assert (mid["tp"], mid["fp"], mid["fn"], mid["tn"]) == (1, 1, 1, 1)


def test_summarize_folds_is_nan_aware_population_std():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = km.summarize_folds([0.5, float("nan"), 0.7])
        none = km.summarize_folds([float("nan"), float("nan")])
    assert s["mean"] == exact(0.6) and s["std"] == exact(0.1) and s["n"] == 2
    assert len(s["folds"]) == 3 and math.isnan(s["folds"][1])
    assert math.isnan(none["mean"]) and math.isnan(none["std"])
    with pytest.raises(ValueError, match="summarize_folds"):
        km.summarize_folds([])


def test_reconstruction_error_and_ks_statistic():
    x = np.zeros((2, 2, 2))
    x_hat = np.stack([np.ones((2, 2)), np.full((2, 2), 2.0)])
    np.testing.assert_allclose(km.reconstruction_error(x, x_hat), [1.0, 4.0])
    rng = np.random.default_rng(5)
    heights = rng.normal(150, 30, 400)
    cdf = stats.norm(150, 30).cdf
    assert km.ks_statistic(heights, cdf) == exact(stats.kstest(heights, cdf).statistic)
    assert km.ks_statistic(heights, heights) == 0.0
    assert km.ks_statistic(heights + 1000, heights) == 1.0


@pytest.mark.parametrize("call", [
    lambda: km.binary_metrics([0, 1] * 5, [0.5] * 9),
    lambda: km.roc_curve([0, 1] * 5, [0.5] * 9),
    lambda: km.pr_curve([0, 1] * 5, [0.5] * 9),
    lambda: km.threshold_sweep([0, 1] * 5, [0.5] * 9),
    lambda: km.confusion_matrix([0, 1] * 5, [0] * 9),
    lambda: km.multiclass_metrics([0, 1] * 5, np.full((9, 2), 0.5)),
    lambda: km.regression_metrics([0.0] * 10, [0.0] * 9),
    lambda: km.reconstruction_error(np.zeros((10, 3)), np.zeros((9, 3))),
], ids=["binary", "roc", "pr", "sweep", "cm", "multiclass", "regression", "reconstruction"])
def test_mismatched_lengths_name_the_function(call):
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert message.split(":")[0] in {"binary_metrics", "roc_curve", "pr_curve", "threshold_sweep", "confusion_matrix",
                                     "multiclass_metrics", "regression_metrics", "reconstruction_error"}
    assert "Received" in message and "10" in message and "9" in message


def test_binary_rejects_bad_labels_and_scores():
    with pytest.raises(ValueError, match=r"binary_metrics: expected y_true in \{0, 1\}"):
        km.binary_metrics([0, 2], [0.1, 0.9])
    with pytest.raises(ValueError, match=r"binary_metrics: expected y_score to be probabilities"):
        km.binary_metrics([0, 1], [-2.0, 3.0])
    with pytest.raises(ValueError, match=r"binary_metrics: expected y_score of shape"):
        km.binary_metrics([0, 1], np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError, match="binary_metrics: expected finite"):
        km.binary_metrics([0, 1], [0.1, float("nan")])


def test_module_does_not_import_tensorflow():
    code = "import sys, kerasdl.metrics; bad = {'tensorflow', 'keras'} & set(sys.modules); assert not bad, bad"
    subprocess.run([sys.executable, "-c", code], check=True)
