"""Every registered experiment runs end to end in --quick mode and renders its report.

Parametrized over `kerasdl.experiments.available()`, so a new study script is covered the moment it
exists. The full runs are too slow for the suite; their numbers live in the README and closing notes.
"""

from __future__ import annotations

import json

import pytest

from kerasdl import experiments, report
from kerasdl.data import registry as data
from kerasdl.errors import DatasetUnavailable
from kerasdl.harness import run
from kerasdl.report import sections

NAMES = [info.name for info in experiments.available()]
# Studies whose findings are prose built from the numbers: even a --quick run's text must not print "nan".
STORY_STUDIES = {"initializers", "capacity", "batch-size", "batch-norm", "cross-validation", "baselines"}


@pytest.mark.parametrize("name", NAMES)
def test_experiment_runs_quick_and_reports(name, tmp_path):
    module = experiments.load_module(name)
    experiment = module.experiment()
    assert experiment.name == name == module.NAME
    if getattr(module, "REAL_DATA", False) and not data.spec(experiment.dataset).info().offline:
        # a study of the real keras.datasets sets (issue 14): offline it must stop at once, naming --download;
        # tests/test_dataset_override.py runs it on small cached fakes
        with pytest.raises(DatasetUnavailable, match="--download"):
            run(experiment, quick=True, out=tmp_path, quiet=True, tensorboard=False)
        assert not any(tmp_path.iterdir())
        return
    record = run(experiment, quick=True, out=tmp_path, quiet=True, tensorboard=False)
    assert record.status in ("completed", "diverged"), record.data["error"]
    for variant in record.data["variants"]:
        assert variant["status"] in ("completed", "diverged"), (variant["name"], variant["error"])
        if variant["status"] == "completed":
            assert variant["metrics"], f"{variant['name']} has no metrics"
    assert record.data["variants"] or record.data["sections"], "an experiment must compare or show something"
    page = report.render_run(record.path)
    html = page.read_text(encoding="utf-8")
    assert json.loads((record.path / "run.json").read_text())["experiment"]["name"] == name
    if name in STORY_STUDIES:
        kinds = [s["kind"] for s in record.data["sections"]]
        assert "text" in kinds and ("lines" in kinds or "table" in kinds)
        text = next(s["body"] for s in record.data["sections"] if s["kind"] == "text")
        assert "nan" not in text.lower().split()
    for section in record.data["sections"]:
        assert section["kind"] in sections.KINDS
        assert str(section["title"]).split("<")[0][:20] in html


def test_experiment_scripts_do_not_import_tensorflow():
    import subprocess
    import sys

    code = ("import sys\nfrom kerasdl import experiments\nexperiments.available()\n"
            "assert 'tensorflow' not in sys.modules, 'an experiment script imports TensorFlow at import time'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_catalog_experiment_names_are_registered():
    """The names ../shared/CATALOG.md fixes for the foundation."""
    assert "heart-disease" in NAMES


def test_every_registered_builder_is_used_by_an_experiment():
    """Issue 3: each builder trains in at least one study (and so appears in at least one report)."""
    from kerasdl import models

    used = {variant.builder for name in NAMES for variant in experiments.load_module(name).experiment().variants}
    unused = sorted(info.name for info in models.available() if info.name not in used)
    assert not unused, f"builders no experiment trains: {unused}"
