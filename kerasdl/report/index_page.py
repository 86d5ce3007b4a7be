"""reports/index.html: every finished run and every search under a reports folder, newest first.

Only `run.json` is read for each run (never predictions), so the index stays quick with hundreds of
runs. A run.json that does not parse is listed as "unreadable" instead of stopping the index:
one damaged record must not hide all the others.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kerasdl.errors import UserError

from .formatting import (
    duration,
    mean_std,
    metric_title,
    number,
    parse_timestamp,
    timestamp,
)
from .ranking import best_variant, headline_metric, variants_of
from .run_files import read_run_json
from .templating import render_page, write_page

__all__ = ["collect_runs", "collect_searches", "render_index"]

TUNING = "tuning"


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


def _run_entry(run_dir: Path) -> dict[str, Any]:
    experiment_dir = run_dir.parent.name
    report = run_dir / "report.html"
    entry: dict[str, Any] = {
        "experiment": experiment_dir, "run_id": run_dir.name,
        "href": _href(experiment_dir, run_dir.name, "report.html") if report.is_file() else None,
        "status": "unreadable", "title": "", "dataset": "", "best": None, "duration": "", "quick": False,
        "started": "", "problem": "",
    }
    try:
        record = read_run_json(run_dir / "run.json")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        entry["problem"] = f"run.json could not be read: {exc}"
        entry["moment"] = _run_moment(None, run_dir)
        return entry
    experiment = record.get("experiment") if isinstance(record.get("experiment"), dict) else {}
    dataset = record.get("dataset") if isinstance(record.get("dataset"), dict) else {}
    metric = headline_metric(record)
    winner = best_variant(variants_of(record), metric) if metric else None
    entry.update(
        experiment=str(experiment.get("name") or experiment_dir),
        title=str(experiment.get("title") or ""),
        run_id=str(record.get("run_id") or run_dir.name),
        status=str(record.get("status") or "unknown"),
        dataset=str(dataset.get("name") or ""),
        duration=duration(record.get("duration_s")),
        quick=bool(record.get("quick")),
        started=timestamp(record.get("started")),
        moment=_run_moment(record, run_dir),
    )
    if winner is not None and metric:
        entry["best"] = {"label": str(winner.get("label") or winner.get("name")), "metric": metric_title(metric),
                         "value": mean_std((winner.get("metrics") or {}).get(metric))}
    return entry


def collect_runs(out: Path) -> list[dict[str, Any]]:
    """One entry per `out/<experiment>/<run-id>/run.json`, newest first."""
    entries = []
    for experiment_dir in _visible_dirs(out):
        if experiment_dir.name == TUNING:
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


def render_index(out: str | Path) -> Path:
    """Write `out/index.html` listing every run and search; return its path."""
    out = Path(out)
    if not out.is_dir():
        raise UserError(f"no reports folder at {out}; run an experiment first or pass --out with the right folder")
    html = render_page("index.html.j2", runs=collect_runs(out), searches=collect_searches(out))
    return write_page(out / "index.html", html)
