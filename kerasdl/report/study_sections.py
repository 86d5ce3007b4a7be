"""Study sections: results an experiment's `analyze` hook stores in run.json under "sections"
(docs/run-record.md), turned into what run.html.j2 lays out.

A section is first checked by building its typed section (kerasdl.report.sections). One that does
not fit its kind (unknown kind, malformed data: a record is data, possibly written by an older or a
user's script) becomes a note on the page instead of stopping the report: the standard sections are
still worth reading. A well-formed section that raises while it is drawn is our bug: by default it
is a note too, but in strict mode (`set_strict(True)` or KERASDL_STRICT_REPORTS=1, which the test
suite sets) it raises, so a test cannot pass over a report that silently lost a figure.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

from . import section_figures
from .sections import KINDS as _KINDS
from .sections import ROW_STATUSES, SectionError, from_record

__all__ = ["ROW_STATUSES", "is_strict", "set_strict", "study_sections"]

_strict: bool | None = None  # None: follow the KERASDL_STRICT_REPORTS environment variable


def set_strict(flag: bool | None) -> None:
    """Raise (True) or note on the page (False) when a well-formed section fails to draw; None goes
    back to the KERASDL_STRICT_REPORTS environment variable ("1" = strict; default off)."""
    global _strict
    _strict = flag


def is_strict() -> bool:
    return _strict if _strict is not None else os.environ.get("KERASDL_STRICT_REPORTS") == "1"


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
    if kind == "heatmap":
        return section_figures.heatmap_figure(section["panels"], x_label=section["x_label"],
                                              y_label=section["y_label"], value_range=section.get("value_range"),
                                              key=key)
    if kind == "scatter":
        return section_figures.scatter_figure(section["series"], x_label=section["x_label"],
                                              y_label=section["y_label"], diagonal=section["diagonal"], key=key)
    if kind == "histogram":
        return section_figures.histogram_figure(section["series"], bins=section["bins"], x_label=section["x_label"],
                                                density=section["density"], curves=section["curves"], key=key)
    return section_figures.boundaries_figure(section.get("panels") or [], key=key)


def _checked(section: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """The section's normalised record, or None and why it cannot be drawn (unknown kind, malformed)."""
    kind = section.get("kind")
    if kind not in _KINDS:
        return None, f"section kind {kind!r} is not one this report draws ({', '.join(_KINDS)})"
    try:
        return from_record(section).to_record(), ""
    except SectionError as exc:
        return None, f"this {kind} section could not be drawn: {exc.received} (expected {exc.expected})"


def _drawn(kind: str, section: dict[str, Any], anchor: str) -> dict[str, Any]:
    if kind == "table":
        return _table(section)
    if kind == "text":
        return {"paragraphs": _paragraphs(section.get("body"))}
    if kind == "finding":  # laid out first on the page by run_page (with the figure it names)
        return {key: str(section.get(key) or "") for key in ("claim", "notes_ref", "answer", "figure")}
    return {"svg": _figure(kind, section, key=anchor)}


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
        checked, note = _checked(section)
        if checked is not None:
            try:
                entry.update(_drawn(kind, checked, entry["anchor"]))
            except (TypeError, ValueError, KeyError, IndexError) as exc:
                if is_strict():
                    raise
                note = f"this {kind} section could not be drawn: {exc}"
        if note:
            entry.update(kind="note", note=note)
        entries.append(entry)
    return entries
