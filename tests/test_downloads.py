"""Downloading the keras.datasets sets on request, tested without internet (issue 14), and the size or
hash check of cached files (issue 13).

A loopback HTTP server in the test serves tiny files in the real formats; KERASDL_DATASET_MIRROR (the
documented override) points the origins at it; KERAS_HOME points at a temporary folder. The fetch is
Keras's own `keras.utils.get_file` (progress bar, hash check), unpatched. Tiny files cannot have the
real hashes, so where a test must accept one it sets the expected hash in kerasdl's own file table
(what a mirror's files would have to match); the real hashes are checked by the corrupted-download tests.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import json
import pickle
import socket
import tarfile
import threading
import types
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import kerasdl.data as data
from kerasdl.cli import main
from kerasdl.data import downloads, keras_sets
from kerasdl.errors import DatasetUnavailable, UserError


# ------------------------------------------------------------------------------------------- fixtures

# keras_home (an empty Keras home) is in conftest.py.

class _Quiet(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def log_message(self, *args):  # keep pytest's output clean; record what was asked instead
        self.requests.append(self.path)


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A loopback HTTP server over a folder; KERASDL_DATASET_MIRROR points at it. Yields the folder (path)
    and the paths asked for (requests)."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    handler = type("Handler", (_Quiet,), {"requests": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    monkeypatch.setenv(downloads.MIRROR_VARIABLE, f"http://127.0.0.1:{server.server_address[1]}/")
    yield types.SimpleNamespace(path=folder, requests=handler.requests)
    server.shutdown()
    server.server_close()


def _expect(monkeypatch, table: dict, name: str, **hashes_by_file) -> None:
    """Make kerasdl expect the tiny files' own hashes or sizes (keyed by their cached name)."""
    files = tuple(replace(f, **hashes_by_file[Path(f.cached_as).name]) if Path(f.cached_as).name in hashes_by_file
                  else f for f in table[name])
    monkeypatch.setitem(table, name, files)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _accept_fake_hashes_in_keras(monkeypatch):
    """keras.datasets.*.load_data() re-checks the real hash on every load; the tiny files cannot pass it.
    Only for reading fakes (the download above ran unpatched); any further download fails the test."""
    from keras.src.utils import file_utils

    monkeypatch.setattr(file_utils, "validate_file", lambda *a, **k: True)
    monkeypatch.setattr(file_utils, "urlretrieve", lambda *a, **k: pytest.fail("tried to download while loading"))


# -------------------------------------------------------------------------------------- tiny real formats

def _mnist_npz(path: Path, n_train=40, n_test=20, seed=0) -> None:
    rng = np.random.default_rng(seed)
    np.savez(path, x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
             y_train=np.arange(n_train, dtype=np.uint8) % 10,
             x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
             y_test=np.arange(n_test, dtype=np.uint8) % 10)


def _imdb_npz(path: Path, n_train=30, n_test=10, seed=1) -> None:
    rng = np.random.default_rng(seed)

    def ragged(n):
        out = np.empty(n, dtype=object)
        for i in range(n):  # plain Python ints, as in the real file
            out[i] = [int(w) for w in rng.integers(1, 60, int(rng.integers(3, 25)))]
        return out

    np.savez(path, x_train=ragged(n_train), y_train=np.arange(n_train) % 2,
             x_test=ragged(n_test), y_test=np.arange(n_test) % 2)


def _idx_gz(path: Path, array: np.ndarray) -> None:
    """The IDX layout Fashion-MNIST ships: a magic number and sizes, then the uint8 values, gzipped."""
    header = (8 if array.ndim == 1 else 16)
    with gzip.open(path, "wb") as handle:
        handle.write(bytes(header) + array.astype(np.uint8).tobytes())


def _cifar_archive(path: Path, per_batch=3) -> None:
    """cifar-10-python.tar.gz's layout: cifar-10-batches-py/{data_batch_1..5,test_batch} pickles."""
    rng = np.random.default_rng(2)
    with tarfile.open(path, "w:gz") as archive:
        for member in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            batch = {b"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                     b"labels": [int(k) for k in rng.integers(0, 10, per_batch)]}
            raw = pickle.dumps(batch, protocol=4)  # bytes without _codecs, which Keras refuses
            info = tarfile.TarInfo(f"cifar-10-batches-py/{member}")
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))


# ---------------------------------------------------------------------------------------------- tests

