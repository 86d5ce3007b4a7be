"""How a finished run shows itself outside the HTML report: a pandas DataFrame of its metrics and the
small HTML table Jupyter displays for a `RunRecord` (`_repr_html_`).

Both read run.json's data only (no TensorFlow, no report rendering). Strings from the record (variant
labels, experiment titles, error text) are user data and are escaped.
"""

from __future__ import annotations

import html
import math
import urllib.parse
from pathlib import Path
from typing import Any

__all__ = ["metrics_frame", "record_html"]


def metrics_frame(data: dict[str, Any]) -> Any:
    """Variants × metrics: one row per variant (index `variant`), columns a (metric, mean|std) MultiIndex,
    so `frame["rmse"]["mean"]` is one metric's means and `frame.xs("mean", axis=1, level=1)` all of them."""
    import pandas as pd

    rows = {}
    for variant in data.get("variants", []):
        rows[variant["name"]] = {(name, stat): summary.get(stat, math.nan)
                                 for name, summary in sorted(variant.get("metrics", {}).items())
                                 for stat in ("mean", "std")}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    if frame.empty:
        frame = pd.DataFrame(index=pd.Index([], name="variant"),
                             columns=pd.MultiIndex.from_tuples([], names=["metric", "statistic"]))
    frame.columns = pd.MultiIndex.from_tuples(list(frame.columns), names=["metric", "statistic"])
    frame.index.name = "variant"
    return frame


def _number(value: Any) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
        return "–"
    return f"{value:.4g}"


def _link(path: Path) -> str:
    """The report's address as a notebook can follow it: relative when it lies under the working folder
    (Jupyter serves and opens relative links), else a file:// URL."""
    page = path.resolve() / "report.html"
    if page.is_relative_to(Path.cwd().resolve()):
        return urllib.parse.quote(page.relative_to(Path.cwd().resolve()).as_posix())
    return page.as_uri()


def record_html(path: Path, data: dict[str, Any]) -> str:
    """The headline table of one run (variant, status, headline metric mean ± std, fit time; best in
    bold) under the run's title, with a link to its report.html."""
    from kerasdl import tasks

    esc = html.escape
    experiment = data.get("experiment", {})
    metric = experiment.get("headline_metric") or "loss"
    lower = tasks.is_lower_better(metric, (data.get("dataset") or {}).get("task"))
    means = {v["name"]: v.get("metrics", {}).get(metric, {}).get("mean") for v in data.get("variants", [])}
    finite = {k: m for k, m in means.items() if isinstance(m, (int, float)) and not math.isnan(m)}
    best = (min if lower else max)(finite, key=finite.get) if finite else None
    rows = []
    for variant in data.get("variants", []):
        summary = variant.get("metrics", {}).get(metric, {})
        cells = [esc(str(variant.get("label") or variant["name"])), esc(str(variant.get("status", ""))),
                 f"{_number(summary.get('mean'))} ± {_number(summary.get('std'))}",
                 _number((variant.get("timings") or {}).get("fit_s"))]
        if variant["name"] == best:
            cells = [f"<b>{c}</b>" for c in cells]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    page = path / "report.html"
    if page.exists():
        footer = f'<a href="{esc(_link(path), quote=True)}" target="_blank">open the report</a>'
    else:
        footer = f"report not rendered yet: <code>kerasdl report {esc(str(path))}</code>"
    direction = "lower is better" if lower else "higher is better"
    return (f'<div class="kerasdl-run"><p><b>{esc(str(experiment.get("title") or experiment.get("name", "")))}</b>'
            f" — {esc(str(data.get('status', '')))}, {esc(str(data.get('run_id', '')))}</p>"
            f"<table><thead><tr><th>variant</th><th>status</th><th>{esc(metric)} ({direction})</th>"
            f"<th>fit s</th></tr></thead><tbody>{''.join(rows)}</tbody></table><p>{footer}</p></div>")
