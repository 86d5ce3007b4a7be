"""HTML reports from run records (kerasdl.report), checked without a browser."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest

from kerasdl.errors import UserError
from kerasdl.report import render_index, render_run

# The page answers first: these records state no Finding, so the report generates one from the best
# variant by the headline metric, drawing the task's figure that shows a whole run inside it (the ROC
# curves; predicted vs actual for regression); the description follows as "About this study". Then the
# study's own sections (none here), then the generic sections.
OPENING = ["What this run found", "About this study"]
RUN_SECTIONS = {
    "binary": ["Run", "Dataset", "Metrics", "Confusion matrices", "Threshold sweep",
               "Learning curves", "Models", "Environment"],
    "multiclass": ["Run", "Dataset", "Metrics", "Confusion matrices", "Learning curves", "Models", "Environment"],
    "regression": ["Run", "Dataset", "Metrics", "Learning curves", "Models", "Environment"],
}
# ROC + PR + the 2 Keras variants' learning curves as small multiples, one figure per metric (loss, accuracy)
SVG_COUNT = {"binary": 4, "multiclass": 4, "regression": 5}  # regression: 3 scatter/residual figures + 2
# confusion matrices of few classes are tables (the diverged variant has 2 of 3 folds)
CONFUSION_TABLES = {"binary": 3, "multiclass": 3, "regression": 0}

_NETWORK_REFERENCE = re.compile(
    r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//)"""
    r"""|(?:url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//)|@import""",
    re.IGNORECASE,
)


def _render(fake_run_dir, task="binary", **options) -> tuple[Path, str]:
    run_dir = fake_run_dir(task, **options)
    page = render_run(run_dir)
    return run_dir, page.read_text(encoding="utf-8")


def _h2_headings(html: str) -> list[str]:
    return re.findall(r"<h2>([^<]*)</h2>", html)


def test_render_run_writes_report_html_atomically(fake_run_dir):
    run_dir = fake_run_dir("binary")
    (run_dir / "report.html").write_text("old", encoding="utf-8")
    page = render_run(str(run_dir))  # a str path works as well as a Path
    assert page == run_dir / "report.html"
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert sorted(p.name for p in run_dir.iterdir()) == ["history.csv", "predictions.npz", "report.html", "run.json"]


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_every_task_renders_its_sections_in_order(fake_run_dir, task):
    _, html = _render(fake_run_dir, task)
    assert _h2_headings(html) == OPENING + RUN_SECTIONS[task]
    for anchor in re.findall(r'<a href="#([^"]+)"', html):  # the sticky header's links all land somewhere
        assert f'id="{anchor}"' in html


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_user_strings_are_escaped_everywhere(fake_run_dir, task):
    _, html = _render(fake_run_dir, task)
    lowered = html.lower()
    assert "<script" not in lowered  # neither the class name nor any script of ours
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # tables show the class name, escaped
    assert "<b>" not in lowered and "<i>" not in lowered  # label and title markup stays text
    assert "<img" not in lowered and "onerror=" not in lowered.replace("onerror=&#34;", "")
    assert "MLP &lt;b&gt;&amp;&#34;&#39;" in html  # Jinja's escaping of <b>&"'


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_every_figure_is_inline_svg_in_a_figure(fake_run_dir, task):
    _, html = _render(fake_run_dir, task)
    assert html.count("<svg") == SVG_COUNT[task]
    assert len(re.findall(r"<figure>\s*<svg", html)) == SVG_COUNT[task]
    tables = re.findall(r'<figure class="confusion">\s*<div class="table-wrap"><table class="confusion">', html)
    assert len(tables) == html.count('<table class="confusion">') == CONFUSION_TABLES[task]
    assert html.count("<figcaption>") == SVG_COUNT[task] + CONFUSION_TABLES[task]
    assert "<?xml" not in html and "<!DOCTYPE svg" not in html and "<metadata>" not in html


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_page_is_self_contained(fake_run_dir, task):
    _, html = _render(fake_run_dir, task, sections=True)  # with the image grid's embedded bitmaps
    assert _NETWORK_REFERENCE.findall(html) == []
    assert '<link' not in html and "<iframe" not in html
    # Every link is a same-page anchor, a relative file link or an inline bitmap; user URLs stay text.
    for href in re.findall(r'href="([^"]*)"', html):
        inline = href.startswith("data:image/png;base64,")
        assert href.startswith("#") or inline or not re.match(r"[a-z][a-z0-9+.-]*:", href), href[:80]
    assert "https://archive.ics.uci.edu/dataset/45" in html  # the provenance text is shown...
    assert 'href="https://archive' not in html  # ...but not turned into a link


