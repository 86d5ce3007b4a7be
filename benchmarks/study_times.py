"""Full-mode wall time of every study, and of the whole catalog.

Either runs every study (`kerasdl run NAME --out FOLDER`, one after another, in fresh processes: the
wall clock includes starting TensorFlow; hours on 2 cores), or, with --from FOLDER, reads the
`duration_s` of the newest completed full-mode (not --quick) run of each study already in a reports
folder. With --plain-feed the runs use the harness's plain array feed (KERASDL_PLAIN_FEED=1), which
is how the speed-up of the tf.data feed on the studies is measured. Results: benchmarks/results/study_times.json
(or study_times_plain.json).

    python benchmarks/study_times.py [--from reports] [--only NAME,NAME] [--plain-feed] [--out FOLDER]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _results import write_result  # benchmarks/ is on sys.path when a script runs

HERE = Path(__file__).resolve().parent


def studies() -> list[str]:
    from kerasdl import experiments

    return [study.name for study in experiments.available()]


def from_reports(folder: Path, names: list[str]) -> dict[str, dict]:
    found = {}
    for name in names:
        best = None
        for record_path in (folder / name).glob("*/run.json"):
            record = json.loads(record_path.read_text())
            if record.get("quick") or record.get("status") not in ("completed", "diverged"):
                continue
            if best is None or record["started"] > best["started"]:
                best = record
        if best is not None:
            found[name] = {"wall_s": best["duration_s"], "status": best["status"], "run_id": best["run_id"],
                           "source": "record"}
    return found


def run_all(names: list[str], out: Path, plain: bool) -> dict[str, dict]:
    found = {}
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **({"KERASDL_PLAIN_FEED": "1"} if plain else {})}
    for name in names:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "kerasdl.cli", "run", name, "--out", str(out), "--quiet"],
                              env=env, capture_output=True, text=True)
        found[name] = {"wall_s": time.perf_counter() - start, "exit": done.returncode, "source": "ran"}
        print(f"{name:28s} {found[name]['wall_s']:8.1f} s  exit {done.returncode}", flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path)
    parser.add_argument("--only")
    parser.add_argument("--plain-feed", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    names = args.only.split(",") if args.only else studies()
    if args.source:
        found = from_reports(args.source, names)
    else:
        out = args.out or Path(tempfile.mkdtemp(prefix="kerasdl-study-times-"))
        found = run_all(names, out, args.plain_feed)
    result = {"feed": "plain arrays" if args.plain_feed else "tf.data + steps_per_execution", "studies": found,
              "catalog_s": sum(v["wall_s"] for v in found.values()), "missing": sorted(set(names) - set(found))}
    path = write_result(("study_times_plain.json" if args.plain_feed else "study_times.json"), result)
    print(f"catalog {result['catalog_s']:.0f} s over {len(found)} studies; written to {path}")


if __name__ == "__main__":
    main()
