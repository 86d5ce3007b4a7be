"""The search report from keras-tuner's files alone: ranking, exact AUC, failures, escaping, CSV, index,
the strategy comparison, and the pages in headless Chromium. No TensorFlow: the folders are synthetic
copies of keras-tuner's layout (oracle.json, trial_<id>/trial.json) plus kerasdl's own files.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

# The headless-Chromium fixtures of the run-report tests (module-scoped there, shared here).
from test_report_browser import _screenshot, _Watched, browser, chromium_path  # noqa: F401

from kerasdl.errors import UserError
from kerasdl.report import render_compare, render_index, render_search
from kerasdl.tuning.results import load_search

XSS = "<script>alert(1)</script>"
XSS_IMG = '<img src=x onerror="window.__xss=1">'


def _space(strings: bool = True) -> list[dict]:
    space = [
        {"class_name": "Choice", "config": {"name": "units", "default": 8, "conditions": [], "values": [8, 16, 32],
                                            "ordered": True}},
        {"class_name": "Float", "config": {"name": "learning_rate", "default": 1e-4, "conditions": [],
                                           "min_value": 1e-4, "max_value": 1e-2, "step": 10, "sampling": "log"}},
    ]
    if strings:
        space.append({"class_name": "Choice", "config": {"name": "activation", "default": "relu", "conditions": [],
                                                         "values": ["relu", XSS], "ordered": False}})
    return space


def _trial_state(trial_id: str, values: dict, score: float | None, status: str, message: str | None,
                 objective: str, direction: str) -> dict:
    metrics = {} if score is None else {objective: {"direction": direction,
                                                    "observations": [{"value": [score], "step": 1}]}}
    return {"trial_id": trial_id, "hyperparameters": {"space": [{"class_name": "Choice", "config": {}}],
                                                      "values": values},
            "metrics": {"metrics": metrics}, "score": score, "best_step": 1 if score is not None else 0,
            "status": status, "message": message}


def make_search(root: Path, strategy: str = "random", *, direction: str = "max", record: bool = True,
                scores: tuple = (0.71, 0.93, 0.55, 0.88), failures: bool = True, hyperband: bool = False) -> Path:
    """A search folder as kerasdl + keras-tuner leave it: 4 completed trials, then failed/diverged/running ones."""
    folder = root / "tuning" / f"toy-{XSS_IMG}" / strategy
    folder.mkdir(parents=True)
    objective = "val_auc" if direction == "max" else "val_loss"
    rng = np.random.default_rng(3)
    specs = [(f"{i:02d}", {"units": [8, 16, 32, 16][i], "learning_rate": [1e-4, 1e-3, 1e-2, 1e-3][i],
                           "activation": ["relu", XSS, "relu", "relu"][i]}, s, "COMPLETED", None, "completed")
             for i, s in enumerate(scores)]
    if failures:
        specs += [("04", {"units": 32, "learning_rate": 1e-2, "activation": XSS}, None, "FAILED",
                   f"Traceback (most recent call last):\nValueError: bad configuration {XSS}", "failed"),
                  ("05", {"units": 8, "learning_rate": 1e-2, "activation": "relu"}, None, "FAILED",
                   "keras_tuner.errors.FailedTrialError: diverged: val_auc is nan in fold 0", "diverged"),
                  ("06", {"units": 16, "learning_rate": 1e-4, "activation": "relu"}, None, "RUNNING", None, "running")]
    epochs = 0
    for position, (trial_id, values, score, status, message, side_status) in enumerate(specs):
        if hyperband:
            values = {**values, "tuner/epochs": 2 + position % 2, "tuner/initial_epoch": 0, "tuner/round": 0,
                      "tuner/bracket": 1}
        trial_dir = folder / f"trial_{trial_id}"
        trial_dir.mkdir()
        state = _trial_state(trial_id, values, score, status, message, objective, direction)
        (trial_dir / "trial.json").write_text(json.dumps(state))
        side = {"trial_id": trial_id, "tuner_id": f"worker{position % 2}", "status": side_status,
                "started": f"2026-11-25T14:0{position}:00+00:00", "duration_s": 1.5 + position,
                "best_epoch": 2 if score is not None else None, "epochs_run": 3, "folds": [],
                "error": message}
        epochs += 3
        if score is not None:
            y = (rng.random(60) < 0.45).astype(int)
            p = np.clip(0.5 + (2 * y - 1) * rng.uniform(0, 0.4 + 0.1 * position, 60) + rng.normal(0, 0.2, 60), 0, 1)
            np.savez_compressed(trial_dir / "val_predictions.npz", y_true=y, y_score=p.reshape(-1, 1),
                                row=np.arange(60), fold=np.zeros(60, int), execution=np.zeros(60, int))
            side["predictions"] = "val_predictions.npz"
        (trial_dir / "kerasdl_trial.json").write_text(json.dumps(side))
    order = [s[0] for s in specs]
    (folder / "oracle.json").write_text(json.dumps({"start_order": order, "end_order": order[:-1],
                                                    "ongoing_trials": {"worker0": order[-1]} if failures else {}}))
    if record:
        search = {
            "schema_version": 1, "kind": "kerasdl-search",
            "unit": {"name": f"toy-{XSS_IMG}", "title": f"Toy search {XSS}", "source": "tests",
                     "description": f"A synthetic search {XSS_IMG}", "notes_ref": "001:3133"},
            "strategy": strategy, "objective": {"name": objective, "direction": direction},
            "budget": {"max_trials": 8, "epochs": 3, "executions_per_trial": 1, "cv": 0, "hyperband_factor": None},
            "seed": 0, "quick": True, "status": "completed", "error": None,
            "dataset": {"name": "heart-disease", "task": "binary", "n_samples": 303,
                        "search_rows": {"folds": 1, "fit": 181, "validation": 60}},
            "space": [{"name": c["config"]["name"], "kind": c["class_name"], **{
                k: v for k, v in c["config"].items() if k not in ("name", "conditions")}}
                for c in _space()],
            "grid_points": None, "enumerated": {}, "manual": [],
            "sessions": [{"started": "2026-11-25T14:00:00+00:00", "status": "completed", "role": "local",
                          "workers": 0, "trials_at_start": 0, "trials_at_end": len(specs), "duration_s": 42.0}],
            "retrained": [], "started": "2026-11-25T14:00:00+00:00", "finished": "2026-11-25T14:01:00+00:00",
            "environment": {"keras_tuner": "1.4.8"},
        }
        (folder / "search.json").write_text(json.dumps(search))
    return folder


def test_trials_are_ranked_by_the_objective_and_its_direction(tmp_path):
    found = load_search(make_search(tmp_path / "max"))
    assert [t.trial_id for t in found.ranked()][:4] == ["01", "03", "00", "02"]
    assert found.best().trial_id == "01"
    assert [t.status for t in found.ranked()][4:] == ["failed", "diverged", "interrupted"]  # the search ended
    lower = load_search(make_search(tmp_path / "min", direction="min"))
    assert lower.best().trial_id == "02" and lower.objective == "val_loss"
    best = [b for _, _, b in found.best_so_far()]
    assert best[:4] == [0.71, 0.93, 0.93, 0.93] and best[-1] == 0.93


def test_report_ranks_recomputes_exact_auc_and_shows_failures(tmp_path):
    folder = make_search(tmp_path)
    page = render_search(folder)
    html = page.read_text()
    # the best trial's exact ROC AUC, recomputed by scikit-learn from its stored predictions
    with np.load(folder / "trial_01" / "val_predictions.npz", allow_pickle=False) as npz:
        exact = roc_auc_score(npz["y_true"], npz["y_score"].ravel())
    assert f"{exact:.4f}" in html
    assert "exact ROC AUC" in html
    assert html.index("<code>01</code>") < html.index("<code>03</code>") < html.index("<code>00</code>")
    assert "bad configuration" in html and "diverged: val_auc is nan" in html
    assert html.count("<svg") >= 2 + 3  # best so far, parallel coordinates, one scatter per hyperparameter
    for raw in (XSS, XSS_IMG):
        assert raw not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_csv_export_has_every_trial_and_its_message(tmp_path):
    folder = make_search(tmp_path)
    render_search(folder)
    with open(folder / "trials.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 7
    assert list(rows[0])[:3] == ["trial_id", "status", "val_auc"]
    assert {"units", "learning_rate", "activation", "message"} <= set(rows[0])
    by_id = {r["trial_id"]: r for r in rows}
    assert by_id["04"]["status"] == "failed" and XSS in by_id["04"]["message"]  # CSV is data: kept as written
    assert float(by_id["01"]["val_auc"]) == pytest.approx(0.93)


def test_report_reads_keras_tuner_files_without_search_json(tmp_path):
    folder = make_search(tmp_path, record=False, failures=False)
    html = render_search(folder).read_text()
    assert "no search.json" in html and "val_auc" in html


def test_hyperband_trials_show_their_epochs(tmp_path):
    folder = make_search(tmp_path, "hyperband", hyperband=True, failures=False)
    html = render_search(folder).read_text()
    assert "Hyperband epochs" in html
    with open(folder / "trials.csv", newline="") as handle:
        assert "tuner/epochs" in next(csv.reader(handle))


def test_empty_folder_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no search at"):
        render_search(tmp_path)


def test_comparison_draws_every_strategy_and_checks_the_notes_claims(tmp_path):
    for strategy, scores in (("grid", (0.6, 0.62)), ("random", (0.7, 0.8)), ("bayesian", (0.75, 0.9))):
        render_search(make_search(tmp_path, strategy, scores=scores, failures=False))
    page = render_compare(make_search(tmp_path, "hyperband", scores=(0.5,), failures=False).parent,
                          skipped={"grid": "refused <b>"})
    html = page.read_text()
    assert "bayesian beat random" in html and "random beat grid" in html and "hyperband did not beat random" in html
    assert "refused &lt;b&gt;" in html
    assert html.count('href="random/report.html"') >= 1


def test_index_lists_searches_with_status_and_best_score(tmp_path):
    folder = make_search(tmp_path)
    render_search(folder)
    render_compare(folder.parent)
    html = render_index(tmp_path).read_text()
    assert "0.9300" in html and "compare.html" in html and "report.html" in html
    assert XSS_IMG not in html


# -- headless Chromium (same fixtures and checks as the run reports) ----------------------------------
@pytest.mark.browser
def test_search_and_comparison_pages_render_in_chromium(browser, tmp_path):  # noqa: F811
    folder = make_search(tmp_path)
    render_search(make_search(tmp_path, "grid", scores=(0.6, 0.65), failures=False))
    compare = render_compare(folder.parent)
    pages = [render_search(folder), compare]  # rendered after the comparison, so it links to it
    for page in pages:
        watched = _Watched(browser)
        try:
            watched.open(page)
            figures = watched.page.locator("figure svg")
            assert figures.count() == watched.page.locator("svg").count() > 0
            for i in range(figures.count()):
                box = figures.nth(i).bounding_box()
                assert figures.nth(i).is_visible() and box and box["width"] > 100 and box["height"] > 100
            assert watched.page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
            _screenshot(watched, page.with_suffix(".png"))
            watched.assert_clean()
        finally:
            watched.page.close()
    watched = _Watched(browser)
    try:  # the search report's link to the comparison works
        watched.open(pages[0])
        watched.page.locator("a[href='../compare.html']").first.click()
        watched.page.wait_for_load_state("load")
        assert watched.page.url.endswith("/compare.html")
        watched.assert_clean()
    finally:
        watched.page.close()





def test_a_repeated_configuration_is_pointed_out(tmp_path):
    folder = make_search(tmp_path, "bayesian", failures=False)
    state = json.loads((folder / "trial_01" / "trial.json").read_text())
    (folder / "trial_04").mkdir()
    (folder / "trial_04" / "trial.json").write_text(json.dumps({**state, "trial_id": "04", "score": 0.9}))
    assert "same as 01" in render_search(folder).read_text()
    assert ">4</td>" in render_compare(folder.parent).read_text()  # 5 trials, 4 distinct configurations


def test_the_search_page_states_the_disk_it_uses_and_what_was_pruned(tmp_path):
    folder = make_search(tmp_path)
    search = json.loads((folder / "search.json").read_text())
    assert "Disk used" not in render_search(folder).read_text()  # older records do not state it
    search.update(disk_bytes=3 * 1024 * 1024, pruned_checkpoints=["00", "02"])
    (folder / "search.json").write_text(json.dumps(search))
    html = render_search(folder).read_text()
    assert "Disk used" in html and "3.0 MB (checkpoints of 2 trial(s) pruned, --keep-checkpoints)" in html