def test_element_ids_are_unique_across_inline_svgs(fake_run_dir):
    _, html = _render(fake_run_dir, "binary")
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) > 100  # matplotlib's groups, markers and clip paths are all there
    assert len(ids) == len(set(ids))
    for target in re.findall(r'(?:url\(#|href="#)([^")]+)', html):
        assert target in ids  # every reference inside an SVG still resolves


def test_rendering_is_deterministic(fake_run_dir):
    run_dir, first = _render(fake_run_dir, "binary")
    assert render_run(run_dir).read_text(encoding="utf-8") == first


def test_metrics_table_highlights_best_and_shows_notes_vs_ours(fake_run_dir):
    run_dir, html = _render(fake_run_dir, "binary")
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    knn = next(v for v in record["variants"] if v["name"] == "knn-3")
    ours = knn["metrics"]["roc_auc"]["mean"]
    notes_table = html.split("<h3>Notes vs ours</h3>")[1].split("</table>")[0]
    assert "0.868" in notes_table and f"{ours:.3f}" in notes_table
    assert f"+{ours - 0.868:.3f}" in notes_table or f"−{0.868 - ours:.3f}" in notes_table
    assert 'class="num best"' in html
    assert "ROC AUC" in html and "log loss" in html
    assert "<pre class=\"error\">loss became NaN/inf in fold 3" in html


def test_best_value_direction_and_eligibility():
    from kerasdl.report.metric_tables import metrics_table

    def variant(name, status, auc, loss):
        return {"name": name, "label": name, "status": status,
                "metrics": {"roc_auc": {"mean": auc, "std": 0.0, "folds": [auc, auc]},
                            "log_loss": {"mean": loss, "std": 0.0, "folds": [loss, loss]}}}

    table = metrics_table([variant("a", "completed", 0.80, 0.50), variant("b", "completed", 0.90, 0.60),
                           variant("c", "diverged", 0.99, 0.10)], "roc_auc")
    keys = [c["key"] for c in table["columns"]]
    best = {row["variant"]["name"]: {k: c["best"] for k, c in zip(keys, row["cells"])} for row in table["rows"]}
    assert keys[0] == "roc_auc"  # the headline metric leads
    assert best["b"]["roc_auc"] and not best["a"]["roc_auc"]  # higher is better
    assert best["a"]["log_loss"] and not best["b"]["log_loss"]  # lower is better
    assert not best["c"]["roc_auc"] and not best["c"]["log_loss"]  # a diverged variant never takes the highlight


def test_threshold_sweep_lists_eleven_thresholds(fake_run_dir):
    _, html = _render(fake_run_dir, "binary")
    sweep = html.split('<table class="sweep">')[1].split("</table>")[0]
    thresholds = re.findall(r'<tr><td class="num">([0-9.]+)</td>', sweep)
    assert thresholds == [f"{0.1 * i:.1f}" for i in range(11)]


def test_multiclass_curves_are_micro_averaged_and_captioned(fake_run_dir):
    _, html = _render(fake_run_dir, "multiclass")
    assert "micro-averaged" in html
    assert 'id="thresholds"' not in html


def test_missing_predictions_and_history_still_render(fake_run_dir):
    _, html = _render(fake_run_dir, "binary", predictions=False, history=False)
    assert "no predictions recorded" in html
    assert "no training history recorded" in html
    assert html.count("<svg") == 0 and html.count('<table class="confusion">') == 3  # the matrices in run.json


def test_learning_curves_are_small_multiples_with_a_table_of_epochs(fake_run_dir):
    _, html = _render(fake_run_dir, "binary")
    learning = html.split('<section id="learning">')[1].split("</section>")[0]
    figures = re.findall(r"<svg .*?</svg>", learning, re.DOTALL)
    assert len(figures) == 2  # loss and accuracy, a panel per Keras variant in each
    for svg in figures:
        assert svg.count("MLP &lt;b&gt;&amp;") == 1 and svg.count("MLP (functional API)") == 1
    epochs = learning.split('<table class="epochs">')[1].split("</table>")[0]
    assert epochs.count("<tr>") == 3 and "MLP &lt;b&gt;&amp;&#34;&#39;" in epochs  # header + the 2 variants
    assert "(by val_loss)" in epochs


