"""Every benchmark, then benchmarks/RESULTS.md: one table with the machine, versions and date.

Each benchmark runs in a fresh process and leaves its JSON in benchmarks/results/; this script stamps
each JSON with when it ran, how long it took and the load average before and after (these machines
are shared: a row measured under load says so), then renders the table from whatever JSONs exist.
Ratios come from one run each, sides alternated inside the benchmark.

    python benchmarks/run_all.py                  # everything (about 2-3 h on 2 idle cores, most of it the studies)
    python benchmarks/run_all.py --quick          # smaller budgets everywhere, no studies, no suite (~20 min idle)
    python benchmarks/run_all.py --only cnn,render
    python benchmarks/run_all.py --table          # just re-render RESULTS.md from the existing JSONs
    python benchmarks/run_all.py --studies-from reports   # study wall times from existing full-mode records
    python benchmarks/run_all.py --suite-log ci.log       # the suite's time from a CI log just written

Benchmarks: harness, search, cli, cnn, render, memory, mirrored, fit, suite, studies.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PY = sys.executable

#: name → (result file, full arguments, --quick arguments)
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "harness": ("harness_overhead.json", ["harness_overhead.py", "--repeat", "3", "--epochs", "100"],
                ["harness_overhead.py", "--repeat", "1", "--epochs", "100"]),
    "search": ("tuning_overhead.json", ["tuning_overhead.py", "--repeat", "4", "--worker-trials", "8"],
               ["tuning_overhead.py", "--repeat", "1", "--trials", "3", "--epochs", "5", "--worker-trials", "6"]),
    "cli": ("cli_startup.json", ["cli_startup.py"], ["cli_startup.py", "--repeat", "2"]),
    "cnn": ("cnn_flops.json", ["cnn_flops.py", "--steps", "12"], ["cnn_flops.py", "--steps", "4"]),
    "render": ("render_scaling.json", ["render_scaling.py", "--sizes", "50,500,5000"],
               ["render_scaling.py", "--sizes", "50,500", "--repeat", "1"]),
    "memory": ("memory.json", ["memory.py"], ["memory.py", "--trials", "8", "--variants", "6", "--epochs", "2"]),
    "mirrored": ("distribute_speed.json", ["distribute_speed.py"], ["distribute_speed.py", "--epochs", "2",
                                                                    "--repeat", "1"]),
    "fit": ("fit_vs_linear.json", ["fit_vs_linear.py"], ["fit_vs_linear.py", "--datasets", "iris", "wine", "--write"]),
    "suite": ("suite_time.json", ["suite_time.py", "--plain-feed"], []),
    "studies": ("study_times.json", ["study_times.py"], []),
}


def _load() -> tuple[float, float, float]:
    return tuple(round(v, 2) for v in os.getloadavg())


def run_one(name: str, quick: bool, arguments: list[str] | None = None) -> None:
    result_file, full, small = BENCHMARKS[name]
    arguments = arguments or (small if quick else full)
    if not arguments:
        print(f"-- {name}: skipped in --quick mode", flush=True)
        return
    before, start = _load(), time.perf_counter()
    print(f"-- {name}: python benchmarks/{' '.join(arguments)}  (load {before})", flush=True)
    done = subprocess.run([PY, str(HERE / arguments[0]), *arguments[1:]], cwd=HERE.parent,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    path = RESULTS / result_file
    if done.returncode != 0 or not path.is_file():
        print(f"   {name} failed (exit {done.returncode})", flush=True)
        return
    data = json.loads(path.read_text())
    data["_run"] = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "quick": quick,
                    "seconds": round(time.perf_counter() - start, 1), "load_before": before, "load_after": _load(),
                    "cores": os.cpu_count(), "cpu": _cpu()}
    path.write_text(json.dumps(data, indent=2) + "\n")


# -- the table ------------------------------------------------------------------------------------------
def _read(name: str) -> dict | None:
    path = RESULTS / BENCHMARKS[name][0]
    return json.loads(path.read_text()) if path.is_file() else None


def _per_trial(data: dict) -> str:
    """The median trial's time in each setting, with the control (one worker confined to one core), when recorded."""
    one, two = data["workers"]
    control = data.get("one_worker_one_core")
    if "trial_s_median" not in one or not control:
        return ""
    return (f"; median trial {one['trial_s_median']:.2f} s alone, {two['trial_s_median']:.2f} s beside the other "
            f"worker, {control['trial_s_median']:.2f} s alone on one core")


