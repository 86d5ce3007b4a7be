"""`kerasdl compare RUN_A RUN_B [...]`: several runs side by side on one page.

What changed between two runs of a study (another seed, another version of a library, a changed
hyperparameter), or between a search's retrained best and the study's default: the same variants'
metrics with their differences, overlaid learning curves and ROC/PR curves, and every setting that
differs (seed, versions, hyperparameters). The first run named is the reference; differences are
each later run minus it. Read from the run folders alone, like every report.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from kerasdl.errors import UserError

from . import prediction_sections, section_figures
from .formatting import as_float, mean_std, metric_title, plain_value, signed_number, timestamp
from .metric_tables import metric_columns
from .ranking import best_variant, headline_metric, lower_is_better, metric_mean, variants_of
from .run_files import RunFiles, load_run
from .templating import render_page, write_page

__all__ = ["compare_command", "compare_context", "render_compare_runs", "resolve_run"]

COMPARE_DIR = "_compare"  # kerasdl.report.index_page.COMPARE
_MAX_METRICS = 6  # metric columns compared (headline first)
_MAX_CURVE_VARIANTS = 6  # variants whose learning curves are overlaid, one chart each


def resolve_run(reference: str | Path, out: Path) -> Path:
    """A run folder from what the user typed: the folder (or its run.json / report.html), or a run id
    or `experiment/run-id` under the reports folder `out`."""
    path = Path(reference).expanduser()
    if path.is_file() and path.name in ("run.json", "report.html"):
        path = path.parent
    if path.is_dir():
        if (path / "run.json").is_file():
            return path
        raise UserError(f"{path} is not a run folder (no run.json); pass reports/<experiment>/<run-id> or a run id")
    text = str(reference)
    if re.fullmatch(r"[\w.-]+(/[\w.-]+)?", text) and out.is_dir():
        found = sorted(p.parent for p in out.glob(f"*/{text}/run.json") if p.parent.parent.name != "tuning")
        found += [out / text] if "/" in text and (out / text / "run.json").is_file() else []
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise UserError(f"run id {text!r} names {len(found)} runs under {out} "
                            f"({', '.join(str(p) for p in found[:3])}); pass the run folder instead")
    raise UserError(f"no run {text!r}: expected a run folder with run.json (reports/<experiment>/<run-id>) "
                    f"or a run id under {out}")


def _label(files: RunFiles, position: int) -> str:
    """The run's name on the page, e.g. "A: heart-disease 20261202-010504-6f7c" (the letter heads columns)."""
    experiment = files.record.get("experiment") if isinstance(files.record.get("experiment"), dict) else {}
    letter = chr(ord("A") + position) if position < 26 else str(position + 1)
    return f"{letter}: {experiment.get('name') or '?'} {files.run_dir.name}"


def _runs_table(runs: list[RunFiles], labels: list[str], page: Path) -> list[dict[str, Any]]:
    rows = []
    for files, label in zip(runs, labels):
        record = files.record
        experiment = record.get("experiment") if isinstance(record.get("experiment"), dict) else {}
        metric = headline_metric(record)
        winner = best_variant(variants_of(record), metric)
        report = files.run_dir / "report.html"
        rows.append({
            "label": label, "experiment": str(experiment.get("name") or ""), "title": str(experiment.get("title") or ""),
            "run_id": str(record.get("run_id") or files.run_dir.name), "status": str(record.get("status") or "unknown"),
            "started": timestamp(record.get("started")), "seed": plain_value(record.get("seed")),
            "quick": bool(record.get("quick")), "problems": files.problems,
            "href": _relative(report, page.parent) if report.is_file() else None,
            "headline": (f"{winner.get('label') or winner.get('name')}: "
                         f"{mean_std((winner.get('metrics') or {}).get(metric))} {metric_title(metric)}"
                         if winner is not None and metric else "—"),
        })
    return rows


def _relative(target: Path, start: Path) -> str:
    """A link from a page in `start` to `target`, each path segment percent-encoded."""
    return "/".join(quote(part) for part in Path(os.path.relpath(target.resolve(), start.resolve())).parts)


def _variant_names(runs: list[RunFiles]) -> list[str]:
    names: list[str] = []
    for files in runs:
        names += [str(v.get("name")) for v in variants_of(files.record) if str(v.get("name")) not in names]
    return names


def _find(files: RunFiles, name: str) -> dict[str, Any] | None:
    return next((v for v in variants_of(files.record) if str(v.get("name")) == name), None)


