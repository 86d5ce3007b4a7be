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

KILLABLE = TOY_DATA + '''
import os
import time
from pathlib import Path

NAME = "killable-toy"
OBJECTIVE = ("val_auc", "max")
MAX_TRIALS = 3


def build(hp, data):
    return tuning.compiled_model("mlp", data, units=hp.Choice("units", [2, 4, 8, 16, 32, 64]), depth=1)


def fit(hp, model, *args, **kwargs):
    if hasattr(model, "count_params"):  # a real trial, not the stand-in that declares fit's hyperparameters
        markers = Path(os.environ["KERASDL_TEST_MARKERS"])
        try:  # the first worker to start a trial is the one the test kills, in the middle of it
            with open(markers / "victim", "x") as handle:
                handle.write(os.environ["KERASTUNER_TUNER_ID"])
        except FileExistsError:
            pass
        # All wait for the test: the victim until it is killed; the others until the victim's trial is
        # back in the queue, or they could run out of trials and exit first. The deadline bounds a failed test.
        deadline = time.monotonic() + 200
        while not (markers / "released").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    return model.fit(*args, **kwargs)
'''


def _launch(*argv: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
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


def _wait_for(found, process: subprocess.Popen, seconds: float = TEST_TIMEOUT):
    """`found()`'s first truthy value while the launcher runs (None if it ends first or after `seconds`);
    files another process is still writing may be missing or half-written meanwhile."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            value = found()
        except (OSError, ValueError, KeyError):
            value = None
        if value:
            return value
        time.sleep(0.1)
    return None


@pytest.mark.slow
def test_three_workers_complete_exactly_max_trials_when_one_is_killed_mid_trial(tmp_path):
    """One search, three workers, three trials (one set of processes for every check: each start costs a
    TensorFlow import per process). The first worker to start a trial is killed in it (its search file
    waits for that); its trial is handed back and the two survivors complete all three, each exactly once,
    then see STOPPED and exit cleanly."""
    markers = tmp_path / "markers"
    markers.mkdir()
    path = write_search(tmp_path, KILLABLE)
    process = _launch(str(path), "--quick", "--epochs", "1", "--workers", "3", "--out", str(tmp_path), cwd=tmp_path,
                      env={"KERASDL_TEST_MARKERS": str(markers)})
    folder = tmp_path / "tuning" / "killable-toy" / "random"

    def read(name: str) -> dict:
        return json.loads((folder / name).read_text())

    victim = killed = None
    try:
        victim = _wait_for(lambda: (markers / "victim").read_text(), process)
        if victim:
            pid, killed = _wait_for(lambda: (read("workers.json")["workers"][victim]["pid"],
                                             read("oracle.json")["ongoing_trials"][victim]), process) or (None, None)
        if killed:
            os.kill(pid, signal.SIGKILL)
            # the chief marks the lost trial INVALID as it queues it for a retry; only then may the survivors go on
            _wait_for(lambda: read(f"trial_{killed}/trial.json")["status"] == "INVALID", process, seconds=60)
    finally:
        (markers / "released").touch()  # also lets a failed test end without waiting for the launcher's timeout
        output = _finish(process)
    assert killed is not None, f"no worker was seen holding a trial (victim {victim!r}):\n{output[-3000:]}"
    assert process.returncode == 0, output[-3000:]
    survivors = {"worker0", "worker1", "worker2"} - {victim}
    sidecars = _check_trials(folder, 3)  # the lost trial was completed by a survivor, and no fourth one started
    assert {s["tuner_id"] for s in sidecars} <= survivors and killed in {s["trial_id"] for s in sidecars}
    workers = read("workers.json")
    assert workers["chief"]["exit"] == 0 and workers["workers"][victim]["exit"] == -signal.SIGKILL
    assert {workers["workers"][name]["exit"] for name in survivors} == {0}
    assert any(victim in e["text"] and "SIGKILL" in e["text"] for e in workers["events"])
    assert "[chief] kerasdl: oracle listening on 127.0.0.1:" in output
    assert f"trial {killed} handed back for a retry" in output and "search completed: 3 trial(s)" in output
    record = read("search.json")
    assert record["status"] == "completed" and record["sessions"][-1]["role"] == "chief"
    assert (folder / "report.html").is_file()


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
    # one worker: it is started with the chief, so it stands for every process the launcher must stop
    process = _launch(str(path), "--strategy", "grid", "--quick", "--workers", "1", "--out", str(tmp_path),
                      cwd=tmp_path)
    output = _finish(process)
    assert process.returncode == 2, output[-3000:]
    assert output.strip().splitlines()[-1].startswith("kerasdl: error: grid search over learning_rate")
    assert "Traceback" not in output
    assert not list(tmp_path.glob("tuning/*/grid/trial_*"))
