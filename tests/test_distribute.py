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
    import json, sys
    import numpy as np
    import tensorflow as tf
    if sys.argv[2] == "two-cpus":  # before TensorFlow initialises its devices
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from kerasdl.data.dataset import Dataset
    from kerasdl.harness import Experiment, Variant, run
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 4)).astype("float32")
    y = x @ np.array([1.0, -2.0, 0.5, 0.0], dtype="float32") + 0.1 * rng.normal(size=96).astype("float32")
    data = Dataset(name="linear", task="regression", features=x, target=y, provenance="generated in tests",
                   license="CC0", origin="generated",
                   splits={"train": np.arange(64), "val": np.arange(64, 80), "test": np.arange(80, 96)})
    found = {}
    for kind in sys.argv[3].split(","):
        experiment = Experiment(name="dist", dataset=data, distribute=None if kind == "none" else kind,
                                variants=[Variant("mlp", builder="mlp", hyperparameters={"units": [8]}, epochs=3,
                                                  batch_size=16, patience=None, fit_kwargs={"shuffle": False})])
        record = run(experiment, out=sys.argv[1], quiet=True, tensorboard=False)
        variant = record.variant("mlp")
        found[kind] = {"mse": variant["metrics"].get("mse", {}).get("mean"), "status": record.status,
                       "fold": variant["folds"][0] if variant["folds"] else None, "error": variant["error"]}
    print("RESULT " + json.dumps(found))
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


def test_multiworker_on_two_local_processes_only_the_chief_writes(tmp_path):
    ports = [free_port(), free_port()]
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    outs = [tmp_path / "chief", tmp_path / "worker"]
    processes = [_python([str(out), "one-cpu", "multiworker"],
                         env={"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})})
                 for i, out in enumerate(outs)]
    try:
        chief, worker = (_result(p) for p in processes)
    finally:
        for process in processes:
            process.kill()
    fold = chief["multiworker"]["fold"]
    assert fold["distribute"]["workers"] == 2 and fold["distribute"]["replicas"] == 2
    assert fold["distribute"]["per_replica_batch_size"] == 8.0
    assert chief["multiworker"]["status"] == worker["multiworker"]["status"] == "completed"
    assert chief["multiworker"]["mse"] == pytest.approx(worker["multiworker"]["mse"])  # one model, in step
    assert len(list((outs[0] / "dist").glob("*/run.json"))) == 1
    assert not outs[1].exists()  # the worker trained its share and wrote nothing


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
