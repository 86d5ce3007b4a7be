"""Shared pytest fixtures."""

from __future__ import annotations

import csv
import itertools
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

# Under pytest-xdist every worker is a process of its own and each would start TensorFlow with a
# thread per core (intra-op) plus inter-op threads: two workers on two cores then fight over them.
# One thread each (read by TensorFlow when it starts, so set before any test imports it; inherited
# by the `kerasdl` subprocesses of the tests). A serial run keeps TensorFlow's defaults.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _variable in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(_variable, "1")

# A report section that raises while it is drawn fails the test instead of becoming a note on the page
# (kerasdl/report/study_sections.py); set here so that `kerasdl` subprocesses of the tests inherit it.
os.environ["KERASDL_STRICT_REPORTS"] = "1"

# Strings a report must escape: they reach titles, labels, tick labels, table cells and <pre>.
XSS_CLASS = "<script>alert(1)</script>"
XSS_MARKUP = "<b>&\"'"
XSS_IMG = '<img src=x onerror="window.__xss=1">'


def _json_safe(value: Any) -> Any:
    """NaN/inf → null as run records store them; NumPy values unwrapped."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _fake_scores(task: str, y: np.ndarray, strength: float, rng: np.random.Generator, k: int) -> np.ndarray:
    """Held-out predictions that are informative but imperfect (a non-trivial ROC)."""
    if task == "regression":
        return y + rng.normal(scale=12.0 / strength, size=len(y))
    if task == "binary":
        logit = strength * (2 * y - 1) + rng.normal(scale=1.3, size=len(y))
        p = 1 / (1 + np.exp(-logit))
        return np.column_stack([1 - p, p])
    logits = rng.normal(scale=1.2, size=(len(y), k))
    logits[np.arange(len(y)), y] += strength
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _history_rows(name: str, fold: int, epochs: int, task: str, rng: np.random.Generator,
                  diverge_at: int | None = None) -> list[dict[str, Any]]:
    extra = "mae" if task == "regression" else "accuracy"
    rows = []
    for epoch in range(1, epochs + 1):
        loss = 0.7 * math.exp(-epoch / 6) + 0.25 + rng.normal(scale=0.01)
        val = loss + 0.05 + 0.004 * epoch + rng.normal(scale=0.015)
        if diverge_at is not None and epoch >= diverge_at:
            loss, val = (math.inf, math.nan) if epoch == diverge_at else (math.nan, math.nan)
        score = 1 - loss / 1.5 if task != "regression" else loss * 10
        rows.append({"variant": name, "fold": fold, "epoch": epoch, "loss": loss, "val_loss": val,
                     extra: score, f"val_{extra}": score - 0.03})
    return rows


def _study_sections(rng: np.random.Generator) -> list[dict[str, Any]]:
    """One section of every kind an `analyze` hook can return, plus one unknown and one malformed."""
    grid = np.linspace(-2, 2, 25)
    z = 1 / (1 + np.exp(-(grid[None, :] * 2 - grid[:, None])))
    points = rng.normal(size=(30, 2))
    digit = np.outer(np.hanning(8), np.hanning(8))
    return [
        {"kind": "table", "title": f"Worked examples {XSS_MARKUP}", "caption": f"notes vs computed {XSS_CLASS}",
         "columns": ["example", "notes", "computed", "status"],
         "rows": [["conv 2x2", 19, 19.0, "ok"], ["stride 2", 412, 851.0, "erratum"],
                  ["weight", 0.295146, 0.2951463, "ok"], [XSS_CLASS, None, math.nan, "mismatch"]],
         "row_status": ["ok", "erratum", "ok", "mismatch"]},
        {"kind": "lines", "title": "Gradient norm per layer", "x_label": "epoch", "y_label": "‖g‖ ($)",
         "log_y": True, "series": [{"label": f"layer {i} {XSS_MARKUP}", "x": list(range(1, 11)),
                                    "y": [float(10 ** (-i) * (1 + 0.1 * e)) for e in range(10)]} for i in range(3)]},
        {"kind": "bars", "title": "Zero weights", "y_label": "share", "labels": ["L1", "L2", XSS_CLASS],
         "series": [{"label": "λ=1e-4", "values": [0.1, 0.05, 0.0]}, {"label": "λ=1e-2", "values": [0.6, 0.2, None]}]},
        {"kind": "images", "title": "Fixed kernels", "columns": 3,
         "images": [{"label": "grey", "pixels": digit.tolist()},
                    {"label": "rgb", "pixels": np.stack([digit, digit.T, 1 - digit], axis=2).tolist()},
                    {"label": f"ranged {XSS_CLASS}", "pixels": digit.tolist(), "range": [0, 2]}]},
        {"kind": "boundaries", "title": "Decision regions",
         "panels": [{"label": name, "xs": grid.tolist(), "ys": grid.tolist(), "z": z.tolist(),
                     "points": {"x": points[:, 0].tolist(), "y": points[:, 1].tolist(),
                                "label": (points[:, 0] * 2 > points[:, 1]).astype(int).tolist()}}
                    for name in ("perceptron", f"MLP {XSS_MARKUP}")]},
        {"kind": "images", "title": "Detections", "columns": 2,
         "images": [{"label": f"test image {XSS_CLASS}", "pixels": np.stack([digit] * 3, axis=2).tolist(),
                     "boxes": [{"box": [1, 1, 6, 6], "label": f"square {XSS_MARKUP}", "kind": "true"},
                               {"box": [2, 1, 7, 6], "label": "square 0.93", "kind": "predicted"}]}]},
        {"kind": "heatmap", "title": "Attention weights", "x_label": "input word", "y_label": "output token",
         "value_range": [0, 1],
         "panels": [{"label": f"example {XSS_MARKUP}", "matrix": np.eye(4)[:3].tolist(),
                     "row_labels": ["1", "2", XSS_CLASS], "column_labels": ["one", "two", "three", "<END>"]}]},
        {"kind": "scatter", "title": "Latent space", "x_label": "z₁", "y_label": "z₂", "diagonal": False,
         "series": [{"label": f"digit {d} {XSS_MARKUP}" if d else "digit 0", "x": points[d::3, 0].tolist(),
                     "y": points[d::3, 1].tolist()} for d in range(3)]},
        {"kind": "histogram", "title": "Generated heights", "x_label": "cm", "bins": 20, "density": True,
         "series": [{"label": "generated", "values": (150 + 30 * rng.normal(size=200)).tolist()}],
         "curves": [{"label": f"N(150, 30) {XSS_CLASS}", "x": [60.0, 150.0, 240.0], "y": [0.0001, 0.0133, 0.0001]}]},
        {"kind": "text", "title": "What this shows",
         "body": f"First paragraph {XSS_IMG}.\nSame paragraph.\n\nSecond paragraph."},
        {"kind": "hologram", "title": "Unknown kind"},
        {"kind": "lines", "title": "Malformed", "series": [{"label": "x", "x": [1, 2], "y": [1]}]},
    ]


def _write_run(out: Path, run_id: str, task: str, *, predictions: bool, history: bool,
               n_variants: int = 3, n_folds: int = 3, sections: bool = False) -> Path:
    from kerasdl import metrics, tasks

    rng = np.random.default_rng(7)
    experiment_name = f"heart-{XSS_MARKUP}"
    run_dir = out / experiment_name / run_id
    run_dir.mkdir(parents=True)
    class_names = {"binary": ["no disease", XSS_CLASS],
                   "multiclass": ["setosa", XSS_CLASS, "virginica"]}.get(task, [])
    k = max(len(class_names), 1)
    per_fold = 50
    specs = [  # name, label, kind, strength, diverges in fold
        ("mlp-sequential", f"MLP {XSS_MARKUP}", "keras", 1.6, None),
        ("mlp-functional", "MLP (functional API)", "keras", 1.2, n_folds - 1),
        ("knn-3", "KNN (k=3)", "sklearn", 1.0, None),
    ]
    specs += [(f"mlp-wide-{i}", f"MLP wide #{i}", "keras", 1.3 + 0.1 * i, None) for i in range(n_variants - 3)]
    # The same held-out rows for every variant, as the harness's shared folds give.
    if task == "regression":
        truths = [rng.normal(50, 10, size=per_fold) for _ in range(n_folds)]
    elif task == "binary":
        truths = [(rng.random(per_fold) < 0.45).astype(int) for _ in range(n_folds)]
    else:
        truths = [rng.integers(0, k, size=per_fold) for _ in range(n_folds)]
    arrays: dict[str, np.ndarray] = {}
    history_rows: list[dict[str, Any]] = []
    variants = []
    for name, label, kind, strength, diverge_fold in specs:
        fold_entries, fold_metrics = [], []
        matrix = np.zeros((k, k), dtype=int)
        for fold in range(n_folds):
            diverged = fold == diverge_fold
            if kind == "keras":
                epochs = 8 + 2 * fold
                history_rows += _history_rows(name, fold, epochs, task, rng, 4 if diverged else None)
            fold_entries.append({
                "fold": fold, "status": "diverged" if diverged else "completed",
                "epochs_run": (8 + 2 * fold) if kind == "keras" else None,
                "best_epoch": (6 + fold) if kind == "keras" and not diverged else None,
                "fit_s": 1.5 + fold, "evaluate_s": 0.05, "n_train": 80, "n_val": 20, "n_test": per_fold,
            })
            if diverged:
                break  # as the harness does: no predictions or metrics for a diverged fold
            y = truths[fold]
            scores = _fake_scores(task, y, strength, rng, k)
            key = f"{name}/fold{fold}"
            arrays.update({f"{key}/y_true": y, f"{key}/y_score": scores,
                           f"{key}/index": np.arange(fold * per_fold, (fold + 1) * per_fold)})
            fold_metrics.append(tasks.get(task).metrics(y, scores, class_names=class_names, n_features=13))
            if tasks.get(task).confusion(y, scores, k) is not None:
                matrix += tasks.get(task).confusion(y, scores, k)
        keys = sorted({key for found in fold_metrics for key in found})
        summary = {key: metrics.summarize_folds([f.get(key, math.nan) for f in fold_metrics]) for key in keys}
        is_keras = kind == "keras"
        variants.append({
            "name": name, "label": label, "kind": kind,
            "builder": "mlp" if is_keras else "KNeighborsClassifier",
            "api": ("sequential" if name.endswith("sequential") else "functional") if is_keras else None,
            "hyperparameters": {"units": [32, 16], "activation": "relu", "note": XSS_MARKUP} if is_keras
            else {"n_neighbors": 3, "weights": "uniform", "metric": "minkowski", "n_jobs": None},
            "compile": {"optimizer": "adam", "learning_rate": 0.001, "loss": "binary_crossentropy"} if is_keras else None,
            "fit": {"epochs": 100, "batch_size": 32, "early_stopping_patience": 10} if is_keras else None,
            "parameter_count": 993 if is_keras else None,
            "status": "diverged" if diverge_fold is not None else "completed",
            "error": (f"loss became NaN/inf in fold {diverge_fold + 1}; TerminateOnNaN stopped it {XSS_CLASS}"
                      if diverge_fold is not None else None),
            "metrics": summary,
            "confusion_matrix": matrix.tolist() if matrix.any() else None,
            "folds": fold_entries,
            "timings": {"fit_s": sum(f["fit_s"] for f in fold_entries), "evaluate_s": 0.15, "total_s": 9.0},
            "model_summary": [
                {"name": "dense", "type": "Dense", "output_shape": "(None, 32)", "params": 448},
                {"name": "dense_1", "type": "Dense", "output_shape": "(None, 16)", "params": 528},
                {"name": f"out{XSS_MARKUP}", "type": "Dense", "output_shape": "(None, 1)", "params": 17},
            ] if is_keras else [],
            "artifacts": {"model": f"models/{name}.keras", "tensorboard": f"tensorboard/{name}"} if is_keras else {},
        })
    headline = tasks.get(task).headline
    record = {
        "schema_version": 1, "run_id": run_id, "status": "diverged", "error": None,
        "started": "2026-11-25T14:00:00+00:00", "finished": "2026-11-25T14:00:42+00:00", "duration_s": 42.5,
        "seed": 0, "quick": False,
        "experiment": {
            "name": experiment_name, "title": "Heart disease: MLP vs KNN <i>(synthetic)</i>",
            "description": f"Synthetic record for report tests. {XSS_IMG} Data: https://example.org/data.csv",
            "notes_ref": "000:1865-1981",
            "evaluation": {"kind": "cv", "folds": n_folds, "stratified": task != "regression"},
            "headline_metric": headline,
            "references": [{"variant": "knn-3", "metric": headline, "notes_value": 0.868, "source": "000:1960",
                            "comment": f"the notes' KNN figure {XSS_MARKUP}"}],
        },
        "dataset": {
            "name": "heart-disease", "task": task, "n_samples": n_folds * per_fold, "input_shape": [13],
            "class_names": class_names, "feature_names": [f"x{i}" for i in range(13)],
            "provenance": f"UCI Machine Learning Repository, https://archive.ics.uci.edu/dataset/45 {XSS_CLASS}",
            "license": "CC BY 4.0", "description": "303 patients, 13 clinical features.", "origin": "embedded",
        },
        "environment": {"python": "3.11.7", "tensorflow": "2.21.0", "keras": "3.15.1", "keras_tuner": "1.4.8",
                        "sklearn": "1.9.1", "numpy": "2.4.6", "backend": "tensorflow", "platform": "Linux-x86_64",
                        "cpu_count": 2, "gpus": []},
        "variants": variants,
        "sections": _study_sections(rng) if sections else [],
    }
    (run_dir / "run.json").write_text(json.dumps(_json_safe(record), indent=2, allow_nan=False) + "\n",
                                      encoding="utf-8")
    if predictions:
        np.savez_compressed(run_dir / "predictions.npz", **arrays)
    if history:
        keys = sorted({key for row in history_rows for key in row} - {"variant", "fold", "epoch"})
        with open(run_dir / "history.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=["variant", "fold", "epoch", *keys], restval="",
                                    lineterminator="\n")
            writer.writeheader()
            writer.writerows(history_rows)
    return run_dir


@pytest.fixture()
def fake_run_dir(tmp_path: Path) -> Callable[..., Path]:
    """Factory writing a synthetic run record (docs/run-record.md) under tmp_path/"reports".

    `fake_run_dir(task="binary"|"multiclass"|"regression", predictions=True, history=True,
    n_variants=3, n_folds=3, sections=False)` returns the run folder; `sections=True` adds one study
    section of every kind (docs/run-record.md "sections"). Three variants (two Keras with history and model summary, one scikit-learn), three
    folds, seeded predictions, one variant diverged in its last fold, one notes reference; class
    names, labels and texts carry HTML that a report must escape.
    """
    sequence = itertools.count()

    def make(task: str = "binary", *, predictions: bool = True, history: bool = True,
             n_variants: int = 3, n_folds: int = 3, sections: bool = False) -> Path:
        run_id = f"20261125-1400{next(sequence):02d}-1a2b"
        return _write_run(tmp_path / "reports", run_id, task, predictions=predictions, history=history,
                          n_variants=n_variants, n_folds=n_folds, sections=sections)

    return make


# --------------------------------------------------------------------------- a run of any registered task
def _task_arrays(task: str, rng: np.random.Generator, n: int, shape: tuple[int, ...] | None) -> dict[str, Any]:
    """Held-out truth and imperfect scores of one fold in the layout `task.scores` stores."""
    k = 3
    if task == "binary":
        y = (rng.random(n) < 0.45).astype(int)
        return {"y": y, "scores": _fake_scores("binary", y, 1.5, rng, 2), "class_names": ["no", XSS_CLASS]}
    if task == "multiclass":
        y = rng.integers(0, k, size=n)
        return {"y": y, "scores": _fake_scores("multiclass", y, 1.5, rng, k),
                "class_names": ["setosa", XSS_CLASS, "virginica"]}
    if task == "regression":
        y = rng.normal(50, 10, size=n)
        return {"y": y, "scores": _fake_scores("regression", y, 1.5, rng, 1), "class_names": []}
    if task == "reconstruction":
        y = rng.random((n, *(shape or (8, 8)))).astype(np.float32)
        return {"y": y, "scores": np.clip(y + rng.normal(0, 0.1, y.shape), 0, 1).astype(np.float32),
                "class_names": []}
    if task == "tagging":
        steps = 6
        y = rng.integers(0, k, size=(n, steps))
        for row, length in enumerate(rng.integers(2, steps + 1, size=n)):
            y[row, length:] = -1  # padding after each sentence
        logits = rng.normal(scale=1.0, size=(n, steps, k))
        np.put_along_axis(logits, np.clip(y, 0, None)[..., None], 2.0, axis=-1)
        e = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return {"y": y, "scores": (e / e.sum(axis=-1, keepdims=True)).astype(np.float32),
                "class_names": ["NOUN", XSS_CLASS, "VERB"]}
    if task == "generation":
        if shape:  # image-like samples
            real = rng.random((n, *shape)).astype(np.float32)
            return {"y": real, "scores": rng.random((n, *shape)).astype(np.float32), "class_names": []}
        # the notes' 1-D GAN: heights N(150, 30); the generator is close but a little narrow
        return {"y": rng.normal(150, 30, size=(n, 1)).astype(np.float32),
                "scores": rng.normal(155, 25, size=(n, 1)).astype(np.float32), "class_names": []}
    if task == "forecasting":  # three steps ahead, forecasts near the truth
        y = rng.normal(size=(n, 3)).astype(np.float32)
        return {"y": y, "scores": (y + rng.normal(scale=0.3, size=y.shape)).astype(np.float32), "class_names": []}
    if task == "seq2seq":  # target tokens then END (id 2), 0-padded; most decodings right, some one token off
        vocabulary = ["<pad>", "<start>", "<end>", "one", "two", XSS_CLASS]
        y = np.zeros((n, 5), dtype=np.int32)
        for row, length in zip(y, rng.integers(1, 4, size=n)):
            row[:length], row[length] = rng.integers(3, len(vocabulary), size=length), 2
        decoded = y.copy()
        wrong = rng.random(n) < 0.3
        decoded[wrong, 0] = 3 + (decoded[wrong, 0] - 2) % 3
        return {"y": y, "scores": decoded, "class_names": vocabulary}
    if task == "recommendation":  # 6 items; held-out ratings where ≥ 0, P(liked) better than chance
        y = np.where(rng.random((n, 6)) < 0.4, rng.integers(0, 2, size=(n, 6)), -1)
        return {"y": y.astype(np.float32), "class_names": [],
                "scores": np.clip(0.5 + 0.3 * (2 * np.clip(y, 0, 1) - 1) + rng.normal(scale=0.2, size=y.shape),
                                  0.01, 0.99).astype(np.float32)}
    if task == "segmentation":  # 8×8 masks of 3 classes, per-pixel probabilities peaked on the truth
        y = rng.integers(0, 3, size=(n, 8, 8))
        logits = rng.normal(size=(n, 8, 8, 3))
        np.put_along_axis(logits, y[..., None], 2.0, axis=-1)
        e = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return {"y": y, "scores": (e / e.sum(axis=-1, keepdims=True)).astype(np.float32),
                "class_names": ["background", "square", XSS_CLASS]}
    if task == "detection":  # one true box per image; a shifted detection and a padded row
        corner = rng.integers(0, 20, size=(n, 2)).astype(np.float32)
        labels = rng.integers(0, 2, size=n).astype(np.float32)
        y = np.full((n, 2, 5), -1.0, dtype=np.float32)
        y[:, 0] = np.c_[corner, corner + 10, labels]
        detections = np.full((n, 3, 6), -1.0, dtype=np.float32)
        detections[:, 0] = np.c_[corner + rng.integers(0, 3, size=(n, 2)), corner + 10, rng.random(n), labels]
        return {"y": y, "scores": detections, "class_names": ["square", XSS_CLASS]}
    raise NotImplementedError(f"tests/conftest.py has no fake predictions for task {task!r}: add them to _task_arrays")


def write_task_run(out: Path, task: str, *, shape: tuple[int, ...] | None = None, confusion: bool = True,
                   dataset_task: str | None = None) -> Path:
    """A small run record + predictions.npz of any registered task: two variants, two folds, XSS in the texts.

    `shape`: sample shape for reconstruction/generation; `confusion=False` leaves the recorded matrix
    out (the report then computes it from predictions.npz); `dataset_task` overrides the task name the
    record shows (an old record's unknown task)."""
    from kerasdl import metrics, tasks

    rng = np.random.default_rng(11)
    kind = tasks.get(task)
    run_dir = out / f"{task}-{XSS_MARKUP}" / "20261201-120000-abcd"
    run_dir.mkdir(parents=True)
    arrays: dict[str, np.ndarray] = {}
    variants, class_names = [], []
    for name, label in (("first", f"Model {XSS_MARKUP}"), ("second", "Model two")):
        fold_metrics, matrix = [], None
        for fold in range(2):
            made = _task_arrays(task, rng, 40, shape)
            class_names = made["class_names"]
            key = f"{name}/fold{fold}"
            arrays.update({f"{key}/y_true": made["y"], f"{key}/y_score": made["scores"],
                           f"{key}/index": np.arange(fold * 40, (fold + 1) * 40)})
            fold_metrics.append(kind.metrics(made["y"], made["scores"], class_names=class_names, n_features=4))
            found = kind.confusion(made["y"], made["scores"], max(len(class_names), 1))
            if found is not None:
                matrix = found if matrix is None else matrix + found
        keys = sorted({key for found in fold_metrics for key in found})
        variants.append({
            "name": name, "label": label, "kind": "keras", "builder": "mlp", "api": "sequential",
            "status": "completed", "error": None,
            "metrics": {key: metrics.summarize_folds([f.get(key, math.nan) for f in fold_metrics]) for key in keys},
            "confusion_matrix": matrix.tolist() if confusion and matrix is not None else None,
            "folds": [{"fold": fold, "status": "completed", "epochs_run": 3} for fold in range(2)],
            "model_summary": [], "artifacts": {},
        })
    record = {
        "schema_version": 1, "run_id": run_dir.name, "status": "completed", "error": None, "seed": 0, "quick": True,
        "experiment": {"name": run_dir.parent.name, "title": f"A {task} run {XSS_CLASS}",
                       "evaluation": {"kind": "cv", "folds": 2}},
        "dataset": {"name": f"toy {XSS_MARKUP}", "task": dataset_task or task, "n_samples": 80,
                    "class_names": class_names, "input_shape": [4]},
        "environment": {"python": "3.11"}, "variants": variants, "sections": [],
    }
    (run_dir / "run.json").write_text(json.dumps(_json_safe(record), allow_nan=False), encoding="utf-8")
    np.savez_compressed(run_dir / "predictions.npz", **arrays)
    return run_dir


@pytest.fixture()
def task_run_dir(tmp_path: Path) -> Callable[..., Path]:
    """Factory: `task_run_dir(task, shape=None, confusion=True, dataset_task=None)` → a run folder
    (write_task_run) under its own folder of tmp_path."""
    sequence = itertools.count()

    def make(task: str, **options: Any) -> Path:
        return write_task_run(tmp_path / f"tasks{next(sequence)}", task, **options)

    return make


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty Keras home (its datasets/ folder) for both kerasdl's cache checks and Keras, which reads
    KERAS_HOME once, at import: so keras is imported first and its frozen copy redirected too."""
    import sys

    import keras  # noqa: F401

    home = tmp_path / "keras-home"
    (home / "datasets").mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setattr(sys.modules["keras.src.backend.config"], "_KERAS_DIR", str(home))
    return home / "datasets"
