"""kerasdl's search against bare keras-tuner on the same hypermodel and budget, and 1 vs 2 workers.

Search overhead: both sides run keras-tuner's RandomSearch over the `mlp-heart` unit's hypermodel
for the same trials (same oracle seed, so the same configurations), epochs and encoded arrays. The
bare side is what a user writes by hand (RandomSearch(...).search(x, y, validation_data=...)); the
kerasdl side is `kerasdl.tuning.search` with everything it adds per trial (best-epoch weights,
validation predictions, sidecar, progress) and per search (data preparation, space discovery,
search.json). Rounds alternate the order (bare first, then kerasdl first, ...) so machine load and a
warming process hit both alike; wall and CPU medians and per-round ratios are compared. Because the
machine may be shared, kerasdl's additions are also timed *inside the same trials* (run_trial minus
keras-tuner's build-and-fit), which other users' load cannot skew.

Workers: `kerasdl tune mlp-heart --workers K` for K = 1 and 2, wall clock (process start-up
included) and trials per minute while trials ran (first trial start to last trial end); then, as the
control, K = 1 confined to one core, which is what each of two workers gets on 2 cores.
Results go to benchmarks/results/tuning_overhead.json and are printed.

    python benchmarks/tuning_overhead.py [--trials 4] [--epochs 5] [--repeat 8] [--worker-trials 8]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from _results import write_result  # benchmarks/ is on sys.path when a script runs

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = Path(__file__).resolve().parent
UNIT = "mlp-heart"


class _Clock:
    """Wall and CPU seconds (CPU: every thread of this process, so other users' load counts far less)."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


class _Instrument:
    """Times kerasdl's run_trial and, inside it, keras-tuner's build-and-fit: the difference is kerasdl's."""

    def __init__(self) -> None:
        from kerasdl.tuning.tuner import SearchTuner

        self.run_trial_s = self.fit_s = 0.0
        original_run, original_fit = SearchTuner.run_trial, SearchTuner._build_and_fit_model
        meter = self

        def run_trial(tuner, *args, **kwargs):
            start = time.perf_counter()
            try:
                return original_run(tuner, *args, **kwargs)
            finally:
                meter.run_trial_s += time.perf_counter() - start

        def build_and_fit(tuner, *args, **kwargs):
            start = time.perf_counter()
            try:
                return original_fit(tuner, *args, **kwargs)
            finally:
                meter.fit_s += time.perf_counter() - start

        SearchTuner.run_trial, SearchTuner._build_and_fit_model = run_trial, build_and_fit


def bare_search(unit, fold, trials: int, epochs: int, seed: int, folder: Path) -> _Clock:
    """keras-tuner by hand on the unit's hypermodel and the same arrays."""
    import keras_tuner

    from kerasdl.tuning.tuner import UnitHyperModel

    with _Clock() as clock:
        tuner = keras_tuner.RandomSearch(hypermodel=UnitHyperModel(unit, fold.info),
                                         objective=keras_tuner.Objective(*unit.objective), max_trials=trials,
                                         seed=seed + 1, directory=str(folder), project_name="bare", overwrite=True)
        tuner.search(fold.x_train, fold.y_train, validation_data=(fold.x_val, fold.y_val), epochs=epochs, verbose=0)
    return clock


def kerasdl_search(unit, trials: int, epochs: int, seed: int, folder: Path) -> tuple[_Clock, float]:
    """`kerasdl.tuning.search`; returns its clock and the seconds spent outside the trials."""
    from kerasdl import tuning

    settings = tuning.SearchSettings(strategy="random", max_trials=trials, epochs=epochs, seed=seed, out=folder,
                                     overwrite=True, quiet=True)
    with _Clock() as clock:
        found = tuning.search(unit, settings)
    return clock, clock.wall - sum(t.duration_s or 0.0 for t in found.trials)


def _moment(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def workers_run(k: int, trials: int, epochs: int, folder: Path, one_core: bool = False) -> dict:
    """One `kerasdl tune --workers k` process tree, or with `one_core` confined to the first core (CPU
    affinity, inherited by the chief and the worker); wall clock and trials/minute while trials ran."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kerasdl.cli", "tune", UNIT, "--strategy", "random", "--max-trials",
                    str(trials), "--epochs", str(epochs), "--workers", str(k), "--overwrite", "--quiet",
                    "--out", str(folder), "--timeout", "1500"], check=True, capture_output=True, text=True,
                   timeout=1800, preexec_fn=(lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}))
                   if one_core else None)
    wall = time.perf_counter() - start
    sides = [json.loads(p.read_text()) for p in (folder / "tuning" / UNIT / "random").glob("trial_*/kerasdl_trial.json")]
    span = max(_moment(s["finished"]) for s in sides) - min(_moment(s["started"]) for s in sides)
    durations = [s["duration_s"] for s in sides]
    return {"workers": k, "one_core": one_core, "trials": len(sides),
            "completed": sum(s["status"] == "completed" for s in sides),
            "wall_s": wall, "trial_phase_s": span, "trials_per_minute_wall": 60 * len(sides) / wall,
            "trials_per_minute_trial_phase": 60 * len(sides) / span,
            "trial_s_median": statistics.median(durations)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=8)
    parser.add_argument("--worker-trials", type=int, default=8)
    parser.add_argument("--skip-workers", action="store_true")
    args = parser.parse_args()

    from kerasdl import tuning
    from kerasdl.tuning import session as tuning_session

    unit = tuning.load_unit(UNIT)
    dataset = tuning_session.search_dataset(unit, tuning.SearchSettings(strategy="random"))
    (fold,) = tuning_session.search_folds(dataset, 0, 0)
    load_before = os.getloadavg()
    samples: dict[str, list[float]] = {"bare": [], "kerasdl": [], "bare_cpu": [], "kerasdl_cpu": [],
                                       "kerasdl_outside_trials": []}
    workers, control = [], None
    with tempfile.TemporaryDirectory() as tmp:
        bare_search(unit, fold, 1, 1, 0, Path(tmp))  # warm-up: imports and first tracing on both sides
        kerasdl_search(unit, 1, 1, 0, Path(tmp) / "warm")
        meter = _Instrument()
        for i in range(args.repeat):
            # ABBA order: whoever runs second in a round meets a warmer (or more loaded) process
            sides = ("bare", "kerasdl") if i % 2 == 0 else ("kerasdl", "bare")
            for side in sides:
                if side == "bare":
                    clock = bare_search(unit, fold, args.trials, args.epochs, 0, Path(tmp) / f"b{i}")
                else:
                    clock, outside = kerasdl_search(unit, args.trials, args.epochs, 0, Path(tmp) / f"k{i}")
                    samples["kerasdl_outside_trials"].append(outside)
                samples[side].append(clock.wall)
                samples[f"{side}_cpu"].append(clock.cpu)
            print(f"round {i + 1} ({' then '.join(sides)}): bare {samples['bare'][-1]:.1f} s "
                  f"(CPU {samples['bare_cpu'][-1]:.1f} s), kerasdl {samples['kerasdl'][-1]:.1f} s "
                  f"(CPU {samples['kerasdl_cpu'][-1]:.1f} s)", flush=True)
        if not args.skip_workers:
            for k in (1, 2):
                workers.append(workers_run(k, args.worker_trials, args.epochs, Path(tmp) / f"w{k}"))
                print(f"{k} worker(s): {workers[-1]}", flush=True)
            # The control: a lone worker confined to one core, the share each of two workers gets. Its
            # trial time against the two workers' says whether they slow each other down (contention) or
            # whether a lone worker simply spreads onto the second core. TensorFlow's thread limits do
            # not confine a process: tf.data and the runtime keep threads of their own.
            control = workers_run(1, args.worker_trials, args.epochs, Path(tmp) / "w1c1", one_core=True)
            print(f"1 worker on 1 core: {control}", flush=True)
    medians = {key: statistics.median(v) for key, v in samples.items()}
    fit_per_trial = meter.fit_s / (args.repeat * args.trials)
    added = meter.run_trial_s - meter.fit_s  # predictions, sidecar, best-epoch weights, seeding
    result = {
        "unit": UNIT, "strategy": "random", "trials": args.trials, "epochs": args.epochs, "repeat": args.repeat,
        "rows": {"fit": len(fold.y_train), "validation": len(fold.y_val)},
        "samples_s": samples, "median_s": medians,
        "trials_per_minute": {side: 60 * args.trials / medians[side] for side in ("bare", "kerasdl")},
        "ratio_kerasdl_to_bare": medians["kerasdl"] / medians["bare"],
        "median_paired_ratio": statistics.median(k / b for k, b in zip(samples["kerasdl"], samples["bare"])),
        "ratio_cpu_kerasdl_to_bare": medians["kerasdl_cpu"] / medians["bare_cpu"],
        "instrumented": {
            "kerasdl_run_trial_s": meter.run_trial_s, "keras_tuner_build_and_fit_s": meter.fit_s,
            "added_inside_trials_s": added, "added_inside_trials_share": added / meter.fit_s,
            "outside_trials_s_per_search": medians["kerasdl_outside_trials"],
            "outside_trials_share_per_trial": medians["kerasdl_outside_trials"] / args.trials / fit_per_trial,
            "note": "kerasdl's additions timed inside the very same trials, so other users' load cancels out",
        },
        "target_per_trial_overhead": 0.10,
        "workers": workers,
        "workers_speedup_trial_phase": (workers[1]["trials_per_minute_trial_phase"] /
                                        workers[0]["trials_per_minute_trial_phase"]) if len(workers) == 2 else None,
        "one_worker_one_core": control,
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "load_average_before": load_before,
                    "load_average_after": os.getloadavg(),
                    "note": "2 CPU cores shared with other users' jobs while measuring; absolute times are noisy"},
    }
    out = write_result("tuning_overhead.json", result)
    inst = result["instrumented"]
    print(f"bare keras-tuner   median {medians['bare']:.1f} s for {args.trials} trials "
          f"({result['trials_per_minute']['bare']:.1f} trials/min)")
    print(f"kerasdl search     median {medians['kerasdl']:.1f} s ({result['trials_per_minute']['kerasdl']:.1f} trials/min)")
    print(f"ratio kerasdl/bare {result['ratio_kerasdl_to_bare']:.3f} wall (median of per-round ratios "
          f"{result['median_paired_ratio']:.3f}), {result['ratio_cpu_kerasdl_to_bare']:.3f} CPU time; target <= 1.10")
    print(f"instrumented: kerasdl adds {100 * inst['added_inside_trials_share']:.1f}% inside each trial, plus "
          f"{inst['outside_trials_s_per_search']:.2f} s per search "
          f"(= {100 * inst['outside_trials_share_per_trial']:.1f}% of a trial when spread over {args.trials} trials)")
    if result["workers_speedup_trial_phase"]:
        print(f"2 workers vs 1: {result['workers_speedup_trial_phase']:.2f}x trials/min while trials ran")
        one, two = workers[0]["trial_s_median"], workers[1]["trial_s_median"]
        print(f"median trial: 1 worker {one:.2f} s, 2 workers {two:.2f} s, "
              f"1 worker confined to 1 core {control['trial_s_median']:.2f} s")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
