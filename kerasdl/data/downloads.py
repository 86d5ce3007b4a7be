"""Download the real benchmark datasets, only when a user asks (`kerasdl datasets --download NAME`).

Nothing else in kerasdl downloads: the loaders in `keras_sets` read the local Keras cache and stop
with a one-line error when a file is missing. This module is the explicit step that fills that cache,
and it does it the way `keras.datasets` would: through `keras.utils.get_file`, with Keras's own file
names, sub-folders, URLs and hashes (keras/src/datasets/*.py), so Keras shows its progress bar, checks
the hash, and leaves each file exactly where the loaders (and `keras.datasets.*.load_data()`) look.

What kerasdl adds around get_file: a failed fetch (no network, HTTP error) becomes one line naming
the URL (exit status 2), a download whose hash (or, for Fashion-MNIST, size) is wrong is deleted
rather than left in the cache, and the environment variable KERASDL_DATASET_MIRROR (a base URL such
as `http://mirror.example/keras-datasets/`, holding the files under the names they have at their
origin) replaces the origins, for a local mirror, a proxy cache or the tests' loopback server. A
mirror must serve the same bytes: the expected hashes never change.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

from kerasdl.data import keras_sets
from kerasdl.data._keras_cache import CacheFile, damage, keras_cache_dir
from kerasdl.errors import DatasetUnavailable, UserError

__all__ = ["MIRROR_VARIABLE", "downloadable", "download", "origin_of", "main"]

MIRROR_VARIABLE = "KERASDL_DATASET_MIRROR"
_TIMEOUT_S = 60.0  # a silent network fails within a minute instead of hanging (urllib has no default)


def downloadable() -> tuple[str, ...]:
    """Names of the datasets kerasdl can download (the keras.datasets sets)."""
    return tuple(spec.name for spec in keras_sets.SPECS)


def origin_of(file: CacheFile, mirror: str | None = None) -> str:
    """Where `file` is fetched from: Keras's URL, or the same file name under the mirror's base URL."""
    mirror = os.environ.get(MIRROR_VARIABLE) if mirror is None else mirror
    if not mirror:
        return file.url
    return mirror.rstrip("/") + "/" + os.path.basename(urlsplit(file.url).path)


def _check_name(name: str) -> str:
    from kerasdl.data import registry

    spec = registry.spec(name)  # unknown names: one line naming the closest
    if spec.name not in downloadable():
        raise UserError(f"dataset {spec.name!r} needs no download (its origin is {spec.origin}: it is always "
                        f"available offline); downloadable datasets: {', '.join(downloadable())}")
    return spec.name


def download(name: str, *, mirror: str | None = None, say=print) -> list[Path]:
    """Fetch every file of dataset `name` that is missing or damaged; return the cached paths.

    A file already cached with the right hash or size is kept as it is (nothing is fetched twice).
    Raises DatasetUnavailable (a UserError) naming the URL when a fetch fails or its result is damaged.
    """
    name = _check_name(name)
    cache = keras_cache_dir()
    paths = []
    for file in keras_sets.download_files(name):
        path = cache / file.cached_as
        if path.is_file() and damage(file) is None:
            say(f"{name}: {path} is already cached and verified")
        else:
            _fetch(name, file, origin_of(file, mirror), cache)
            say(f"{name}: {path} downloaded and verified ({_check_kind(file)})")
        paths.append(path)
    return paths


def _check_kind(file: CacheFile) -> str:
    return "sha256" if file.sha256 else "md5" if file.md5 else f"{file.size:,} bytes" if file.size else "unchecked"


def _fetch(name: str, file: CacheFile, origin: str, cache: Path) -> None:
    """One `keras.utils.get_file` call with the arguments keras.datasets uses for this file."""
    import keras

    relative = Path(file.cached_as)
    # get_file(extract=True) stores the download as "<fname>_archive" and unpacks it to "<fname>".
    fname = relative.name.removesuffix("_archive") if file.extract else relative.name
    target = cache / relative
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(_TIMEOUT_S if previous_timeout is None else previous_timeout)
    try:
        keras.utils.get_file(fname=fname, origin=origin, file_hash=file.sha256 or file.md5,
                             cache_subdir=str(Path(cache.name) / relative.parent), cache_dir=str(cache.parent),
                             extract=file.extract, force_download=target.exists())
    except ValueError as error:  # get_file's hash check; it leaves the bad file behind, we do not
        _remove(target)
        if "corrupted" not in str(error):
            raise
        raise DatasetUnavailable(
            f"dataset {name!r}: the file downloaded from {origin} does not have the hash Keras expects "
            f"({'sha256' if file.sha256 else 'md5'} {file.sha256 or file.md5}); it was deleted; try again, "
            f"or use another mirror ({MIRROR_VARIABLE})") from None
    except Exception as error:  # get_file turns every urllib failure into a bare Exception
        _remove(target)
        raise DatasetUnavailable(
            f"dataset {name!r}: could not download {origin} ({_reason(error, origin)}); check the network connection "
            f"(or set {MIRROR_VARIABLE} to a mirror of the files) and try again") from None
    finally:
        socket.setdefaulttimeout(previous_timeout)
    problem = damage(file)  # the size of a file Keras gives no hash for
    if problem:
        _remove(target)
        raise DatasetUnavailable(f"dataset {name!r}: the file downloaded from {origin} is damaged ({problem}); "
                                 "it was deleted; try again")


def _reason(error: Exception, origin: str) -> str:
    """get_file's "URL fetch failure on <url>: <code> -- <message>" without the URL we already name."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    code, sep, message = text.removeprefix(f"URL fetch failure on {origin}: ").partition(" -- ")
    if not sep:
        return text
    return message if code in ("None", "") else f"HTTP {code} {message}"


def _remove(path: Path) -> None:
    if path.is_file():
        path.unlink()


def main(names: list[str]) -> int:
    """`kerasdl datasets --download NAME [NAME...]`: every name is checked before anything is fetched."""
    checked = list(dict.fromkeys(_check_name(n) for n in names))
    from kerasdl import environment

    environment.import_tensorflow_quietly()
    for name in checked:
        download(name)
    return 0
