"""Hyperparameter search: the notes' 5-point grid, resume, failed trials, manual + CV, grid refusal,
retraining, user errors. Every search is --quick with 1-2 epochs on tiny data; searches shared by
several tests run once per module.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from kerasdl import tuning
from kerasdl.cli import main
from kerasdl.errors import UserError

# A user's own search file (`kerasdl tune PATH.py`): a dataset loader instead of a registered name.
TOY_DATA = '''
import numpy as np
from kerasdl import tuning


def DATASET(seed):
    """120 rows, 4 numeric columns, a binary target that depends on the first one."""
    import pandas as pd
    from kerasdl.data.dataset import Dataset

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(120, 4))
    y = (x[:, 0] + 0.5 * rng.normal(size=120) > 0).astype(int)
    rows = np.arange(120)
    return Dataset("toy", "binary", pd.DataFrame(x, columns=list("abcd")), y,
                   {"train": rows[:80], "val": rows[80:100], "test": rows[100:]},
                   class_names=("no", "yes"), numeric_columns=tuple("abcd"))
'''

FAILING = TOY_DATA + '''
NAME = "toy-failing"
OBJECTIVE = ("val_auc", "max")
MANUAL = [{"mode": "ok", "epochs": 1}]


def build(hp):  # the one-argument form: the file knows its own input shape
    import keras

    if hp.Choice("mode", ["ok", "bad <b>"]) != "ok":
        raise ValueError("bad configuration <script>alert(1)</script>")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=[keras.metrics.AUC(name="auc")])
    return model


def fit(hp, model, *args, **kwargs):  # epochs tuned through HyperModel.fit
    kwargs["epochs"] = hp.Choice("epochs", [1, 2])
    return model.fit(*args, batch_size=16, **kwargs)
'''

CONTINUOUS = TOY_DATA + '''
NAME = "toy-continuous"
OBJECTIVE = ("val_loss", "min")


def build(hp, data):
    return tuning.compiled_model("mlp", data, units=hp.Choice("units", [4, 8]), depth=1,
                                 learning_rate=hp.Float("learning_rate", 1e-4, 1e-2, sampling="log"))
'''


def write_search(folder: Path, text: str, name: str = "toy_search.py") -> Path:
    path = Path(folder) / name
    path.write_text(textwrap.dedent(text))
    return path


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["tune", *argv])
    return code, out.getvalue(), err.getvalue()


def trial_states(folder: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(folder.glob("trial_*/trial.json"))}


# -- the notes' grid ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def notes_grid(tmp_path_factory):
    out = tmp_path_factory.mktemp("grid")
    code, stdout, stderr = run_cli("mlp-batch-size", "--strategy", "grid", "--quick", "--epochs", "1", "--out", str(out))
    return code, stdout, stderr, out / "tuning" / "mlp-batch-size" / "grid"


@pytest.mark.xdist_group("notes_grid")  # one worker runs the module fixture once (pyproject)
def test_notes_grid_runs_exactly_five_trials(notes_grid):
    code, stdout, stderr, folder = notes_grid
    assert code == 0, stderr
    assert "grid: 5 grid point(s)" in stdout.splitlines()[0]  # announced before the first trial
    states = trial_states(folder)
    assert len(states) == 5
    assert sorted(s["hyperparameters"]["values"]["batch_size"] for s in states.values()) == [10, 30, 50, 70, 90]
    assert {s["status"] for s in states.values()} == {"COMPLETED"}
    record = json.loads((folder / "search.json").read_text())
    assert record["grid_points"] == 5 and record["status"] == "completed"
    assert record["objective"] == {"name": "val_accuracy", "direction": "max"}


@pytest.mark.xdist_group("notes_grid")  # one worker runs the module fixture once (pyproject)
def test_every_trial_keeps_its_files_and_plain_predictions(notes_grid):
    _, _, _, folder = notes_grid
    for trial_dir in sorted(folder.glob("trial_*")):
        side = json.loads((trial_dir / "kerasdl_trial.json").read_text())
        assert side["status"] == "completed" and side["duration_s"] > 0 and side["epochs_run"] == 1
        with np.load(trial_dir / "val_predictions.npz", allow_pickle=False) as npz:  # no pickle needed
            assert npz["y_true"].shape == (side["folds"][0]["n_val"],)
            assert npz["y_score"].shape == (side["folds"][0]["n_val"], 1)
            assert np.all((npz["y_score"] >= 0) & (npz["y_score"] <= 1))


@pytest.mark.xdist_group("notes_grid")  # one worker runs the module fixture once (pyproject)
def test_summary_report_csv_and_index(notes_grid):
    _, stdout, _, folder = notes_grid
    assert "search completed: 5 trial(s) (5 completed)" in stdout and "best: trial" in stdout
    html = (folder / "report.html").read_text()
    assert "mlp-batch-size" in html and "batch_size" in html and html.count("<svg") >= 3
    with open(folder / "trials.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 5 and {"val_accuracy", "batch_size", "best_epoch", "duration_s"} <= set(rows[0])
    index = (folder.parents[2] / "index.html").read_text()
    assert "mlp-batch-size" in index and "completed" in index


# -- failures, tuned epochs, manual search, cross-validation ---------------------------------------------
def test_failed_trials_are_never_silent_and_epochs_are_tunable(tmp_path):
    path = write_search(tmp_path, FAILING)
    code, _, stderr = run_cli(str(path), "--strategy", "grid", "--quick", "--out", str(tmp_path / "out"))
    assert code == 0, stderr  # some trials completed
    folder = tmp_path / "out" / "tuning" / "toy-failing" / "grid"
    states = trial_states(folder)
    assert len(states) == 4  # epochs {1, 2} × mode {ok, bad}
    failed = {k: s for k, s in states.items() if s["status"] == "FAILED"}
    assert {s["hyperparameters"]["values"]["mode"] for s in failed.values()} == {"bad <b>"}
    assert all("bad configuration" in s["message"] for s in failed.values())
    assert stderr.count("failed: ") == 2 and "bad configuration" in stderr  # in the CLI summary
    for name, state in states.items():
        if state["status"] == "COMPLETED":  # the tuned epoch count is what the model trained for
            side = json.loads((folder / name / "kerasdl_trial.json").read_text())
            assert side["epochs_run"] == state["hyperparameters"]["values"]["epochs"]
    html = (folder / "report.html").read_text()
    assert "bad configuration &lt;script&gt;" in html and "<script>alert" not in html


BROKEN = TOY_DATA + '''
NAME = "toy-broken"
OBJECTIVE = ("val_auc", "max")


def build(hp, data):
    return tuning.compiled_model("mlp", data, units=hp.Int("units", 2, 64), depth=1)


def fit(hp, model, *args, **kwargs):
    if hasattr(model, "count_params"):  # a real model, not the stand-in that declares fit's hyperparameters
        raise RuntimeError("broken training loop <b>")
    return model.fit(*args, **kwargs)
'''


def test_consecutive_failures_stop_the_search_with_its_reason(tmp_path):
    path = write_search(tmp_path, BROKEN)
    code, _, stderr = run_cli(str(path), "--quick", "--max-trials", "8", "--out", str(tmp_path / "out"))
    assert code == 1
    folder = tmp_path / "out" / "tuning" / "toy-broken" / "random"
    record = json.loads((folder / "search.json").read_text())
    assert record["status"] == "failed"
    assert "consecutive failures exceeded the limit of 3" in record["error"]
    from kerasdl.tuning.results import load_search

    assert [t.status for t in load_search(folder).trials] == ["failed"] * 3  # keras-tuner's limit, then stop
    assert stderr.count("broken training loop") >= 3


def test_manual_search_replays_the_list_and_cv_scores_the_mean_of_folds(tmp_path):
    unit = tuning.load_unit(str(write_search(tmp_path, FAILING)))
    settings = tuning.SearchSettings(strategy="manual", cv=2, quick=True, out=tmp_path / "out", quiet=True)
    found = tuning.search(unit, settings)
    assert len(found.trials) == 1
    trial = found.trials[0]
    assert trial.status == "completed" and trial.values == {"epochs": 1, "mode": "ok"}
    assert len(trial.folds) == 2
    assert trial.score == pytest.approx(np.mean([f["objective"] for f in trial.folds]), rel=1e-6)
    with np.load(trial.predictions, allow_pickle=False) as npz:
        rows, folds = npz["row"], npz["fold"]
    assert sorted(rows.tolist()) == list(range(100))  # every train+val row scored once, test rows never
    assert set(folds.tolist()) == {0, 1}


# -- resume, overwrite, retrain ---------------------------------------------------------------------------
def test_resume_continues_overwrite_restarts_and_the_best_is_retrained(tmp_path):
    out = tmp_path / "out"
    common = ["mlp-heart", "--strategy", "random", "--quick", "--epochs", "1", "--out", str(out)]
    folder = out / "tuning" / "mlp-heart" / "random"
    assert run_cli(*common, "--max-trials", "2")[0] == 0
    assert len(trial_states(folder)) == 2
    code, stdout, stderr = run_cli(*common, "--max-trials", "3", "--retrain-best")
    assert code == 0, stderr
    assert "continuing after 2 trial(s)" in stdout
    assert sorted(trial_states(folder)) == [f"trial_{i}" for i in range(3)]  # 3 in all, not 5
    record = json.loads((folder / "search.json").read_text())
    assert [s["trials_at_end"] for s in record["sessions"]] == [2, 3]
    retrained = record["retrained"][0]
    run_json = json.loads((folder / retrained["run"] / "run.json").read_text())
    assert run_json["status"] == "completed" and run_json["experiment"]["evaluation"]["split"] == "test"
    assert f'href="{retrained["run"]}/report.html"' in (folder / "report.html").read_text()
    assert run_cli(*common, "--max-trials", "1", "--overwrite")[0] == 0
    assert len(trial_states(folder)) == 1
    assert len(json.loads((folder / "search.json").read_text())["sessions"]) == 1


# -- the grid and continuous ranges ---------------------------------------------------------------------
def test_grid_refuses_a_continuous_range_before_writing_anything(tmp_path):
    path = write_search(tmp_path, CONTINUOUS)
    code, _, stderr = run_cli(str(path), "--strategy", "grid", "--quick", "--out", str(tmp_path / "out"))
    assert code == 2
    assert "learning_rate" in stderr and "10 values" in stderr and "never try max_value" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "tuning").exists()


def test_enumerate_continuous_includes_both_ends(tmp_path):
    from kerasdl.tuning import session as tuning_session

    unit = tuning.load_unit(str(write_search(tmp_path, CONTINUOUS)))
    said = []
    prepared = tuning_session.prepare(unit, tuning.SearchSettings(strategy="grid", enumerate_continuous=3, quick=True,
                                                                  out=tmp_path), announce=said.append)
    assert prepared.enumerated == {"learning_rate": [1e-4, 1e-3, 1e-2]}  # max_value included
    assert prepared.grid_points == 6 and "6 grid point(s)" in said[0]
    assert tuning_session.prepare(unit, tuning.SearchSettings(strategy="random", quick=True, out=tmp_path)).overrides is None


def test_cnn_digits_runs_a_quick_trial(tmp_path):
    unit = tuning.load_unit("cnn-digits")
    found = tuning.search(unit, tuning.SearchSettings(strategy="random", max_trials=1, epochs=1, quick=True,
                                                      out=tmp_path, quiet=True))
    assert [t.status for t in found.trials] == ["completed"]
    assert 0.0 <= found.trials[0].score <= 1.0 and found.objective == "val_accuracy"

    # `kerasdl report` re-renders searches too: all of them under --out, or the one folder named.
    from kerasdl.cli import main

    # the one strategy folder (and, beside it, the hidden lock its session held: .random.lock)
    (folder,) = [p for p in (tmp_path / "tuning" / "cnn-digits").iterdir() if not p.name.startswith(".")]
    assert (folder.parent / f".{folder.name}.lock").is_file()
    page = folder / "report.html"
    page.unlink(missing_ok=True)
    assert main(["report", "--out", str(tmp_path)]) == 0 and page.is_file()
    page.unlink()
    assert main(["report", str(folder)]) == 0 and page.is_file() and (tmp_path / "index.html").is_file()


# -- user errors -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, expected", [
    (["mlp-hart"], "closest: mlp-heart"),
    (["mlp-heart", "--strategy", "gird"], "closest: grid"),
    (["mlp-heart", "--strategy", "hyperband", "--cv", "3"], "--cv cannot be combined with hyperband"),
    (["mlp-heart", "--cv", "1"], "at least 2 folds"),
    (["mlp-heart", "--max-trials", "0"], "--max-trials must be at least 1"),
    (["no_such_file.py"], "no search file"),
    ([], "needs a search unit"),
])
def test_user_errors_are_one_line_and_exit_2(argv, expected):
    code, _, stderr = run_cli(*argv)
    assert code == 2 and expected in stderr
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr


@pytest.mark.parametrize("text, expected", [
    ("NAME = 'x'\nDATASET = 'heart-disease'\nOBJECTIVE = ('val_auc', 'max')\n", "needs a function build"),
    ("DATASET = 'heart-disease'\nOBJECTIVE = 'val_auc'\ndef build(hp):\n    pass\n", "must name its direction"),
    ("OBJECTIVE = ('val_auc', 'max')\ndef build(hp):\n    pass\n", "no DATASET"),
])
def test_malformed_search_files_are_user_errors(tmp_path, text, expected):
    with pytest.raises(UserError, match=expected):
        tuning.load_unit(str(write_search(tmp_path, text)))


def test_manual_without_a_list_and_unknown_manual_names(tmp_path):
    with pytest.raises(UserError, match="no MANUAL"):
        tuning.SearchSettings(strategy="manual").checked(tuning.load_unit(str(write_search(tmp_path, CONTINUOUS))))
    from kerasdl.tuning import session as tuning_session

    typo = write_search(tmp_path, FAILING.replace('MANUAL = [{"mode": "ok"', 'MANUAL = [{"mood": "ok"'), "typo.py")
    with pytest.raises(UserError, match="closest: mode"):
        tuning_session.prepare(tuning.load_unit(str(typo)), tuning.SearchSettings(strategy="manual", quick=True))


def test_listing_units_never_imports_tensorflow():
    code = ("import sys\nfrom kerasdl.cli import main\nmain(['tune', '--list'])\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines() if line]
    assert names == ["autoencoder-code-size", "cnn-digits", "cnn-padding-pooling", "mlp-batch-size", "mlp-heart",
                     "mlp-training", "rnn-polarity"]


# -- all four strategies on one budget --------------------------------------------------------------------
def test_compare_runs_the_four_strategies_on_one_budget(tmp_path):
    # One trial per strategy takes the same path as several (a search page with many trials: notes_grid);
    # --epochs is also Hyperband's max_epochs.
    code, stdout, stderr = run_cli("mlp-heart", "--compare", "--quick", "--max-trials", "1", "--epochs", "2",
                                   "--out", str(tmp_path))
    assert code == 0, stderr
    base = tmp_path / "tuning" / "mlp-heart"
    for strategy in tuning.COMPARED:
        states = trial_states(base / strategy)
        assert len(states) == 1 and (base / strategy / "report.html").is_file()
    hyperband = trial_states(base / "hyperband")
    assert all("tuner/epochs" in s["hyperparameters"]["values"] for s in hyperband.values())
    assert "best score per strategy" in stdout
    assert "Best so far" in (base / "compare.html").read_text()


def test_manual_search_respects_the_trial_budget(tmp_path):
    from kerasdl.tuning import session as tuning_session

    unit = tuning.load_unit("mlp-heart")
    prepared = tuning_session.prepare(unit, tuning.SearchSettings(strategy="manual", max_trials=2, quick=True,
                                                                  out=tmp_path, quiet=True))
    tuner = prepared.tuner(overwrite=True)
    assert tuner.oracle.max_trials == 2 and tuner.oracle.configurations == list(unit.manual[:2])


# -- keras-tuner internals -------------------------------------------------------------------------------
def test_the_keras_tuner_internals_kerasdl_uses_are_still_there():
    """kerasdl/tuning/_keras_tuner_private.py is the one module that uses keras-tuner internals (no public
    API does its job); after a keras-tuner upgrade this test names exactly what moved or changed."""
    import keras_tuner

    from kerasdl.tuning import _keras_tuner_private as private

    problems = private.problems()
    assert not problems, (
        f"keras-tuner {keras_tuner.__version__} (kerasdl was written against {private.TESTED_WITH}) no longer "
        "provides what kerasdl/tuning/_keras_tuner_private.py uses: " + "; ".join(problems)
        + ". Adapt that module (and only it), then this test.")


def test_only_the_private_module_imports_keras_tuner_internals():
    import ast

    package = Path(tuning.__file__).parent
    users = set()
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(name.startswith("keras_tuner.src") for name in names):
                users.add(path.name)
    assert users == {"_keras_tuner_private.py"}


def test_a_second_session_on_the_same_search_folder_is_refused_until_the_first_ends(tmp_path):
    from kerasdl import locks
    from kerasdl.tuning import session as tuning_session

    folder = tmp_path / "tuning" / "toy" / "random"
    with tuning_session.exclusive_session(folder):
        # another process's attempt (flock conflicts between open files, so this process stands in for it)
        with pytest.raises(UserError, match="in use by another `kerasdl tune`"):
            with tuning_session.exclusive_session(folder):
                pass
        assert locks.is_locked(folder.parent / ".random.lock")
    assert not locks.is_locked(folder.parent / ".random.lock")  # released: the next session may start
    with tuning_session.exclusive_session(folder):
        pass
