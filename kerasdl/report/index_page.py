"""reports/index.html: the studies and searches of a reports folder, laid out like the notes.

Only `run.json` is read for each run (never predictions), so the index stays quick with thousands
of runs; kerasdl.report.index_layout groups them by the notes' topics (kerasdl.report.contents) with
each study's latest run on the index and all its runs on its history page (`_history/<study>.html`).
A damaged run is listed as "unreadable" instead of stopping the index: one damaged record must not
hide all the others.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kerasdl import runs
from kerasdl.errors import UserError

from .formatting import (
    duration,
    file_size,
    mean_std,
    metric_title,
    number,
    parse_timestamp,
    plain_value,
    timestamp,
)
from . import index_layout
from .ranking import best_variant, headline_metric, metric_mean, variants_of
from .run_files import read_run_json
from .templating import render_page, write_page

__all__ = ["collect_comparisons", "collect_runs", "collect_searches", "render_index"]

TUNING = "tuning"
COMPARE = "_compare"  # comparison pages written by `kerasdl compare`
HISTORY = "_history"  # one page per study listing all its runs (the index lists the newest few)
RECENT_ROWS = 25  # the newest runs listed at the top of the index, whatever their study


def _visible_dirs(folder: Path) -> list[Path]:
    """Sub-folders, skipping hidden ones (`.partial` runs in progress, editor and tool folders)."""
    try:
        return [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    except OSError:
        return []


def _href(*parts: str) -> str:
    """A relative link from index.html, each path segment percent-encoded."""
    return "/".join(quote(part) for part in parts)


def _run_moment(record: dict[str, Any] | None, run_dir: Path) -> datetime:
    moment = parse_timestamp((record or {}).get("started"))
    if moment is not None:
        return moment
    try:  # run ids start with the UTC start time
        return datetime.strptime(run_dir.name[:15], "%Y%m%d-%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        pass
    try:
        return datetime.fromtimestamp((run_dir / "run.json").stat().st_mtime, tz=timezone.utc)
    except OSError:
        return datetime.min.replace(tzinfo=timezone.utc)


def _first_finding(record: dict[str, Any]) -> str:
    """The answer of the record's first Finding section (what the study found), or ""."""
    for section in record.get("sections") or []:
        if isinstance(section, dict) and section.get("kind") == "finding" and isinstance(section.get("answer"), str):
            return section["answer"]
    return ""


def _run_entry(run_dir: Path) -> dict[str, Any]:
    experiment_dir = run_dir.parent.name
    report = run_dir / "report.html"
    entry: dict[str, Any] = {
        "experiment": experiment_dir, "folder": experiment_dir, "run_id": run_dir.name,
        "href": _href(experiment_dir, run_dir.name, "report.html") if report.is_file() else None,
        "local_href": _href("..", experiment_dir, run_dir.name, "report.html") if report.is_file() else None,
        "path": str(run_dir), "status": "unreadable", "title": "", "dataset": "", "best": None, "duration": "",
        "quick": False, "started": "", "problem": "", "seed": "", "notes_ref": "", "value": None, "disk": "",
        "finding": "",
    }
    try:
        record = read_run_json(run_dir / "run.json")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        entry["problem"] = f"run.json could not be read: {exc}"
    else:  # newer schema, hand-edited, missing or truncated files: listed as unreadable, never as a run
        entry["problem"] = runs.damaged(run_dir)
    if entry["problem"]:
        runs.warn_skipped(run_dir, entry["problem"])
        entry["moment"] = _run_moment(None, run_dir)
        return entry
    experiment = record.get("experiment") if isinstance(record.get("experiment"), dict) else {}
    dataset = record.get("dataset") if isinstance(record.get("dataset"), dict) else {}
    metric = headline_metric(record)
    winner = best_variant(variants_of(record), metric) if metric else None
    entry.update(
        experiment=str(experiment.get("name") or experiment_dir),
        title=str(experiment.get("title") or ""),
        notes_ref=str(experiment.get("notes_ref") or ""),
        run_id=str(record.get("run_id") or run_dir.name),
        status=str(record.get("status") or "unknown"),
        dataset=str(dataset.get("name") or ""),
        duration=duration(record.get("duration_s")),
        quick=bool(record.get("quick")),
        started=timestamp(record.get("started")),
        seed=plain_value(record.get("seed")) if record.get("seed") is not None else "",
        moment=_run_moment(record, run_dir),
        disk=file_size(record.get("disk_bytes")),
        finding=_first_finding(record),
    )
    if winner is not None and metric:
        entry["best"] = {"label": str(winner.get("label") or winner.get("name")), "metric": metric_title(metric),
                         "value": mean_std((winner.get("metrics") or {}).get(metric))}
        entry["value"] = metric_mean(winner, metric)
    return entry


def collect_runs(out: Path) -> list[dict[str, Any]]:
    """One entry per `out/<experiment>/<run-id>/run.json`, newest first."""
    entries = []
    for experiment_dir in _visible_dirs(out):
        if experiment_dir.name in (TUNING, COMPARE, HISTORY):
            continue
        for run_dir in _visible_dirs(experiment_dir):
            if (run_dir / "run.json").is_file():
                entries.append(_run_entry(run_dir))
    entries.sort(key=lambda e: (e["moment"], e["run_id"]), reverse=True)
    return entries