def _when(data: dict) -> str:
    run = data.get("_run")
    if not run:
        return "run by hand (load not recorded)"
    busy = max(run["load_before"][0], run["load_after"][0]) > 1.5 * (run.get("cores") or 1)
    # both loads shown: a long run on both cores raises the load after it by itself
    contended = f", CONTENDED (load before {run['load_before'][0]}, after {run['load_after'][0]})" if busy else ""
    return (f"{run['date']}{', quick' if run['quick'] else ''}{contended}"
            f"{', ' + run['cpu'] if run.get('cpu') else ''}")  # these machines differ about 2x in speed


def _study_when(found: dict) -> str:
    """When one study of an incremental catalog run ran, and whether the machine was busy (its own load)."""
    if "date" not in found:
        return ""
    busy = max(found["load"]) > 1.5 * (found.get("cores") or 1)
    return found["date"] + (f", CONTENDED (load {max(found['load'])})" if busy else "")


def _catalog_when(studies: dict) -> str:
    """The span of an incremental catalog run, busy if any of its studies ran on a busy machine."""
    dates = sorted(found["date"] for found in studies.values() if "date" in found)
    if not dates:
        return ""
    busy = [name for name, found in studies.items() if "CONTENDED" in _study_when(found)]
    return f"{dates[0]} – {dates[-1]}" + (f", CONTENDED during {len(busy)} studies" if busy else "")


def _cpu() -> str:
    if not Path("/proc/cpuinfo").exists():
        return platform.processor() or "?"
    return next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")), platform.processor() or "?")


def _machine() -> list[str]:
    import importlib.metadata as md

    cpu = _cpu()
    versions = []
    for package in ("tensorflow-cpu", "tensorflow", "keras", "keras-tuner", "numpy"):
        try:
            versions.append(f"{package} {md.version(package)}")
        except md.PackageNotFoundError:
            continue
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), "?") if Path("/proc/meminfo").exists() else "?"
    return [f"- Rendered on: {cpu}, {os.cpu_count()} cores, {int(memory) // 1024 if memory != '?' else '?'} MB RAM, "
            f"{platform.system()} {platform.release()}",
            f"- Python {platform.python_version()}; {', '.join(versions)}",
            f"- Table rendered {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; each row says when it was "
            "measured, whether the machine was busy (load average above 1.5× the cores) and, where recorded, on "
            "which CPU: the machines these sessions get differ about 2× in speed, so compare times within a row"]


