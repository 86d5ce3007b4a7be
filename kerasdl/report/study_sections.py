"""Study sections: results an experiment's `analyze` hook stores in run.json under "sections"
(docs/run-record.md), turned into what run.html.j2 lays out.

A section that cannot be drawn (unknown kind, malformed data) becomes a note on the page instead of
stopping the report: the standard sections are still worth reading.
"""

from __future__ import annotations

import json
import math
from typing import Any

from . import section_figures

__all__ = ["ROW_STATUSES", "study_sections"]

ROW_STATUSES = ("ok", "erratum", "mismatch", "info")
_KINDS = ("table", "lines", "bars", "images", "boundaries", "text")


def _cell(value: Any) -> str:
    """A table cell: integers grouped by thousands from 10,000 up (parameter counts), floats to 6
    significant digits (worked examples need them)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else "n/a"
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float, str)) for v in value):
        return "[" + ", ".join(_cell(v) for v in value) + "]"
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _table(section: dict[str, Any]) -> dict[str, Any]:
    columns = [str(c) for c in section.get("columns") or []]
    statuses = section.get("row_status") or []
    rows = []
    for index, row in enumerate(section.get("rows") or []):
        cells = [_cell(v) for v in (row if isinstance(row, list) else [row])]
        status = statuses[index] if index < len(statuses) else None
        rows.append({"cells": cells, "status": status if status in ROW_STATUSES else ""})
    return {"columns": columns, "rows": rows}


def _paragraphs(body: Any) -> list[str]:
    text = str(body or "").replace("\r\n", "\n")
    return [" ".join(part.split()) for part in text.split("\n\n") if part.strip()]


def _figure(kind: str, section: dict[str, Any], key: str) -> str:
    if kind == "lines":
        return section_figures.lines_figure(section.get("series") or [], x_label=str(section.get("x_label", "")),
                                            y_label=str(section.get("y_label", "")),
                                            log_y=bool(section.get("log_y")), log_x=bool(section.get("log_x")),
                                            key=key)
    if kind == "bars":
        return section_figures.bars_figure(section.get("labels") or [], section.get("series") or [],
                                           y_label=str(section.get("y_label", "")), key=key)
    if kind == "images":
        return section_figures.images_figure(section.get("images") or [], columns=section.get("columns"), key=key)
    return section_figures.boundaries_figure(section.get("panels") or [], key=key)


def study_sections(record: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per section, in the record's order: {anchor, kind, title, caption, + what the kind needs}."""
    sections = record.get("sections")
    if not isinstance(sections, list):
        return []
    entries = []
    for position, section in enumerate(sections):
        if not isinstance(section, dict):
            continue
        kind = section.get("kind")
        entry: dict[str, Any] = {"anchor": f"study-{position + 1}", "kind": kind,
                                 "title": str(section.get("title") or f"Analysis {position + 1}"),
                                 "caption": str(section.get("caption") or "")}
        try:
            if kind == "table":
                entry.update(_table(section))
            elif kind == "text":
                entry["paragraphs"] = _paragraphs(section.get("body"))
            elif kind in _KINDS:
                entry["svg"] = _figure(kind, section, key=entry["anchor"])
            else:
                entry.update(kind="note", note=f"section kind {kind!r} is not one this report draws "
                                               f"({', '.join(_KINDS)})")
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            entry.update(kind="note", note=f"this {kind} section could not be drawn: {exc}")
        entries.append(entry)
    return entries
