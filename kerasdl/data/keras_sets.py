"""The real benchmark datasets, read through `keras.datasets` from the local Keras cache only.

`keras.datasets.*.load_data()` downloads whatever is missing from the cache, and on a machine without
network access that hangs or fails deep inside urllib. So every loader here first checks (see
`_keras_cache`) that the exact files Keras 3 will look for are present, and that they have the hash
Keras checks (Keras re-downloads on a mismatch) or, for Fashion-MNIST, which Keras does not hash, the
published size; only then does it call Keras. The real Keras code path runs, so a file placed by hand
is read exactly as a downloaded one would be. Downloading is a separate, explicit step
(`kerasdl.data.downloads`, `kerasdl datasets --download NAME`) that fetches these same files with
`keras.utils.get_file`. File names and hashes below are the ones in keras/src/datasets/*.py of Keras 3.15.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from kerasdl.data import _options
from kerasdl.data._keras_cache import CacheFile, is_cached, keras_cache_dir, read_with_keras, require
from kerasdl.data._splits import splits_with_given_test
from kerasdl.data.dataset import Dataset
from kerasdl.data.info import DatasetSpec

__all__ = ["SPECS", "download_files", "keras_cache_dir", "require_present"]

_TF_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

# ---------------------------------------------------------------------------------------------------
# Images: uint8 from Keras, split and (optionally) subsampled while still uint8, then scaled to float32.

def _load_images(spec: DatasetSpec, module: str, *, seed: int, flatten, limit) -> Dataset:
    flatten = _options.boolean(spec.name, "flatten", flatten)
    limit = _options.optional_positive_int(spec.name, "limit", limit, minimum=10)
    require(spec.name, _FILES[spec.name])
    import keras

    (x_train, y_train), (x_test, y_test) = read_with_keras(
        spec.name, _FILES[spec.name], getattr(keras.datasets, module).load_data)
    images = np.concatenate([x_train, x_test])
    target = np.concatenate([y_train, y_test]).reshape(-1).astype(np.int64)
    dataset = spec.dataset(features=images, target=target, class_names=_CLASS_NAMES[spec.name],
                           splits=splits_with_given_test(target, spec.task, len(y_train), seed=seed))
    if limit is not None:
        dataset = dataset.subsample(limit, seed=seed)
    images = dataset.features.astype(np.float32) / np.float32(255.0)
    if images.ndim == 4 and keras.config.image_data_format() == "channels_first":
        images = images.transpose(0, 2, 3, 1)  # Keras followed keras.json; the Dataset contract is NHWC
    if images.ndim == 3:  # grayscale: add the channel axis so every image set is NHWC
        images = images[..., np.newaxis]
    if flatten:
        images = images.reshape(len(images), -1)
    return replace(dataset, features=images)


def load_mnist(*, seed: int = 0, flatten: bool = False, limit: int | None = None) -> Dataset:
    return _load_images(MNIST, "mnist", seed=seed, flatten=flatten, limit=limit)


def load_fashion_mnist(*, seed: int = 0, flatten: bool = False, limit: int | None = None) -> Dataset:
    return _load_images(FASHION_MNIST, "fashion_mnist", seed=seed, flatten=flatten, limit=limit)


def load_cifar10(*, seed: int = 0, flatten: bool = False, limit: int | None = None) -> Dataset:
    return _load_images(CIFAR10, "cifar10", seed=seed, flatten=flatten, limit=limit)


# ---------------------------------------------------------------------------------------------------
# Token sequences: word indices (1 = start, 2 = out of vocabulary, words from 3), padded to maxlen.

def _load_sequences(spec: DatasetSpec, module: str, *, seed: int, num_words, maxlen, limit) -> Dataset:
    num_words = _options.positive_int(spec.name, "num_words", num_words, minimum=4)
    maxlen = _options.positive_int(spec.name, "maxlen", maxlen)
    limit = _options.optional_positive_int(spec.name, "limit", limit, minimum=10)
    require(spec.name, _FILES[spec.name])
    import keras

    source = getattr(keras.datasets, module)
    # maxlen is not passed to Keras: there it *drops* longer texts; we keep every text and cut it instead.
    (x_train, y_train), (x_test, y_test) = read_with_keras(
        spec.name, _FILES[spec.name], lambda: source.load_data(num_words=num_words))
    sequences = [list(s) for s in x_train] + [list(s) for s in x_test]
    tokens = keras.utils.pad_sequences(sequences, maxlen=maxlen, dtype="int32")
    target = np.concatenate([y_train, y_test]).astype(np.int64)
    class_names = tuple(source.get_label_names()) if module == "reuters" else _CLASS_NAMES[spec.name]
    dataset = spec.dataset(
        features=tokens, target=target, class_names=class_names,
        splits=splits_with_given_test(target, spec.task, len(y_train), seed=seed),
        extras={"vocabulary_size": num_words, "maxlen": maxlen, "padding": "pre", "truncating": "pre",
                "start_index": 1, "oov_index": 2, "index_from": 3})
    return dataset if limit is None else dataset.subsample(limit, seed=seed)


def load_imdb(*, seed: int = 0, num_words: int = 10000, maxlen: int = 200,
              limit: int | None = None) -> Dataset:
    return _load_sequences(IMDB, "imdb", seed=seed, num_words=num_words, maxlen=maxlen, limit=limit)


def load_reuters(*, seed: int = 0, num_words: int = 10000, maxlen: int = 200,
                 limit: int | None = None) -> Dataset:
    return _load_sequences(REUTERS, "reuters", seed=seed, num_words=num_words, maxlen=maxlen, limit=limit)


_FILES = {
    "mnist": (CacheFile("mnist.npz", _TF_DATASETS + "mnist.npz",
                        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),),
    # Keras checks no hash for these; their sizes (those of the files Zalando publishes) catch a
    # truncated download before gzip fails on it.
    "fashion-mnist": tuple(CacheFile(f"fashion-mnist/{n}", _TF_DATASETS + n, size=size) for n, size in (
        ("train-labels-idx1-ubyte.gz", 29515), ("train-images-idx3-ubyte.gz", 26421880),
        ("t10k-labels-idx1-ubyte.gz", 5148), ("t10k-images-idx3-ubyte.gz", 4422102))),
    # Keras 3 keeps the downloaded tar.gz as "<fname>_archive" and re-extracts it on every load.
    "cifar10": (CacheFile("cifar-10-batches-py-target_archive",
                          "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                          "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                          download_name="cifar-10-python.tar.gz",
                          alternative_names=("cifar-10-python.tar.gz", "cifar-10-batches-py.tar.gz"),
                          extract=True),),
    "imdb": (CacheFile("imdb.npz", _TF_DATASETS + "imdb.npz",
                       "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"),),
    "reuters": (CacheFile("reuters.npz", _TF_DATASETS + "reuters.npz",
                          "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"),),
}

# Downloaded with the data (keras.datasets.<set>.get_word_index() reads them) but not needed to load it.
_WORD_INDEXES = {
    "imdb": (CacheFile("imdb_word_index.json", _TF_DATASETS + "imdb_word_index.json",
                       md5="bfafd718b763782e994055a2d397834f"),),
    "reuters": (CacheFile("reuters_word_index.json", _TF_DATASETS + "reuters_word_index.json",
                          md5="4d44cc38712099c9e383dc6e5f11a921"),),
}


def require_present(name: str) -> None:
    """Stop with the one-line "not in the Keras cache" message (naming --download) when a file is missing.

    A cheap existence check that needs no Keras, so `kerasdl run` can answer before TensorFlow starts;
    sizes and hashes are checked when the data is loaded."""
    if not is_cached(_FILES[name]):
        require(name, _FILES[name])


def download_files(name: str) -> tuple[CacheFile, ...]:
    """Every file `kerasdl datasets --download name` fetches: what the loader needs, then the word index."""
    return _FILES[name] + _WORD_INDEXES.get(name, ())


_CLASS_NAMES = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                      "Bag", "Ankle boot"),
    "cifar10": ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
    "imdb": ("negative", "positive"),
}

_KERAS = "Read from the local Keras cache with keras.datasets.{}.load_data()."


def _spec(name, task, n, description, provenance, license, loader) -> DatasetSpec:
    module = loader.__name__.removeprefix("load_")
    return DatasetSpec(name=name, task=task, n_samples=n, origin="keras-cache", description=description,
                       provenance=f"{provenance} {_KERAS.format(module)}", license=license, loader=loader,
                       is_offline=lambda: is_cached(_FILES[name]))


MNIST = _spec(
    "mnist", "multiclass", 70000,
    "70,000 28x28 grayscale handwritten digits (60,000 train + 10,000 test), float32 in [0, 1], NHWC.",
    "Y. LeCun, C. Cortes, C. J. C. Burges, The MNIST database of handwritten digits (1998), derived from "
    "NIST Special Databases 1 and 3.",
    "CC BY-SA 3.0 (as stated by Keras; copyright Y. LeCun and C. Cortes)", load_mnist)
FASHION_MNIST = _spec(
    "fashion-mnist", "multiclass", 70000,
    "70,000 28x28 grayscale Zalando article images in 10 classes (60,000 train + 10,000 test), NHWC.",
    "H. Xiao, K. Rasul, R. Vollgraf (2017), Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine "
    "Learning Algorithms, arXiv:1708.07747.",
    "MIT License (copyright Zalando SE)", load_fashion_mnist)
CIFAR10 = _spec(
    "cifar10", "multiclass", 60000,
    "60,000 32x32 colour images in 10 classes (50,000 train + 10,000 test), float32 in [0, 1], NHWC.",
    "A. Krizhevsky (2009), Learning Multiple Layers of Features from Tiny Images, University of Toronto "
    "tech. report; https://www.cs.toronto.edu/~kriz/cifar.html.",
    "No licence is stated by the authors; see https://www.cs.toronto.edu/~kriz/cifar.html", load_cifar10)
IMDB = _spec(
    "imdb", "binary", 50000,
    "50,000 movie reviews (25,000 train + 25,000 test) labelled by sentiment, as word indices padded/cut "
    "to maxlen (default 200) with the num_words (default 10000) most frequent words.",
    "A. L. Maas et al. (2011), Learning Word Vectors for Sentiment Analysis, ACL 2011; "
    "https://ai.stanford.edu/~amaas/data/sentiment/.",
    "No licence is stated by the authors; see https://ai.stanford.edu/~amaas/data/sentiment/", load_imdb)
REUTERS = _spec(
    "reuters", "multiclass", 11228,
    "11,228 Reuters newswires (8,982 train + 2,246 test) in 46 topics, as word indices padded/cut to "
    "maxlen (default 200) with the num_words (default 10000) most frequent words.",
    "D. D. Lewis, Reuters-21578 text categorization collection, Distribution 1.0 (UCI KDD Archive).",
    "Free distribution for research purposes only, copyright Reuters Ltd. (Reuters-21578 README)", load_reuters)

SPECS = (MNIST, FASHION_MNIST, CIFAR10, IMDB, REUTERS)