def test_confusion_matrices_of_many_classes_stay_heatmaps(fake_run_dir):
    from kerasdl.report.figures import ANNOTATED_CLASSES

    run_dir = fake_run_dir("multiclass", predictions=False, history=False)
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    k = ANNOTATED_CLASSES + 1  # too many cells to read as a table
    record["dataset"]["class_names"] = [f"class {i}" for i in range(k)]
    record["variants"][0]["confusion_matrix"] = (np.eye(k, dtype=int) * 5 + 1).tolist()
    (run_dir / "run.json").write_text(json.dumps(record), encoding="utf-8")
    confusion = render_run(run_dir).read_text(encoding="utf-8").split('<section id="confusion">')[1]
    confusion = confusion.split("</section>")[0]
    assert confusion.count("<svg") == 1 and '<figure class="wide">' in confusion
    assert '<table class="confusion">' not in confusion and "class 15" in confusion


@pytest.mark.parametrize("k", [3, 10])
def test_confusion_tables_of_more_than_six_classes_take_the_full_width(fake_run_dir, k):
    from kerasdl.report.prediction_sections import HALF_WIDTH_CLASSES

    run_dir = fake_run_dir("multiclass", predictions=False, history=False)
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    record["dataset"]["class_names"] = [f"class {i}" for i in range(k)]
    record["variants"][0]["confusion_matrix"] = (np.eye(k, dtype=int) * 5 + 1).tolist()
    (run_dir / "run.json").write_text(json.dumps(record), encoding="utf-8")
    confusion = render_run(run_dir).read_text(encoding="utf-8").split('<section id="confusion">')[1]
    first = confusion.split("</figure>")[0]  # the first variant's, with k classes
    assert '<table class="confusion">' in first and f"class {k - 1}" in first
    # side by side, ten classes' columns scrolled out of view; one table per row shows them all
    assert ('<figure class="confusion wide">' in first) == (k > HALF_WIDTH_CLASSES)


def test_non_finite_predictions_are_left_out_of_the_curves(fake_run_dir):
    run_dir = fake_run_dir("binary")
    with np.load(run_dir / "predictions.npz", allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    arrays["knn-3/fold1/y_score"] = np.full_like(arrays["knn-3/fold1/y_score"], np.nan)
    np.savez_compressed(run_dir / "predictions.npz", **arrays)
    html = render_run(run_dir).read_text(encoding="utf-8")
    assert "Not drawn:" in html and "KNN (k=3) (predictions contain NaN or infinity" in html
    assert html.count("<svg") == SVG_COUNT["binary"]  # its confusion matrix comes from run.json


def test_regression_without_predictions_says_so(fake_run_dir):
    _, html = _render(fake_run_dir, "regression", predictions=False)
    assert html.count("no predictions recorded") == 3


def test_failed_run_with_only_run_json_renders_its_error(tmp_path):
    run_dir = tmp_path / "broken" / "20261125-140000-beef"
    run_dir.mkdir(parents=True)
    record = {
        "schema_version": 1, "run_id": run_dir.name, "status": "failed", "seed": 0, "quick": True,
        "error": "Traceback (most recent call last):\n  ValueError: <script>alert(1)</script>",
        "experiment": {"name": "broken", "title": "Broken"},
        "dataset": {"name": "d", "task": "binary", "class_names": ["a", "b"]},
        "variants": [{"name": "v", "label": "V", "kind": "keras", "status": "failed", "error": "boom",
                      "metrics": {}, "folds": []}],
    }
    (run_dir / "run.json").write_text(json.dumps(record), encoding="utf-8")
    html = render_run(run_dir).read_text(encoding="utf-8")
    assert "Traceback (most recent call last):\n  ValueError: &lt;script&gt;" in html
    assert "no predictions recorded" in html and "no environment recorded" in html


def test_unknown_schema_version_renders_with_a_warning(fake_run_dir):
    run_dir = fake_run_dir("binary")
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    record["schema_version"] = 99
    (run_dir / "run.json").write_text(json.dumps(record), encoding="utf-8")
    assert "schema_version 99" in render_run(run_dir).read_text(encoding="utf-8")


def test_run_dir_without_run_json_is_a_user_error(tmp_path):
    with pytest.raises(UserError) as caught:
        render_run(tmp_path)
    assert "run.json" in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / "report.html").exists()


