"""MirroredStrategy against one process on this machine: the same harness run, both ways.

The CPU is split into two logical devices (`tf.config.set_logical_device_configuration`, before
TensorFlow starts, so in a fresh process), and one experiment — a small CNN on digits, holdout, the
same epochs, batch and seed — runs with `distribute=None` and `distribute="mirrored"`, alternating.
On one CPU the two replicas share the same cores, so this measures what mirroring costs (variable
copies, all-reduce) rather than a speed-up; on several GPUs the replicas run on separate devices.
The test metric of both is recorded beside the time. Results: benchmarks/results/distribute_speed.json.

    python benchmarks/distribute_speed.py [--epochs 5] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

from _results import write_result  # benchmarks/ is on sys.path when a script runs

HERE = Path(__file__).resolve().parent

_CHILD = textwrap.dedent('''
    import json, sys, tempfile, time
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from kerasdl.harness import Experiment, Variant, run
    epochs, repeat = int(sys.argv[1]), int(sys.argv[2])
    samples = {"single": [], "mirrored": []}
    accuracy = {}
    with tempfile.TemporaryDirectory() as out:
        for i in range(repeat + 1):  # the first round warms up both
            for side in samples:
                experiment = Experiment(name="mirror", dataset="digits", distribute=None if side == "single" else side,
                    variants=[Variant("cnn", builder="cnn", epochs=epochs, batch_size=64, patience=None)])
                start = time.perf_counter()
                record = run(experiment, out=out, quiet=True, tensorboard=False)
                if i:
                    samples[side].append(time.perf_counter() - start)
                accuracy[side] = record.variant("cnn")["metrics"]["accuracy"]["mean"]
    print("RESULT " + json.dumps({"samples_s": samples, "accuracy": accuracy}))
''')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    done = subprocess.run([sys.executable, "-c", _CHILD, str(args.epochs), str(args.repeat)], capture_output=True,
                          text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, check=True)
    found = json.loads(next(l for l in done.stdout.splitlines() if l.startswith("RESULT ")).removeprefix("RESULT "))
    medians = {k: statistics.median(v) for k, v in found["samples_s"].items()}
    result = {"dataset": "digits", "builder": "cnn", "epochs": args.epochs, "batch_size": 64, "replicas": 2,
              "devices": "two logical CPU devices on one CPU", **found, "median_s": medians,
              "ratio_mirrored_to_single": medians["mirrored"] / medians["single"]}
    out = write_result("distribute_speed.json", result)
    print(f"single {medians['single']:.1f} s, mirrored {medians['mirrored']:.1f} s "
          f"(×{result['ratio_mirrored_to_single']:.2f}); accuracy {found['accuracy']}; written to {out}")


if __name__ == "__main__":
    main()
