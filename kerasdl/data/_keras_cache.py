"""Where Keras keeps its downloaded datasets, and whether the files a loader needs are there.

Everything here uses plain file-system calls and never imports Keras, so the listing can show which
datasets are offline instantly, and a missing file is reported before Keras would start a download
(which hangs or fails deep inside urllib on a machine without network access).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from kerasdl.errors import DatasetUnavailable

__all__ = ["CacheFile", "keras_cache_dir", "is_cached", "require", "read_with_keras", "damage", "DOWNLOAD_HINT"]

# How a user gets a missing file: the one place the flag is named, so every message agrees.
DOWNLOAD_HINT = "run `kerasdl datasets --download {name}` (or add --download to `kerasdl run`)"


@dataclass(frozen=True)
class CacheFile:
    """One file Keras reads from `<keras home>/datasets/`.

    `cached_as` is the path under that directory; `download_name` is the name it has at `url` when that
    differs (Keras stores the CIFAR archive under a name of its own); `sha256` is the hash Keras checks,
    `md5` the one it checks for the word indexes; `size` (bytes) checks a file Keras gives no hash for
    (Fashion-MNIST). `extract`: Keras unpacks the archive beside it (`get_file(..., extract=True)`).
    """

    cached_as: str
    url: str
    sha256: str | None = None
    download_name: str | None = None
    alternative_names: tuple[str, ...] = ()
    size: int | None = None
    md5: str | None = None
    extract: bool = False


def keras_cache_dir() -> Path:
    """The directory `keras.utils.get_file` reads datasets from, resolved the way Keras resolves it.

    Keras reads KERAS_HOME once, when it is imported; if it already is, its value is the one that counts.
    get_file falls back to /tmp/.keras when the home is not writable, and so do we.
    """
    config = sys.modules.get("keras.src.backend.config")
    if config is not None:
        home = config.keras_home()
    elif "KERAS_HOME" in os.environ:
        home = os.environ["KERAS_HOME"]
    else:
        base = os.path.expanduser("~")
        home = os.path.join(base if os.access(base, os.W_OK) else "/tmp", ".keras")
    home = os.path.expanduser(home)
    if os.path.exists(home) and not os.access(home, os.W_OK):
        home = os.path.join("/tmp", ".keras")
    return Path(home) / "datasets"


def _missing(files: tuple[CacheFile, ...]) -> list[CacheFile]:
    cache = keras_cache_dir()
    return [f for f in files if not (cache / f.cached_as).is_file()]


def is_cached(files: tuple[CacheFile, ...]) -> bool:
    """True when every file is present (a cheap existence check; hashes are checked on load)."""
    return not _missing(files)


def require(name: str, files: tuple[CacheFile, ...]) -> None:
    """Raise DatasetUnavailable unless every file is cached with the size or hash Keras expects."""
    cache = keras_cache_dir()
    missing = _missing(files)
    if missing:
        raise DatasetUnavailable(_missing_message(name, cache, missing))
    for f in files:
        problem = damage(f)
        if problem:
            raise DatasetUnavailable(
                f"dataset {name!r}: {cache / f.cached_as} is not the file Keras expects ({problem}; an "
                f"interrupted download?): delete it and {DOWNLOAD_HINT.format(name=name)}, or replace it "
                f"with {f.url}")


def damage(f: CacheFile) -> str | None:
    """What is wrong with a cached file (its size or hash differs from the expected one), or None.

    The size is compared first: it is free, and a truncated download is the usual damage.
    """
    path = keras_cache_dir() / f.cached_as
    if f.size is not None and path.stat().st_size != f.size:
        return f"{path.stat().st_size:,} bytes instead of {f.size:,}"
    if f.sha256 and _digest(path, hashlib.sha256()) != f.sha256:
        return "its sha256 differs"
    if f.md5 and _digest(path, hashlib.md5(usedforsecurity=False)) != f.md5:
        return "its md5 differs"
    return None


def _missing_message(name: str, cache: Path, missing: list[CacheFile]) -> str:
    folder = cache / Path(missing[0].cached_as).parent
    first = missing[0]
    for old in first.alternative_names:  # the same file under its download or an older Keras's name
        if (cache / old).is_file():
            return (f"dataset {name!r} is not in the Keras cache under the name Keras 3 reads: "
                    f"rename (or copy) {cache / old} to {cache / first.cached_as} and run again")
    if len(missing) == 1 and first.download_name:
        what = (f"{first.download_name} (from {first.url}) in {folder}{os.sep} "
                f"renamed to {Path(first.cached_as).name}")
    elif len(missing) == 1:
        what = f"{Path(first.cached_as).name} (from {first.url}) in {folder}{os.sep}"
    else:
        base = first.url.rsplit("/", 1)[0] + "/"
        what = f"{', '.join(Path(f.cached_as).name for f in missing)} (from {base}) in {folder}{os.sep}"
    return (f"dataset {name!r} is not in the Keras cache: {DOWNLOAD_HINT.format(name=name)}, or place {what} "
            "and run again")


def read_with_keras(name: str, files: tuple[CacheFile, ...], read):
    """Call a keras.datasets reader on files that passed `require`, reporting a damaged file as one line.

    Files without a hash (Fashion-MNIST) can still be truncated; Keras then fails inside gzip or NumPy.
    """
    try:
        return read()
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, pickle.UnpicklingError) as err:
        paths = ", ".join(str(keras_cache_dir() / f.cached_as) for f in files)
        raise DatasetUnavailable(f"dataset {name!r}: Keras could not read {paths} ({type(err).__name__}: "
                                 f"{str(err).splitlines()[0] if str(err) else 'damaged file'}); "
                                 f"delete the file(s) and {DOWNLOAD_HINT.format(name=name)}") from err


def _digest(path: Path, digest) -> str:
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