def _rows() -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    if data := _read("harness"):
        m = data["median_s"]
        rows.append(("Harness vs bare `model.fit` (heart-disease MLP, batch 16, "
                     f"{data['epochs']} epochs)",
                     f"bare {m['bare']:.1f} s, harness {m['harness']:.1f} s → **{data['speedup_harness_over_bare']:.2f}×** "
                     f"(plain array feed: {data['speedup_plain_feed_over_bare']:.2f}×"
                     + (f"; without the per-epoch backup: {data['speedup_without_backup_over_bare']:.2f}×"
                        if "speedup_without_backup_over_bare" in data else "") + "); last val_loss "
                     + ", ".join(f"{k} {v:.4f}" for k, v in data["last_val_loss"].items()),
                     "≥ 2× faster", _when(data)))
    if data := _read("search"):
        rows.append(("Search vs bare keras-tuner (mlp-heart, random)",
                     f"kerasdl/bare wall {data['ratio_kerasdl_to_bare']:.2f}, CPU {data['ratio_cpu_kerasdl_to_bare']:.2f}",
                     "≤ 1.1 per trial", _when(data)))
        if data.get("workers") and len(data["workers"]) == 2:
            one, two = data["workers"]
            rows.append(("1 vs 2 search workers (mlp-heart, trials/min while trials ran)",
                         f"{one['trials_per_minute_trial_phase']:.1f} vs {two['trials_per_minute_trial_phase']:.1f} → "
                         f"**{data['workers_speedup_trial_phase']:.2f}×**{_per_trial(data)}", "≥ 1.7×",
                         _when(data)))
    if data := _read("cli"):
        tf_s = data["results"]["python -c 'import tensorflow'"]["median_s"]
        parts = [f"`{k}` {v['median_s']:.2f} s" for k, v in data["results"].items()]
        rows.append(("CLI start vs `import tensorflow`", "; ".join(parts) + f" (import tensorflow {tf_s:.2f} s)",
                     "≤ 0.3×", _when(data)))
    if data := _read("mirrored"):
        m = data["median_s"]
        rows.append(("MirroredStrategy (2 logical CPU devices) vs one process (digits CNN)",
                     f"single {m['single']:.1f} s, mirrored {m['mirrored']:.1f} s (×{data['ratio_mirrored_to_single']:.2f}); "
                     f"accuracy {data['accuracy']['single']:.3f} vs {data['accuracy']['mirrored']:.3f}",
                     "same metrics", _when(data)))
    if data := _read("cnn"):
        peak = data["matmul_peak_flops"] / 1e9
        for row in data["rows"]:
            if "fraction_of_peak_cpu_time" in row:
                # Per CPU-second first: on a shared machine the wall-clock share of the cores we got swings the
                # wall fraction 0.2-0.9, while FLOPs per CPU-second of our own process stay put.
                rows.append((f"CNN training FLOP/s: {row['net']}, {row['setting']} (64×64, batch {row['batch']})",
                             f"**{row['fraction_of_peak_cpu_time']:.2f}** of the fp32 matmul peak per CPU-second "
                             f"({row['achieved_flops'] / 1e9:.1f} GFLOP/s wall = {row['fraction_of_peak']:.2f} of the "
                             f"{peak:.0f} GFLOP/s wall peak; {row['seconds_per_step'] * 1e3:.0f} ms/step)",
                             "≥ 0.5 of peak", _when(data)))
            elif "fraction_of_peak" in row:
                rows.append((f"CNN training FLOP/s: {row['net']}, {row['setting']} (64×64, batch {row['batch']})",
                             f"{row['achieved_flops'] / 1e9:.1f} GFLOP/s = **{row['fraction_of_peak']:.2f}** of the "
                             f"{peak:.1f} GFLOP/s fp32 matmul peak ({row['seconds_per_step'] * 1e3:.0f} ms/step)",
                             "≥ 0.5 of peak", _when(data)))
            else:
                rows.append((f"CNN training FLOP/s: {row['net']}, {row['setting']}", row["error"], "≥ 0.5", _when(data)))
    if data := _read("render"):
        page = data["run_page"]
        cpu = f"; CPU {page['cpu_median_s']:.2f} s" if "cpu_median_s" in page else ""  # load barely moves CPU time
        figures = f"; {page['svg_figures']} SVG figures" if "svg_figures" in page else ""
        rows.append(("Run page, 10 variants × 3 folds",
                     f"{page['median_s']:.2f} s (first {page['cold_s']:.2f} s{cpu}{figures})", "< 1 s", _when(data)))
        for index in data["index"]:
            rows.append((f"Index over {index['runs']} runs", f"{index['median_s']:.2f} s",
                         "< 3 s at 500" if index["runs"] == 500 else "(growth)", _when(data)))
    if data := _read("memory"):
        s, r = data["search"], data["run"]
        rows.append((f"Memory over a {s['trials']}-trial search",
                     f"RSS {s['rss_mb_at_trial_end'][0]:.0f} → {s['rss_mb_at_trial_end'][-1]:.0f} MB, after warm-up "
                     f"{s['growth_after_first_quarter_mb']:+.0f} MB", "flat", _when(data)))
        rows.append((f"Memory over a {r['variants']}-variant run",
                     f"RSS {r['rss_mb_at_variant_end'][0]:.0f} → {r['rss_mb_at_variant_end'][-1]:.0f} MB, after warm-up "
                     f"{r['growth_after_first_quarter_mb']:+.0f} MB; process peak {data['peak_rss_mb']:.0f} MB",
                     "flat", _when(data)))
    if data := _read("fit"):
        for name, found in data["datasets"].items():
            mlp, linear = found["mlp"], found["linear"]
            gap = linear["mean"] - mlp["mean"]
            verdict = "≥" if gap <= 0 else f"below by {gap:.4f}"
            rows.append((f"`kerasdl fit mlp` vs its linear baseline: {name} ({found['metric']}, "
                         f"{data['folds']}-fold, seed {data['seed']})",
                         f"MLP {mlp['mean']:.4f} ± {mlp['sd']:.4f} vs linear {linear['mean']:.4f} ± {linear['sd']:.4f}"
                         f" ({verdict})", "MLP ≥ linear", _when(data)))
    if data := _read("suite"):
        for run in data["runs"]:
            rows.append((f"Test suite, `pytest -n {data['workers']}` {' '.join(data['paths'])}, "
                         f"TF threads/worker {run['threads_per_worker']}"
                         + (", plain array feed" if run.get("feed") == "plain" else ""),
                         f"{run['wall_s'] / 60:.1f} min ({run['summary']})", "< 12 min (CI)", _when(data)))
    if data := _read("studies"):
        plain_path = RESULTS / "study_times_plain.json"
        plain = json.loads(plain_path.read_text())["studies"] if plain_path.is_file() else {}
        rows.append(("Whole catalog, full mode", f"{data['catalog_s'] / 60:.1f} min over {len(data['studies'])} studies"
                     + (f" (missing: {', '.join(data['missing'])})" if data["missing"] else ""), "",
                     _catalog_when(data["studies"]) or _when(data)))
        if plain:
            rows.append(_feed_totals(plain, data["studies"]))
        for name, found in sorted(data["studies"].items()):
            before, beside = plain.get(name, {}).get("wall_s"), plain.get(name, {}).get("paired_tf_data")
            measured = (f"{found['wall_s']:.0f} s" if found.get("exit", 0) == 0
                        else f"failed (exit {found['exit']}) after {found['wall_s']:.0f} s")
            if found.get("headline"):  # what the run measured, so a changed number shows beside its time
                shown = [f"{variant} {value:.4g}" for variant, value in list(found["headline"].items())[:8]]
                more = len(found["headline"]) - len(shown)
                measured += f"; {found['headline_metric']}: " + ", ".join(shown) + (f", … (+{more})" if more else "")
            rows.append((f"Study `{name}`, full mode", measured
                         + _feed_effect(before, beside, found["wall_s"]),
                         "", _study_when(found) or _when(data)))
    return rows


