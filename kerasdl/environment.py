"""The versions and hardware a run was made with, recorded so that results can be reproduced."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata

__all__ = ["describe"]


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def describe(*, with_devices: bool = True) -> dict:
    """Versions of Python and the libraries that shape results, backend, CPU count and GPUs."""
    env = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "tensorflow": _version("tensorflow") or _version("tensorflow-cpu"),
        "keras": _version("keras"),
        "keras_tuner": _version("keras-tuner"),
        "sklearn": _version("scikit-learn"),
        "numpy": _version("numpy"),
        "pandas": _version("pandas"),
        "kerasdl": _version("kerasdl"),
    }
    if with_devices and "keras" in sys.modules:
        import keras

        env["backend"] = keras.backend.backend()
        if env["backend"] == "tensorflow":
            import tensorflow as tf

            env["gpus"] = [d.name for d in tf.config.list_physical_devices("GPU")]
    return env
