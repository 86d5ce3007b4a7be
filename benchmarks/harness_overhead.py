"""The harness against a bare default `model.fit` of the same model, data, epochs and seed.

The studies train small networks on small data, where Keras's per-step loop sets the time. Three
sides train the heart-disease study's MLP (encoded features → 16 → 8 → 1, batch 16) on the same
encoded split for the same epochs from the same seed:

* bare: what a user writes by hand — seed, build, compile, `model.fit(numpy arrays, validation_data=…)`,
  `model.evaluate`;
* harness (plain feed): `kerasdl.harness.run` feeding arrays to plain `model.fit`, as before issue 16
  (KERASDL_PLAIN_FEED=1);
* harness: `kerasdl.harness.run` as shipped — a cached, reshuffled, prefetched tf.data pipeline and
  `steps_per_execution` (kerasdl/harness/feeding.py), plus everything the harness normally does
  (callbacks incl. TensorBoard, predictions, metrics, run record, model file);
* harness without backup: the same, minus the mid-fit BackupAndRestore the harness adds to every fit
  (for `--resume`), to show what that costs per epoch (diagnosis; not a mode a user can pick).

Runs alternate so machine load hits all sides alike; ratios are of medians. The validation losses are
printed beside the times: the fast feed shuffles with tf.data instead of Keras's index permutation,
so they differ within seed noise, not more. Results: benchmarks/results/harness_overhead.json.

    python benchmarks/harness_overhead.py [--repeat 3] [--epochs 100]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from _results import write_result  # benchmarks/ is on sys.path when a script runs

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = Path(__file__).resolve().parent
DATASET = "heart-disease"
HYPER = {"units": [16, 8], "activation": "relu"}


def bare(arrays, epochs: int, batch_size: int, seed: int) -> tuple[float, float]:
    """Seed, build, compile, fit with validation data, evaluate: Keras defaults throughout."""
    import keras

    from kerasdl import models

    start = time.perf_counter()
    keras.utils.set_random_seed(seed)
    model = models.build("mlp", arrays.x_train.shape[1:], 1, output_activation="sigmoid", **HYPER)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(arrays.x_train, arrays.y_train, validation_data=(arrays.x_val, arrays.y_val),
                        epochs=epochs, batch_size=batch_size, verbose=0)
    model.evaluate(arrays.x_test, arrays.y_test, verbose=0)
    return time.perf_counter() - start, float(history.history["val_loss"][-1])


def harness(epochs: int, batch_size: int, seed: int, out: Path, *, plain: bool,
            backup: bool = True) -> tuple[float, float]:
    import keras

    from kerasdl.harness import Experiment, Variant, resume, run

    os.environ["KERASDL_PLAIN_FEED"] = "1" if plain else "0"
    keep = resume.backup_callback
    if not backup:  # diagnosis only: what the always-on mid-fit backup (BackupAndRestore per epoch) costs
        resume.backup_callback = lambda *args, **kwargs: keras.callbacks.Callback()
    experiment = Experiment(name="bench", dataset=DATASET, evaluation="holdout", variants=[
        Variant("mlp", builder="mlp", hyperparameters=HYPER, epochs=epochs, batch_size=batch_size, patience=None)])
    start = time.perf_counter()
    record = run(experiment, seed=seed, out=out, quiet=True)
    elapsed = time.perf_counter() - start
    os.environ.pop("KERASDL_PLAIN_FEED", None)
    resume.backup_callback = keep
    val_loss = _last_val_loss(record.path)
    return elapsed, val_loss


def _last_val_loss(run_dir: Path) -> float:
    import csv

    with open(run_dir / "history.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return float(rows[-1]["val_loss"])


def measure(repeat: int, epochs: int, batch_size: int) -> dict:
    from kerasdl import data
    from kerasdl.folds import make_folds
    from kerasdl.harness.fold import encode_fold

    dataset = data.load(DATASET, seed=0)
    (fold,) = make_folds(dataset, kind="holdout", seed=0)
    arrays = encode_fold(dataset, fold)
    sides = ("bare", "harness_plain_feed", "harness", "harness_without_backup")
    samples: dict[str, list[float]] = {k: [] for k in sides}
    val_loss: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        harness(1, batch_size, 0, Path(tmp) / "warm", plain=False)  # first graph tracing and imports
        bare(arrays, 1, batch_size, 0)
        for i in range(repeat):
            for side in sides:
                if side == "bare":
                    seconds, loss = bare(arrays, epochs, batch_size, 0)
                else:
                    seconds, loss = harness(epochs, batch_size, 0, Path(tmp) / f"{side}{i}",
                                            plain=side == "harness_plain_feed",
                                            backup=side != "harness_without_backup")
                samples[side].append(seconds)
                val_loss[side] = loss
    medians = {k: statistics.median(v) for k, v in samples.items()}
    return {"dataset": DATASET, "rows": dataset.n_samples, "n_train": len(fold.train),
            "features": int(arrays.x_train.shape[1]), "model": {"builder": "mlp", **HYPER}, "epochs": epochs,
            "batch_size": batch_size, "repeat": repeat, "samples_s": samples, "median_s": medians,
            "last_val_loss": val_loss,
            "speedup_harness_over_bare": medians["bare"] / medians["harness"],
            "speedup_plain_feed_over_bare": medians["bare"] / medians["harness_plain_feed"],
            "speedup_without_backup_over_bare": medians["bare"] / medians["harness_without_backup"],
            "target_speedup": 2.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    result = measure(args.repeat, args.epochs, args.batch_size)
    out = write_result("harness_overhead.json", result)
    for side, seconds in result["median_s"].items():
        print(f"{side:20s} median {seconds:6.2f} s  last val_loss {result['last_val_loss'][side]:.4f}  "
              f"{['%.2f' % s for s in result['samples_s'][side]]}")
    print(f"harness is {result['speedup_harness_over_bare']:.2f}x the speed of bare fit "
          f"(plain feed: {result['speedup_plain_feed_over_bare']:.2f}x; target >= 2); written to {out}")


if __name__ == "__main__":
    main()
