"""The ecosystem's conventions: a run record in Jupyter (`_repr_html_`) and as a pandas DataFrame,
`kerasdl open`, `kerasdl run my_study.py`, and TensorBoard's HParams files of a search, read back with
TensorBoard's own event reader."""

from __future__ import annotations

import json
import textwrap
import urllib.parse
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from kerasdl.cli import main
from kerasdl.harness import RunRecord

XSS_MARKUP = "<b>&\"'"  # a label a notebook must show as text


def _record(run_dir: Path) -> RunRecord:
    return RunRecord(run_dir, json.loads((run_dir / "run.json").read_text()))


# -- the run record in a notebook -------------------------------------------------------------------
def test_metrics_are_a_dataframe_of_variants_by_metric_mean_and_std(fake_run_dir):
    record = _record(fake_run_dir("regression"))
    frame = record.metrics
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.index) == [v["name"] for v in record.data["variants"]] and frame.index.name == "variant"
    assert frame.columns.names == ["metric", "statistic"]
    for variant in record.data["variants"]:
        for name, summary in variant["metrics"].items():
            assert frame.loc[variant["name"], (name, "mean")] == pytest.approx(summary["mean"], nan_ok=True)
            assert frame.loc[variant["name"], (name, "std")] == pytest.approx(summary["std"], nan_ok=True)
    assert frame["rmse"]["mean"].notna().any()


def test_repr_html_shows_the_headline_table_escaped_and_links_the_report(fake_run_dir, monkeypatch):
    run_dir = fake_run_dir("binary")
    record = _record(run_dir)
    record.data["variants"][0]["label"] = XSS_MARKUP
    monkeypatch.chdir(run_dir.parents[1])
    page = record._repr_html_()
    assert XSS_MARKUP not in page and "&lt;b&gt;&amp;&quot;&#x27;" in page
    headline = record.data["experiment"]["headline_metric"]
    assert f"<th>{headline} (higher is better)</th>" in page
    means = {v["name"]: v["metrics"][headline]["mean"] for v in record.data["variants"] if v["metrics"]}
    best = max(means, key=means.get)
    best_row = next(r for r in page.split("<tr>") if f"{means[best]:.4g}" in r)
    assert best_row.count("<b>") == 4  # the best variant in bold, every cell of its row
    assert "kerasdl report" in page and "href" not in page  # report.html not rendered yet: say how
    (run_dir / "report.html").write_text("<html></html>")
    linked = record._repr_html_()
    relative = urllib.parse.quote(f"{run_dir.parent.name}/{run_dir.name}/report.html")
    assert f'href="{relative}"' in linked  # relative, so Jupyter opens it; the folder name percent-encoded


# -- kerasdl open -------------------------------------------------------------------------------------
@pytest.fixture()
def browser(monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened.append(url) or True)
    return opened


def test_open_shows_a_run_report_or_the_index(fake_run_dir, browser, capsys):
    run_dir = fake_run_dir("binary")
    (run_dir / "report.html").write_text("<html></html>")
    out = run_dir.parents[1]
    (out / "index.html").write_text("<html></html>")
    assert main(["open", str(run_dir)]) == 0
    assert main(["open", "--out", str(out)]) == 0
    assert browser == [(run_dir / "report.html").resolve().as_uri(), (out / "index.html").resolve().as_uri()]
    assert capsys.readouterr().out.count("opened ") == 2


