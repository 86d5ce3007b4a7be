"""The run page's task sections: every registered task's `report_sections` drawn from a small record,
the section registry, and old records whose task this version does not know."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from kerasdl import tasks
from kerasdl.report import render_run
from kerasdl.report.formatting import number
from kerasdl.report.prediction_sections import NO_PREDICTIONS, SECTIONS


def _page(run_dir) -> str:
    return render_run(run_dir).read_text(encoding="utf-8")


# Every page answers first: these records state no Finding (nor a description), so the report
# generates one from the best variant by the headline metric, drawing inside it the task's figure that
# shows a whole run (the first of these the task has), which is then not repeated below.
OPENING = ["What this run found"]
SHOWN_FIRST = ("curves", "regression", "samples", "confusion")


def _section(html: str, anchor: str) -> str:
    return html.split(f'<section id="{anchor}">')[1].split("</section>")[0]


def test_every_section_a_task_names_is_registered():
    for name in tasks.names():
        assert set(tasks.get(name).report_sections) <= set(SECTIONS), name


@pytest.mark.parametrize("task", tasks.names())
def test_every_task_renders_its_report_sections(task_run_dir, task):
    html = _page(task_run_dir(task))
    headings = re.findall(r"<h2>([^<]*)</h2>", html)
    wanted = [SECTIONS[name] for name in tasks.get(task).report_sections]
    first = next((SECTIONS[n] for n in SHOWN_FIRST if n in tasks.get(task).report_sections), None)
    opening = OPENING if "What this run found" in headings else []  # a task without a headline metric
    below = [s.title for s in wanted if not (opening and s is first)]
    assert headings == [*opening, "Run", "Dataset", "Metrics", *below, "Learning curves", "Models", "Environment"]
    if first is not None and opening:
        assert f'<section id="{first.anchor}"><h4>{first.title}</h4>' in html.split('id="about"')[0]
    for section in wanted:
        body = _section(html, section.anchor)
        assert "<svg" in body or '<table class="sweep">' in body or '<table class="confusion">' in body, section.anchor
        if section.title in below:
            assert f'<a href="#{section.anchor}">' in html  # in the page's navigation too
    assert "could not be drawn" not in html and NO_PREDICTIONS not in html
    assert 'class="warning"' not in html
    assert "<script" not in html.lower() and "<b>" not in html
    assert "A " + task + " run &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Model &lt;b&gt;&amp;&#34;&#39;" in html


def test_binary_curves_keep_the_printed_auc(task_run_dir):
    run_dir = task_run_dir("binary")
    with np.load(run_dir / "predictions.npz", allow_pickle=False) as npz:
        y = np.concatenate([npz["first/fold0/y_true"], npz["first/fold1/y_true"]])
        s = np.concatenate([npz["first/fold0/y_score"], npz["first/fold1/y_score"]])[:, 1]
    curves = _section(_page(run_dir), "curves")
    assert f"(AUC {number(roc_auc_score(y, s))})" in curves  # RocCurveDisplay draws our label, not its own
    assert "micro-averaged" not in curves  # two score columns: the positive class's curve


def test_tagging_confusion_counts_real_tokens_only(task_run_dir):
    recorded = task_run_dir("tagging")
    computed = task_run_dir("tagging", confusion=False)  # an older record: the report asks the task
    record = json.loads((recorded / "run.json").read_text(encoding="utf-8"))
    with np.load(recorded / "predictions.npz", allow_pickle=False) as npz:
        tokens = sum(int((npz[f"first/fold{f}/y_true"] != tasks.PAD_TAG).sum()) for f in range(2))
    assert np.sum(record["variants"][0]["confusion_matrix"]) == tokens
    first, second = _page(recorded), _page(computed)
    assert "computed from predictions.npz" in _section(second, "confusion")
    # the same matrix either way: the tables' counts agree, and the first variant's add up to its real tokens
    tables = lambda html: _section(html, "confusion").split('<table class="confusion">')[1:]
    numbers = lambda table: [int(n) for n in re.findall(r'<td class="num[^"]*" style="[^"]*">(\d+)<span', table)]
    assert [numbers(t) for t in tables(first)] == [numbers(t) for t in tables(second)]
    assert sum(numbers(tables(first)[0])) == tokens


@pytest.mark.parametrize("shape", [(64,), (8, 8), (8, 8, 1), (8, 8, 3)])
def test_generated_images_are_drawn_beside_real_ones(task_run_dir, shape):
    samples = _section(_page(task_run_dir("generation", shape=shape)), "samples")
    assert samples.count("<svg") == 2  # one grid per variant
    assert "real 1" in samples and "generated 1" in samples and "Top row" in samples


def test_generated_samples_that_are_not_images_say_so(task_run_dir):
    samples = _section(_page(task_run_dir("generation", shape=(5,))), "samples")
    assert "<svg" not in samples and "neither single values nor images" in samples


def test_generated_heights_are_compared_as_densities(task_run_dir):
    samples = _section(_page(task_run_dir("generation")), "samples")
    assert samples.count("<svg") == 2 and "real (held out): mean 1" in samples and "generated: mean 1" in samples


def test_unknown_task_of_an_old_record_still_renders(task_run_dir):
    html = _page(task_run_dir("multiclass", dataset_task="sequence"))
    headings = re.findall(r"<h2>([^<]*)</h2>", html)
    assert headings == [*OPENING, "Run", "Dataset", "Metrics", "Learning curves", "Models", "Environment"]
    assert "task &#39;sequence&#39; is not one this version of kerasdl knows" in html
    assert 'id="confusion"' not in html and 'id="curves"' not in html
    assert 'class="num best"' in html  # the metrics table is still there
