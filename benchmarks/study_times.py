"""Full-mode wall time of every study, and of the whole catalog.

Either runs every study (`kerasdl run NAME --out FOLDER`, one after another, in fresh processes: the
wall clock includes starting TensorFlow; hours on 2 cores), or, with --from FOLDER, reads the
`duration_s` of the newest completed full-mode (not --quick) run of each study already in a reports
folder. With --plain-feed the runs use the harness's plain array feed (KERASDL_PLAIN_FEED=1), which
is how the speed-up of the tf.data feed on the studies is measured. Results: benchmarks/results/study_times.json
(or study_times_plain.json).

The catalog takes hours on 2 cores, more than one sitting, so running is incremental: the result file is
rewritten after every study (with the date and the load average around it, since a busy machine
stretches wall time), and --continue skips the studies it already holds, so the catalog can be measured
over several sittings. Studies whose data must be downloaded (REAL_DATA) are skipped unless cached.

    python benchmarks/study_times.py [--from reports] [--only NAME,NAME] [--plain-feed] [--out FOLDER]
    python benchmarks/study_times.py --continue --out ~/kerasdl-full-runs   # add the studies not yet timed
    python benchmarks/study_times.py --headlines-from ~/kerasdl-full-runs   # add headlines to kept rows
    python benchmarks/study_times.py --plain-feed --paired --continue     # each study in both feeds, back to back
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from _results import RESULTS, write_result  # benchmarks/ is on sys.path when a script runs

HERE = Path(__file__).resolve().parent


def studies() -> list[str]:
    """Every registered study whose data is here (a REAL_DATA study runs only where its download is cached)."""
    from kerasdl import experiments
    from kerasdl.data import registry as data

    names = []
    for study in experiments.available():
        module = experiments.load_module(study.name)
        if getattr(module, "REAL_DATA", False) and not data.spec(module.experiment().dataset).info().offline:
            print(f"{study.name:28s} skipped: its data is not cached here", flush=True)
            continue
        names.append(study.name)
    return names


def newest_record(folder: Path, name: str) -> dict | None:
    """The newest finished full-mode record of study `name` under `folder`, or None."""
    best = None
    for record_path in (folder / name).glob("*/run.json"):
        record = json.loads(record_path.read_text())
        if record.get("quick") or record.get("status") not in ("completed", "diverged"):
            continue
        if best is None or record["started"] > best["started"]:
            best = record
    return best


def headline_of(record: dict) -> dict:
    """The record's headline metric and each variant's mean of it, so the table carries what a study
    measured beside how long it took (the same seed gives the same numbers: a changed number is news)."""
    metric = record["experiment"].get("headline_metric")
    values = {}
    for variant in record["variants"]:
        found = variant.get("metrics", {}).get(metric)
        if isinstance(found, dict) and isinstance(found.get("mean"), (int, float)):
            values[variant["name"]] = round(found["mean"], 4)
    return {"headline_metric": metric, "headline": values, "run_id": record["run_id"]}


def from_reports(folder: Path, names: list[str]) -> dict[str, dict]:
    found = {}
    for name in names:
        best = newest_record(folder, name)
        if best is not None:
            found[name] = {"wall_s": best["duration_s"], "status": best["status"], "source": "record",
                           **headline_of(best)}
    return found


def run_one(name: str, out: Path, plain: bool) -> dict:
    """One study in a fresh process, its run written under `out`: wall time, exit status, date, load, headline."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **({"KERASDL_PLAIN_FEED": "1"} if plain else {})}
    load_before, start = os.getloadavg()[0], time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "kerasdl.cli", "run", name, "--out", str(out), "--quiet"],
                          env=env, capture_output=True, text=True)
    row = {"wall_s": time.perf_counter() - start, "exit": done.returncode, "source": "ran",
           "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "load": [round(load_before, 2), round(os.getloadavg()[0], 2)], "cores": os.cpu_count()}
    record = newest_record(out, name) if done.returncode == 0 else None
    row.update(headline_of(record) if record else {})
    return row


def run_all(names: list[str], out: Path, plain: bool, found: dict[str, dict], save, *,
            paired: bool = False) -> dict[str, dict]:
    """Run each study in a fresh process; `save(found)` after each, so an interrupted catalog keeps its rows.

    `paired` (with the plain feed): each study runs with the plain feed and then, at once, with the
    tf.data feed, and the row keeps both, so the feed's effect is a ratio from one machine minutes
    apart. Machines here differ about 2x in speed, so a plain-feed time is only comparable with a
    tf.data time measured beside it."""
    for name in names:
        found[name] = run_one(name, out / "plain" if paired else out, plain)
        line = f"{name:28s} {found[name]['wall_s']:8.1f} s  exit {found[name]['exit']}  load {found[name]['load']}"
        if paired and found[name]["exit"] == 0:
            beside = run_one(name, out / "tf_data", False)
            found[name]["paired_tf_data"] = {k: beside[k] for k in ("wall_s", "exit", "date", "load", "headline")
                                             if k in beside}
            line += f"  | tf.data {beside['wall_s']:8.1f} s  exit {beside['exit']}  load {beside['load']}"
        print(line, flush=True)
        save(found)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path)
    parser.add_argument("--only")
    parser.add_argument("--plain-feed", action="store_true")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--paired", action="store_true",
                        help="with --plain-feed: also run each study with the tf.data feed right after, and keep both")
    parser.add_argument("--continue", dest="resume", action="store_true",
                        help="keep the studies already in the result file and run only the others")
    parser.add_argument("--headlines-from", type=Path, metavar="FOLDER",
                        help="only add each kept row's headline from the records its run left in FOLDER")
    args = parser.parse_args()
    result_name = "study_times_plain.json" if args.plain_feed else "study_times.json"
    catalog = studies()
    names = args.only.split(",") if args.only else catalog  # --only also sets the order (shortest first, say)
    kept = {}
    if (args.resume or args.headlines_from) and (RESULTS / result_name).is_file():
        kept = json.loads((RESULTS / result_name).read_text()).get("studies", {})
    everything = sorted(set(catalog) | set(names) | set(kept))  # "missing" is counted against the whole catalog

    def save(found: dict[str, dict]) -> Path:
        ok = {name: row for name, row in found.items() if row.get("exit", 0) == 0}
        result = {"feed": "plain arrays" if args.plain_feed else "tf.data + steps_per_execution", "studies": found,
                  "catalog_s": sum(row["wall_s"] for row in ok.values()),
                  "missing": sorted(set(everything) - set(ok))}
        return write_result(result_name, result)

    if args.headlines_from:
        found = dict(kept)
        for name, row in found.items():
            record = newest_record(args.headlines_from, name)
            if record is not None and "headline" not in row:
                row.update(headline_of(record))
    elif args.source:
        found = from_reports(args.source, names)
    else:
        out = args.out or Path(tempfile.mkdtemp(prefix="kerasdl-study-times-"))
        found = run_all([n for n in names if n not in kept], out, args.plain_feed, dict(kept), save,
                        paired=args.paired and args.plain_feed)
    path = save(found)
    done = json.loads(path.read_text())
    print(f"catalog {done['catalog_s']:.0f} s over {len(found)} studies ({len(done['missing'])} of the "
          f"catalog missing or failed); written to {path}")


if __name__ == "__main__":
    main()
