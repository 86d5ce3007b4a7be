"""Progress output (kerasdl.harness.control.Progress): an epoch bar with elapsed time and time left in a
terminal, one line per fold in a pipe or CI log, nothing under --quiet; tested through `harness.run` on
a real pseudo-terminal and on a captured (non-terminal) stdout."""

from __future__ import annotations

import io
import os
import re
import sys
import threading

import pytest

from kerasdl.harness import Experiment, Variant, run
from kerasdl.harness.control import Progress, clock

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _experiment(*, keras: bool = True) -> Experiment:
    """Two folds of iris: a 3-epoch MLP (no early stopping, so the bar runs to the end) and a baseline."""
    from sklearn.dummy import DummyClassifier

    variants = [Variant("mlp", builder="mlp", hyperparameters={"units": [4]}, epochs=3, patience=None)] if keras else []
    variants.append(Variant("prior", estimator=DummyClassifier(), label="class prior"))
    return Experiment(name="progress-check", dataset="iris", variants=variants, evaluation="cv", folds=2)


def test_clock_reads_like_a_watch():
    assert [clock(s) for s in (0, 42.4, 605, 3723)] == ["0:00", "0:42", "10:05", "1:02:03"]


def test_off_a_terminal_each_fold_is_one_line_with_the_time_left():
    stream = io.StringIO()  # not a terminal
    progress = Progress(quiet=False, stream=stream)
    assert not progress.terminal and progress.epoch_callbacks() == []
    progress.begin(3, "header")
    for k in range(1, 4):
        progress.fold_started(f"[1/1] mlp: fold {k}/3")
        progress.fold_finished(f"roc_auc 0.9{k}00  (0.1 s)")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "header" and len(lines) == 4
    for k, line in enumerate(lines[1:], start=1):
        assert line.startswith(f"[1/1] mlp: fold {k}/3  roc_auc 0.9{k}00  (0.1 s)  [run 0:00")
    assert "about 0:00 left" in lines[1] and "left" in lines[2] and "left" not in lines[3]  # nothing left at the end


def test_a_message_inside_a_fold_names_the_fold_first():
    stream = io.StringIO()
    progress = Progress(quiet=False, stream=stream)
    progress.begin(1, "header")
    progress.fold_started("[1/1] mlp: fold 1/1")
    progress.say("    diverged: loss became NaN")
    assert stream.getvalue().splitlines()[1:] == ["[1/1] mlp: fold 1/1", "    diverged: loss became NaN"]


def test_quiet_shows_nothing(capsys, tmp_path):
    record = run(_experiment(keras=False), out=tmp_path, quiet=True, tensorboard=False)
    assert record.status == "completed"
    assert capsys.readouterr().out == ""
    assert Progress(quiet=True, stream=sys.stdout).epoch_callbacks() == []


def test_a_run_in_a_pipe_prints_one_line_per_fold(capsys, tmp_path):
    record = run(_experiment(), out=tmp_path, tensorboard=False)
    out = capsys.readouterr().out
    assert "\r" not in out and "\x1b" not in out and "Epoch" not in out  # no bars, no Keras per-batch lines
    lines = out.splitlines()
    assert lines[0].startswith("progress-check: iris (150 rows, multiclass), 2 variants × 2 fold(s)")
    folds = lines[1:]
    assert len(folds) == 4, out
    for line, (variant, fold) in zip(folds, [("mlp", 1), ("mlp", 2), ("class prior", 1), ("class prior", 2)]):
        assert re.match(rf"\[\d/2\] {variant}: fold {fold}/2  {record.data['experiment']['headline_metric']} "
                        r"\d\.\d{4}  \(\d+\.\d s\)  \[run \d+:\d\d", line), line
    assert "left]" in folds[0] and folds[-1].endswith("]") and "left" not in folds[-1]


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_a_run_in_a_terminal_draws_an_epoch_bar_with_elapsed_and_left(monkeypatch, tmp_path):
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "160")
    for name in ("NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    master, slave = os.openpty()
    terminal = os.fdopen(slave, "w", buffering=1, encoding="utf-8")
    chunks: list[bytes] = []

    def read_all():
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # the terminal's other end closed
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    monkeypatch.setattr(sys, "stdout", terminal)
    try:
        run(_experiment(), out=tmp_path, tensorboard=False)
    finally:
        monkeypatch.undo()
        terminal.close()
        reader.join(timeout=10)
        os.close(master)
    shown = ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))
    assert "[1/2] mlp: fold 1/2  (run 0:0" in shown and "[1/2] mlp: fold 2/2  (run" in shown
    assert re.search(r"3/3 epochs \d:\d\d:\d\d elapsed, [-\d:]+ left  loss \d", shown), shown
    assert "val_loss" in shown and "━" in shown
    assert "about" in shown.split("[1/2] mlp: fold 2/2", 1)[1]  # from the second fold on: an estimate
    assert "Epoch 1/3" not in shown  # Keras's own per-batch bar stays off