def _metrics_table(runs: list[RunFiles], labels: list[str]) -> dict[str, Any]:
    """Per variant (matched by name) and metric: each run's value and each later run's difference to
    the first; plus one row comparing each run's best variant, whatever its name."""
    headline = headline_metric(runs[0].record)
    every = [v for files in runs for v in variants_of(files.record)]
    shown, _ = metric_columns(every, headline)
    shown = shown[:_MAX_METRICS]

    def cells(variants: list[dict[str, Any] | None]) -> list[dict[str, Any]]:
        out = []
        for key in shown:
            values = [metric_mean(v, key) if v is not None else None for v in variants]
            texts = [mean_std((v.get("metrics") or {}).get(key)) if v is not None and key in (v.get("metrics") or {})
                     else "—" for v in variants]
            deltas = []
            for value in values[1:]:
                if value is None or values[0] is None:
                    deltas.append({"text": "—", "class": ""})
                    continue
                delta = value - values[0]
                better = delta < 0 if lower_is_better(key) else delta > 0
                deltas.append({"text": signed_number(delta), "class": "" if delta == 0 else ("up" if better else "down")})
            out.append({"key": key, "values": texts, "deltas": deltas})
        return out

    rows = []
    for name in _variant_names(runs):
        variants = [_find(files, name) for files in runs]
        label = next(str(v.get("label") or v.get("name")) for v in variants if v is not None)
        rows.append({"variant": label, "name": name, "shared": all(v is not None for v in variants),
                     "metrics": cells(variants)})
    best = [best_variant(variants_of(files.record), headline) for files in runs] if headline else []
    best_row = None
    if best and all(b is not None for b in best):
        best_row = {"variant": "best variant of each run", "name": "; ".join(
            f"{label.split(':')[0]}: {b.get('label') or b.get('name')}" for label, b in zip(labels, best)),
            "shared": True, "metrics": cells(best)}
    return {"columns": [{"key": k, "title": metric_title(k), "lower": lower_is_better(k), "headline": k == headline}
                        for k in shown], "rows": rows, "best": best_row}


def _curve_variants(runs: list[RunFiles]) -> list[list[dict[str, Any]]]:
    """Which variants to overlay, one list of (per run) variants per chart: the variants all runs share,
    else each run's best variant on one chart (a search's retrained best against a study's default)."""
    shared = [n for n in _variant_names(runs) if all(_find(files, n) is not None for files in runs)]
    if shared:
        return [[_find(files, n) for files in runs] for n in shared[:_MAX_CURVE_VARIANTS]]
    headline = headline_metric(runs[0].record)
    best = [best_variant(variants_of(files.record), headline) for files in runs]
    return [best] if all(b is not None for b in best) else []


def _history(files: RunFiles, name: str, column: str) -> tuple[list[float], list[float]] | None:
    """Mean over folds of one history column per epoch, or None when the run has no such column."""
    table = files.history
    if table is None or column not in getattr(table, "columns", ()):
        return None
    rows = table[table["variant"] == name]
    if rows.empty:
        return None
    mean = rows.groupby("epoch")[column].mean()
    values = [as_float(v) for v in mean.to_numpy()]
    return [float(e) for e in mean.index], [v if v is not None and np.isfinite(v) else None for v in values]


def _learning_figures(runs: list[RunFiles], labels: list[str]) -> list[dict[str, Any]]:
    figures = []
    for position, group in enumerate(_curve_variants(runs)):
        series = []
        for files, label, variant in zip(runs, labels, group):
            if variant is None:
                continue
            short = label.split(":")[0]
            for column, kind in (("loss", "training"), ("val_loss", "validation")):
                curve = _history(files, str(variant.get("name")), column)
                if curve is not None:
                    series.append({"label": f"{short} {variant.get('label') or variant.get('name')} ({kind})",
                                   "x": curve[0], "y": curve[1]})
        if not series:
            continue
        title = str(group[0].get("label") or group[0].get("name")) if len({str(v.get("name")) for v in group}) == 1 \
            else "best variant of each run"
        positive = all(y is None or y > 0 for s in series for y in s["y"])
        figures.append({"title": title, "svg": section_figures.lines_figure(
            series, x_label="epoch", y_label="loss (mean over folds)", log_y=positive, key=f"cmp-lc{position}")})
    return figures


def _roc_pr(runs: list[RunFiles], labels: list[str]) -> dict[str, Any] | None:
    """The task's pooled ROC and PR curves of the compared variants of every run on one pair of charts."""
    task = prediction_sections._task_of(runs[0].record)  # noqa: SLF001 - the report package's own helper
    if task is None or "curves" not in task.report_sections:
        return None
    variants, predictions = [], {}
    for group in _curve_variants(runs):
        for position, (files, label, variant) in enumerate(zip(runs, labels, group)):
            if variant is None or not files.predictions or str(variant.get("name")) not in files.predictions:
                continue
            key = f"{position}/{variant.get('name')}"
            variants.append({**variant, "name": key,
                             "label": f"{label.split(':')[0]} {variant.get('label') or variant.get('name')}"})
            predictions[key] = files.predictions[str(variant.get("name"))]
    if not variants:
        return None
    return prediction_sections.curves_section(runs[0].record, variants, predictions)


