"""Wall time of the test suite as CI runs it (`pytest -n 2`), or of a subset, with the thread setting
the suite uses (tests/conftest.py: one TensorFlow thread per xdist worker) and, with --compare,
without it (TensorFlow's default thread pools), alternating; with --plain-feed, then with the
harness's plain array feed (KERASDL_PLAIN_FEED=1): the tf.data feed's effect on the suite. With
--from-log it reads instead the duration pytest printed at the end of a CI log (`.ci/run > ci.log`),
so the suite's row can come from the fresh-clone CI run itself rather than from a second, equally
long run (add --plain-feed to time the plain feed beside it).
Results: benchmarks/results/suite_time.json.

    python benchmarks/suite_time.py [--workers 2] [--compare] [--plain-feed] [TEST PATHS...]
    python benchmarks/suite_time.py --from-log ci.log
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from _results import write_result  # benchmarks/ is on sys.path when a script runs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def timed(paths: list[str], workers: int, threads: bool, plain_feed: bool = False) -> dict:
    env = {**os.environ, "KERASDL_PLAIN_FEED": "1" if plain_feed else "0"}
    if not threads:  # conftest only sets what is unset: a value here keeps TensorFlow's default-sized pools
        env.update(TF_NUM_INTRAOP_THREADS="0", TF_NUM_INTEROP_THREADS="0", OMP_NUM_THREADS=str(os.cpu_count()))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-n", str(workers), "-q", "-p", "no:cacheprovider",
                           *paths], cwd=ROOT, env=env, capture_output=True, text=True)
    tail = [line for line in done.stdout.splitlines() if " passed" in line or " failed" in line]
    return {"threads_per_worker": "1" if threads else "default", "feed": "plain" if plain_feed else "tf.data",
            "wall_s": time.perf_counter() - start,
            "exit": done.returncode, "summary": tail[-1] if tail else done.stdout[-300:]}


# pytest's last line: "==== 1348 passed, 3 warnings in 580.23s (0:09:40) ====" (counts vary, "failed" possible).
_SUMMARY = re.compile(r"=+ (?P<summary>.*\d+ (?:passed|failed).*?) in (?P<seconds>[\d.]+)s")


def from_log(path: Path) -> dict:
    found = [m for m in map(_SUMMARY.search, path.read_text(errors="replace").splitlines()) if m]
    if not found:
        raise SystemExit(f"suite_time: no pytest summary line in {path}; pass the log of a finished CI run")
    last = found[-1]
    return {"threads_per_worker": "1", "wall_s": float(last["seconds"]), "exit": 0 if "failed" not in last["summary"]
            else 1, "summary": f"{last['summary']} (CI log)"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--plain-feed", action="store_true", help="also time the suite with the plain array feed")
    parser.add_argument("--from-log", type=Path, help="read pytest's duration from a finished CI log instead")
    args = parser.parse_args()
    runs = [from_log(args.from_log) if args.from_log else timed(args.paths, args.workers, True)]
    if args.compare:
        runs += [timed(args.paths, args.workers, False), timed(args.paths, args.workers, True)]
    if args.plain_feed:
        runs.append(timed(args.paths, args.workers, True, plain_feed=True))
    result = {"paths": args.paths or ["(whole suite)"], "workers": args.workers, "runs": runs}
    out = write_result("suite_time.json", result)
    for run in runs:
        print(f"threads/worker {run['threads_per_worker']:7s} feed {run.get('feed', 'tf.data'):7s} "
              f"{run['wall_s']:7.1f} s  {run['summary']}")


if __name__ == "__main__":
    main()
