"""Tests of kerasdl.data: registry, embedded/scikit-learn/Keras-cache loaders, user CSV files.

Fast and offline: no training, no network. The Keras datasets are exercised through the real
`keras.datasets.*.load_data` code on tiny fake cache files written into a temporary KERAS_HOME.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import kerasdl.data as data
from kerasdl.data import keras_sets
from kerasdl.data.embedded import HEART_DISEASE_CATEGORICAL, HEART_DISEASE_NUMERIC
from kerasdl.errors import DatasetUnavailable, UserError

FILES = Path(data.__file__).parent / "files"
KERAS_NAMES = ("mnist", "fashion-mnist", "cifar10", "imdb", "reuters")
SKLEARN_NAMES = ("breast-cancer", "iris", "wine", "diabetes", "digits")
GENERATED_NAMES = ("xor", "logic-and", "logic-or")


def _use_keras_home(home: Path, monkeypatch) -> Path:
    """Point both our cache check and Keras (which reads KERAS_HOME once, at import) at `home`."""
    (home / "datasets").mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("KERAS_HOME", str(home))
    config = sys.modules.get("keras.src.backend.config")
    if config is not None:
        monkeypatch.setattr(config, "_KERAS_DIR", str(home))
    return home


@pytest.fixture
def empty_keras_home(tmp_path, monkeypatch):
    home = _use_keras_home(tmp_path / "keras-home", monkeypatch)
    # Proof that a missing file never reaches Keras (whose get_file would start a download).
    monkeypatch.setattr(keras_sets, "read_with_keras", _must_not_call)
    return home


def _must_not_call(*args, **kwargs):
    raise AssertionError("keras.datasets was called although the cache file is missing")


@pytest.fixture
def keras_cache(tmp_path, monkeypatch):
    """A temporary Keras cache that real Keras reads, with downloads made impossible.

    Fake files cannot have the sha256 Keras checks, so Keras's hash check is answered "valid" and our own
    check is given the fake's real hash; any download attempt fails the test instead of hanging.
    """
    import keras  # noqa: F401  (imported first, so that its frozen KERAS_HOME can be redirected)
    from keras.src.utils import file_utils

    home = _use_keras_home(tmp_path / "keras-home", monkeypatch)
    monkeypatch.setattr(file_utils, "validate_file", lambda *a, **k: True)
    monkeypatch.setattr(file_utils, "urlretrieve", lambda *a, **k: pytest.fail("tried to download"))

    def place(name: str, writer) -> Path:
        (spec_file,) = keras_sets._FILES[name]
        path = home / "datasets" / spec_file.cached_as
        writer(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        monkeypatch.setitem(keras_sets._FILES, name, (replace(spec_file, sha256=digest),))
        return path

    return place


# --------------------------------------------------------------------------------------------- heart

def test_vendored_heart_file_is_unchanged_and_attributed():
    assert hashlib.md5((FILES / "processed.cleveland.data").read_bytes()).hexdigest() == \
        "2d91a8ff69cfd9616aa47b59d6f843db"
    readme = (FILES / "README.md").read_text()
    for needed in ("10.24432/C52P4X", "CC BY 4.0", "2d91a8ff69cfd9616aa47b59d6f843db", "Janosi"):
        assert needed in readme


def test_heart_disease_rows_missing_cells_and_classes():
    ds = data.load("heart-disease")
    assert (ds.task, ds.n_samples, ds.origin) == ("binary", 303, "embedded")
    assert ds.features.shape == (303, 13)
    missing = ds.features.isna().sum()
    assert int(missing.sum()) == 6 and missing["ca"] == 4 and missing["thal"] == 2
    assert np.bincount(ds.target).tolist() == [164, 139]
    assert ds.class_names == ("no disease", "disease")
    assert ds.categorical_columns == HEART_DISEASE_CATEGORICAL
    assert set(ds.numeric_columns) == {"age", "trestbps", "chol", "thalach", "oldpeak"}
    assert set(HEART_DISEASE_NUMERIC) | set(HEART_DISEASE_CATEGORICAL) == set(ds.feature_names)
    assert "10.24432/C52P4X" in ds.provenance and "processed.cleveland.data" in ds.provenance
    assert ds.license.startswith("CC BY 4.0") and "Janosi" in ds.license


def test_heart_disease_preprocessor_fitted_on_train_rows_imputes_and_one_hot_encodes():
    ds = data.load("heart-disease", seed=3)
    pipeline = ds.preprocessor()
    pipeline.fit(ds.rows(ds.splits["train"])[0])
    for split in ("train", "val", "test"):
        encoded = pipeline.transform(ds.rows(ds.splits[split])[0])
        assert not np.isnan(encoded).any()
    names = list(pipeline.get_feature_names_out())
    one_hot = [i for i, n in enumerate(names) if n.startswith("categorical__")]
    assert len(names) - len(one_hot) == 5
    assert any(n.startswith("categorical__cp_") for n in names)
    encoded = pipeline.transform(ds.features)
    assert set(np.unique(encoded[:, one_hot])) <= {0.0, 1.0}
    # every row has exactly one category per categorical column (none unknown after imputation)
    assert np.allclose(encoded[:, one_hot].sum(axis=1), len(HEART_DISEASE_CATEGORICAL))


# -------------------------------------------------------------------------------------------- splits

@pytest.mark.parametrize("name", ["heart-disease", "breast-cancer", "iris", "wine", "digits", "xor"])
def test_splits_are_a_stratified_60_20_20_partition(name):
    ds = data.load(name, seed=7)
    parts = [ds.splits[k] for k in ("train", "val", "test")]
    joined = np.concatenate(parts)
    assert len(joined) == len(np.unique(joined)) == ds.n_samples  # disjoint, and together every row
    for part, share in zip(parts, (0.6, 0.2, 0.2)):
        assert abs(len(part) - share * ds.n_samples) <= 2
        expected = np.bincount(ds.target, minlength=ds.n_classes) * len(part) / ds.n_samples
        assert np.all(np.abs(np.bincount(ds.target[part], minlength=ds.n_classes) - expected) <= 2)


def test_splits_are_deterministic_for_a_seed_and_differ_between_seeds():
    first, again, other = (data.load("heart-disease", seed=s).splits for s in (11, 11, 12))
    for key in ("train", "val", "test"):
        assert np.array_equal(first[key], again[key])
    assert not np.array_equal(first["test"], other["test"])


def test_regression_splits_cover_every_row():
    ds = data.load("diabetes", seed=1)
    assert sorted(np.concatenate(list(ds.splits.values())).tolist()) == list(range(442))


def test_limit_keeps_a_stratified_subsample_with_every_split_non_empty():
    ds = data.load("heart-disease", limit=100, seed=2)
    assert ds.n_samples == 100 and len(ds.features) == 100
    assert all(len(idx) > 0 for idx in ds.splits.values())
    assert abs(np.mean(ds.target) - 139 / 303) < 0.03
    with pytest.raises(UserError, match="limit must be an integer >= 10"):
        data.load("iris", limit=0)


def test_subsample_cuts_per_row_extras_to_the_kept_rows_and_keeps_the_others():
    import dataclasses

    ds = data.load("iris")
    tagged = dataclasses.replace(ds, extras={"row": np.arange(150), "names": ("a", "b"), "scale": np.float64(2.0),
                                             "table": np.zeros((3, 150))})
    small = tagged.subsample(40, seed=0)
    assert small.n_samples == 40
    # each kept row still carries its own extra: row k's "row" entry is the original index of the row
    np.testing.assert_array_equal(np.asarray(small.features), np.asarray(ds.features)[small.extras["row"]])
    assert small.extras["names"] == ("a", "b") and small.extras["scale"] == 2.0
    assert small.extras["table"].shape == (3, 150)  # not one entry per row: describes the whole set


# ------------------------------------------------------------------------------ scikit-learn, generated

@pytest.mark.parametrize("name, task, shape, n_classes", [
    ("breast-cancer", "binary", (569, 30), 2),
    ("iris", "multiclass", (150, 4), 3),
    ("wine", "multiclass", (178, 13), 3),
    ("diabetes", "regression", (442, 10), 0),
    ("digits", "multiclass", (1797, 8, 8, 1), 10),
])
def test_sklearn_sets_load_with_their_task_and_shape(name, task, shape, n_classes):
    ds = data.load(name)
    assert (ds.task, np.shape(ds.features), ds.n_classes, ds.origin) == (task, shape, n_classes, "sklearn")
    assert "scikit-learn" in ds.provenance and ds.license
    assert ds.is_tabular == (name != "digits")
    assert all(isinstance(c, str) for c in ds.class_names)


def test_breast_cancer_positive_class_is_malignant():
    ds = data.load("breast-cancer")
    assert ds.class_names == ("benign", "malignant") and np.bincount(ds.target).tolist() == [357, 212]


def test_digits_are_float_images_in_unit_range_and_can_be_flattened():
    ds = data.load("digits")
    assert ds.features.dtype == np.float32 and ds.features.min() == 0.0 and ds.features.max() == 1.0
    assert ds.class_names == tuple("0123456789") and ds.preprocessor() is None
    assert data.load("digits", flatten=True).features.shape == (1797, 64)
    with pytest.raises(UserError, match="flatten must be true or false"):
        data.load("digits", flatten="maybe")


@pytest.mark.parametrize("name, truth", [("xor", [0, 1, 1, 0]), ("logic-and", [0, 0, 0, 1]),
                                         ("logic-or", [0, 1, 1, 1])])
def test_logic_gates_follow_their_truth_table(name, truth):
    ds = data.load(name, n_per_corner=10, noise=0.0)
    assert (ds.n_samples, ds.origin, ds.task) == (40, "generated", "binary")
    corners = ds.features[["x1", "x2"]].to_numpy()
    for (a, b), label in zip([(0, 0), (0, 1), (1, 0), (1, 1)], truth):
        at_corner = (corners[:, 0] == a) & (corners[:, 1] == b)
        assert at_corner.sum() == 10 and np.all(ds.target[at_corner] == label)
    assert "generated by kerasdl" in ds.provenance


def test_generated_points_are_deterministic_in_the_seed():
    same = [data.load("xor", seed=5).features.to_numpy() for _ in range(2)]
    assert np.array_equal(*same)
    assert not np.array_equal(same[0], data.load("xor", seed=6).features.to_numpy())


# ---------------------------------------------------------------------------------- registry, listing

def test_available_lists_every_dataset_with_offline_flags(empty_keras_home):
    infos = {info.name: info for info in data.available()}
    families = {  # the recurrent, autoencoder, generative and vision families' offline sets
        "reviews", "sunspots", "weather", "numbers-to-digits", "adding-problem", "future-tags", "arithmetic-trees",
        "tiny-corpus", "shape-captions", "digits-reconstruction", "digits-anomaly", "heights", "digits-generation",
        "ratings", "shapes-segmentation", "shapes-detection", "digits-0-4", "digits-5-9"}
    assert set(infos) == {"heart-disease", "digits-upsample", *GENERATED_NAMES, *SKLEARN_NAMES, *KERAS_NAMES,
                          *families}
    for name, info in infos.items():
        assert info.offline is (name not in KERAS_NAMES)
        assert info.provenance and info.license and info.description
        assert set(info.as_dict()) == {"name", "task", "n_samples", "origin", "offline", "description",
                                       "provenance", "license"}
    assert {infos[n].origin for n in KERAS_NAMES} == {"keras-cache"}
    assert infos["heart-disease"].n_samples == 303 and infos["mnist"].n_samples == 70000
    for name in ("heart-disease", "iris", "digits", "xor", "sunspots", "weather", "tiny-corpus"):
        assert data.load(name).n_samples == infos[name].n_samples, name
    assert infos["sunspots"].origin == "statsmodels"


def test_importing_and_listing_does_not_import_tensorflow_or_keras():
    code = ("import kerasdl.data, sys; kerasdl.data.available(); "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'heavy import'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_unknown_dataset_names_the_closest_ones():
    with pytest.raises(UserError, match=r"^unknown dataset 'mnst'; closest: mnist"):
        data.load("mnst")
    with pytest.raises(UserError, match="heart-disease"):
        data.load("heart")


def test_names_ignore_case_and_underscores(empty_keras_home):
    with pytest.raises(DatasetUnavailable, match="'fashion-mnist'"):
        data.load("Fashion_MNIST")


def test_unknown_option_lists_the_accepted_ones():
    with pytest.raises(UserError, match=r"does not accept option\(s\) colour; accepted options: seed=0, "
                                        r"n_per_corner=50, noise=0.1, limit=None"):
        data.load("xor", colour="red")


# ----------------------------------------------------------------------------------------- Keras cache

@pytest.mark.parametrize("name, needed", [
    ("mnist", "mnist.npz"), ("fashion-mnist", "train-images-idx3-ubyte.gz"),
    ("cifar10", "cifar-10-python.tar.gz"), ("imdb", "imdb.npz"), ("reuters", "reuters.npz")])
def test_missing_keras_file_is_reported_without_calling_keras(empty_keras_home, name, needed):
    with pytest.raises(DatasetUnavailable) as caught:
        data.load(name)
    message = str(caught.value)
    assert "\n" not in message and needed in message and "https://" in message
    assert str(empty_keras_home / "datasets") in message and message.endswith("and run again")


def test_missing_message_is_the_documented_line(empty_keras_home):
    with pytest.raises(DatasetUnavailable) as caught:
        data.load("mnist")
    assert str(caught.value) == (
        "dataset 'mnist' is not in the Keras cache: run `kerasdl datasets --download mnist` (or add --download "
        "to `kerasdl run`), or place mnist.npz (from "
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz) in "
        f"{empty_keras_home / 'datasets'}{os.sep} and run again")


def test_cifar_archive_under_its_download_name_is_named_for_renaming(empty_keras_home):
    (empty_keras_home / "datasets" / "cifar-10-python.tar.gz").write_bytes(b"archive")
    with pytest.raises(DatasetUnavailable, match="rename .* to .*cifar-10-batches-py-target_archive"):
        data.load("cifar10")


def test_cached_file_with_the_wrong_hash_is_refused_before_keras_would_download(empty_keras_home):
    (empty_keras_home / "datasets" / "mnist.npz").write_bytes(b"partial download")
    assert {i.name: i.offline for i in data.available()}["mnist"]  # present: listed as offline
    with pytest.raises(DatasetUnavailable, match="sha256 differs"):
        data.load("mnist")


def test_missing_dataset_fails_without_importing_keras(tmp_path):
    code = ("import sys, kerasdl.data\n"
            "from kerasdl.errors import DatasetUnavailable\n"
            "try:\n    kerasdl.data.load('mnist')\nexcept DatasetUnavailable as e:\n    print(e)\n"
            "assert 'keras' not in sys.modules\n")
    env = {**os.environ, "KERAS_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                            timeout=60, check=True)
    assert "place mnist.npz" in result.stdout and str(tmp_path) in result.stdout


def test_mnist_loads_from_the_cache_through_keras(keras_cache):
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, (50, 28, 28), dtype=np.uint8)
    x_test = rng.integers(0, 256, (20, 28, 28), dtype=np.uint8)
    y_train, y_test = np.arange(50, dtype=np.uint8) % 10, np.arange(20, dtype=np.uint8) % 10
    keras_cache("mnist", lambda p: np.savez(p, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test))

    ds = data.load("mnist", seed=4)
    assert ds.features.shape == (70, 28, 28, 1) and ds.features.dtype == np.float32
    assert np.allclose(ds.features[..., 0], np.concatenate([x_train, x_test]) / 255.0)
    assert np.array_equal(ds.splits["test"], np.arange(50, 70))  # the source's own test set
    assert len(ds.splits["val"]) == 10 and set(ds.splits["val"]) | set(ds.splits["train"]) == set(range(50))
    assert np.bincount(ds.target[ds.splits["val"]]).tolist() == [1] * 10  # stratified
    assert ds.origin == "keras-cache" and ds.class_names == tuple("0123456789")
    assert data.load("mnist", flatten=True).features.shape == (70, 784)
    small = data.load("mnist", limit=30)
    assert small.features.shape == (30, 28, 28, 1) and small.features.dtype == np.float32


def _ragged(rng, n, low, high):
    sequences = np.empty(n, dtype=object)
    for i in range(n):  # plain Python ints, as in the real files
        sequences[i] = [int(w) for w in rng.integers(1, 80, int(rng.integers(low, high)))]
    return sequences


def test_imdb_loads_from_the_cache_padded_to_maxlen(keras_cache):
    rng = np.random.default_rng(1)
    x_train, x_test = _ragged(rng, 30, 2, 30), _ragged(rng, 10, 2, 30)
    keras_cache("imdb", lambda p: np.savez(p, x_train=x_train, y_train=np.arange(30) % 2,
                                           x_test=x_test, y_test=np.arange(10) % 2))
    ds = data.load("imdb", num_words=50, maxlen=12)
    assert ds.features.shape == (40, 12) and ds.features.dtype == np.int32
    assert ds.features.max() < 50 and ds.task == "binary" and ds.class_names == ("negative", "positive")
    lengths = sorted(len(s) + 1 for s in [*x_train, *x_test])  # + the start token
    assert sorted(int((row != 0).sum()) for row in ds.features) == [min(n, 12) for n in lengths]
    assert np.array_equal(ds.splits["test"], np.arange(30, 40))
    assert ds.extras["vocabulary_size"] == 50 and ds.extras["maxlen"] == 12


def test_reuters_loads_from_the_cache_with_its_46_topic_names(keras_cache):
    rng = np.random.default_rng(2)
    keras_cache("reuters", lambda p: np.savez(p, x=_ragged(rng, 50, 2, 20), y=np.arange(50) % 46))
    ds = data.load("reuters", maxlen=8)
    assert ds.features.shape == (50, 8) and ds.n_classes == 46 and ds.class_names[3] == "earn"
    assert len(ds.splits["test"]) == 10  # Keras's own 80/20 split


# -------------------------------------------------------------------------------------------- user CSV

GOOD_CSV = """\
age,colour,score,smoker,outcome
23,red,1.5,True,sick
35,blue,NA,False,well
41, green ,2.5,True,sick
,red,3.0,,well
52,?,4.5,False,sick
29,blue,0.5,True,well
33,red,2.0,False,sick
47,green,1.0,True,well
38,blue,3.5,False,sick
61,red,?,True,well
44,green,2.2,False,
50,red,2.8,True,sick
"""


def _write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_with_text_missing_values_and_text_labels(tmp_path):
    path = _write(tmp_path, GOOD_CSV)
    ds = data.load_csv(path, "outcome", seed=1)
    assert (ds.name, ds.origin, ds.task) == ("data", "user", "binary")
    assert ds.class_names == ("sick", "well") and ds.n_samples == 11  # the row without a label is dropped
    assert ds.target.tolist() == [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]
    assert ds.numeric_columns == ("age", "score") and ds.categorical_columns == ("colour", "smoker")
    assert "dropped 1 row(s) with no value in 'outcome'" in ds.description
    assert ds.provenance == f"user file {path.resolve()}"
    assert ds.features["colour"].tolist()[2] == "green"  # spaces stripped
    assert ds.features.isna().sum().to_dict() == {"age": 1, "colour": 1, "score": 2, "smoker": 1}
    pipeline = ds.preprocessor().fit(ds.rows(ds.splits["train"])[0])
    assert not np.isnan(pipeline.transform(ds.features)).any()
    assert ds.preprocessor().fit_transform(ds.features).shape == (11, 2 + 3 + 2)  # 3 colours, 2 smoker values
    assert sorted(np.concatenate(list(ds.splits.values())).tolist()) == list(range(11))


def test_csv_is_also_loadable_by_name(tmp_path):
    path = _write(tmp_path, GOOD_CSV)
    assert data.load(str(path), target="score").task == "regression"
    with pytest.raises(UserError, match="needs the name of its target column"):
        data.load(str(path))


def test_csv_task_inference_for_numeric_targets(tmp_path):
    rows = "\n".join(f"{i},{[2, 10, 7][i % 3]},{i * 0.37:.2f}" for i in range(30))
    path = _write(tmp_path, "x,grade,value\n" + rows + "\n")
    graded = data.load_csv(path, "grade")
    assert graded.task == "multiclass" and graded.class_names == ("2", "7", "10")  # numeric order
    assert data.load_csv(path, "value").task == "regression"
    assert data.load_csv(path, "grade", task="regression").target.dtype == np.float64
    with pytest.raises(UserError, match="task='binary' needs exactly 2 classes, but 'grade' has 3: 2, 7, 10"):
        data.load_csv(path, "grade", task="binary")
    with pytest.raises(UserError, match="task must be one of binary, multiclass, regression"):
        data.load_csv(path, "grade", task="ranking")


def test_csv_regression_needs_numbers(tmp_path):
    with pytest.raises(UserError, match="task='regression' needs numbers in 'outcome'.*'sick'"):
        data.load_csv(_write(tmp_path, GOOD_CSV), "outcome", task="regression")


def test_csv_malformed_line_names_file_line_and_columns(tmp_path):
    path = _write(tmp_path, "a,b,c,d\n1,2,3,4\n5,6,7,8\n1,2,3,4\n9,9,9,9,9\n", "bad.csv")
    with pytest.raises(UserError) as caught:
        data.load_csv(path, "d")
    assert str(caught.value) == f"{path}:5: expected 4 fields (columns a, b, c, d), found 5"


def test_csv_missing_target_column_lists_the_columns(tmp_path):
    path = _write(tmp_path, "a,b,c\n1,2,3\n")
    with pytest.raises(UserError) as caught:
        data.load_csv(path, "y")
    assert str(caught.value) == f"column 'y' not in {path}; columns found: a, b, c"


@pytest.mark.parametrize("content, message", [
    ("", "is empty"),
    ("a,b\n", "has a header line but no data rows"),
    ("a;b;c\n1;2;3\n", "looks separated by ';'"),
    ("a,b,a\n1,2,3\n", "column 'a' appears more than once"),
    ("a,b\n" + "1,x\n" * 12, r"has a single class \('x'\)"),
    ("a,b\n" + "1,x\n2,y\n" * 2, "has 4 rows with a value in 'b'; at least 10"),
    ("a,b\n" + "1,x\ninf,y\n" * 6, "column 'a' of .* has 6 infinite value"),
])
def test_csv_user_errors_are_one_clear_line(tmp_path, content, message):
    with pytest.raises(UserError, match=message) as caught:
        data.load_csv(_write(tmp_path, content), "b")
    assert "\n" not in str(caught.value)


def test_csv_file_not_found_and_not_text(tmp_path):
    with pytest.raises(UserError, match="file not found: .*nothing.csv"):
        data.load_csv(tmp_path / "nothing.csv", "y")
    binary = tmp_path / "latin.csv"
    binary.write_bytes(b"a,b\n1,caf\xe9\n")
    with pytest.raises(UserError, match=r"latin.csv:2: not UTF-8 text"):
        data.load_csv(binary, "b")
