"""The report of one run: collect what each section shows from the run record, then render it.

The page answers first: what the study found (its Finding sections, or an opening generated from
the record), with the figure that shows it, then the study's own analysis. The generic sections
follow in the order a reader asks: what ran and did it work, on which data, how good is each
variant, where does it go wrong (the task's own sections: confusion, curves, thresholds, predicted
vs actual, generated samples), how did training go, what exactly was the model, and on what
machine; with many variants they are folded (`<details>`, no script).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from . import figures, findings, prediction_sections
from .formatting import duration, file_size, mean_std, metric_title, plain_value, timestamp
from .metric_tables import metrics_table, references_table
from .ranking import best_variant, headline_metric, variants_of
from .run_files import RunFiles, fold_entries, load_run
from .study_sections import study_sections
from .templating import render_page, write_page

__all__ = ["render_run", "run_context"]

_NOT_PLOTTED = {"variant", "fold", "epoch", "learning_rate", "lr"}
_MAX_FEATURE_NAMES = 40


def _overview(record: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    experiment = record.get("experiment") or {}
    evaluation = experiment.get("evaluation") or {}
    if evaluation.get("kind") == "cv":
        how = f"{evaluation.get('folds', '?')}-fold cross-validation"
        how += " (stratified)" if evaluation.get("stratified") else ""
    elif evaluation.get("kind") == "holdout":
        how = f"holdout ({evaluation.get('split', 'test')} split)"
    else:
        how = plain_value(evaluation) if evaluation else "n/a"
    return {
        "title": str(experiment.get("title") or experiment.get("name") or "untitled experiment"),
        "name": str(experiment.get("name") or ""),
        "description": str(experiment.get("description") or ""),
        "notes_ref": str(experiment.get("notes_ref") or ""),
        "status": str(record.get("status") or "unknown"),
        "run_id": str(record.get("run_id") or "n/a"),
        "facts": [
            ("Run id", str(record.get("run_id") or "n/a")),
            ("Started", timestamp(record.get("started"))),
            ("Finished", timestamp(record.get("finished"))),
            ("Duration", duration(record.get("duration_s"))),
            ("Evaluation", how),
            ("Seed", plain_value(record.get("seed"))),
            ("Quick run", "yes (reduced data/epochs)" if record.get("quick") else "no"),
            *([("Disk used", file_size(record["disk_bytes"]))] if file_size(record.get("disk_bytes")) else []),
        ],
        "error": str(record.get("error") or ""),
        "problems": problems,
    }


def _dataset(record: dict[str, Any]) -> dict[str, Any]:
    dataset = record.get("dataset")
    if not isinstance(dataset, dict) or not dataset:
        return {"facts": [], "description": ""}  # e.g. a study that computes without data
    features = dataset.get("feature_names") or []
    feature_text = ", ".join(str(f) for f in features[:_MAX_FEATURE_NAMES])
    if len(features) > _MAX_FEATURE_NAMES:
        feature_text += f", … ({len(features) - _MAX_FEATURE_NAMES} more)"
    shape = dataset.get("input_shape")
    facts = [
        ("Name", plain_value(dataset.get("name"))),
        ("Task", plain_value(dataset.get("task"))),
        ("Samples", f"{dataset['n_samples']:,}" if isinstance(dataset.get("n_samples"), int) else "n/a"),
        ("Input shape", "(" + ", ".join(str(d) for d in shape) + ")" if isinstance(shape, list) else "n/a"),
        ("Classes", plain_value(dataset.get("class_names")) if dataset.get("class_names") else "—"),
        ("Features", feature_text or "—"),
        ("Provenance", plain_value(dataset.get("provenance")) if dataset.get("provenance") else "n/a"),
        ("License", plain_value(dataset.get("license")) if dataset.get("license") else "n/a"),
    ]
    if dataset.get("origin"):
        facts.append(("Origin", plain_value(dataset.get("origin"))))
    return {"facts": facts, "description": str(dataset.get("description") or "")}


def _second_metric(columns: list[str]) -> str | None:
    """The accuracy-type metric to plot beside the loss (else the first other training metric)."""
    candidates = [c for c in columns if c not in _NOT_PLOTTED and c != "loss" and not c.startswith("val_")]
    for column in candidates:
        if "accuracy" in column:
            return column
    return candidates[0] if candidates else None


def _plotted(columns: list[str]) -> list[str]:
    """The loss and an accuracy-type metric; a model that logs several losses and no `loss` (a GAN's
    d_loss and g_loss) shows those instead."""
    if "loss" in columns:
        return [m for m in ("loss", _second_metric(columns)) if m and m in columns]
    return [c for c in columns if c.endswith("loss") and not c.startswith("val_") and c not in _NOT_PLOTTED][:2]


def _learning_curves(files: RunFiles, variants: list[dict[str, Any]]) -> dict[str, Any]:
    """One small-multiples figure per plotted metric (a panel per variant, shared axes), a table of each
    variant's epochs, and a note for each variant without a history to draw."""
    history = files.history
    metrics: dict[str, list[tuple[str, list[dict[str, np.ndarray]]]]] = {}  # metric → panels, in first-seen order
    rows, notes = [], []
    for variant in variants:
        if variant.get("kind") == "sklearn":
            continue  # no epochs to show
        name = str(variant.get("name"))
        found = history[history["variant"] == name] if history is not None else None
        if found is None or found.empty:
            notes.append({"variant": variant, "note": "no training history recorded"})
            continue
        found = found.dropna(axis=1, how="all")
        plotted = _plotted(list(found.columns))
        if not plotted:
            notes.append({"variant": variant, "note": "history has no loss column"})
            continue
        folds = []
        for _, part in found.sort_values(["fold", "epoch"]).groupby("fold", sort=True):
            columns = {c: part[c].to_numpy(dtype=float) for c in part.columns
                       if c in plotted or (c.startswith("val_") and c[4:] in plotted)}
            columns["epoch"] = part["epoch"].to_numpy(dtype=float)
            folds.append(columns)
        label = str(variant.get("label") or name)
        for metric in plotted:
            metrics.setdefault(metric, []).append((label, folds))
        entries = fold_entries(variant)
        monitor = next((str(f["monitor"]) for f in entries if f.get("monitor")), "val_loss")
        best = [str(f.get("best_epoch")) for f in entries if f.get("best_epoch") is not None]
        rows.append({"variant": variant, "folds": len(folds),
                     "epochs": ", ".join(str(f.get("epochs_run", "?")) for f in entries) or "—",
                     "best": f"{', '.join(best)} (by {monitor})" if best else "—"})
    drawn = [{"metric": metric, "svg": figures.learning_curves_figure(panels, metric, key=f"lc{position}"),
                 "wide": len(panels) > 2}
                for position, (metric, panels) in enumerate(metrics.items())]
    return {"figures": drawn, "rows": rows, "notes": notes}