def _feed_totals(plain: dict, catalog: dict) -> tuple[str, str, str, str]:
    """The feed's effect summed over the studies timed both ways: those run back to back (paired) apart
    from those whose tf.data side is the catalog's own run of the same day and machine."""
    paired = [(row["wall_s"], row["paired_tf_data"]["wall_s"]) for row in plain.values()
              if row.get("exit", 0) == 0 and "paired_tf_data" in row and row["paired_tf_data"].get("exit", 0) == 0]
    by_day = [(row["wall_s"], catalog[name]["wall_s"]) for name, row in plain.items()
              if row.get("exit", 0) == 0 and "paired_tf_data" not in row
              and name in catalog and catalog[name].get("exit", 0) == 0]
    parts = [f"{len(group)} studies {label}: {sum(a for a, _ in group):,.0f} s → {sum(b for _, b in group):,.0f} s "
             f"(**×{sum(a for a, _ in group) / sum(b for _, b in group):.2f}**)"
             for group, label in ((by_day, "timed the same day"), (paired, "run back to back")) if group]
    return ("tf.data feed vs plain array feed, studies' full-mode wall time", "; ".join(parts)
            + f" ({len(by_day) + len(paired)} of {len(catalog)} studies)", "reported (issue 16)",
            "see each study's row")


def _feed_effect(plain_s: float | None, beside: dict | None, catalog_s: float) -> str:
    """The tf.data feed's effect on a study: plain-feed time over tf.data time. A paired row ran both
    feeds back to back on one machine (these machines differ about 2x), else the catalog's own time,
    measured the same day on the same machine, is the tf.data side."""
    if not plain_s:
        return ""
    if beside and beside.get("exit", 0) == 0:
        return (f" (plain feed {plain_s:.0f} s vs tf.data {beside['wall_s']:.0f} s, run back to back "
                f"{beside.get('date', '')}, "
                f"×{plain_s / beside['wall_s']:.2f})")
    return f" (plain feed {plain_s:.0f} s, ×{plain_s / catalog_s:.2f})"


def render_table() -> Path:
    lines = ["# Benchmark results", "", "Regenerate: `python benchmarks/run_all.py` (or `--quick`, `--only NAME,...`, "
             "`--table`). Every number below comes from the JSON beside it in benchmarks/results/; ratios are "
             "from one run each, sides alternated.", "", *_machine(), "",
             "| What | Measured | Target | When |", "|---|---|---|---|"]
    for what, measured, target, when in _rows():
        lines.append(f"| {what} | {measured} | {target} | {when} |")
    path = HERE / "RESULTS.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", help=f"comma-separated: {','.join(BENCHMARKS)}")
    parser.add_argument("--table", action="store_true", help="only re-render RESULTS.md")
    parser.add_argument("--studies-from", type=Path, help="study wall times from the full-mode records in FOLDER")
    parser.add_argument("--suite-log", type=Path, help="the suite's time from a finished CI log (run right after it), "
                        "then the suite again with the plain feed")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    if not args.table:
        for name in names:
            if name == "studies" and args.studies_from:
                subprocess.run([PY, str(HERE / "study_times.py"), "--from", str(args.studies_from)], check=False)
                continue
            if name == "suite" and args.suite_log:
                log = str(args.suite_log.resolve())
                run_one(name, args.quick, ["suite_time.py", "--from-log", log, "--plain-feed"])
                continue
            run_one(name, args.quick)
    print(f"table: {render_table()}")


if __name__ == "__main__":
    main()
