"""Typed report sections (kerasdl/report/sections.py) and how the run page draws them.

One parametrized test runs the same checks over every section type: built valid, its record
round-trips through from_record, and study_sections draws it without a note. Malformed sections
raise at construction with the section's title, the expectation and the value received.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from kerasdl.report import section_figures, study_sections
from kerasdl.report.sections import (ROW_STATUSES, Bars, Boundaries, Finding, Heatmap, Histogram, Images, Lines,
                                     Scatter, Section, SectionError, Table, Text, as_record, from_record)

_GRID = [-1.0, 0.0, 1.0]
VALID = [
    Table("Worked examples", columns=["example", "value"], rows=[["conv", 19], ["stride", math.nan]],
          row_status=["ok", "erratum"], caption="notes vs computed"),
    Lines("Validation loss", series=[{"label": "mlp", "x": [1, 2, 3], "y": [0.9, 0.5, None]}],
          x_label="epoch", y_label="loss", log_y=True),
    Bars("Zero weights", labels=["L1", "L2"], series=[{"label": "λ=1e-4", "values": [0.1, 0.05]}], y_label="share"),
    Images("Kernels", images=[{"label": "grey", "pixels": [[0, 1], [1, 0]]},
                              {"label": "rgb", "pixels": [[[0, 0, 0], [1, 1, 1]]] * 2, "range": [0, 2]}], columns=2),
    Boundaries("Decision regions", panels=[{"label": "perceptron", "xs": _GRID, "ys": _GRID,
                                            "z": [[0.1, 0.5, 0.9]] * 3,
                                            "points": {"x": [0.5], "y": [-0.5], "label": [1]}}]),
    Text("What this run shows", body="First paragraph.\n\nSecond paragraph."),
    Images("Detections", images=[{"label": "image 1", "pixels": [[0, 1, 0]] * 3,
                                  "boxes": [{"box": [0, 0, 2, 2], "label": "square", "kind": "true"},
                                            {"box": [0.5, 0, 2, 2.5], "label": "square 0.91", "kind": "predicted"}]}]),
    Heatmap("Attention", panels=[{"label": "example 1", "matrix": [[0.9, 0.1], [0.2, None]],
                                  "row_labels": ["<b>out", "END"], "column_labels": ["in", "put"]}],
            x_label="input token", y_label="output token", value_range=[0, 1]),
    Scatter("Latent space", series=[{"label": "digit 0", "x": [0.1, 0.2], "y": [1.0, None]},
                                    {"label": "digit 1", "x": [-1], "y": [2]}], x_label="z1", y_label="z2",
            diagonal=True),
    Histogram("Heights", series=[{"label": "generated", "values": [150.0, 149.0, 180.5, None]}], bins=5,
              x_label="cm", curves=[{"label": "N(150, 30)", "x": [100, 150, 200], "y": [0.003, 0.013, 0.003]}]),
    Finding("What it found", claim="Does depth help?", notes_ref="001:915-919, 003:200",
            answer="Yes: 0.91 against 0.84.", figure="Validation loss", caption="3 seeds"),
]


@pytest.mark.parametrize("section", VALID, ids=[type(s).__name__ for s in VALID])
def test_every_section_round_trips_and_renders_without_a_note(section: Section):
    record = section.to_record()
    assert record["kind"] == section.kind and record["title"] == section.title
    json.dumps(record)  # plain JSON (NaN aside, which the run record turns into null)
    assert from_record(record) == section
    assert type(section).from_record(record) == section
    assert as_record(section) == record == as_record(record)
    assert dict(section) == record and section["kind"] == section.kind  # read-only mapping view
    [entry] = study_sections.study_sections({"sections": [record]})
    assert entry["kind"] == section.kind and "note" not in entry
    assert entry["title"] == section.title


@pytest.mark.parametrize("build, message", [
    (lambda: Table("T", columns=["a", "b"], rows=[[1, 2], [3]]), "Table section 'T': expected every row to have 2 "
                                                                  "cells (one per column). Received: row 2 = [3]"),
    (lambda: Table("T", columns=["a"], rows=[[1]], row_status=["green"]), f"row_status entries in {ROW_STATUSES}"),
    (lambda: Table("T", columns=["a"], rows=[[1], [2]], row_status=["ok"]), "one entry per row (2)"),
    (lambda: Lines("L", series=[{"label": "x", "x": [1, 2], "y": [1]}]),
     "Received: series 'x' has 2 x values and 1 y values"),
    (lambda: Lines("L", series=[{"label": "x", "x": [1], "y": ["high"]}]), "y to be a list of numbers"),
    (lambda: Bars("B", labels=["a", "b"], series=[{"label": "s", "values": [1]}]), "1 values for 2 labels"),
    (lambda: Images("I", images=[]), "expected at least one image"),
    (lambda: Images("I", images=[{"pixels": [[1, 2], [3]]}]), "H×W (grey) or H×W×3 (RGB)"),
    (lambda: Images("I", images=[{"pixels": [[[1, 2]]]}]), "of shape (1, 1, 2)"),
    (lambda: Boundaries("D", panels=[{"xs": [0, 1], "ys": [0], "z": [[0.5]]}]), "z of shape (len(ys), len(xs))"),
    (lambda: Text("X", body=None), "Text section 'X': expected body to be a string"),
    (lambda: Finding("F", claim="", notes_ref="001:1", answer="a"), "expected claim to be a non-empty string"),
    (lambda: Finding("F", claim="c", notes_ref="page 3", answer="a"), "Received: notes_ref='page 3'"),
    (lambda: Finding("F", claim="c", notes_ref="001:1-2", answer=0.9), "answer to be a non-empty string"),
    (lambda: Finding("F", claim="c", notes_ref="001:1", answer="a", figure=None), "figure to be the title"),
    (lambda: Images("I", images=[{"pixels": [[1]], "boxes": [{"box": [0, 0, 1]}]}]), "box=[x_min, y_min, x_max, y_max]"),
    (lambda: Images("I", images=[{"pixels": [[1]], "boxes": [{"box": [0, 0, 1, 1], "kind": "guess"}]}]),
     "box kind in ('true', 'predicted')"),
    (lambda: Heatmap("H", panels=[{"matrix": [[1, 2], [3]]}]), "a matrix of R rows × C numbers"),
    (lambda: Heatmap("H", panels=[{"matrix": [[1, 2]], "column_labels": ["a"]}]), "column_labels with one label"),
    (lambda: Heatmap("H", panels=[]), "expected at least one panel"),
    (lambda: Scatter("S", series=[{"label": "a", "x": [1, 2], "y": [1]}]), "2 x values and 1 y values"),
    (lambda: Histogram("H", series=[{"label": "a", "values": []}]), "expected at least one value"),
    (lambda: Histogram("H", series=[{"label": "a", "values": [1]}], bins=0), "bins to be an integer from 1 to 500"),
    (lambda: Text(3, body=""), "expected the title to be a string"),
    (lambda: from_record({"kind": "hologram", "title": "H"}), "expected kind one of"),
    (lambda: from_record({"kind": "table", "title": "T", "colums": ["a"], "rows": []}), "Received: ['colums']"),
    (lambda: from_record({"kind": "text", "title": "T"}), "expected the fields ['body']"),
    (lambda: Table.from_record({"kind": "text", "title": "T", "body": ""}), "expected kind='table'"),
    (lambda: as_record(["not", "a", "section"]), "expected a report section"),
])
def test_malformed_sections_raise_with_expectation_and_received_value(build, message):
    with pytest.raises(ValueError) as caught:
        build()
    assert message in str(caught.value)


def test_malformed_record_on_disk_becomes_a_note_naming_what_is_wrong():
    entries = study_sections.study_sections({"sections": [
        {"kind": "lines", "title": "Malformed", "series": [{"label": "x", "x": [1, 2], "y": [1]}]},
        {"kind": "hologram", "title": "Unknown"}]})
    assert [e["kind"] for e in entries] == ["note", "note"]
    assert "series 'x' has 2 x values and 1 y values" in entries[0]["note"]
    assert "'hologram' is not one this report draws" in entries[1]["note"]


def test_a_section_failing_to_draw_raises_in_strict_mode_and_is_a_note_otherwise(monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("figure code bug")

    monkeypatch.setattr(section_figures, "lines_figure", broken)
    record = {"sections": [VALID[1].to_record()]}
    assert study_sections.is_strict()  # tests/conftest.py turns strict mode on for the whole session
    with pytest.raises(ValueError, match="figure code bug"):
        study_sections.study_sections(record)
    study_sections.set_strict(False)
    try:
        [entry] = study_sections.study_sections(record)
    finally:
        study_sections.set_strict(None)
    assert entry["kind"] == "note" and "figure code bug" in entry["note"]


def test_sections_module_imports_neither_tensorflow_nor_matplotlib():
    code = ("import sys\nimport kerasdl.report.sections, kerasdl.report.study_helpers\n"
            "print(sorted(m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_section_error_keeps_its_parts():
    with pytest.raises(SectionError) as caught:
        Table("T", columns=["a"], rows=[[1, 2]])
    assert caught.value.kind == "Table" and caught.value.title == "T"
    assert caught.value.received == "row 1 = [1, 2]"


def test_the_section_base_is_abstract():
    from kerasdl.report.sections import Section

    with pytest.raises(TypeError, match="abstract"):
        Section("no kind")