def test_mnist_downloads_through_get_file_into_the_cache_the_loader_reads(keras_home, mirror, monkeypatch, capsys):
    _mnist_npz(mirror.path / "mnist.npz")
    _expect(monkeypatch, keras_sets._FILES, "mnist", **{"mnist.npz": {"sha256": _sha256(mirror.path / "mnist.npz")}})
    assert main(["datasets", "--download", "mnist"]) == 0
    out = capsys.readouterr().out
    assert f"Downloading data from {downloads.origin_of(keras_sets._FILES['mnist'][0])}" in out  # Keras's own line
    assert "mnist.npz downloaded and verified (sha256)" in out
    assert (keras_home / "mnist.npz").read_bytes() == (mirror.path / "mnist.npz").read_bytes()
    assert mirror.requests == ["/mnist.npz"]
    assert {i.name: i.offline for i in data.available()}["mnist"]

    assert main(["datasets", "--download", "mnist"]) == 0  # cached and verified: nothing fetched again
    assert "already cached and verified" in capsys.readouterr().out and mirror.requests == ["/mnist.npz"]

    _accept_fake_hashes_in_keras(monkeypatch)
    loaded = data.load("mnist")
    assert loaded.features.shape == (60, 28, 28, 1) and len(loaded.splits["test"]) == 20


def test_a_corrupted_download_is_detected_by_its_hash_and_deleted(keras_home, mirror, capsys):
    (mirror.path / "mnist.npz").write_bytes(b"not the MNIST file Keras knows")  # the real sha256 is expected
    assert main(["datasets", "--download", "mnist"]) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "does not have the hash Keras expects" in error and "it was deleted" in error
    assert "http://127.0.0.1:" in error and keras_sets._FILES["mnist"][0].sha256 in error
    assert not (keras_home / "mnist.npz").exists()


def test_offline_the_download_fails_in_one_line_naming_the_url(keras_home, monkeypatch, capsys):
    with socket.socket() as probe:  # a port nothing listens on: connection refused, as with no network
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(downloads.MIRROR_VARIABLE, f"http://127.0.0.1:{port}")
    assert main(["datasets", "--download", "imdb"]) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and error.startswith("kerasdl: error: dataset 'imdb': could not download ")
    assert f"http://127.0.0.1:{port}/imdb.npz" in error and "KERASDL_DATASET_MIRROR" in error
    assert list(keras_home.iterdir()) == []  # nothing half-written left behind


def test_imdb_downloads_with_its_word_index_and_loads(keras_home, mirror, monkeypatch):
    _imdb_npz(mirror.path / "imdb.npz")
    (mirror.path / "imdb_word_index.json").write_text(json.dumps({f"word{i}": i for i in range(1, 60)}))
    _expect(monkeypatch, keras_sets._FILES, "imdb", **{"imdb.npz": {"sha256": _sha256(mirror.path / "imdb.npz")}})
    _expect(monkeypatch, keras_sets._WORD_INDEXES, "imdb",
            **{"imdb_word_index.json": {"md5": _md5(mirror.path / "imdb_word_index.json")}})
    paths = downloads.download("imdb", say=lambda line: None)
    assert [p.name for p in paths] == ["imdb.npz", "imdb_word_index.json"] and all(p.is_file() for p in paths)

    _accept_fake_hashes_in_keras(monkeypatch)
    import keras

    assert keras.datasets.imdb.get_word_index()["word7"] == 7  # where Keras looks for it
    loaded = data.load("imdb", num_words=40, maxlen=10)
    assert loaded.features.shape == (40, 10) and loaded.features.max() < 40 and len(loaded.splits["test"]) == 10


def test_fashion_mnist_downloads_is_size_checked_and_read_by_unpatched_keras(keras_home, mirror, monkeypatch):
    rng = np.random.default_rng(3)
    arrays = {"train-labels-idx1-ubyte.gz": np.arange(30) % 10,
              "train-images-idx3-ubyte.gz": rng.integers(0, 256, (30, 28, 28)),
              "t10k-labels-idx1-ubyte.gz": np.arange(10) % 10,
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (10, 28, 28))}
    for name, array in arrays.items():
        _idx_gz(mirror.path / name, array)
    sizes = {name: {"size": (mirror.path / name).stat().st_size} for name in arrays}
    _expect(monkeypatch, keras_sets._FILES, "fashion-mnist", **sizes)
    downloads.download("fashion-mnist", say=lambda line: None)
    assert sorted(p.name for p in (keras_home / "fashion-mnist").iterdir()) == sorted(arrays)

    loaded = data.load("fashion-mnist")  # Keras checks no hash here: the real, unpatched load_data reads them
    assert loaded.features.shape == (40, 28, 28, 1) and loaded.class_names[9] == "Ankle boot"
    assert np.allclose(loaded.features[:30, ..., 0] * 255, arrays["train-images-idx3-ubyte.gz"])

    # issue 13: a truncated file is refused by its size, in one line naming the fix, before Keras reads it
    truncated = keras_home / "fashion-mnist" / "train-images-idx3-ubyte.gz"
    truncated.write_bytes(truncated.read_bytes()[:100])
    with pytest.raises(DatasetUnavailable) as caught:
        data.load("fashion-mnist")
    message = str(caught.value)
    assert "\n" not in message and "100 bytes instead of" in message
    assert "kerasdl datasets --download fashion-mnist" in message
    # and --download replaces it (a file Keras gives no hash for is forced to download again)
    downloads.download("fashion-mnist", say=lambda line: None)
    assert data.load("fashion-mnist").n_samples == 40


