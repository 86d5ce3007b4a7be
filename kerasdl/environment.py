"""The versions and hardware a run was made with (recorded so that results can be reproduced), and
the quiet import of TensorFlow that the CLI runs before any training."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata

__all__ = ["describe", "import_tensorflow_quietly"]


def import_tensorflow_quietly() -> None:
    """Import TensorFlow without its start-up chatter; what it printed is shown if the import fails.

    TensorFlow's C++ notices (CPU features) and its Python retracing notices (every fold builds a
    fresh model, so they are expected) would drown the progress lines. TF_CPP_MIN_LOG_LEVEL (also
    inherited by distributed-search workers) silences most, but TensorFlow 2.21 logs "oneDNN custom
    operations are on" through absl before it reads that variable, so the import runs with file
    descriptor 2 pointed at a temporary file. The CLI calls this once the user's input is checked.
    """
    import logging
    import tempfile

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with tempfile.TemporaryFile() as captured:
            os.dup2(captured.fileno(), 2)
            try:
                import tensorflow  # noqa: F401
            except BaseException:
                os.dup2(saved, 2)
                captured.seek(0)
                sys.stderr.write(captured.read().decode(errors="replace"))
                raise
    finally:
        os.dup2(saved, 2)
        os.close(saved)


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
