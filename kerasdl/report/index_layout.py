"""The index laid out like the notes: registered studies and search units grouped by topic
(kerasdl.report.contents), each with its latest run, its history and the notes lines it mirrors.

Input is what index_page collected (one entry per run and per search, newest first) plus the
registered studies and search units (their scripts are imported, never TensorFlow). A study that
was never run still gets its row, with the command that runs it; runs of scripts that are no longer
(or never were) registered go under "Elsewhere". Only the newest HISTORY_ROWS runs of a study are
listed on the index; the rest are on the study's own history page, so the index stays short and
quick with thousands of runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from . import contents

__all__ = ["HISTORY_ROWS", "Registered", "layout", "registered", "sparkline"]

HISTORY_ROWS = 10  # runs listed per study on the index; all of them are on its history page
_SPARK_POINTS = 40  # newest runs drawn in a study's headline-over-time line


class Registered:
    """A registered study or search unit: name, title, notes reference, and the command that runs it."""

    def __init__(self, name: str, title: str, notes_ref: str, command: str) -> None:
        self.name, self.title, self.notes_ref, self.command = name, title, notes_ref, command


def registered() -> tuple[list[Registered], list[Registered], str]:
    """The registered studies and search units, and a problem text when their scripts could not be
    listed (a script that fails to import must not take the whole index down with it)."""
    from kerasdl import experiments, tuning

    from .study_sections import is_strict

    try:
        studies = [Registered(e.name, e.title, e.notes_ref, f"kerasdl run {e.name}") for e in experiments.available()]
        units = [Registered(u.name, u.title, u.notes_ref, f"kerasdl tune {u.name}") for u in tuning.available()]
    except Exception as exc:  # noqa: BLE001 - any import error of any script; strict mode re-raises
        if is_strict():
            raise
        return [], [], f"the registered studies could not be listed ({type(exc).__name__}: {exc})"
    return studies, units, ""


def sparkline(values: Sequence[float | None], quick: Sequence[bool]) -> str:
    """A tiny inline SVG of a headline over time (oldest left), filled dots for full runs, hollow for
    quick ones; "" with fewer than two values.

    Drawn by hand, not by matplotlib: the index draws one per study and must stay fast with thousands
    of runs (a matplotlib figure costs ~50 ms); a polyline and dots need nothing more. The values are
    numbers we format, so the markup holds no user text.
    """
    points = [(i, float(v), q) for i, (v, q) in enumerate(zip(values, quick))
              if v is not None and math.isfinite(float(v))]
    if len(points) < 2:
        return ""
    width, height, pad = 120, 28, 3
    low, high = min(p[1] for p in points), max(p[1] for p in points)
    span = (high - low) or 1.0
    last = max(len(values) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return pad + (width - 2 * pad) * i / last, height - pad - (height - 2 * pad) * (v - low) / span

    coordinates = [xy(i, v) for i, v, _ in points]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" class="{"quick" if q else "full"}"/>'
                   for (x, y), (_, _, q) in zip(coordinates, points))
    return (f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-label="headline over {len(points)} runs, {low:.4g} to {high:.4g}">'
            f'<polyline points="{line}"/>{dots}</svg>')


def _href(*parts: str) -> str:
    return "/".join(quote(part) for part in parts)


def _study_row(item: Registered | None, name: str, runs: list[dict[str, Any]], topic: str) -> dict[str, Any]:
    """One study's row: its latest run, how many runs, the newest few, the headline over time."""
    latest = runs[0] if runs else None
    spark_runs = list(reversed(runs[:_SPARK_POINTS]))
    folder = runs[0]["folder"] if runs else name
    return {
        "name": name, "anchor": f"study-{name}", "topic": topic,
        "title": item.title if item else (latest["title"] if latest else ""),
        "notes_ref": item.notes_ref if item else (latest["notes_ref"] if latest else ""),
        "command": item.command if item else "", "registered": item is not None,
        "latest": latest, "count": len(runs), "recent": runs[:HISTORY_ROWS],
        "older": max(len(runs) - HISTORY_ROWS, 0), "history_href": _href("_history", f"{folder}.html") if runs else None,
        "spark": sparkline([r["value"] for r in spark_runs], [r["quick"] for r in spark_runs]),
        "seeds": sorted({r["seed"] for r in runs if r["seed"] != ""}, key=lambda s: (len(s), s)),
    }


def _unit_row(item: Registered | None, name: str, searches: list[dict[str, Any]],
              retrained: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": name, "anchor": f"search-{name}", "title": item.title if item else "",
            "notes_ref": item.notes_ref if item else "", "command": item.command if item else "",
            "registered": item is not None, "searches": searches, "retrained": retrained[:HISTORY_ROWS],
            "count": len(searches)}


def layout(runs: list[dict[str, Any]], searches: list[dict[str, Any]], studies: list[Registered],
           units: list[Registered]) -> list[dict[str, Any]]:
    """The topics in the notes' order, each {key, title, summary, parts (notes lines mirrored),
    studies (rows), units (search rows), n_runs, n_run_studies}; topics with nothing registered and
    nothing run are left out."""
    by_experiment: dict[str, list[dict[str, Any]]] = {}
    for run in runs:  # newest first already
        by_experiment.setdefault(run["experiment"], []).append(run)
    unit_names = {u.name for u in units} | {s["search"] for s in searches}
    retrained = {name: by_experiment.pop(f"tune-{name}", []) for name in unit_names}

    rows: dict[str, list[dict[str, Any]]] = {}
    refs: dict[str, list[str]] = {}
    for item in studies:
        topic = contents.topic_of(item.notes_ref)
        rows.setdefault(topic, []).append(_study_row(item, item.name, by_experiment.pop(item.name, []), topic))
        refs.setdefault(topic, []).append(item.notes_ref)
    for name, group in by_experiment.items():  # runs of unregistered scripts
        rows.setdefault(contents.OTHER.key, []).append(_study_row(None, name, group, contents.OTHER.key))
        refs.setdefault(contents.OTHER.key, []).append(group[0]["notes_ref"])

    by_unit: dict[str, list[dict[str, Any]]] = {}
    for search in searches:
        by_unit.setdefault(search["search"], []).append(search)
    known = {u.name: u for u in units}
    unit_rows = [_unit_row(known.get(name), name, by_unit.get(name, []), retrained.get(name, []))
                 for name in [u.name for u in units] + sorted(set(by_unit) - set(known))]
    refs.setdefault("search", []).extend(u.notes_ref for u in units)

    topics = []
    for topic in (*contents.TOPICS, contents.OTHER):
        study_rows = rows.get(topic.key, [])
        topic_units = unit_rows if topic.key == "search" else []
        if not study_rows and not topic_units:
            continue
        topics.append({
            "key": topic.key, "title": topic.title, "summary": topic.summary,
            "parts": contents.cited_parts(refs.get(topic.key, []), topic=topic.key),
            "studies": study_rows, "units": topic_units,
            "n_runs": sum(r["count"] for r in study_rows) + sum(u["count"] for u in topic_units),
            "n_run": sum(1 for r in study_rows if r["count"]) + sum(1 for u in topic_units if u["count"]),
            "n_items": len(study_rows) + len(topic_units),
        })
    return topics