def test_a_download_of_the_wrong_size_is_deleted(keras_home, mirror):
    for name in ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz"):
        (mirror.path / name).write_bytes(b"truncated")
    with pytest.raises(DatasetUnavailable, match=r"is damaged \(9 bytes instead of 29,515\); it was deleted"):
        downloads.download("fashion-mnist", say=lambda line: None)
    assert not (keras_home / "fashion-mnist" / "train-labels-idx1-ubyte.gz").exists()


def test_cifar10_archive_is_fetched_and_extracted_where_keras_reads_it(keras_home, mirror, monkeypatch):
    _cifar_archive(mirror.path / "cifar-10-python.tar.gz")
    _expect(monkeypatch, keras_sets._FILES, "cifar10", **{"cifar-10-batches-py-target_archive": {
        "sha256": _sha256(mirror.path / "cifar-10-python.tar.gz")}})
    downloads.download("cifar10", say=lambda line: None)
    assert mirror.requests == ["/cifar-10-python.tar.gz"]  # the name it has at its origin
    assert (keras_home / "cifar-10-batches-py-target_archive").is_file()
    batch = keras_home / "cifar-10-batches-py-target" / "cifar-10-batches-py" / "test_batch"
    from keras.src.datasets.cifar import load_batch  # the reader keras.datasets.cifar10.load_data uses

    images, labels = load_batch(str(batch))
    assert images.shape == (3, 3, 32, 32) and len(labels) == 3
    assert data.available()[[i.name for i in data.available()].index("cifar10")].offline


def test_download_names_are_checked_before_anything_is_fetched(keras_home, capsys):
    assert main(["datasets", "--download", "digits"]) == 2
    assert "'digits' needs no download" in capsys.readouterr().err
    assert main(["datasets", "--download", "mnist", "mnst"]) == 2
    assert "unknown dataset 'mnst'; closest: mnist" in capsys.readouterr().err
    assert list(keras_home.iterdir()) == []
    with pytest.raises(UserError, match="downloadable datasets: mnist, fashion-mnist, cifar10, imdb, reuters"):
        downloads.download("heart-disease")


def test_the_missing_data_message_names_the_download_flag(keras_home):
    with pytest.raises(DatasetUnavailable) as caught:
        data.load("reuters")
    message = str(caught.value)
    assert "run `kerasdl datasets --download reuters` (or add --download to `kerasdl run`)" in message
    assert "reuters.npz" in message and message.endswith("and run again") and "\n" not in message


def test_the_mirror_keeps_each_file_name_and_the_default_is_kerass_url(monkeypatch):
    (archive,) = keras_sets._FILES["cifar10"]
    monkeypatch.delenv(downloads.MIRROR_VARIABLE, raising=False)
    assert downloads.origin_of(archive) == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert downloads.origin_of(archive, "https://m.example/k") == "https://m.example/k/cifar-10-python.tar.gz"
    fashion = keras_sets._FILES["fashion-mnist"][1]
    monkeypatch.setenv(downloads.MIRROR_VARIABLE, "file:///srv/keras/")
    assert downloads.origin_of(fashion) == "file:///srv/keras/train-images-idx3-ubyte.gz"


def test_a_file_missing_on_the_mirror_is_an_http_error_in_one_line(keras_home, mirror, capsys):
    assert main(["datasets", "--download", "reuters"]) == 2
    error = capsys.readouterr().err.strip()
    url = downloads.origin_of(keras_sets._FILES["reuters"][0])
    assert error.startswith(f"kerasdl: error: dataset 'reuters': could not download {url} (HTTP 404 ")
    assert "\n" not in error and not (keras_home / "reuters.npz").exists()


def test_a_damaged_file_of_the_right_size_is_one_line_from_keras_too(keras_home, monkeypatch):
    """Issue 13: Fashion-MNIST has no hash; garbage of the expected size fails inside gzip, reported in one line."""
    folder = keras_home / "fashion-mnist"
    folder.mkdir()
    sizes = {}
    for file in keras_sets._FILES["fashion-mnist"]:
        name = file.cached_as.split("/")[-1]
        (folder / name).write_bytes(b"\x00not gzip" * 3)
        sizes[name] = {"size": 27}
    _expect(monkeypatch, keras_sets._FILES, "fashion-mnist", **sizes)
    with pytest.raises(DatasetUnavailable) as caught:
        data.load("fashion-mnist")
    message = str(caught.value)
    assert "\n" not in message and "Keras could not read" in message
    assert message.endswith("run `kerasdl datasets --download fashion-mnist` (or add --download to `kerasdl run`)")
