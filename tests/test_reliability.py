"""A long-running tool's life beyond the happy path: runs killed hard and resumed, SIGTERM, two processes
writing one reports folder, damaged records, a search killed hard, checkpoint pruning, and the faults
of a distributed search. Signals are real (os.kill) and crashes happen in real subprocesses.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_tuning import TOY_DATA, write_search

from kerasdl import harness, runs, user_experiment
from kerasdl.cli import main
from kerasdl.tuning import distributed as tuning_distributed

# KERASDL_BACKUP_INTERVAL_S=0: a mid-fit backup after every epoch, so a kill after epoch k resumes at k.
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1", "KERASDL_BACKUP_INTERVAL_S": "0"}
TIMEOUT = 300  # seconds: every subprocess is bounded

# A baseline and a small MLP, 2-fold CV, no shuffling: deterministic epoch by epoch, so a resumed run must
# reproduce an uninterrupted one exactly. RESUME_TOY_KILL="<fit>:<epoch>" makes the process SIGKILL itself
# at the end of that epoch of its n-th Keras fit (0: mlp/fold0, 1: mlp/fold1): a real kill -9 at a known
# point, before BackupAndRestore saves that epoch. Early stopping (patience 2, best weights restored) ends
# both folds at epoch 3, the best being epoch 1: a fit killed at epoch 3 of fold 1 stops there and restores
# epoch 1's weights only if its early stopping resumes with the wait and best weights it had.
RESUME_TOY = '''
import itertools
import os
import signal

from kerasdl.harness import Experiment, Variant

NAME = "resume-toy"
_FITS = itertools.count()


def _killer():
    import keras

    fit, epoch = (int(v) for v in os.environ.get("RESUME_TOY_KILL", "-1:-1").split(":"))
    this = next(_FITS)

    class Kill(keras.callbacks.Callback):
        def on_epoch_end(self, index, logs=None):
            if this == fit and index + 1 == epoch:
                os.kill(os.getpid(), signal.SIGKILL)

    return Kill()


def experiment():
    from sklearn.linear_model import LogisticRegression

    return Experiment(name=NAME, dataset="heart-disease", evaluation="cv", folds=2, variants=[
        Variant("lr", estimator=LogisticRegression(max_iter=500)),
        Variant("mlp", builder="mlp", hyperparameters={"units": [4]}, epochs=6, patience=2, batch_size=32,
                learning_rate=0.1, fit_kwargs={"shuffle": False}, callbacks=(_killer,)),
    ])
'''

# scikit-learn only (no TensorFlow in the process): `term` sends this process a real SIGTERM from inside
# its first fit when TERM_TOY_MARK names a file that does not exist yet.
TERM_TOY = '''
import os
import signal
from pathlib import Path

from sklearn.linear_model import LogisticRegression

from kerasdl.harness import Experiment, Variant

NAME = "term-toy"


class TermOnFirstFit(LogisticRegression):
    def fit(self, X, y, sample_weight=None):
        mark = os.environ.get("TERM_TOY_MARK")
        if mark and not Path(mark).exists():
            Path(mark).touch()
            os.kill(os.getpid(), signal.SIGTERM)
            Path(mark + ".kept-going").touch()  # a stop request must end a fit at once, not when it returns
        return super().fit(X, y, sample_weight)


def experiment():
    return Experiment(name=NAME, dataset="heart-disease", evaluation="cv", folds=2, variants=[
        Variant("plain", estimator=LogisticRegression(max_iter=500)),
        Variant("term", estimator=TermOnFirstFit(max_iter=500, C=0.5)),
    ])
'''

# A Keras fit long enough for several batches per step (steps_per_execution > 1) that sends itself a real
# SIGTERM at the end of its first epoch and notes in TERM_KERAS_EVENTS whatever it still does afterwards.
TERM_KERAS_TOY = '''
import os
import signal

from kerasdl.harness import Experiment, Variant

NAME = "term-keras-toy"


def _terminator():
    import keras

    def note(text):
        with open(os.environ["TERM_KERAS_EVENTS"], "a") as handle:
            handle.write(text + "\\n")

    class TermAfterFirstEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                note(f"steps_per_execution {self.model.steps_per_execution}")
                os.kill(os.getpid(), signal.SIGTERM)
                note("went on after the signal")

        def on_epoch_begin(self, epoch, logs=None):
            if epoch:
                note(f"epoch {epoch + 1} began")

    return TermAfterFirstEpoch()


def experiment():
    return Experiment(name=NAME, dataset="heart-disease", variants=[
        Variant("mlp", builder="mlp", hyperparameters={"units": [4]}, epochs=200, batch_size=4, patience=None,
                callbacks=(_terminator,)),
    ])
'''

# Each of two processes runs five scikit-learn runs into one folder and rebuilds the index after each.
# Both draw run ids from the same sequence, so every id is contested and only mkdir's atomicity keeps
# them apart.
RACE = '''
import itertools
import sys

from sklearn.linear_model import LogisticRegression

from kerasdl import harness, report, runs
from kerasdl.harness import Experiment, Variant

ids = (f"20990101-000000-{i:04x}" for i in itertools.count())
runs.new_run_id = lambda: next(ids)
out = sys.argv[1]
for seed in range(5):
    record = harness.run(Experiment(name="race", dataset="heart-disease", variants=[
        Variant("lr", estimator=LogisticRegression(max_iter=300))]), out=out, seed=seed, quiet=True)
    report.render_run(record.path)
    report.render_index(out)
    print(record.path.name, flush=True)
'''


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _finished(out: Path, experiment: str) -> Path:
    [run_dir] = [p for p in (out / experiment).iterdir() if p.is_dir() and not p.name.startswith(".")]
    return run_dir


# -- crashes and resume ---------------------------------------------------------------------------------
def test_a_run_killed_hard_mid_fit_resumes_to_the_record_of_an_uninterrupted_run(tmp_path, capsys):
    path = _write(tmp_path, "resume_toy.py", RESUME_TOY)
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    flags = ["--quiet", "--no-tensorboard"]
    done = subprocess.run([sys.executable, "-m", "kerasdl.cli", "run", str(path), "--out", str(killed), *flags],
                          env={**ENV, "RESUME_TOY_KILL": "1:3"}, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == -signal.SIGKILL, done.stderr[-3000:]
    [partial] = (killed / "resume-toy").glob(".*.partial")
    assert runs.list_runs(killed) == [] and runs.list_abandoned(killed) == [partial]
    # mlp/fold1 was killed after its 3rd epoch, so its backup holds the end of epoch 2
    backup = partial / "logs" / "mlp" / "fold1" / "backup" / "training_metadata.json"
    assert json.loads(backup.read_text())["epoch"] == 2

    assert main(["report", "--out", str(killed)]) == 0
    printed = capsys.readouterr().out
    assert f"abandoned: {partial}" in printed and "--resume" in printed
    assert partial.name not in (killed / "index.html").read_text(encoding="utf-8")
    assert main(["report", str(partial)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "abandoned run" in err and "--resume" in err

    experiment = user_experiment.load(path).experiment()  # in this process: no report rendering needed
    harness.run(experiment, out=killed, resume="last", quiet=True, tensorboard=False)
    harness.run(experiment, out=whole, quiet=True, tensorboard=False)
    resumed_dir, whole_dir = _finished(killed, "resume-toy"), _finished(whole, "resume-toy")
    assert resumed_dir.name == partial.name[1:].removesuffix(".partial") and not partial.exists()
    resumed, plain = runs.load_record(resumed_dir), runs.load_record(whole_dir)
    assert resumed["status"] == plain["status"] == "completed" and len(resumed["resumed"]) == 1
    for mine, theirs in zip(resumed["variants"], plain["variants"], strict=True):
        assert mine["metrics"] == theirs["metrics"] and mine["confusion_matrix"] == theirs["confusion_matrix"]
        assert [f.get("epochs_run") for f in mine["folds"]] == [f.get("epochs_run") for f in theirs["folds"]]
        assert [f.get("best_epoch") for f in mine["folds"]] == [f.get("best_epoch") for f in theirs["folds"]]
    assert [f["epochs_run"] for f in resumed["variants"][1]["folds"]] == [3, 3]  # stopped early, as uninterrupted
    assert [f["best_epoch"] for f in resumed["variants"][1]["folds"]] == [1, 1]
    assert resumed["variants"][1]["folds"][1]["resumed_from_epoch"] == 2  # inside the fit, from its backup
    history, expected = pd.read_csv(resumed_dir / "history.csv"), pd.read_csv(whole_dir / "history.csv")
    assert list(history["epoch"]) == [1, 2, 3] * 2  # continuous: the two epochs before the kill kept
    np.testing.assert_allclose(history[["loss", "val_loss"]], expected[["loss", "val_loss"]], rtol=1e-6)
    with np.load(resumed_dir / "predictions.npz") as mine, np.load(whole_dir / "predictions.npz") as theirs:
        assert sorted(mine.files) == sorted(theirs.files)
        for key in mine.files:
            np.testing.assert_allclose(mine[key], theirs[key], rtol=1e-6)
    assert not list(resumed_dir.rglob("backup"))  # Keras removes the backup when a fit ends cleanly
    assert resumed["disk_bytes"] > 0 and runs.check_run(resumed_dir) is None


def test_sigterm_ends_a_run_as_interrupted_and_resume_finishes_it(tmp_path, monkeypatch, capsys):
    path = _write(tmp_path, "term_toy.py", TERM_TOY)
    monkeypatch.setenv("TERM_TOY_MARK", str(tmp_path / "terminated-once"))
    assert main(["run", str(path), "--out", str(tmp_path), "--no-tensorboard"]) == 130
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler was put back
    run_dir = _finished(tmp_path, "term-toy")
    record = runs.load_record(run_dir)
    assert record["status"] == "interrupted" and "SIGTERM" in record["error"]
    assert [v["status"] for v in record["variants"]] == ["completed", "interrupted"]
    assert "SIGTERM: stopping" in capsys.readouterr().out
    assert not (tmp_path / "terminated-once.kept-going").exists()  # the fit ended at the signal

    assert main(["run", str(path), "--out", str(tmp_path), "--resume", str(run_dir), "--no-tensorboard"]) == 0
    again = runs.load_record(run_dir)
    assert again["status"] == "completed" and again["run_id"] == record["run_id"]
    assert again["variants"][0] == record["variants"][0]  # kept as recorded, not run again
    assert len(again["variants"][1]["folds"]) == 2 and again["variants"][1]["metrics"]["accuracy"]["n"] == 2


def test_sigterm_ends_a_keras_fit_at_once_even_with_several_batches_per_step(tmp_path, monkeypatch, capsys):
    """Not after the stopped epoch's validation, the next block of steps, the test evaluation and saving."""
    monkeypatch.delenv("KERASDL_PLAIN_FEED", raising=False)  # several batches per step come with the fast feed
    path = _write(tmp_path, "term_keras_toy.py", TERM_KERAS_TOY)
    events = tmp_path / "events.txt"
    monkeypatch.setenv("TERM_KERAS_EVENTS", str(events))
    assert main(["run", str(path), "--out", str(tmp_path), "--no-tensorboard"]) == 130
    [first, *after] = events.read_text().splitlines()
    assert int(first.split()[1]) > 1 and after == []
    record = runs.load_record(_finished(tmp_path, "term-keras-toy"))
    assert record["status"] == "interrupted" and record["variants"][0]["status"] == "interrupted"
    assert "SIGTERM: stopping" in capsys.readouterr().out


