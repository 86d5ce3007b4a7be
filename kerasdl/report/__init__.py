"""HTML reports rendered from run records alone (docs/run-record.md): never TensorFlow, never Keras.

Each page is one self-contained file: inline CSS, inline SVG figures drawn by matplotlib, no
script, no network. Every string that came from a user (names, labels, class names, error text)
is escaped by Jinja2's autoescaping.

Modules: `run_page` (one run's page), `findings` (what it opens with: the study's Finding sections or
one generated from the record), `index_page` (reports/index.html and each study's history page),
`index_layout` and `contents` (the index laid out like the notes' table of contents), `compare`
(`kerasdl compare`: runs side by side), `search_page` and `search_figures` (a hyperparameter search's
page and the strategy comparison), `run_files` (reading a record), `metric_tables`,
`prediction_sections` (the sections a task draws from stored predictions: confusion, ROC/PR,
thresholds, regression, generated samples), `sections` (the typed sections an experiment's `analyze`
hook returns: Table, Lines, Bars, Images, Boundaries, Heatmap, Scatter, Histogram, Text, Finding),
`study_sections` (drawing those), `study_helpers` (record readers and section builders the studies
share), `figures` / `section_figures` (matplotlib → SVG), `ranking` (best variant), `formatting`,
`templating`.

The functions import their modules on first use, so `import kerasdl.report` stays as cheap as
`import kerasdl` (matplotlib, pandas and scikit-learn load only when a page is rendered).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["render_compare", "render_comparison", "render_index", "render_run", "render_search"]


def render_run(run_dir: str | Path) -> Path:
    """Write `run_dir/report.html` (atomically) from run.json, predictions.npz and history.csv.

    Only run.json is required: a failed run without predictions or history still gets a page whose
    sections say what is missing. A folder without run.json raises `kerasdl.errors.UserError`.
    """
    from .run_page import render_run as _render_run

    return _render_run(run_dir)


def render_index(out: str | Path) -> Path:
    """Write `out/index.html`: the registered studies and search units grouped like the notes' table of
    contents, each with its latest run, its history and its searches; plus `out/_history/<study>.html`."""
    from kerasdl import locks

    from .index_page import render_index as _render_index

    if not Path(out).is_dir():
        return _render_index(out)  # its one-line UserError
    # Two processes finishing runs at once: each rebuilds the index in turn, so the last one written
    # lists every finished run (kerasdl.locks; POSIX flock).
    with locks.exclusive(Path(out) / locks.REPORTS_LOCK):
        return _render_index(out)


def render_search(search_dir: str | Path) -> Path:
    """Write `search_dir/report.html` and `trials.csv` for a keras-tuner search folder (tuning/<name>/<strategy>/).

    Reads keras-tuner's oracle.json and trial_*/trial.json plus kerasdl's search.json and per-trial
    files; a folder with neither trials nor search.json raises `kerasdl.errors.UserError`.
    """
    from .search_page import render_search as _render_search

    return _render_search(search_dir)


def render_compare(unit_dir: str | Path, *, skipped: dict[str, str] | None = None) -> Path:
    """Write `unit_dir/compare.html`: the strategies searched under tuning/<name>/ on one chart."""
    from .search_page import render_compare as _render_compare

    return _render_compare(unit_dir, skipped=skipped)


def render_comparison(runs: Sequence[str | Path], *, out: str | Path | None = None) -> Path:
    """Write `<reports>/_compare/<...>.html`: several runs side by side (metrics and their differences,
    overlaid learning and ROC/PR curves, every setting that differs). `runs` are run folders or run ids
    under the reports folder `out`; the first is the reference. Bad input raises `UserError`."""
    from .compare import render_compare_runs

    return render_compare_runs(runs, out=out)
