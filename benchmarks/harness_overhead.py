"""The harness's cost over a bare `model.fit` + `model.evaluate` of the same model, data and seed.

Both sides train the same MLP on the same preprocessed digits split for the same number of epochs
from the same seed. The harness side is `kerasdl.harness.run` with everything it normally does
(callbacks incl. TensorBoard, predictions, metrics, run record, model file). Runs alternate
bare/harness so machine load hits both alike; the ratio is of medians of the repetitions.
Results go to benchmarks/results/harness_overhead.json and are printed.

    python benchmarks/harness_overhead.py [--repeat 5] [--epochs 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = Path(__file__).resolve().parent
HYPER = {"units": [128, 64]}


def bare(dataset, fold, epochs: int, batch_size: int, seed: int) -> float:
    """What a user writes by hand: seed, build, compile, fit with validation data, evaluate."""
    import keras

    from kerasdl import models

    start = time.perf_counter()
    x_train, y_train = dataset.rows(fold.train)
    x_val, y_val = dataset.rows(fold.val)
    x_test, y_test = dataset.rows(fold.test)
    keras.utils.set_random_seed(seed)
    model = models.build("mlp", x_train.shape[1:], dataset.n_classes, **HYPER)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=batch_size,
              verbose=0)
    model.evaluate(x_test, y_test, verbose=0)
    return time.perf_counter() - start


def harness(epochs: int, batch_size: int, seed: int, out: Path) -> float:
    from kerasdl.harness import Experiment, Variant, run

    experiment = Experiment(name="bench", dataset="digits", evaluation="holdout", variants=[
        Variant("mlp", builder="mlp", hyperparameters=HYPER, epochs=epochs, batch_size=batch_size,
                patience=None)])
    start = time.perf_counter()
    run(experiment, seed=seed, out=out, quiet=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    from kerasdl import data
    from kerasdl.folds import make_folds

    dataset = data.load("digits", seed=0)
    (fold,) = make_folds(dataset, kind="holdout", seed=0)
    samples: dict[str, list[float]] = {"bare": [], "harness": []}
    with tempfile.TemporaryDirectory() as tmp:
        harness(1, args.batch_size, 0, Path(tmp))  # warm-up: first graph tracing and imports
        bare(dataset, fold, 1, args.batch_size, 0)
        for i in range(args.repeat):
            samples["bare"].append(bare(dataset, fold, args.epochs, args.batch_size, 0))
            samples["harness"].append(harness(args.epochs, args.batch_size, 0, Path(tmp) / str(i)))
    medians = {k: statistics.median(v) for k, v in samples.items()}
    ratio = medians["harness"] / medians["bare"]
    result = {"dataset": "digits", "rows": dataset.n_samples, "model": {"builder": "mlp", **HYPER},
              "epochs": args.epochs, "batch_size": args.batch_size, "repeat": args.repeat,
              "samples_s": samples, "median_s": medians, "ratio_harness_to_bare": ratio, "target_ratio": 1.05}
    out = HERE / "results" / "harness_overhead.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"bare fit+evaluate  median {medians['bare']:.2f} s  {['%.2f' % s for s in samples['bare']]}")
    print(f"kerasdl harness    median {medians['harness']:.2f} s  {['%.2f' % s for s in samples['harness']]}")
    print(f"ratio harness/bare {ratio:.3f} (target <= 1.05); written to {out}")


if __name__ == "__main__":
    main()