def test_unparsable_run_json_is_a_user_error(tmp_path):
    (tmp_path / "run.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match="cannot read"):
        render_run(tmp_path)


# --------------------------------------------------------------------------- study sections
def test_study_sections_render_in_order_after_the_findings_and_before_the_generic_sections(fake_run_dir):
    run_dir, html = _render(fake_run_dir, "binary", sections=True)
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    titles = [section["title"].replace("<b>&\"'", "&lt;b&gt;&amp;&#34;&#39;") for section in record["sections"]]
    headings = _h2_headings(html)
    # the generated finding shows the study's first figure ("Gradient norm per layer") inside it, once
    assert titles[1] == "Gradient norm per layer"
    generic = RUN_SECTIONS["binary"][:4] + ["ROC and PR curves"] + RUN_SECTIONS["binary"][4:]  # not moved here
    assert headings == OPENING + titles[:1] + titles[2:] + generic
    assert html.index("Gradient norm per layer") < html.index('id="about"')
    # lines, bars, images, boundaries, images with boxes, heatmap, scatter, histogram
    assert html.count("<svg") == SVG_COUNT["binary"] + 8
    table = html.split('<table class="study-table">')[1].split("</table>")[0]
    assert [m for m in re.findall(r'<tr class="row-(\w+)">', table)] == ["ok", "erratum", "ok", "mismatch"]
    assert "<td>0.295146</td>" in table and "<td>851</td>" in table  # six significant digits, not three
    assert "<p>First paragraph &lt;img src=x onerror=&#34;window.__xss=1&#34;&gt;. Same paragraph.</p>" in html
    assert "section kind &#39;hologram&#39; is not one this report draws" in html
    assert "could not be drawn: series &#39;x&#39; has 2 x values and 1 y values" in html
    assert "<script" not in html.lower() and "<b>" not in html
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


# --------------------------------------------------------------------------- figures
def test_svg_figures_keep_text_as_escaped_text():
    from kerasdl.report import figures

    svg = figures.confusion_figure([[3, 1], [2, 4]], ["<script>alert(1)</script>", "$x$ costs $5 & more"],
                                   key="t")
    assert svg.startswith("<svg ")
    assert "<text" in svg  # svg.fonttype = "none": labels are text, not glyph paths
    assert "<script" not in svg and "&lt;script&gt;alert(1)&lt;…" in svg  # tick labels cut at 18 characters
    assert "$x$ costs $5 &amp;" in svg  # "$" stays literal (no mathtext) and "&" is escaped


def test_figures_from_different_keys_share_no_ids():
    from kerasdl.report import figures

    curve = figures.Curve("a", np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.8, 1.0]), "#1f77b4")
    first, second = figures.roc_figure([curve], key="one"), figures.roc_figure([curve], key="two")
    ids = lambda svg: set(re.findall(r'\sid="([^"]+)"', svg))
    assert ids(first) and not ids(first) & ids(second)


def test_only_matplotlib_svg_is_marked_safe():
    templates = Path(__file__).resolve().parents[1] / "kerasdl" / "report" / "templates"
    uses = [m for path in templates.glob("*.j2") for m in re.findall(r"\{\{[^}]*\|\s*safe[^}]*\}\}", path.read_text())]
    assert set(uses) == {"{{ svg|safe }}"} and len(uses) == 2  # figure() and spark() in macros.html.j2
    # The one other Markup: inline_code, which escapes its text first (tested below).
    uses = {path.name: path.read_text().count("Markup(") for path in templates.parent.glob("*.py")}
    assert {name: n for name, n in uses.items() if n} == {"templating.py": 1}