def _models(variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items = []
    for variant in variants:
        layers = [layer for layer in variant.get("model_summary") or [] if isinstance(layer, dict)]
        count = variant.get("parameter_count")
        if not isinstance(count, int) and layers:
            count = int(sum(layer.get("params") or 0 for layer in layers))
        settings = []
        for group in ("hyperparameters", "compile", "fit"):
            for key, value in (variant.get(group) or {}).items():
                settings.append((group, str(key), plain_value(value)))
        items.append({
            "variant": variant,
            "kind": str(variant.get("kind") or "n/a"),
            "settings": settings,
            "layers": [{"name": str(layer.get("name", "")), "type": str(layer.get("type", "")),
                        "output_shape": str(layer.get("output_shape", "")),
                        "params": f"{layer['params']:,}" if isinstance(layer.get("params"), int) else "n/a"}
                       for layer in layers],
            "total": f"{count:,}" if isinstance(count, int) else None,
            "model_file": str((variant.get("artifacts") or {}).get("model") or ""),
        })
    return items


def _sections(predicted: list[dict[str, Any]], has_history: bool, findings: list[dict[str, Any]],
              studies: list[dict[str, Any]], description: str) -> list[tuple[str, str]]:
    """The page's navigation, in page order: what the study found and its own analysis first, then
    the generic sections every run has."""
    sections = [("findings", "Findings")] if findings else []
    sections += [("about", "About")] if findings and description else []
    sections += [(study["anchor"], study["title"]) for study in studies]
    sections += [("overview", "Run"), ("dataset", "Dataset"), ("metrics", "Metrics")]
    sections += [(section["anchor"], section["title"]) for section in predicted]
    if has_history:
        sections.append(("learning", "Learning curves"))
    sections += [("models", "Models"), ("environment", "Environment")]
    return sections


def _headline_summary(variants: list[dict[str, Any]], headline: str | None) -> str:
    """The folded metrics section's one line: how many variants and the best by the headline metric."""
    text = f"{len(variants)} variant{'s' if len(variants) != 1 else ''}"
    winner = best_variant(variants, headline)
    if winner is not None and headline:
        text += (f" · best {metric_title(headline)}: {winner.get('label') or winner.get('name')} "
                 f"{mean_std((winner.get('metrics') or {}).get(headline))}")
    return text


def run_context(files: RunFiles) -> dict[str, Any]:
    """Everything run.html.j2 shows, as plain values (the template only lays it out).

    The page answers first: the study's findings (kerasdl.report.findings), each with the one figure
    that shows it, then the study's own sections, then the generic ones (run facts, dataset, metrics,
    the task's sections from predictions — `Task.report_sections`, built by
    `prediction_sections.task_sections` — learning curves, models, environment), folded when the run
    has many variants.
    """
    record = files.record
    variants = variants_of(record)
    headline = headline_metric(record)
    has_keras = any(v.get("kind") != "sklearn" for v in variants)
    predicted, notes = prediction_sections.task_sections(record, variants, files.predictions)
    elsewhere = {"Metrics": "metrics", "Learning curves": "learning", "Dataset": "dataset",
                 **{section["title"]: section["anchor"] for section in predicted}}
    # the task's figure that best shows a whole run, for a study without figures of its own
    preferred = ("curves", "regression", "samples", "confusion")
    task_figures = [s["title"] for name in preferred for s in predicted if s["name"] == name]
    found, studies = findings.findings(record, variants, headline, study_sections(record), elsewhere, task_figures)
    # A finding that names one of the task's sections (ROC and PR curves, ...) draws it inside itself,
    # so the figure that answers is on top even when the generic sections below are folded.
    for finding in found:
        section = next((s for s in predicted if s["anchor"] == finding["link"]), None)
        finding["predicted"] = section
        if section is not None:
            predicted.remove(section)
            finding["link"] = ""
    overview = _overview(record, files.problems + notes)
    context: dict[str, Any] = {
        "overview": overview,
        "dataset": _dataset(record),
        "headline": headline,
        "metrics": metrics_table(variants, headline),
        "references": references_table(record, variants),
        "variant_errors": [v for v in variants if v.get("error")],
        "models": _models(variants),
        "environment": [(str(k), plain_value(v)) for k, v in (record.get("environment") or {}).items()],
        "sections": _sections(predicted, has_keras, found, studies, overview["description"]),
        "findings": found,
        "predicted": predicted,
        "studies": studies,
        "no_predictions": prediction_sections.NO_PREDICTIONS,
        "n_variants": len(variants),
        "folded": len(variants) >= findings.FOLD_FROM,
        "headline_summary": _headline_summary(variants, headline),
        # reports/<experiment>/<run-id>/report.html → reports/index.html, when there is one
        "index_href": "../../index.html" if (files.run_dir.parent.parent / "index.html").is_file() else None,
    }
    if has_keras:
        context["learning"] = _learning_curves(files, variants)
    return context


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Python's cycle collector off while a page draws, back to its previous state after.

    Drawing a page's figures allocates about a million short-lived matplotlib objects, and each
    automatic collection they trigger walks every long-lived object of the process too (about 200,000
    with pandas, scikit-learn and matplotlib loaded; twice that with TensorFlow): measured at a sixth
    of a 10-variant page's time (benchmarks/render_scaling.py). The page's own garbage (figures are
    reference cycles) goes at the next automatic collection.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def render_run(run_dir: str | Path) -> Path:
    """Render `run_dir/report.html` from the run record alone and return its path."""
    run_dir = Path(run_dir)
    files = load_run(run_dir)
    with np.errstate(all="ignore"), _cycle_collection_paused():
        html = render_page("run.html.j2", **run_context(files))
    return write_page(run_dir / "report.html", html)