def _search_summary(strategy_dir: Path) -> dict[str, Any]:
    """Status, trial counts and best score of one search, from its own files (kerasdl.tuning.results)."""
    from kerasdl.tuning.results import load_search

    found = load_search(strategy_dir)
    counts = found.counts()
    best = found.best()
    return {
        "status": found.status, "trials": len(found.trials), "completed": counts.get("completed", 0),
        "failed": sum(n for status, n in counts.items() if status != "completed"),
        "best": None if best is None else {"value": number(best.score, decimals=4), "trial": best.trial_id},
        "objective": found.objective, "direction": found.direction,
    }


def collect_searches(out: Path) -> list[dict[str, Any]]:
    """One entry per `out/tuning/<search>/<strategy>/` (status, trials, best score), newest first."""
    entries = []
    for search_dir in _visible_dirs(out / TUNING):
        compare = search_dir / "compare.html"
        for strategy_dir in _visible_dirs(search_dir):
            report = strategy_dir / "report.html"
            try:
                modified = datetime.fromtimestamp(strategy_dir.stat().st_mtime, tz=timezone.utc)
            except OSError:
                modified = datetime.min.replace(tzinfo=timezone.utc)
            entries.append({
                "search": search_dir.name, "strategy": strategy_dir.name, **_search_summary(strategy_dir),
                "href": _href(TUNING, search_dir.name, strategy_dir.name, "report.html") if report.is_file() else None,
                "folder": _href(TUNING, search_dir.name, strategy_dir.name) + "/",
                "compare": _href(TUNING, search_dir.name, "compare.html") if compare.is_file() else None,
                "modified": timestamp(modified.isoformat(timespec="seconds")), "moment": modified,
            })
    entries.sort(key=lambda e: e["moment"], reverse=True)
    return entries


def collect_comparisons(out: Path) -> list[dict[str, Any]]:
    """The comparison pages `kerasdl compare` wrote under `out/compare/`, newest first, from the small
    JSON file written beside each page (its title and the runs it compares)."""
    entries = []
    for path in (out / COMPARE).glob("*.json") if (out / COMPARE).is_dir() else ():
        page = path.with_suffix(".html")
        try:
            about = json.loads(path.read_text(encoding="utf-8"))
            moment = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
        except (OSError, ValueError):
            continue  # a damaged sidecar only loses its link; the page itself is still on disk
        if not isinstance(about, dict) or not page.is_file():
            continue
        runs = [r for r in about.get("runs") or [] if isinstance(r, dict)]
        entries.append({"href": _href(COMPARE, page.name), "title": str(about.get("title") or page.stem),
                        "runs": [(str(r.get("experiment", "")), str(r.get("run_id", ""))) for r in runs],
                        "experiments": sorted({str(r.get("experiment", "")) for r in runs}),
                        "modified": timestamp(moment.isoformat(timespec="seconds")), "moment": moment})
    entries.sort(key=lambda e: e["moment"], reverse=True)
    return entries


def _history_page(out: Path, row: dict[str, Any], runs: list[dict[str, Any]],
                  comparisons: list[dict[str, Any]]) -> None:
    """`out/_history/<experiment>.html`: every run of one study, newest first (the index lists a few).
    Beside the experiment folders, not inside them: a run folder's parent holds run folders only."""
    folder = runs[0]["folder"]
    own = [c for c in comparisons if row["name"] in c["experiments"]]
    html = render_page("history.html.j2", study=row, runs=runs, comparisons=own)
    write_page(out / HISTORY / f"{folder}.html", html)


def render_index(out: str | Path) -> Path:
    """Write `out/index.html` — the studies and searches grouped like the notes' table of contents —
    and one history page per study that has runs; return the index's path."""
    out = Path(out)
    if not out.is_dir():
        raise UserError(f"no reports folder at {out}; run an experiment first or pass --out with the right folder")
    runs, searches, comparisons = collect_runs(out), collect_searches(out), collect_comparisons(out)
    studies, units, problem = index_layout.registered()
    topics = index_layout.layout(runs, searches, studies, units)
    by_experiment: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        by_experiment.setdefault(run["experiment"], []).append(run)
    for topic in topics:
        for row in topic["studies"]:
            row["comparisons"] = [c for c in comparisons if row["name"] in c["experiments"]][:3]
            if row["count"]:
                _history_page(out, row, by_experiment[row["name"]], comparisons)
    html = render_page("index.html.j2", topics=topics, recent=runs[:RECENT_ROWS], n_runs=len(runs),
                       searches=searches, comparisons=comparisons[:RECENT_ROWS], problem=problem,
                       n_studies=sum(len(t["studies"]) for t in topics),
                       n_not_run=sum(1 for t in topics for r in t["studies"] if not r["count"]))
    return write_page(out / "index.html", html)
