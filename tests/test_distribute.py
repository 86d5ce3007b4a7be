"""tf.distribute in the harness (kerasdl/harness/distribute.py), on CPU: MirroredStrategy over two
logical CPU devices, and MultiWorkerMirroredStrategy over two local worker processes on loopback.

Both need TensorFlow configured before it starts (logical devices; collectives from TF_CONFIG), so
each case runs in fresh processes; kept to two tiny cases since every process starts TensorFlow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from kerasdl.errors import ConfigurationError, UserError
from kerasdl.harness import Experiment, Variant, distribute
from kerasdl.tuning.distributed import free_port

# One experiment, both cases: a deterministic regression (no shuffling, fixed data and seed).
_RUN = textwrap.dedent('''
    import json, os, sys
    import numpy as np
    import tensorflow as tf
    if sys.argv[2] == "two-cpus":  # before TensorFlow initialises its devices
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from kerasdl.data.dataset import Dataset
    from kerasdl.harness import Experiment, Variant, run
    from kerasdl.trainers import LinearStartTrainer
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 4)).astype("float32")
    y = x @ np.array([1.0, -2.0, 0.5, 0.0], dtype="float32") + 0.1 * rng.normal(size=96).astype("float32")
    data = Dataset(name="linear", task="regression", features=x, target=y, provenance="generated in tests",
                   license="CC0", origin="generated",
                   splits={"train": np.arange(64), "val": np.arange(64, 80), "test": np.arange(80, 96)})
    shared, writes = os.path.abspath(sys.argv[1]), []

    def audit(event, args):  # what this process writes into the report folder it was given
        if event == "open":
            targets = args[:1] if args[1] is None and args[2] & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) or any(
                c in (args[1] or "") for c in "wax+") else ()
        else:
            targets = {"os.mkdir": args[:1], "os.remove": args[:1], "os.rmdir": args[:1], "shutil.rmtree": args[:1],
                       "os.rename": args[:2], "shutil.copytree": args[1:2], "shutil.copyfile": args[1:2]}.get(event, ())
        writes.extend(path for path in (os.fspath(a) for a in targets if isinstance(a, (str, os.PathLike)))
                      if os.path.abspath(path).startswith(shared))

    sys.addaudithook(audit)

    def summary(variant):
        return {"mse": variant["metrics"].get("mse", {}).get("mean"), "status": variant["status"],
                "fold": variant["folds"][0] if variant["folds"] else None, "error": variant["error"]}

    found = {}
    for kind in filter(None, sys.argv[3].split(",")):
        # "started" is `kerasdl fit`'s network: started as the fitted linear model, the start one more
        # candidate of early stopping (its callback scores the validation rows inside the strategy's fit)
        experiment = Experiment(name="dist", dataset=data, distribute=None if kind == "none" else kind, variants=[
            Variant("mlp", builder="mlp", hyperparameters={"units": [8]}, epochs=3, batch_size=16, patience=None,
                    fit_kwargs={"shuffle": False}),
            Variant("started", builder="mlp", hyperparameters={"units": [8], "linear_skip": True, "l2": 0.03},
                    trainer=LinearStartTrainer(), epochs=3, batch_size=16, patience=2, fit_kwargs={"shuffle": False})])
        record = run(experiment, out=sys.argv[1], quiet=True, tensorboard=False)
        mlp, started = (summary(record.variant(name)) for name in ("mlp", "started"))
        found[kind] = {**mlp, "status": record.status, "started": started}
    print("RESULT " + json.dumps(found), flush=True)

    phase = sys.argv[4] if len(sys.argv) > 4 else ""
    if phase:  # multiworker runs of "dist" plus a second variant, which the chief dies in, then resumed
        import signal, time
        import keras
        from kerasdl.harness import distribute

        class ChiefDies(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):  # after epoch 2, before its backup: resumed after epoch 1
                if epoch == 1 and distribute.is_chief() and phase == "then-lose-the-chief":
                    os.kill(os.getpid(), signal.SIGKILL)

        experiment = Experiment(name="fault", dataset=data, distribute="multiworker", variants=[
            Variant("mlp", builder="mlp", hyperparameters={"units": [8]}, epochs=3, batch_size=16, patience=None,
                    fit_kwargs={"shuffle": False}, callbacks=(ChiefDies,)),
            Variant("later", builder="mlp", epochs=1, batch_size=16)])
        started = time.monotonic()
        try:
            record = run(experiment, out=sys.argv[1], quiet=True, tensorboard=False,
                         resume="last" if phase == "resume" else None)
            variant = record.variant("mlp")
            print("RESUMED " + json.dumps({"status": record.status, "mse": variant["metrics"]["mse"]["mean"],
                                           "fold": variant["folds"][0], "writes": writes}), flush=True)
        except distribute.PeerLost as error:
            print(f"LOST {time.monotonic() - started:.1f} {error}", flush=True)
''')


def _python(args, env=None, **kwargs):
    return subprocess.Popen([sys.executable, "-c", _RUN, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}, **kwargs)


def _result(process, timeout=240):
    output, _ = process.communicate(timeout=timeout)
    lines = [line for line in output.splitlines() if line.startswith("RESULT ")]
    assert process.returncode == 0 and lines, output[-3000:]
    return json.loads(lines[-1].removeprefix("RESULT "))


def test_mirrored_on_two_cpu_devices_matches_one_process(tmp_path):
    found = _result(_python([str(tmp_path), "two-cpus", "none,mirrored"]))
    single, mirrored = found["none"], found["mirrored"]
    assert "distribute" not in single["fold"]
    assert mirrored["fold"]["distribute"] == {"strategy": "mirrored", "class": "MirroredStrategy", "replicas": 2,
                                              "workers": 1, "global_batch_size": 16, "per_replica_batch_size": 8.0}
    assert mirrored["status"] == "completed"
    assert mirrored["mse"] == pytest.approx(single["mse"], rel=1e-3)
    _same_start(single["started"], mirrored["started"])


def _same_start(one, other):
    """The linear start and its verdict agree between two runs of the "started" variant."""
    assert one["status"] == other["status"] == "completed", (one["error"], other["error"])
    verdicts = [run["fold"]["start"]["validation"] for run in (one, other)]
    assert verdicts[0]["kept"] == verdicts[1]["kept"], verdicts
    assert verdicts[1]["start"] == pytest.approx(verdicts[0]["start"], rel=1e-4)  # the same fitted linear model
    assert other["mse"] == pytest.approx(one["mse"], rel=1e-3)


def _tf_config(ports, index):
    return json.dumps({"cluster": {"worker": [f"localhost:{port}" for port in ports]},
                       "task": {"type": "worker", "index": index}})


def test_multiworker_on_two_local_processes_only_the_chief_writes_and_a_lost_chief_stops_the_worker(tmp_path):
    """Then, in the same two processes, a second run whose chief is killed hard in the middle of its fit:
    the worker stops with a clear error naming the chief instead of waiting for it forever. Beside them, a
    worker started against a chief that is not there gives up after KERASDL_PEER_TIMEOUT_S, naming it.
    Last, both start again with `resume="last"` on the chief's (shared) folder: the worker follows the
    chief's partial run and mid-fit backup without writing there; the record equals the uninterrupted run's."""
    ports, nobody = [free_port(), free_port()], [free_port(), free_port()]
    lonely = subprocess.Popen([sys.executable, "-m", "kerasdl.cli", "run", "heart-disease", "--distribute",
                               "multiworker", "--out", str(tmp_path / "lonely")], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
                                                                      "KERASDL_PEER_TIMEOUT_S": "2",
                                                                      "TF_CONFIG": _tf_config(nobody, 1)})
    outs = [tmp_path / "chief", tmp_path / "worker"]
    every_epoch = {"KERASDL_BACKUP_INTERVAL_S": "0"}  # the chief's fit backs up epoch 1 before it dies in epoch 2
    processes = [_python([str(out), "one-cpu", "multiworker", "then-lose-the-chief"],
                         env={"TF_CONFIG": _tf_config(ports, i), **every_epoch}) for i, out in enumerate(outs)]
    again = []  # the same two started again with `--resume last` on the chief's folder, once the chief is dead
    try:
        outputs = [processes[0].communicate(timeout=240)[0]]
        partials = [(p, (p / "logs/mlp/fold0/backup").is_dir()) for p in (outs[0] / "fault").glob(".*.partial")]
        resume_ports = [free_port(), free_port()]
        again = [_python([str(outs[0]), "one-cpu", "", "resume"],  # while the first worker notices the loss
                         env={"TF_CONFIG": _tf_config(resume_ports, i), **every_epoch}) for i in range(2)]
        outputs.append(processes[1].communicate(timeout=240)[0])
        _, lonely_err = lonely.communicate(timeout=120)
        outputs_again = [p.communicate(timeout=240)[0] for p in again]
    finally:
        for process in [*processes, lonely, *again]:
            process.kill()
    chief, worker = ([json.loads(line.removeprefix("RESULT ")) for line in out.splitlines()
                      if line.startswith("RESULT ")][-1] for out in outputs)
    fold = chief["multiworker"]["fold"]
    assert fold["distribute"]["workers"] == 2 and fold["distribute"]["replicas"] == 2
    assert fold["distribute"]["per_replica_batch_size"] == 8.0
    assert chief["multiworker"]["status"] == worker["multiworker"]["status"] == "completed"
    assert chief["multiworker"]["mse"] == pytest.approx(worker["multiworker"]["mse"])  # one model, in step
    _same_start(chief["multiworker"]["started"], worker["multiworker"]["started"])
    assert len(list((outs[0] / "dist").glob("*/run.json"))) == 1
    assert not outs[1].exists()  # the worker trained its share and wrote nothing

    assert processes[0].returncode == -9, outputs[0][-3000:]  # the chief killed itself in the second run...
    [lost] = [line for line in outputs[1].splitlines() if line.startswith("LOST ")]  # ...and the worker said so
    assert processes[1].returncode == 0, outputs[1][-3000:]
    assert f"worker 0 at localhost:{ports[0]}" in lost and "this process (worker 1) stopped" in lost, lost
    [(partial, backed_up)] = partials  # what the chief left: an abandoned run, and the backup of its fit
    assert backed_up

    assert lonely.returncode == 2, lonely_err[-3000:]
    [line] = [line for line in lonely_err.splitlines() if line.startswith("kerasdl: error:")]
    assert f"no chief answered at localhost:{nobody[0]}" in line and "within 2 s" in line, line
    assert not (tmp_path / "lonely").exists()

    # Resumed on the shared folder: the worker followed the chief's partial run
    found = [[json.loads(line.removeprefix("RESUMED ")) for line in out.splitlines() if line.startswith("RESUMED ")]
             for out in outputs_again]
    assert [p.returncode for p in again] == [0, 0] and all(found), "\n=====\n".join(o[-3000:] for o in outputs_again)
    (chief_again,), (worker_again,) = found
    for resumed in (chief_again, worker_again):  # every replica went on from the chief's backup of epoch 1
        assert resumed["status"] == "completed"
        assert resumed["fold"]["resumed_from_epoch"] == 1 and resumed["fold"]["epochs_run"] == 3
        assert resumed["mse"] == pytest.approx(chief["multiworker"]["mse"], rel=1e-4)  # = the uninterrupted run
    assert [p.name for p in (outs[0] / "fault").iterdir()] == [partial.name[1:].removesuffix(".partial")]
    assert chief_again["writes"] and not worker_again["writes"]  # the worker only read the shared folder


def test_bad_strategy_names_and_missing_cluster_are_user_errors(monkeypatch):
    with pytest.raises(ConfigurationError, match="distribute"):
        Variant("x", builder="mlp", distribute="horovod")
    with pytest.raises(ConfigurationError, match="distribute"):
        Experiment(name="x", dataset=None, variants=[], distribute="ring")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert distribute.is_chief()
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["a:1", "b:2"]},
                                                "task": {"type": "worker", "index": 1}}))
    assert not distribute.is_chief()
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(UserError, match="TF_CONFIG"):
        distribute.is_chief()
