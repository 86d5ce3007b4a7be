"""What a study found, laid out first on its run page: the notes' claim, the measured answer, the
one figure that shows it.

A study states its findings with `Finding` sections (kerasdl.report.sections). Each names the
section that shows it by title; that section is drawn inside the finding and not again further
down (one figure, one place). A study that returns no Finding still opens with an answer, generated
from the record: its question (the description, with its notes lines), the best variant by the
headline metric with its number and the runner-up, and the study's first figure.
"""

from __future__ import annotations

from typing import Any

from .formatting import mean_std, metric_title
from .ranking import best_variant_names, lower_is_better, metric_mean
from .study_sections import is_strict

__all__ = ["FOLD_FROM", "findings"]

FOLD_FROM = 6  # from this many variants on, the generic sections (metrics, confusion, curves, ...) are folded
_FIGURE_KINDS = ("lines", "bars", "images", "boundaries", "heatmap", "scatter", "histogram")


def _key(title: str) -> str:
    return " ".join(str(title).split()).casefold()


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def _label(variant: dict[str, Any]) -> str:
    return str(variant.get("label") or variant.get("name"))


def _generated(record: dict[str, Any], variants: list[dict[str, Any]], headline: str | None,
               studies: list[dict[str, Any]], task_figures: list[str]) -> dict[str, Any] | None:
    """The opening of a study without Finding sections: its question, the best variant's number, and
    the study's first figure (else the task's first figure, e.g. the ROC curves)."""
    experiment = record.get("experiment") if isinstance(record.get("experiment"), dict) else {}
    claim = _first_sentence(str(experiment.get("description") or experiment.get("title") or ""))
    scored = [(v, metric_mean(v, headline)) for v in variants] if headline else []
    scored = [(v, m) for v, m in scored if m is not None]
    if not scored:
        return None
    names = best_variant_names(variants, headline)
    winner = next(v for v, _ in scored if str(v.get("name")) in names)
    lower = lower_is_better(headline)
    answer = (f"Best {metric_title(headline)} ({'lower' if lower else 'higher'} is better): "
              f"{_label(winner)} with {mean_std((winner.get('metrics') or {}).get(headline))}")
    others = [(m, v) for v, m in scored if v is not winner]
    if others:
        runner = (min if lower else max)(others, key=lambda pair: pair[0])[1]
        answer += f"; next {_label(runner)} with {mean_std((runner.get('metrics') or {}).get(headline))}"
    answer += f" ({len(scored)} variant{'s' if len(scored) != 1 else ''} scored)."
    figure = next((s["title"] for s in studies if s["kind"] in _FIGURE_KINDS), task_figures[0] if task_figures else "")
    return {"title": "What this run found", "claim": claim, "notes_ref": str(experiment.get("notes_ref") or ""),
            "answer": answer, "caption": "", "figure": figure, "generated": True}


def findings(record: dict[str, Any], variants: list[dict[str, Any]], headline: str | None,
             studies: list[dict[str, Any]], elsewhere: dict[str, str],
             task_figures: list[str] = ()) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the findings to show first, the study sections left for further down).

    `studies` are study_sections' entries in record order; `elsewhere` maps the titles of the page's
    other sections (Metrics, ROC curves, Learning curves, ...) to their anchors, so a finding may
    point at one of those instead of a study figure; `task_figures` are the titles of the task's figure
    sections in order of preference, for the generated opening of a study without figures. Each finding is {title, claim, notes_ref, answer,
    caption, generated, figure (its title), shown (the study entry drawn inside it, or None), link
    (anchor of a section elsewhere on the page, or ""), missing (a note when the figure is not found)}.
    """
    stated = [dict(s, generated=False) for s in studies if s["kind"] == "finding"]
    rest = [s for s in studies if s["kind"] != "finding"]
    chosen = stated or [f for f in [_generated(record, variants, headline, rest, list(task_figures))] if f]
    by_title = {_key(s["title"]): s for s in reversed(rest)}  # the first section of a title wins
    others = {_key(title): anchor for title, anchor in elsewhere.items()}
    moved: set[int] = set()
    for finding in chosen:
        finding.update(shown=None, link="", missing="")
        wanted = _key(finding.get("figure") or "")
        if not wanted:
            continue
        section = by_title.get(wanted)
        if section is not None and id(section) not in moved:
            finding["shown"] = section
            moved.add(id(section))
        elif section is not None:  # already drawn inside an earlier finding
            finding["link"] = section["anchor"]
        elif wanted in others:
            finding["link"] = others[wanted]
        else:
            finding["missing"] = f"the figure {finding['figure']!r} is not a section of this report"
            if is_strict() and not finding["generated"]:
                raise ValueError(f"Finding {finding['title']!r}: {finding['missing']} (sections: "
                                 f"{', '.join(repr(s['title']) for s in rest)})")
    return chosen, [s for s in rest if id(s) not in moved]