def _flat(value: Any, prefix: str, out: dict[str, str]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flat(item, f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix] = plain_value(value)


def _settings(files: RunFiles) -> dict[str, str]:
    """Everything about a run that is a setting rather than a result, flattened to dotted keys."""
    record = files.record
    found: dict[str, str] = {}
    for key in ("seed", "quick", "schema_version"):
        found[key] = plain_value(record.get(key))
    experiment = record.get("experiment") if isinstance(record.get("experiment"), dict) else {}
    for key in ("name", "evaluation", "headline_metric"):
        _flat(experiment.get(key), f"experiment.{key}", found)
    dataset = record.get("dataset") if isinstance(record.get("dataset"), dict) else {}
    for key in ("name", "task", "n_samples", "input_shape", "origin"):
        _flat(dataset.get(key), f"dataset.{key}", found)
    _flat(record.get("environment") or {}, "environment", found)
    for variant in variants_of(record):
        for group in ("builder", "api", "hyperparameters", "compile", "fit"):
            _flat(variant.get(group), f"{variant.get('name')}.{group}", found)
    return found


def _differences(runs: list[RunFiles]) -> tuple[list[dict[str, Any]], int]:
    """The settings whose values are not the same in every run, and how many are."""
    settings = [_settings(files) for files in runs]
    keys: list[str] = []
    for found in settings:
        keys += [k for k in found if k not in keys]
    rows = []
    for key in keys:
        values = [found.get(key, "—") for found in settings]
        if len(set(values)) > 1:
            rows.append({"key": key, "values": values})
    return rows, len(keys) - len(rows)


def compare_context(runs: list[RunFiles], page: Path) -> dict[str, Any]:
    labels = [_label(files, i) for i, files in enumerate(runs)]
    differences, same = _differences(runs)
    with np.errstate(all="ignore"):
        learning = _learning_figures(runs, labels)
        curves = _roc_pr(runs, labels)
    return {"labels": labels, "runs": _runs_table(runs, labels, page), "metrics": _metrics_table(runs, labels),
            "learning": learning, "curves": curves, "differences": differences, "same": same,
            "index_href": _relative(page.parent.parent / "index.html", page.parent)
            if (page.parent.parent / "index.html").is_file() else None}


def _page_path(runs: list[RunFiles]) -> Path:
    """`<reports>/compare/<experiment>-<run>-vs-<run>.html` in the first run's reports folder (so the
    index of that folder links to it)."""
    root = runs[0].run_dir.parent.parent
    first = runs[0].record.get("experiment") if isinstance(runs[0].record.get("experiment"), dict) else {}
    stem = "-vs-".join(files.run_dir.name for files in runs)
    name = re.sub(r"[^\w.-]+", "_", f"{first.get('name') or runs[0].run_dir.parent.name}-{stem}")[:150]
    return root / COMPARE_DIR / f"{name}.html"


def compare_command(references: Sequence[str], out: Path) -> int:
    """`kerasdl compare`: write the page, refresh the index of its reports folder (which links to it)
    when there is one, and print where the page is."""
    page = render_compare_runs(references, out=out)
    if (page.parent.parent / "index.html").is_file():
        from .index_page import render_index

        render_index(page.parent.parent)
    print(f"comparison: {page.resolve()}")
    return 0


def render_compare_runs(references: Sequence[str | Path], *, out: str | Path | None = None) -> Path:
    """Write the comparison page of the runs named (folders, or run ids under the reports folder `out`)
    into `<reports>/compare/` of the first run and return its path.

    At least two distinct runs; a folder that is not a run, or a damaged run.json, is a UserError.
    A small JSON file beside the page names its runs, so the index can link to it.
    """
    root = Path(out) if out is not None else Path("reports")
    if len(references) < 2:
        raise UserError(f"compare needs at least two runs; received {len(references)} "
                        f"({', '.join(map(str, references)) or 'none'})")
    folders = [resolve_run(ref, root) for ref in references]
    if len({f.resolve() for f in folders}) != len(folders):
        raise UserError("compare needs distinct runs; the same run was named twice: "
                        + ", ".join(str(f) for f in folders))
    runs = [load_run(folder) for folder in folders]
    page = _page_path(runs)
    context = compare_context(runs, page)
    html = render_page("compare.html.j2", **context)
    write_page(page, html)
    about = {"title": " vs ".join(f"{r['experiment']} {r['run_id']}" for r in context["runs"]),
             "runs": [{"experiment": r["experiment"], "run_id": r["run_id"]} for r in context["runs"]]}
    write_page(page.with_suffix(".json"), json.dumps(about, indent=2) + "\n")
    return page