@pytest.mark.parametrize("case, expected", [
    ("missing", "no run or search folder at"),
    ("unrendered", "write it with `kerasdl report"),
    ("no-browser", "no web browser could be started"),
])
def test_open_refuses_in_one_line(case, expected, fake_run_dir, monkeypatch, capsys):
    run_dir = fake_run_dir("binary")
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: False)
    if case == "missing":
        run_dir = run_dir.parent / "no-such-run"
    elif case == "no-browser":
        (run_dir / "report.html").write_text("<html></html>")
    assert main(["open", str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert expected in err and len(err.strip().splitlines()) == 1, err


# -- kerasdl run path/to/my_study.py ------------------------------------------------------------------
@pytest.mark.parametrize("source, expected", [
    ("X = 1\n", "does not define an experiment: an experiment file defines experiment() returning"),
    ("def experiment():\n    return 42\n", "experiment() returned int, not an Experiment"),
    ("def experiment(:\n", ":1: invalid syntax"),
])
def test_run_refuses_a_file_without_an_experiment_in_one_line(source, expected, tmp_path, capsys):
    path = tmp_path / "my_study.py"
    path.write_text(source)
    assert main(["run", str(path), "--out", str(tmp_path / "reports")]) == 2
    err = capsys.readouterr().err
    assert expected in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "reports").exists()  # nothing written


def test_run_runs_a_users_experiment_file(tmp_path, capsys):
    path = tmp_path / "my_study.py"
    path.write_text(textwrap.dedent("""
        from sklearn.dummy import DummyClassifier
        from sklearn.linear_model import LogisticRegression
        from kerasdl.harness import Experiment, Variant

        def experiment():
            return Experiment(name="my-study", dataset="iris", variants=[
                Variant("prior", estimator=DummyClassifier()),
                Variant("logistic", estimator=LogisticRegression(max_iter=500))])
    """))
    assert main(["run", str(path), "--out", str(tmp_path / "reports"), "--quiet"]) == 0
    runs = list((tmp_path / "reports" / "my-study").glob("*/run.json"))
    assert len(runs) == 1 and json.loads(runs[0].read_text())["status"] == "completed"


# -- TensorBoard's HParams dashboard for a search -------------------------------------------------------
def _plugin_data(run_dir: Path):
    """The hparams plugin's protos in one TensorBoard run folder, read by TensorBoard's EventAccumulator."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    accumulator = EventAccumulator(str(run_dir))
    accumulator.Reload()
    content = accumulator.PluginTagToContent("hparams")
    return accumulator, {tag: plugin_data_pb2.HParamsPluginData.FromString(data) for tag, data in content.items()}


def test_a_trial_is_written_for_tensorboards_hparams_dashboard(tmp_path):
    import keras_tuner
    from tensorboard.util import tensor_util

    from kerasdl.tuning import hparams_log

    space = keras_tuner.HyperParameters()
    space.Choice("units", [8, 16, 32])
    space.Float("learning_rate", 1e-4, 1e-2, sampling="log")
    space.Boolean("batch_norm")
    space.Fixed("tuner/epochs", 4)  # keras-tuner's bookkeeping: not a hyperparameter
    oracle = SimpleNamespace(objective=SimpleNamespace(name="val_auc"), get_space=lambda: space)
    for trial_id, units, status in [("0", 16, "completed"), ("1", 32, "failed")]:
        values = space.copy()
        values.values.update(units=units, learning_rate=3e-3, batch_norm=True)
        trial = keras_tuner.engine.trial.Trial(values, trial_id=trial_id)
        outcome = {"status": status, "objective": 0.8125 if status == "completed" else None,
                   "best_epoch": 3, "epochs_run": 4, "duration_s": 1.5}
        hparams_log.record_trial(tmp_path, oracle, trial, outcome)

    root = tmp_path / hparams_log.LOG_DIR
    _, experiment = _plugin_data(root)
    infos = {info.name: info for info in experiment["_hparams_/experiment"].experiment.hparam_infos}
    assert set(infos) == {"units", "learning_rate", "batch_norm"}
    assert [v.number_value for v in infos["units"].domain_discrete.values] == [8, 16, 32]
    assert (infos["learning_rate"].domain_interval.min_value, infos["learning_rate"].domain_interval.max_value) \
        == (pytest.approx(1e-4), pytest.approx(1e-2))
    metrics = [m.name.tag for m in experiment["_hparams_/experiment"].experiment.metric_infos]
    assert metrics[0] == "val_auc" and "duration_s" in metrics

    accumulator, session = _plugin_data(root / "trial_0")
    start = session["_hparams_/session_start_info"].session_start_info
    assert start.hparams["units"].number_value == 16 and start.hparams["batch_norm"].bool_value is True
    assert start.group_name == "0" and "tuner/epochs" not in start.hparams
    objective = accumulator.Tensors("val_auc")
    assert tensor_util.make_ndarray(objective[-1].tensor_proto) == pytest.approx(0.8125)
    failed, _ = _plugin_data(root / "trial_1")
    assert "val_auc" not in failed.Tags()["tensors"] and "duration_s" in failed.Tags()["tensors"]


def test_a_search_writes_hparams_and_says_trial_n_of_m_with_the_best_so_far(tmp_path, capsys):
    from kerasdl.tuning import hparams_log

    assert main(["tune", "mlp-heart", "--quick", "--max-trials", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "[1/2]" in out and "[2/2]" in out and out.count("; best so far ") == 2
    folder = tmp_path / "tuning" / "mlp-heart" / "random" / hparams_log.LOG_DIR
    sessions = sorted(p.name for p in folder.glob("trial_*"))
    assert len(sessions) == 2
    _, session = _plugin_data(folder / sessions[0])
    assert "units" in session["_hparams_/session_start_info"].session_start_info.hparams
