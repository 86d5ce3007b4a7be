"""Resident memory across a long search and a many-variant run: does it stay flat after the first trials?

A thread samples this process's resident set size (VmRSS from /proc/self/status; psutil and memray
are not installed here) every 0.1 s while
* a 20-trial random search of the `mlp-heart` unit runs in this process (`kerasdl.tuning.search`),
  the RSS taken at each trial's end (its kerasdl_trial.json `finished` time), and
* a 10-variant run of the harness (MLPs of growing width on digits, holdout, a few epochs), the RSS
  taken at each variant's end (a callback's on_train_end).
"Growth after warm-up" is the RSS at the last trial/variant minus the RSS at the end of the first
quarter of them: Keras sessions are cleared between trials and variants, so it should be near zero.
The count of TensorFlow's registered custom gradients is taken before and after each part: every
traced train step adds one that holds its graph, which the harness and the search drop after each
fit (kerasdl/harness/fit_memory.py), so it should not grow.
Peak RSS is the process's high-water mark (resource.getrusage ru_maxrss). Results:
benchmarks/results/memory.json.

    python benchmarks/memory.py [--trials 20] [--variants 10] [--epochs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from _results import write_result  # benchmarks/ is on sys.path when a script runs

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = Path(__file__).resolve().parent


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Sampler:
    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), rss_mb()))
            self._stop.wait(0.1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def at(self, moment: float) -> float:
        before = [rss for t, rss in self.samples if t <= moment]
        return before[-1] if before else self.samples[0][1]


def _growth(points: list[float]) -> float:
    warm = points[max(0, len(points) // 4 - 1)]
    return points[-1] - warm


def custom_gradients() -> int:
    """Entries in TensorFlow's gradient registry made by tf.custom_gradient (see kerasdl/harness/fit_memory.py)."""
    from tensorflow.python.framework import ops

    return sum(1 for name in ops._gradient_registry.list() if name.startswith("CustomGradient-"))


def search_memory(trials: int, epochs: int, folder: Path) -> dict:
    from kerasdl import tuning
    from kerasdl.tuning.unit import load_unit

    unit = load_unit("mlp-heart")
    settings = tuning.SearchSettings(strategy="random", max_trials=trials, epochs=epochs, seed=0, out=folder,
                                     overwrite=True, quiet=True)
    with Sampler() as sampler:
        tuning.search(unit, settings)
    ends = sorted(datetime.fromisoformat(json.loads(p.read_text())["finished"]).timestamp()
                  for p in folder.glob("tuning/mlp-heart/random/trial_*/kerasdl_trial.json"))
    points = [sampler.at(t) for t in ends]
    return {"trials": len(points), "epochs": epochs, "rss_mb_at_trial_end": points,
            "growth_after_first_quarter_mb": _growth(points), "max_sampled_mb": max(r for _, r in sampler.samples)}


def run_memory(variants: int, epochs: int, folder: Path) -> dict:
    import keras

    from kerasdl.harness import Experiment, Variant, run

    points: list[float] = []

    class RecordRss(keras.callbacks.Callback):
        def on_train_end(self, logs=None):
            points.append(rss_mb())

    experiment = Experiment(name="memory", dataset="digits", variants=[
        Variant(f"mlp{i}", builder="mlp", hyperparameters={"units": [16 * (i + 1)]}, epochs=epochs, patience=None,
                callbacks=(RecordRss,)) for i in range(variants)])
    run(experiment, out=folder, quiet=True)
    return {"variants": len(points), "epochs": epochs, "rss_mb_at_variant_end": points,
            "growth_after_first_quarter_mb": _growth(points)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--variants", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    registered = [custom_gradients()]
    with tempfile.TemporaryDirectory() as tmp:
        search = search_memory(args.trials, args.epochs, Path(tmp) / "search")
        registered.append(custom_gradients())
        print(f"search: {search['trials']} trials, RSS {search['rss_mb_at_trial_end'][0]:.0f} → "
              f"{search['rss_mb_at_trial_end'][-1]:.0f} MB, growth after warm-up "
              f"{search['growth_after_first_quarter_mb']:+.1f} MB", flush=True)
        runs = run_memory(args.variants, args.epochs, Path(tmp) / "run")
        registered.append(custom_gradients())
        print(f"run: {runs['variants']} variants, RSS {runs['rss_mb_at_variant_end'][0]:.0f} → "
              f"{runs['rss_mb_at_variant_end'][-1]:.0f} MB, growth after warm-up "
              f"{runs['growth_after_first_quarter_mb']:+.1f} MB", flush=True)
    print(f"TensorFlow custom gradients registered: {registered[0]} before, {registered[1]} after the search, "
          f"{registered[2]} after the run", flush=True)
    result = {"search": search, "run": runs, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
              "tf_custom_gradients": dict(zip(("before", "after_search", "after_run"), registered)),
              "how": "VmRSS sampled every 0.1 s from /proc/self/status; peak from getrusage ru_maxrss"}
    out = write_result("memory.json", result)
    print(f"peak RSS {result['peak_rss_mb']:.0f} MB; written to {out}")


if __name__ == "__main__":
    main()
