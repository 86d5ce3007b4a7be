"""The report pages of issue 15, checked without a browser: the index laid out like the notes
(kerasdl.report.contents, index_layout), a run page that answers first (findings), and
`kerasdl compare`. tests/test_report_browser.py opens the same pages in Chromium."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from kerasdl import cli, experiments, tuning
from kerasdl.errors import UserError
from kerasdl.report import contents, index_layout, render_index, render_run
from kerasdl.report.compare import render_compare_runs
from kerasdl.report.sections import Bars, Finding


def registered_as(run_dir: Path, name: str, *, seed: int | None = None, **record_changes) -> Path:
    """Move a fake run under `name` (a registered study) and rename it in its record."""
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    record["experiment"]["name"] = name
    if seed is not None:
        record["seed"] = seed
    record.update(record_changes)
    target = run_dir.parent.parent / name / run_dir.name
    target.parent.mkdir(exist_ok=True)
    shutil.move(run_dir, target)
    (target / "run.json").write_text(json.dumps(record), encoding="utf-8")
    return target


def with_sections(run_dir: Path, *sections) -> Path:
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    record["sections"] = [s.to_record() for s in sections] + record["sections"]
    (run_dir / "run.json").write_text(json.dumps(record), encoding="utf-8")
    return run_dir


BARS = Bars("Zero weights", labels=["L1", "L2"], series=[{"label": "share", "values": [0.4, 0.1]}])
FINDING = Finding("Does L1 zero weights?", claim="L1 drives weights to exactly zero", notes_ref="001:3477-3503",
                  answer="Not here: 0.4 of the weights under L1 against 0.1 under L2.", figure="zero  WEIGHTS")


# --------------------------------------------------------------------------- the notes' table of contents
def test_parts_are_ordered_and_disjoint_and_name_known_topics():
    keys = {t.key for t in contents.TOPICS}
    for file in ("000", "001", "002", "003", "004"):
        parts = [p for p in contents.PARTS if p.file == file]
        assert parts and all(a.last < b.first for a, b in zip(parts, parts[1:])), file
    assert {p.topic for p in contents.PARTS} == keys - {"search"} | {"search"}
    assert all(p.quote and p.first <= p.last for p in contents.PARTS)


@pytest.mark.parametrize("ref, topic", [
    ("000:1865-1981", "evaluation"), ("001:2006-2072", "convolution"), ("001:1705-1763", "named-cnns"),
    ("002:422-486, 002:395-404", "vision-tasks"), ("001:3767-3921", "generative"), ("001:871-1010", "training"),
    ("000:76-86, 004:252-338", "perceptron-mlp"), ("001:3133-3172", "search"),
    ("001:33 (Unit III), 001:2836", "recurrent"),  # words around a reference are ignored
    ("syllabus; Rifai et al. 2011", "other"), ("", "other"),
])
def test_topic_of_the_first_line_cited(ref, topic):
    assert contents.topic_of(ref) == topic


def test_every_registered_study_and_unit_is_placed():
    studies, units, problem = index_layout.registered()
    assert problem == "" and len(studies) == len(experiments.available()) and len(units) == len(tuning.available())
    placed = [contents.topic_of(s.notes_ref) for s in studies]
    # a study lands in "other" only when its reference names no notes line at all
    assert all(topic != "other" or not contents.parse_refs(s.notes_ref) for s, topic in zip(studies, placed))
    assert len({t for t in placed if t != "other"}) >= 7


def test_cited_parts_are_those_overlapping_within_the_topic():
    parts = contents.cited_parts(["001:2006-2072, 001:2131", "000:1940"], topic="convolution")
    assert [p.ref for p in parts] == ["001:2006-2078", "001:2119-2160"]
    assert contents.parse_refs("003:20-10") == [("003", 10, 20)]


# --------------------------------------------------------------------------- a run page answers first
def _headings(html: str) -> list[str]:
    return re.findall(r"<h2>([^<]*)</h2>", html)


def test_stated_finding_comes_first_with_its_figure_drawn_once(fake_run_dir):
    run_dir = with_sections(fake_run_dir("binary"), FINDING, BARS)
    html = render_run(run_dir).read_text(encoding="utf-8")
    assert _headings(html)[:2] == ["Findings", "About this study"]
    findings = html.split('<section id="findings"')[1].split("</section>")[0]
    assert "L1 drives weights to exactly zero" in findings and "notes 001:3477-3503" in findings
    assert "Not here: 0.4 of the weights" in findings and findings.count("<svg") == 1  # the Bars, inside
    assert html.count("Zero weights</h") == 1 and "Zero weights</h2>" not in html  # not drawn again below
    assert html.index('id="findings"') < html.index('id="about"') < html.index('id="overview"')
    assert '<details class="fold" open>' in html  # three variants: the generic sections stay open


def test_many_variants_fold_the_generic_sections(fake_run_dir):
    html = render_run(fake_run_dir("binary", n_variants=6, predictions=False)).read_text(encoding="utf-8")
    folds = re.findall(r'<details class="fold"( open)?>', html)
    # run, dataset, metrics, confusion, thresholds, learning, models, environment; the ROC and PR curves
    # are drawn inside the generated finding (this record has no figure of its own)
    assert len(folds) == 8 and not any(folds)
    assert "6 variants · best ROC AUC:" in html  # the folded metrics say what they hold
    generated = html.split('<section id="findings"')[1].split('<section id="about">')[0]
    assert "Best ROC AUC (higher is better):" in generated and "; next " in generated


def test_finding_naming_a_task_section_draws_it_inside_and_links_to_others(fake_run_dir):
    roc = Finding("AUC", claim="c", notes_ref="000:1960", answer="0.9", figure="ROC and PR curves")
    learning = Finding("Epochs", claim="c", notes_ref="000:106", answer="8", figure="Learning curves")
    run_dir = with_sections(fake_run_dir("binary", predictions=True, history=False), roc, learning)
    html = render_run(run_dir).read_text(encoding="utf-8")
    findings = html.split('<section id="findings"')[1].split('<section id="about">')[0]
    assert '<section id="curves"><h4>ROC and PR curves</h4>' in findings and findings.count("<svg") == 2
    assert html.count('id="curves"') == 1 and "ROC and PR curves</h2>" not in html  # moved, not repeated
    assert 'Shown in <a href="#learning">Learning curves</a> below.' in findings


def test_finding_naming_a_missing_figure_raises_in_strict_mode_and_is_a_note_otherwise(fake_run_dir, monkeypatch):
    from kerasdl.report import study_sections

    finding = Finding("F", claim="c", notes_ref="000:1", answer="a", figure="No such chart")
    run_dir = with_sections(fake_run_dir("binary", predictions=False, history=False), finding)
    with pytest.raises(ValueError, match="'No such chart' is not a section of this report"):
        render_run(run_dir)
    monkeypatch.setattr(study_sections, "_strict", False)
    assert "is not a section of this report" in render_run(run_dir).read_text(encoding="utf-8")


def test_disk_used_is_shown_when_the_record_states_it(fake_run_dir):
    run_dir = fake_run_dir("regression", predictions=False, history=False)
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    (run_dir / "run.json").write_text(json.dumps({**record, "disk_bytes": 3 * 1024 ** 2}), encoding="utf-8")
    assert "<th scope=\"row\">Disk used</th><td>3.0 MB</td>" in render_run(run_dir).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the index
def test_index_is_laid_out_like_the_notes(fake_run_dir):
    older = registered_as(fake_run_dir("binary"), "heart-disease", seed=1, disk_bytes=2048)
    newer = registered_as(with_sections(fake_run_dir("binary"), FINDING, BARS), "heart-disease", seed=2)
    stray = fake_run_dir("regression")  # an unregistered script's run
    render_run(newer)
    out = newer.parent.parent
    html = render_index(out).read_text(encoding="utf-8")
    topics = re.findall(r'<section id="([\w-]+)" class="topic">', html)
    order = [t.key for t in contents.TOPICS] + ["other"]
    assert topics == sorted(topics, key=order.index) and {"evaluation", "search", "other"} <= set(topics)
    evaluation = html.split('<section id="evaluation" class="topic">')[1].split("</section>")[0]
    assert "<q>Well Known 10 Evaluation Metrics for Classification Models</q>" in evaluation  # lines mirrored
    row = evaluation.split('id="study-heart-disease"')[1].split('<tr id=')[0]
    assert newer.name in row and "Not here: 0.4 of the weights" in row and '<svg class="spark"' in row
    assert "History: 2 runs, seeds 1, 2" in row and "kerasdl compare " + older.name in row
    assert "not run yet</span> <code>kerasdl run baselines</code>" in evaluation
    assert "kerasdl tune mlp-heart" in html  # a search unit not searched yet
    assert html.count('">not run yet</span>') == len(experiments.available()) - 1
    other = html.split('<section id="other" class="topic">')[1].split("</section>")[0]
    assert stray.name in other
    history = (out / "_history" / "heart-disease.html").read_text(encoding="utf-8")
    assert f'href="../heart-disease/{older.name}/report.html"' not in history  # no report rendered
    assert f'href="../heart-disease/{newer.name}/report.html"' in history
    assert sorted(p.name for p in newer.parent.iterdir()) == sorted([older.name, newer.name])  # run folders only
    assert "2.0 KB" in history and "<script" not in html.lower() + history.lower()


def test_index_folds_old_runs_into_the_history_page(fake_run_dir):
    runs = [registered_as(fake_run_dir("regression"), "capacity", seed=i) for i in range(index_layout.HISTORY_ROWS + 3)]
    out = runs[0].parent.parent
    html = render_index(out).read_text(encoding="utf-8")
    row = html.split('id="study-capacity"')[1].split('<tr id=')[0]
    assert row.count("<code>2026") == index_layout.HISTORY_ROWS + 1  # the latest run + the newest ten
    assert "3 older runs:" in row and 'href="_history/capacity.html"' in row
    history = (out / "_history" / "capacity.html").read_text(encoding="utf-8")
    assert all(run.name in history for run in runs)


def test_sparkline_draws_only_finite_values_and_marks_quick_runs():
    svg = index_layout.sparkline([0.5, None, 0.7, float("nan"), 0.6], [False, False, True, False, False])
    assert svg.count("<circle") == 3 and svg.count('class="quick"') == 1 and "<polyline" in svg
    assert index_layout.sparkline([0.5], [False]) == "" and index_layout.sparkline([], []) == ""


# --------------------------------------------------------------------------- kerasdl compare
def test_compare_shows_differences_of_metrics_curves_and_settings(fake_run_dir):
    first = registered_as(fake_run_dir("binary"), "heart-disease", seed=0)
    second = registered_as(fake_run_dir("binary", n_variants=4), "heart-disease", seed=3)
    (first / "report.html").write_text("<!DOCTYPE html>", encoding="utf-8")
    render_index(first.parent.parent)
    page = render_compare_runs([str(first), second.name], out=first.parent.parent)
    assert page.parent == first.parent.parent / "_compare"
    html = page.read_text(encoding="utf-8")
    metrics = html.split('<table class="compare-metrics">')[1].split("</table>")[0]
    assert "Δ B−A" in metrics and "MLP wide #0" in metrics and "(not in every run)" in metrics
    assert "best variant of each run" in metrics
    differences = html.split('<table class="differences">')[1].split("</table>")[0]
    assert "<code>seed</code></td><td>0</td><td>3</td>" in differences
    assert html.count("<figure") >= 3  # overlaid learning curves of shared variants, ROC and PR
    assert f'href="../heart-disease/{first.name}/report.html"' in html  # the reports on disk are linked
    assert f'/{second.name}/report.html"' not in html  # no report rendered for this one
    about = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
    assert [r["run_id"] for r in about["runs"]] == [first.name, second.name]
    index = render_index(first.parent.parent).read_text(encoding="utf-8")
    assert f'href="_compare/{page.name}"' in index


def test_compare_bad_input_is_one_line_and_exit_status_2(fake_run_dir, tmp_path, capsys):
    run = fake_run_dir("binary")
    damaged = tmp_path / "reports" / "x" / "20260101-000000-dead"
    damaged.mkdir(parents=True)
    (damaged / "run.json").write_text("{half", encoding="utf-8")
    cases = [([str(run)], "at least two runs"), ([str(run), str(run.parent)], "is not a run folder"),
             ([str(run), "no-such-run"], "no run 'no-such-run'"), ([str(run), str(damaged)], "cannot read"),
             ([str(run), str(run)], "the same run was named twice")]
    for arguments, message in cases:
        assert cli.main(["compare", *arguments, "--out", str(tmp_path / "reports")]) == 2
        error = capsys.readouterr().err
        assert message in error and error.count("\n") == 1 and "Traceback" not in error
    with pytest.raises(UserError):
        render_compare_runs([str(run)])
