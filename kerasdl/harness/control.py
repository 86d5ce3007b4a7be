"""Run-wide controls shared by the fold and run steps: the Ctrl-C flag and progress lines."""

from __future__ import annotations

import sys
import threading

__all__ = ["Progress", "STOP_REQUESTED", "check_stop"]

# Set by the harness's Ctrl-C handler. A KeyboardInterrupt raised inside TensorFlow's C++ code can
# surface as a SystemError, so the first Ctrl-C only asks training to stop at the next batch boundary,
# where Python raises KeyboardInterrupt cleanly.
STOP_REQUESTED = threading.Event()


def check_stop() -> None:
    if STOP_REQUESTED.is_set():
        raise KeyboardInterrupt


class Progress:
    """One line per variant and fold; Keras draws its own bar inside fit when attached to a terminal."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.keras_verbose = 0 if quiet or not sys.stdout.isatty() else 1

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)