# --------------------------------------------------------------------------- index
def test_index_lists_runs_newest_first_and_skips_partial_and_survives_corrupt(fake_run_dir):
    older, newer = fake_run_dir("binary"), fake_run_dir("multiclass")
    render_run(older), render_run(newer)
    out = older.parent.parent
    # `started` decides the order, not the folder name
    record = json.loads((older / "run.json").read_text(encoding="utf-8"))
    record["started"] = "2026-11-26T09:00:00+01:00"
    (older / "run.json").write_text(json.dumps(record), encoding="utf-8")
    partial = older.parent / ".20261125-150000-ffff.partial"
    partial.mkdir()
    (partial / "run.json").write_text(json.dumps(record), encoding="utf-8")
    corrupt = out / "other" / "20261125-120000-dead"
    corrupt.mkdir(parents=True)
    (corrupt / "run.json").write_text("{half a rec", encoding="utf-8")
    search = out / "tuning" / "mlp" / "random"
    (search / "trial_0").mkdir(parents=True)
    (search / "trial_0" / "trial.json").write_text("{}", encoding="utf-8")
    (search / "report.html").write_text("<!DOCTYPE html>", encoding="utf-8")
    (out / "tuning" / "mlp" / "bayesian").mkdir()

    page = render_index(out)
    assert page == out / "index.html"
    html = page.read_text(encoding="utf-8")
    runs_table = html.split('<table class="runs">')[1].split("</table>")[0]
    order = [m for m in re.findall(r"<code>(\d{8}-\d{6}-[0-9a-f]{4})</code>", runs_table)]
    assert order == [older.name, newer.name, corrupt.name]
    assert "150000-ffff" not in html and ".partial" not in html
    assert "unreadable" in runs_table and "could not be read" in runs_table
    assert "<script" not in html.lower()
    assert "<b>" not in html and "heart-&lt;b&gt;&amp;&#34;&#39;" in html
    assert "ROC AUC" in runs_table and "accuracy" in runs_table  # the headline metric of each run
    assert 'class="badge diverged"' in runs_table and 'class="badge unreadable"' in runs_table
    for href in re.findall(r'href="([^"#][^"]*)"', html):  # relative links that resolve on disk
        assert not href.startswith(("/", "http")) and (out / unquote(href.replace("&amp;", "&"))).exists(), href
    searches = html.split('<table class="searches">')[1].split("</table>")[0]
    assert 'href="tuning/mlp/random/report.html"' in searches and "bayesian" in searches
    assert _NETWORK_REFERENCE.findall(html) == []


def test_index_of_empty_folder_and_missing_folder(tmp_path):
    html = render_index(tmp_path).read_text(encoding="utf-8")
    assert "no runs yet" in html and "no hyperparameter searches yet" in html
    with pytest.raises(UserError, match="no reports folder"):
        render_index(tmp_path / "missing")


# --------------------------------------------------------------------------- no TensorFlow
def test_report_never_imports_tensorflow_or_keras(fake_run_dir):
    run_dir = fake_run_dir("binary")
    code = textwrap.dedent(f"""
        import sys
        import kerasdl.report
        assert not {{"tensorflow", "keras"}} & set(sys.modules), "import"
        kerasdl.report.render_run({str(run_dir)!r})
        kerasdl.report.render_index({str(run_dir.parent.parent)!r})
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "keras_tuner"))
        assert not loaded, loaded
    """)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("x, log_ticks", [([10, 1_000, 100_000], True), ([0, 1_000, 100_000], False)])
def test_lines_log_x_axis_only_for_positive_x(x, log_ticks):
    from kerasdl.report import section_figures

    svg = section_figures.lines_figure([{"label": "a", "x": x, "y": [1, 2, 3]}], x_label="parameters",
                                       y_label="accuracy", log_y=False, log_x=True, key="k")
    assert ("10^{3}" in svg) is log_ticks


def test_inline_code_escapes_before_it_marks_up():
    from kerasdl.report.templating import inline_code

    assert str(inline_code('use `scale="small"` or `<script>`')) == (
        'use <code>scale=&#34;small&#34;</code> or <code>&lt;script&gt;</code>')
    assert str(inline_code("no <b>tags</b> and a lone ` tick")) == "no &lt;b&gt;tags&lt;/b&gt; and a lone ` tick"


def test_study_table_cells_group_large_integers_only():
    from kerasdl.report.study_sections import _cell

    assert [_cell(v) for v in (61706, 9999, -25450, 0.5, True, None)] == ["61,706", "9999", "-25,450", "0.5", "yes", "—"]
