"""Run-wide controls shared by the fold and run steps: the Ctrl-C flag and the progress display.

Progress has three modes, chosen once per run:
* a terminal: a header line per variant and fold (with the run's elapsed time and an estimate of
  what is left, from the folds finished so far), then an epoch bar drawn by `rich` (Keras's own
  dependency) with the epochs done, elapsed time, time left and the latest loss, then the fold's score;
* not a terminal (a pipe, a CI log, a notebook): exactly one line per fold, written when the fold
  ends, with its score and the run's elapsed time and time left — no bars, no carriage returns;
* `quiet`: nothing.
Keras's own per-batch bar is off in every mode (the epoch bar replaces it).
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, TextIO

__all__ = ["Progress", "STOP_REQUESTED", "check_stop", "interruptible", "stop_at_once_if_interruptible"]

# Set by the harness's Ctrl-C / SIGTERM handler. Outside `interruptible()` blocks that is all it does:
# the harness's own bookkeeping (writing the record, the index) stops at its next `check_stop()`.
STOP_REQUESTED = threading.Event()
_interruptible_depth = 0  # > 0 while the main thread is inside `interruptible()`


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """A block (one fold's fit, evaluation and scoring) that a stop request ends at once.

    Waiting for the next check would let a stopped fold run its validation pass, test evaluation and
    model saving first, or a scikit-learn fit run to its end: seconds to minutes on a large fold, for
    results the interrupted run then throws away. Python runs a signal handler only between bytecodes,
    so the KeyboardInterrupt arrives when TensorFlow's C++ returns to Python, at the end of a batch or
    `steps_per_execution` block (a long C call, e.g. one libsvm fit, still runs to its end). An error
    TensorFlow makes of it is turned back into an interruption by the harness (STOP_REQUESTED is set).
    """
    global _interruptible_depth
    _interruptible_depth += 1
    try:
        yield
    finally:
        _interruptible_depth -= 1


def _in_finalizer(frame: Any) -> bool:
    """Whether the signal arrived inside a weakref callback or `__del__`, where Python only prints an
    exception ("Exception ignored in ...") instead of raising it."""
    code = getattr(frame, "f_code", None)
    return code is not None and (code.co_name == "__del__" or code.co_filename.endswith("weakref.py"))


def stop_at_once_if_interruptible(frame: Any = None) -> None:
    """Called by the signal handler after setting STOP_REQUESTED: inside `interruptible()`, stop now
    (unless `frame`, where the signal arrived, is a finalizer: then at the next batch, by the flag)."""
    if _interruptible_depth and STOP_REQUESTED.is_set() and not _in_finalizer(frame):
        raise KeyboardInterrupt

_SHOWN_LOGS = ("loss", "val_loss")  # the epoch bar's numbers: short enough for one line


def check_stop() -> None:
    if STOP_REQUESTED.is_set():
        raise KeyboardInterrupt


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def clock(seconds: float) -> str:
    """0:42, 12:05, 1:02:03 — how long, for people."""
    seconds = max(int(round(seconds)), 0)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """What a run shows while it works (module docstring). `stream` defaults to standard output."""

    def __init__(self, quiet: bool, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stdout
        self.terminal = not quiet and _is_terminal(self.stream)
        self.keras_verbose = 0  # Keras's per-batch bar: replaced by the epoch bar
        self._total = 0
        self._done = 0
        self._started = time.perf_counter()
        self._pending: str | None = None  # off a terminal: the fold line waiting for its result

    # -- plain lines ---------------------------------------------------------------------------------
    def say(self, text: str) -> None:
        if self.quiet:
            return
        if self._pending is not None:  # a message inside a fold (diverged, failed) names the fold first
            self._write(self._pending)
            self._pending = None
        self._write(text)

    def _write(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    # -- the run and its folds -----------------------------------------------------------------------
    def begin(self, total_folds: int, text: str) -> None:
        """The run starts: `total_folds` (variants × folds) is what the time-left estimate counts down."""
        self._total, self._done, self._started = max(total_folds, 0), 0, time.perf_counter()
        self.say(text)

    def run_clock(self) -> str:
        """'run 0:12, about 0:30 left' — the estimate is the mean time of the folds finished so far."""
        elapsed = time.perf_counter() - self._started
        text = f"run {clock(elapsed)}"
        left = self._total - self._done
        if self._done and left > 0:
            text += f", about {clock(elapsed / self._done * left)} left"
        return text

    def fold_started(self, label: str) -> None:
        """A variant's fold starts, e.g. label '[2/4] MLP: fold 3/5'."""
        if self.quiet:
            return
        if self.terminal:
            self._write(f"{label}  ({self.run_clock()})")
        else:
            self._pending = label

    def fold_finished(self, result: str = "") -> None:
        """The fold ended with `result` (its score and fit time): counted, and shown."""
        self._done += 1
        if self.quiet:
            return
        if self.terminal:
            if result:
                self._write(f"    {result}")
            return
        label, self._pending = self._pending, None
        parts = [p for p in (label, result, f"[{self.run_clock()}]") if p]
        self._write("  ".join(parts))

    def epoch_callbacks(self) -> list[Any]:
        """Keras callbacks that draw one fit's epoch bar; none off a terminal or when quiet."""
        return [_epoch_bar(self.stream)] if self.terminal else []


def _epoch_bar(stream: TextIO) -> Any:
    """A Keras callback drawing a `rich` bar over the fit's epochs: done/total, elapsed, time left and
    the last epoch's loss and val_loss. It acts at epoch ends only, so the fast input pipeline stays on."""
    import keras
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    from rich.progress import Progress as RichProgress

    class EpochBar(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self._bar = RichProgress(
                TextColumn("   "), BarColumn(bar_width=20), MofNCompleteColumn(), TextColumn("epochs"),
                TimeElapsedColumn(), TextColumn("elapsed,"), TimeRemainingColumn(), TextColumn("left  {task.fields[logs]}"),
                console=Console(file=stream), auto_refresh=False, transient=False)
            self._bar.start()
            self._task = self._bar.add_task("fit", total=self.params.get("epochs") or None, logs="")
            self._epochs = 0

        def on_epoch_end(self, epoch, logs=None):
            self._epochs = epoch + 1
            shown = "  ".join(f"{k} {float(v):.4g}" for k, v in (logs or {}).items() if k in _SHOWN_LOGS)
            self._bar.update(self._task, completed=self._epochs, logs=shown)
            self._bar.refresh()

        def on_train_end(self, logs=None):
            total = self.params.get("epochs")
            if total and self._epochs < total:  # early stopping: the bar ends where training did
                self._bar.update(self._task, total=self._epochs,
                                 logs=f"{self._bar.tasks[0].fields['logs']}  (stopped at epoch {self._epochs})")
            self._bar.refresh()
            self._bar.stop()

    return EpochBar()