def test_resume_refuses_what_it_cannot_resume(tmp_path, capsys):
    path = _write(tmp_path, "term_toy.py", TERM_TOY)
    assert main(["run", str(path), "--out", str(tmp_path), "--resume", "last"]) == 2
    assert "no abandoned run of 'term-toy'" in capsys.readouterr().err
    assert main(["run", str(path), "--out", str(tmp_path), "--resume", str(tmp_path)]) == 2
    assert "no run.json in that folder" in capsys.readouterr().err


def test_divergence_names_the_variant_epoch_and_a_hint_and_the_report_renders(tmp_path, capsys):
    from kerasdl.harness import Experiment, Variant

    from kerasdl import harness, report

    experiment = Experiment(name="diverge", dataset="heart-disease", variants=[
        Variant("too-fast", builder="mlp", optimizer="sgd", learning_rate=1e12, epochs=3, patience=None)])
    record = harness.run(experiment, out=tmp_path, quiet=True, tensorboard=False)
    variant = record.data["variants"][0]
    assert variant["status"] == "diverged"
    assert "epoch 1" in variant["error"] and "learning rate" in variant["error"] and "clipping" in variant["error"]
    html = report.render_run(record.path).read_text(encoding="utf-8")
    assert "too-fast" in html and "learning rate" in html


