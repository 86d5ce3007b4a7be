"""`kerasdl run NAME --dataset OTHER` (issue 14): a study on another fitting dataset, and benchmarks-classic.

The real keras.datasets sets are replaced by tiny files in their real formats in a temporary
KERAS_HOME (as in tests/test_data.py: kerasdl's file table is given the fakes' hashes, and Keras's own
re-check is answered "valid" while any download fails the test). Runs are --quick.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import replace

import numpy as np
import pytest

import kerasdl.data as data
from kerasdl import experiments, study_data
from kerasdl.cli import main
from kerasdl.data import compatibility, keras_sets, registry
from kerasdl.errors import DatasetUnavailable, UserError
from kerasdl.harness import run


@pytest.fixture
def fake_cache(keras_home, monkeypatch):
    """A Keras home with tiny MNIST / IMDB / Reuters files that kerasdl and Keras both accept."""
    from keras.src.utils import file_utils

    home = keras_home.parent
    monkeypatch.setattr(file_utils, "validate_file", lambda *a, **k: True)
    monkeypatch.setattr(file_utils, "urlretrieve", lambda *a, **k: pytest.fail("tried to download"))
    rng = np.random.default_rng(0)

    def place(name: str, **arrays) -> None:
        (spec_file,) = keras_sets._FILES[name]
        path = home / "datasets" / spec_file.cached_as
        np.savez(path, **arrays)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        monkeypatch.setitem(keras_sets._FILES, name, (replace(spec_file, sha256=digest),))

    def ragged(n, target):
        """Word ids whose first words carry the class, so a model can learn something in one epoch."""
        out = np.empty(n, dtype=object)
        for i in range(n):
            words = rng.integers(4, 300, int(rng.integers(8, 40))).tolist()
            out[i] = [1, 10 + int(target[i])] + [int(w) for w in words]
        return out

    digits = rng.integers(0, 10, 500)
    images = (rng.random((500, 28, 28)) * 60).astype(np.uint8)
    images[np.arange(500), 2 * digits + 4, 4:24] = 255  # a bar whose row is the class
    place("mnist", x_train=images[:400], y_train=digits[:400].astype(np.uint8),
          x_test=images[400:], y_test=digits[400:].astype(np.uint8))
    polarity = np.arange(300) % 2
    place("imdb", x_train=ragged(240, polarity[:240]), y_train=polarity[:240],
          x_test=ragged(60, polarity[240:]), y_test=polarity[240:])
    topics = np.arange(300) % 46
    place("reuters", x=ragged(300, topics), y=topics)
    return home


# ----------------------------------------------------------------------------------- compatibility

@pytest.mark.parametrize("name", [n for n in registry.names() if registry.spec(n).origin != "keras-cache" and
                                  compatibility.kind_of_name(n) not in (None, compatibility.SERIES)])
def test_the_kind_table_agrees_with_what_each_offline_dataset_holds(name):
    assert compatibility.input_kind(data.load(name, limit=60)) == compatibility.kind_of_name(name)


def test_task_families_and_fitting_datasets():
    assert compatibility.task_family("binary") == compatibility.task_family("multiclass") == "classification"
    assert compatibility.task_family("regression") == "regression"
    assert compatibility.compatible(compatibility.IMAGES, "multiclass") == ["digits", "mnist", "fashion-mnist",
                                                                            "cifar10"]
    assert compatibility.compatible(compatibility.TOKENS, "binary") == ["imdb", "reuters", "reviews"]
    assert "diabetes" not in compatibility.compatible(compatibility.TABULAR, "binary")
    assert compatibility.kind_of_name("my.CSV") == compatibility.TABULAR


def test_a_misfit_is_one_line_naming_the_datasets_that_fit(capsys):
    assert main(["run", "cnn-vs-mlp", "--dataset", "imdb"]) == 2
    error = capsys.readouterr().err.strip()
    assert error == ("kerasdl: error: study 'cnn-vs-mlp' compares models for classification of images and cannot "
                     "run on 'imdb' (classification of word indices); datasets it can run on: mnist, fashion-mnist, "
                     "cifar10")
    assert main(["run", "heart-disease", "--dataset", "diabetes"]) == 2
    assert "your own CSV file (--dataset FILE.csv --dataset-option target=COLUMN)" in capsys.readouterr().err
    assert main(["run", "fixed-kernels", "--dataset", "digits"]) == 2
    assert "trains on no dataset" in capsys.readouterr().err
    assert main(["run", "cnn-vs-mlp", "--dataset", "digits", "--dataset-option", "flatten"]) == 2
    assert "--dataset-option expects KEY=VALUE, got 'flatten'" in capsys.readouterr().err


def test_builders_of_the_image_studies_adapt_to_every_image_shape():
    from kerasdl import models

    cnn_vs_mlp = experiments.load_module("cnn-vs-mlp").experiment()
    for shape in ((8, 8, 1), (28, 28, 1), (32, 32, 3)):
        for variant in cnn_vs_mlp.variants[:2]:
            model = models.build(variant.builder, shape, 10, **variant.hyperparameters)
            assert model.input_shape[1:] == shape and model.output_shape == (None, 10)


# -------------------------------------------------------------------------------------- runs on fakes

def test_cnn_vs_mlp_runs_on_mnist_and_the_record_names_it(fake_cache, tmp_path):
    module = experiments.load_module("cnn-vs-mlp")
    experiment = study_data.experiment_for(module, dataset="MNIST", quick=True)
    assert experiment.dataset.name == "mnist" and experiment.dataset.n_samples == 300  # limited while loading
    record = run(experiment, quick=True, out=tmp_path / "r", quiet=True, tensorboard=False)
    assert record.status == "completed", record.data["error"]
    assert record.data["dataset"]["name"] == "mnist" and record.data["dataset"]["input_shape"] == [28, 28, 1]
    title = record.data["experiment"]["title"]
    assert title.endswith("— run on mnist instead of digits") and record.data["experiment"]["name"] == "cnn-vs-mlp"
    assert record.data["experiment"]["description"].startswith("Run with --dataset MNIST on mnist")
    from kerasdl import report

    assert "run on mnist instead of digits" in report.render_run(record.path).read_text(encoding="utf-8")


def test_review_polarity_runs_on_imdb_with_its_vocabulary_and_builds_for_reuters(fake_cache, tmp_path):
    module = experiments.load_module("review-polarity")
    experiment = study_data.experiment_for(module, dataset="imdb", quick=True)
    sizes = {v.hyperparameters["vocab_size"] for v in experiment.variants if v.builder is not None}
    assert sizes == {10000}  # the IMDB loader's num_words, not the generated reviews' small vocabulary
    record = run(experiment, quick=True, out=tmp_path, quiet=True, tensorboard=False)
    assert record.status == "completed" and record.data["dataset"]["name"] == "imdb"

    reuters = study_data.experiment_for(module, dataset="reuters", options={"num_words": 500, "maxlen": 30})
    assert reuters.dataset.task == "multiclass" and reuters.dataset.n_classes == 46
    assert {v.hyperparameters["vocab_size"] for v in reuters.variants if v.builder is not None} == {500}


def test_heart_disease_runs_on_a_user_csv_from_the_command_line(tmp_path, capsys):
    rng = np.random.default_rng(5)
    rows = ["age,pressure,smoker,outcome"] + [
        f"{int(a)},{p:.1f},{s},{'sick' if a + 10 * s > 55 else 'well'}"
        for a, p, s in zip(rng.integers(20, 80, 120), rng.normal(130, 15, 120), rng.integers(0, 2, 120))]
    path = tmp_path / "patients.csv"
    path.write_text("\n".join(rows) + "\n")
    code = main(["run", "heart-disease", "--dataset", str(path), "--dataset-option", "target=outcome", "--quick",
                 "--quiet", "--no-tensorboard", "--out", str(tmp_path / "reports")])
    assert code == 0, capsys.readouterr().err
    (record,) = (tmp_path / "reports" / "heart-disease").glob("*/run.json")
    saved = json.loads(record.read_text())
    assert saved["dataset"]["name"] == "patients" and saved["dataset"]["origin"] == "user"
    assert "run on patients instead of heart-disease" in saved["experiment"]["title"]
    assert all("given by the study for heart-disease; this run is on patients" in r["comment"]
               for r in saved["experiment"]["references"])


def test_a_reconstruction_study_reads_mnist_through_its_source_option(fake_cache):
    module = experiments.load_module("autoencoders")
    experiment = study_data.experiment_for(module, dataset="mnist", quick=True)
    assert experiment.dataset.name == "digits-reconstruction" and experiment.dataset.extras["source"] == "mnist"
    assert experiment.dataset.input_shape == (28, 28, 1)
    assert "run on digits-reconstruction (source mnist) instead of digits-reconstruction" in experiment.title
    with pytest.raises(UserError, match="cannot run on 'imdb'.*through digits-reconstruction's source option"):
        study_data.experiment_for(module, dataset="imdb")


# ------------------------------------------------------------------------------------ benchmarks-classic

def test_benchmarks_classic_without_data_names_the_download_before_tensorflow(tmp_path):
    import subprocess

    code = ("import sys\nfrom kerasdl.cli import main\ncode = main(['run', 'benchmarks-classic', '--dataset', "
            "'reuters'])\nassert code == 2 and 'tensorflow' not in sys.modules, code\n")
    env = {"KERAS_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == (
        "kerasdl: error: dataset 'reuters' is not in the Keras cache: run `kerasdl datasets --download reuters` "
        "(or add --download to `kerasdl run`), or place reuters.npz (from "
        f"https://storage.googleapis.com/tensorflow/tf-keras-datasets/reuters.npz) in {tmp_path / 'datasets'}/ "
        "and run again")
    with pytest.raises(UserError, match="runs on mnist, fashion-mnist, cifar10, imdb, reuters"):
        study_data.experiment_for(experiments.load_module("benchmarks-classic"), dataset="digits")


@pytest.mark.parametrize("dataset, variants", [("mnist", ["dense", "convnet"]), ("imdb", ["dense-bow", "lstm"])])
def test_benchmarks_classic_runs_on_cached_data_with_the_published_figures(fake_cache, tmp_path, dataset, variants):
    from kerasdl import report

    module = experiments.load_module("benchmarks-classic")
    experiment = study_data.experiment_for(module, dataset=dataset)
    record = run(experiment, quick=True, out=tmp_path, quiet=True, tensorboard=False)
    assert record.status == "completed", record.data["error"]
    assert [v["name"] for v in record.data["variants"]] == variants
    assert record.data["dataset"]["name"] == dataset and record.data["experiment"]["title"].endswith(dataset)
    published = {r["variant"]: r["notes_value"] for r in record.data["experiment"]["references"]}
    assert published == ({"dense": 0.978, "convnet": 0.993} if dataset == "mnist" else
                         {"dense-bow": 0.88, "lstm": 0.89})
    finding, table = record.data["sections"][:2]
    assert finding["kind"] == "finding" and f"On {dataset}: " in finding["answer"]
    assert table["title"] == "Published test accuracy beside ours" and len(table["rows"]) == 2
    html = report.render_run(record.path).read_text(encoding="utf-8")
    assert "Notes vs ours" in html and "Chollet" in html


def test_run_download_fetches_the_set_before_the_study_is_built(tmp_path, monkeypatch):
    """--download goes through kerasdl.data.downloads (tested on loopback in tests/test_downloads.py)."""
    fetched = []
    from kerasdl.data import downloads

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    config = sys.modules.get("keras.src.backend.config")
    if config is not None:
        monkeypatch.setattr(config, "_KERAS_DIR", str(tmp_path))
    monkeypatch.setattr(downloads, "download", lambda name, **k: fetched.append(name))
    module = experiments.load_module("benchmarks-classic")
    experiment = study_data.experiment_for(module, dataset="reuters", download=True)
    assert fetched == ["reuters"] and experiment.dataset == "reuters"
    study_data.experiment_for(experiments.load_module("autoencoders"), options={"source": "fashion-mnist"},
                              download=True)
    assert fetched == ["reuters", "fashion-mnist"]
    with pytest.raises(DatasetUnavailable, match="--download mnist"):
        study_data.experiment_for(module)  # no --download: the missing file stops it
