"""keras-tuner's chief/worker mode on loopback: exact trial counts, no duplicates, every trial file,
a worker killed mid-search, a port already in use. Every process is bounded twice: the launcher's
--timeout stops the chief and workers, and the test's subprocess timeout stops the launcher.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_tuning import TOY_DATA, write_search

from kerasdl.tuning import distributed as tuning_distributed
from kerasdl.cli import main
from kerasdl.errors import UserError

LAUNCHER_TIMEOUT = 240   # seconds: the launcher stops every process after this
TEST_TIMEOUT = 300       # seconds: and the test stops the launcher after this

SLOW_TRIALS = TOY_DATA + '''
import time

NAME = "slow-toy"
OBJECTIVE = ("val_auc", "max")
MAX_TRIALS = 4


def build(hp, data):
    return tuning.compiled_model("mlp", data, units=hp.Choice("units", [2, 4, 8, 16, 32, 64]), depth=1)


def fit(hp, model, *args, **kwargs):
    time.sleep(4)  # long enough trials that a worker can be stopped in the middle of one
    return model.fit(*args, **kwargs)
'''


def _launch(*argv: str, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.Popen([sys.executable, "-m", "kerasdl.cli", "tune", *argv, "--timeout", str(LAUNCHER_TIMEOUT)],
                            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(process: subprocess.Popen) -> str:
    try:
        output, _ = process.communicate(timeout=TEST_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"the distributed search did not end within {TEST_TIMEOUT} s:\n{output[-3000:]}")
    return output


def _check_trials(folder: Path, expected: int) -> list[dict]:
    states = [json.loads(p.read_text()) for p in sorted(folder.glob("trial_*/trial.json"))]
    assert len(states) == expected
    assert {s["status"] for s in states} == {"COMPLETED"}
    values = [json.dumps(s["hyperparameters"]["values"], sort_keys=True) for s in states]
    assert len(set(values)) == expected, values  # no configuration ran twice
    for trial_dir in sorted(folder.glob("trial_*")):
        for name in ("trial.json", "kerasdl_trial.json", "val_predictions.npz", "checkpoint.weights.h5"):
            assert (trial_dir / name).is_file(), f"{trial_dir.name}/{name} missing"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("trial_*/kerasdl_trial.json"))]


def test_two_workers_complete_exactly_max_trials(tmp_path):
    process = _launch("mlp-heart", "--strategy", "random", "--quick", "--epochs", "1", "--max-trials", "4",
                      "--workers", "2", "--out", str(tmp_path), cwd=tmp_path)
    output = _finish(process)
    assert process.returncode == 0, output[-3000:]
    folder = tmp_path / "tuning" / "mlp-heart" / "random"
    sidecars = _check_trials(folder, 4)
    assert {s["tuner_id"] for s in sidecars} <= {"worker0", "worker1"}
    workers = json.loads((folder / "workers.json").read_text())
    assert workers["chief"]["exit"] == 0 and {w["exit"] for w in workers["workers"].values()} == {0}
    assert "[chief] kerasdl: oracle listening on 127.0.0.1:" in output and "search completed: 4 trial(s)" in output
    record = json.loads((folder / "search.json").read_text())
    assert record["status"] == "completed" and record["sessions"][-1]["role"] == "chief"
    assert (folder / "report.html").is_file()


@pytest.mark.slow
def test_killing_a_worker_mid_search_lets_the_other_finish(tmp_path):
    path = write_search(tmp_path, SLOW_TRIALS)
    process = _launch(str(path), "--quick", "--epochs", "1", "--workers", "2", "--out", str(tmp_path), cwd=tmp_path)
    folder = tmp_path / "tuning" / "slow-toy" / "random"
    deadline = time.monotonic() + TEST_TIMEOUT
    killed = None
    try:
        while killed is None and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.5)
            try:
                ongoing = json.loads((folder / "oracle.json").read_text())["ongoing_trials"]
                pids = json.loads((folder / "workers.json").read_text())["workers"]
            except (OSError, ValueError, KeyError):
                continue
            if "worker0" in ongoing:
                os.kill(pids["worker0"]["pid"], signal.SIGKILL)
                killed = ongoing["worker0"]
    finally:
        output = _finish(process)
    assert killed is not None, f"worker0 never held a trial:\n{output[-3000:]}"
    assert process.returncode == 0, output[-3000:]
    sidecars = _check_trials(folder, 4)  # the lost trial was handed back and completed by worker1
    assert next(s for s in sidecars if s["trial_id"] == killed)["tuner_id"] == "worker1"
    workers = json.loads((folder / "workers.json").read_text())
    assert workers["workers"]["worker0"]["exit"] == -signal.SIGKILL and workers["workers"]["worker1"]["exit"] == 0
    assert any("worker0" in e["text"] and "SIGKILL" in e["text"] for e in workers["events"])
    assert f"trial {killed} handed back for a retry" in output


def test_a_port_already_in_use_is_a_clear_error(tmp_path, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(UserError, match=f"port {port} on 127.0.0.1 is already in use"):
            tuning_distributed.check_port("127.0.0.1", port)
        for argv in (["--workers", "2", "--port", str(port)], ["--role", "chief", "--oracle", f"127.0.0.1:{port}"]):
            code = main(["tune", "mlp-heart", "--quick", "--out", str(tmp_path), *argv])
            err = capsys.readouterr().err
            assert code == 2 and "already in use" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "tuning").exists()  # refused before anything was written


def test_bad_oracle_addresses_and_roles(capsys):
    assert main(["tune", "mlp-heart", "--role", "worker", "--oracle", "localhost"]) == 2
    assert "HOST:PORT" in capsys.readouterr().err
    assert main(["tune", "mlp-heart", "--oracle", "127.0.0.1:9"]) == 2
    assert "needs --role" in capsys.readouterr().err


@pytest.mark.slow
def test_a_search_the_chief_refuses_stops_every_process_with_one_line(tmp_path):
    from test_tuning import CONTINUOUS

    path = write_search(tmp_path, CONTINUOUS)
    process = _launch(str(path), "--strategy", "grid", "--quick", "--workers", "2", "--out", str(tmp_path),
                      cwd=tmp_path)
    output = _finish(process)
    assert process.returncode == 2, output[-3000:]
    assert output.strip().splitlines()[-1].startswith("kerasdl: error: grid search over learning_rate")
    assert "Traceback" not in output
    assert not list(tmp_path.glob("tuning/*/grid/trial_*"))