# -- concurrency and damaged files ----------------------------------------------------------------------
def test_two_processes_writing_runs_into_one_folder_lose_nothing(tmp_path):
    script = _write(tmp_path, "race.py", RACE)
    out = tmp_path / "reports"
    out.mkdir()
    racers = [subprocess.Popen([sys.executable, str(script), str(out)], env=ENV, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [racer.communicate(timeout=TIMEOUT) for racer in racers]
    assert [r.returncode for r in racers] == [0, 0], [e[-2000:] for _, e in results]
    names = [line for stdout, _ in results for line in stdout.split()]
    assert len(names) == len(set(names)) == 10  # unique ids although both drew from one sequence
    assert sorted(p.name for p in runs.list_runs(out)) == sorted(names)
    assert not list(out.rglob("*.partial")) and not list(out.rglob(".*.tmp"))
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(name in index for name in names)  # the last index written lists every finished run


def test_locks_without_fcntl_go_through_portalocker_with_the_same_behaviour(tmp_path, monkeypatch):
    """Windows has no fcntl: with it gone, every lock kerasdl takes still excludes, waits and releases."""
    import portalocker

    from kerasdl import locks

    monkeypatch.setattr(locks, "fcntl", None)
    calls = []
    monkeypatch.setattr(portalocker, "lock", lambda *a, _lock=portalocker.lock: (calls.append(a), _lock(*a))[1])
    path = tmp_path / "folder.lock"
    assert not locks.is_locked(path)
    held = locks.HeldLock(path)
    assert locks.is_locked(path)  # another open file description (as another process would) is refused
    with pytest.raises(BlockingIOError):
        locks.HeldLock(path)
    got = threading.Event()

    def wait_for_it() -> None:
        with locks.exclusive(path):
            got.set()

    waiter = threading.Thread(target=wait_for_it, daemon=True)
    waiter.start()
    assert not got.wait(0.3)  # `exclusive` waits while the lock is held...
    held.release()
    assert got.wait(10)  # ...and takes it once released
    waiter.join(10)
    again = locks.HeldLock(path)
    again.release(remove=True)
    assert not path.exists() and not locks.is_locked(path) and len(calls) >= 5


def _damage(run_dir: Path, how: str) -> str:
    record = json.loads((run_dir / "run.json").read_text())
    if how == "truncated run.json":
        (run_dir / "run.json").write_text((run_dir / "run.json").read_text()[:200])
        return "run.json"
    if how == "hand-edited run.json":
        record["variants"] = "none"
    elif how == "newer schema":
        record["schema_version"] = runs.SCHEMA_VERSION + 1
    elif how == "missing predictions.npz":
        (run_dir / "predictions.npz").unlink()
        return "predictions.npz"
    elif how == "missing history.csv":
        (run_dir / "history.csv").unlink()
        return "history.csv"
    elif how == "truncated predictions.npz":
        data = (run_dir / "predictions.npz").read_bytes()
        (run_dir / "predictions.npz").write_bytes(data[: len(data) // 2])
        return "predictions.npz"
    (run_dir / "run.json").write_text(json.dumps(record))
    return "run.json"


DAMAGES = ("truncated run.json", "hand-edited run.json", "newer schema", "missing predictions.npz",
           "missing history.csv", "truncated predictions.npz")


def test_damaged_records_are_skipped_by_the_index_and_refused_by_report(tmp_path, capsys):
    from sklearn.linear_model import LogisticRegression

    from kerasdl import harness, report
    from kerasdl.harness import Experiment, Variant

    out = tmp_path / "reports"
    sound = harness.run(Experiment(name="sound", dataset="heart-disease", variants=[
        Variant("lr", estimator=LogisticRegression(max_iter=300))]), out=out, quiet=True).path
    report.render_run(sound)
    damaged = {}
    for number, how in enumerate(DAMAGES):
        copy = out / "sound" / f"20200101-00000{number}-dead"
        shutil.copytree(sound, copy)
        damaged[how] = (copy, _damage(copy, how))
    capsys.readouterr()
    html = report.render_index(out).read_text(encoding="utf-8")
    warnings = capsys.readouterr().err.strip().splitlines()
    assert len(warnings) == len(DAMAGES)
    for how, (copy, file) in damaged.items():
        line = next(w for w in warnings if str(copy) in w)
        assert line.startswith("kerasdl: warning: skipped") and file in line, (how, line)
        assert main(["report", str(copy)]) == 2, how
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and file in err and "Traceback" not in err, (how, err)
    assert "newer than this kerasdl understands" in runs.check_run(damaged["newer schema"][0])
    assert f'{sound.name}/report.html' in html and html.count("badge unreadable") >= len(DAMAGES)
    assert main(["report", "--out", str(out)]) == 0  # every sound run rendered, every damaged one skipped
    assert capsys.readouterr().err.count("kerasdl: warning: skipped") >= len(DAMAGES)


def test_safe_loading_everywhere_in_the_package():
    """Arrays never unpickle; models never load with safe_mode off; nothing else deserialises code."""
    import re

    package = Path(__file__).resolve().parents[1] / "kerasdl"
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for call in re.findall(r"np\.load\([^)]*\)", text):
            assert "allow_pickle=False" in call, (path, call)
        for call in re.findall(r"load_model\([^)]*\)", text):
            assert "safe_mode=True" in call, (path, call)
        assert not re.search(r"\b(pickle|dill|cloudpickle|joblib|torch)\.loads?\(", text), path
        assert "safe_mode=False" not in text and "allow_pickle=True" not in text, path


# -- searches -------------------------------------------------------------------------------------------
SLOW_TOY = TOY_DATA + '''
import time

NAME = "slow-toy"
OBJECTIVE = ("val_auc", "max")
MAX_TRIALS = 2


def build(hp, data):
    return tuning.compiled_model("mlp", data, units=hp.Choice("units", [2, 4, 8, 16]), depth=1)


def fit(hp, model, *args, **kwargs):
    import os
    import signal
    from pathlib import Path

    mark = os.environ.get("SLOW_TOY_TERM_MARK")  # a real SIGTERM from inside the first trial, once
    training = args and args[0] is not None  # not the space's discovery, which passes no data
    if mark and training and not Path(mark).exists():
        Path(mark).touch()
        os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(float(os.environ.get("SLOW_TOY_SLEEP", "0")))
    return model.fit(*args, **kwargs)
'''


def test_sigterm_ends_a_search_as_interrupted(tmp_path, monkeypatch, capsys):
    path = write_search(tmp_path, SLOW_TOY)
    monkeypatch.setenv("SLOW_TOY_TERM_MARK", str(tmp_path / "terminated-once"))
    assert main(["tune", str(path), "--quick", "--epochs", "1", "--max-trials", "1", "--out", str(tmp_path)]) == 130
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    record = json.loads((tmp_path / "tuning" / "slow-toy" / "random" / "search.json").read_text())
    assert record["status"] == "interrupted" and record["sessions"][-1]["status"] == "interrupted"
    assert "running the same command again continues the search" in capsys.readouterr().err


def test_a_search_killed_hard_continues_where_it_stopped_and_prunes_checkpoints(tmp_path, capsys):
    path = write_search(tmp_path, SLOW_TOY)
    folder = tmp_path / "tuning" / "slow-toy" / "random"
    argv = ["tune", str(path), "--quick", "--epochs", "1", "--out", str(tmp_path), "--quiet"]
    process = subprocess.Popen([sys.executable, "-m", "kerasdl.cli", *argv], env={**ENV, "SLOW_TOY_SLEEP": "2"},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + TIMEOUT
    first = None
    try:
        while first is None and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
            for state in folder.glob("trial_*/trial.json"):
                try:
                    if json.loads(state.read_text())["status"] == "COMPLETED":
                        first = state
                except (OSError, ValueError):
                    continue
        process.kill()
    finally:
        output = process.communicate(timeout=60)[0]
    assert first is not None, output[-3000:]
    before = first.read_text()
    assert json.loads((folder / "search.json").read_text())["status"] == "running"

    assert main([*argv, "--keep-checkpoints", "1"]) == 0
    capsys.readouterr()
    states = [json.loads(p.read_text()) for p in sorted(folder.glob("trial_*/trial.json"))]
    assert len(states) == 2 and {s["status"] for s in states} == {"COMPLETED"}
    assert first.read_text() == before  # the finished trial was kept, not run again
    record = json.loads((folder / "search.json").read_text())
    assert [s["status"] for s in record["sessions"]] == ["killed", "completed"]
    assert record["disk_bytes"] > 0 and len(record["pruned_checkpoints"]) == 1
    assert len(list(folder.glob("trial_*/checkpoint*"))) == 1


def test_a_worker_without_a_chief_fails_fast_naming_the_address(tmp_path, monkeypatch, capsys):
    for name in ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT"):
        monkeypatch.delenv(name, raising=False)
    port = tuning_distributed.free_port()
    started = time.monotonic()
    code = main(["tune", "mlp-heart", "--quick", "--role", "worker", "--oracle", f"127.0.0.1:{port}",
                 "--oracle-timeout", "1", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and f"127.0.0.1:{port}" in err and "no chief" in err
    assert time.monotonic() - started < 30
    assert not (tmp_path / "tuning").exists()


def test_every_call_a_worker_makes_to_the_chief_has_a_short_deadline():
    """The fast form of the test below: keras-tuner's own client waits an hour for a dead chief."""
    import keras_tuner
    from keras_tuner.src import protos
    from keras_tuner.src.distribute.oracle_client import OracleClient

    from kerasdl.tuning import _keras_tuner_private as private

    port = tuning_distributed.free_port()  # nobody listens there
    os.environ.update(KERASTUNER_ORACLE_IP="127.0.0.1", KERASTUNER_ORACLE_PORT=str(port), KERASTUNER_TUNER_ID="w")
    try:
        tuner = type("Tuner", (), {"oracle": OracleClient(oracle=None)})()
    finally:
        for name in ("KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT", "KERASTUNER_TUNER_ID"):
            os.environ.pop(name)
    private.bound_client_calls(tuner, 0.5)
    started = time.monotonic()
    with pytest.raises(keras_tuner.errors.FatalError, match=private.CHIEF_UNREACHABLE):
        tuner.oracle.stub.GetTrial(protos.get_service().GetTrialRequest(trial_id="0"), wait_for_ready=True,
                                   timeout=3600)
    assert time.monotonic() - started < 10


@pytest.mark.slow
def test_a_worker_whose_chief_is_killed_stops_with_a_clear_message(tmp_path, monkeypatch, capsys):
    for name in ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT"):
        monkeypatch.setenv(name, "unset")  # the worker sets them; monkeypatch puts the old values back
        monkeypatch.delenv(name)
    monkeypatch.setenv("SLOW_TOY_SLEEP", "2")
    path = write_search(tmp_path, SLOW_TOY)
    port = tuning_distributed.free_port()
    common = ["tune", str(path), "--quick", "--epochs", "1", "--out", str(tmp_path), "--oracle", f"127.0.0.1:{port}"]
    chief = subprocess.Popen([sys.executable, "-m", "kerasdl.cli", *common, "--role", "chief"], env=ENV,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in chief.stdout:  # the worker starts once the chief listens: its 5 s deadline is for answers
        if line.startswith(tuning_distributed.READY):
            break
    folder = tmp_path / "tuning" / "slow-toy" / "random"
    killed_at: list[float] = []

    def kill_chief_once_a_trial_runs() -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and chief.poll() is None:
            if list(folder.glob("trial_*/trial.json")):
                chief.kill()
                killed_at.append(time.monotonic())
                return
            time.sleep(0.2)

    watcher = threading.Thread(target=kill_chief_once_a_trial_runs, daemon=True)
    watcher.start()
    try:
        code = main([*common, "--role", "worker", "--tuner-id", "w1", "--oracle-timeout", "5"])
    finally:
        chief.kill()
        output = chief.communicate(timeout=60)[0]
        watcher.join(10)
    err = capsys.readouterr().err.strip()
    assert killed_at, output[-3000:]
    assert code == 2 and f"the chief at 127.0.0.1:{port} stopped answering" in err, err[-2000:]
    assert len(err.splitlines()) == 1 and time.monotonic() - killed_at[0] < 60
