"""Resuming a run killed hard (`kill -9`, power loss, out of memory) from its `.partial` folder.

The harness rewrites run.json, history.csv and predictions.npz after every fold, so an abandoned
`.partial` folder holds every fold that finished. `kerasdl run NAME --resume RUN_DIR|last` reopens
that folder (same run id, same seed and mode), keeps what finished and runs only the rest; a fold
killed in the middle of its Keras fit goes on from its last finished epoch through
`keras.callbacks.BackupAndRestore`, whose backup lives in the fold's log folder, together with the
state of the fit's EarlyStopping and ReduceLROnPlateau callbacks (their wait, best value and best
weights), which BackupAndRestore does not keep. Every variant is seeded on its own, so the resumed
record has the same metrics as an uninterrupted run.

A multi-worker run (kerasdl/harness/distribute.py) resumes on every host: the chief as above; every
other worker reads the chief's partial folder in the shared `--out` (never writes to it) to skip the
same variants and folds, and starts the interrupted fit from a copy of the chief's backup in its own
scratch folder, so all replicas go on from the same weights, optimizer state and epoch.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from kerasdl import runs
from kerasdl.errors import UserError

__all__ = ["Resumed", "backup_callback", "find_partial", "open_partial", "splice_fit"]

_BEFORE = "epochs_before_backup.json"  # in the backup folder: epochs logged before the last restart
# In the backup folder: the state of the fit's stateful callbacks at the end of epoch N
# (callbacks-N.npz), written with the weights so a resumed fit stops and restores best weights as an
# uninterrupted one does. BackupAndRestore keeps weights, optimizer and epoch only.
_STATES = "callbacks-{epoch}.npz"
# What each kind of callback counts across epochs (Keras resets these in on_train_begin).
_STATE_ATTRIBUTES = {"EarlyStopping": ("wait", "stopped_epoch", "best", "best_epoch"),
                     "ReduceLROnPlateau": ("wait", "cooldown_counter", "best")}
# Above this many weights a per-epoch backup (weights + optimizer state, rewritten every epoch) costs
# more disk time than a resume saves; such fits restart from their first epoch instead.
MAX_BACKUP_PARAMETERS = 25_000_000
# Writing weights and optimizer state every epoch costs 40-75 ms, more than a small model's epoch
# (benchmarks/harness_overhead.py: harness 2.25× faster than bare fit without it, 1.37× with it). So a
# backup is written at most every BACKUP_INTERVAL_S seconds of a fit: a fit killed hard loses at most
# that much training. 0 backs up every epoch (the resume tests use it).
BACKUP_INTERVAL_S = float(os.environ.get("KERASDL_BACKUP_INTERVAL_S", "10"))


def find_partial(reference: str | Path, out: Path | str, experiment: str) -> Path:
    """The folder to resume: a path (a `.partial` folder or an interrupted run), or `last`."""
    if str(reference) == "last":
        found = [p for p in runs.list_abandoned(out) if p.parent.name == experiment]
        if not found:
            raise UserError(f"no abandoned run of {experiment!r} to resume under {Path(out) / experiment}; "
                            "`kerasdl report --out FOLDER` lists the abandoned runs of every experiment")
        return found[0]
    path = Path(reference)
    if not (path / "run.json").is_file():
        raise UserError(f"--resume {reference}: no run.json in that folder; pass a `.<run-id>.partial` folder "
                        "that `kerasdl report` lists as abandoned, or `--resume last`")
    if path.parent.name != experiment:
        raise UserError(f"--resume {reference} is a run of {path.parent.name!r}, not of {experiment!r}")
    if not path.name.endswith(".partial"):
        record = runs.load_record(path)
        if record.get("status") != "interrupted":
            raise UserError(f"--resume {reference}: that run is {record.get('status')!r}, not interrupted or "
                            "abandoned; there is nothing to resume")
        # An interrupted (Ctrl-C, SIGTERM) run goes back to being in progress under its own id.
        partial = path.parent / f".{path.name}.partial"
        path.rename(partial)
        return partial
    return path


def open_partial(reference: str | Path, out: Path | str, experiment: str, *, follow_into: Path | None = None,
                 agree: Callable[[Callable[[], str]], str] = lambda decide: decide()) -> Resumed:
    """The run `--resume reference` means, opened to be resumed.

    A single process, or the chief of a multi-worker run, finds it (find_partial) and takes it over.
    A non-chief worker (`follow_into`: its scratch folder) resumes the one the chief chose, which
    `agree` (distribute.chiefs_word) hands it, reading that folder under the shared `out` only.
    """
    chosen: list[Path] = []

    def decide() -> str:
        chosen.append(find_partial(reference, out, experiment))
        return chosen[0].name

    name = agree(decide)
    if follow_into is None:
        return Resumed(chosen[0])
    return Resumed(_chiefs_partial(name, reference, out, experiment), follow_into=follow_into)


def _chiefs_partial(name: str, reference: str | Path, out: Path | str, experiment: str) -> Path:
    """On a worker: the chief's partial folder `name`, where this host sees it."""
    if str(reference) == "last":
        path = Path(out) / experiment / name
    else:  # the chief has renamed an interrupted run to its partial folder before naming it
        path = Path(reference)
        path = path if path.name.endswith(".partial") else path.parent / f".{path.name}.partial"
    if path.name != name:
        raise UserError(f"--resume {reference}: the chief resumes {name}, not {path.name}; give every host the "
                        "same --resume")
    if not (path / "run.json").is_file():
        raise UserError(f"--resume {reference}: the chief resumes {name}, but this worker finds no "
                        f"{path / 'run.json'}; --out must be the chief's report folder, shared by every host")
    return path


def _copy_backups(partial: Path, into: Path) -> None:
    """The chief's mid-fit backups (and the epoch logs before them), copied into a worker's own run folder.

    Safe while the chief runs: it rewrites a backup only at the end of an epoch, which needs this worker."""
    for backup in partial.glob("logs/*/fold*/backup"):
        target = into / backup.relative_to(partial)
        shutil.copytree(backup, target, dirs_exist_ok=True)
        if (log := backup.parent / "history.csv").is_file():
            shutil.copyfile(log, target.parent / "history.csv")


def _float_or_text(value: str) -> Any:
    try:
        return float(value)
    except ValueError:
        return value


def _history(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    rows = []
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            parsed: dict[str, Any] = {"variant": row.pop("variant"), "fold": int(row.pop("fold")),
                                      "epoch": int(row.pop("epoch"))}
            parsed.update({k: _float_or_text(v) for k, v in row.items() if v not in ("", None)})
            rows.append(parsed)
    return rows


class Resumed:
    """What an abandoned run already finished, handed to the runner variant by variant and fold by fold."""

    def __init__(self, partial: Path, follow_into: Path | None = None) -> None:
        if follow_into is None:
            self.run_dir = runs.RunDir.reopen(partial)
        else:  # a non-chief worker: the chief's folder is read, the fits go on in a twin of it in `follow_into`
            run_id = partial.name[1:].removesuffix(".partial")
            self.run_dir = runs.RunDir(follow_into, partial.parent.name, run_id=run_id)
            _copy_backups(partial, self.run_dir.path)
        try:
            self.record = runs.load_record(partial)
            self.rows = _history(partial / "history.csv")
            with np.load(partial / "predictions.npz", allow_pickle=False) as npz:
                self.predictions = {key: npz[key] for key in npz.files}
        except (OSError, ValueError, KeyError) as error:
            self.run_dir.release()
            raise UserError(f"cannot resume {partial}: its files are damaged ({error}); start a new run") from None
        self.entries = {v.get("name"): v for v in self.record.get("variants", []) if isinstance(v, dict)}

    @property
    def seed(self) -> int:
        return int(self.record.get("seed", 0))

    @property
    def quick(self) -> bool:
        return bool(self.record.get("quick", False))

    def _restore(self, runner: Any, name: str, folds: set[int] | None) -> None:
        runner.history_rows.extend(r for r in self.rows
                                   if r["variant"] == name and (folds is None or r["fold"] in folds))
        for key, value in self.predictions.items():  # keys are <variant>/fold<i>/<array>
            head, fold_text, _what = key.rsplit("/", 2)
            if head == name and (folds is None or int(fold_text.removeprefix("fold")) in folds):
                runner.predictions[key] = value

    def finished_variant(self, name: str, runner: Any) -> dict[str, Any] | None:
        """The recorded entry of a variant that ended (completed, diverged or failed), its rows restored."""
        entry = self.entries.get(name)
        if entry is None or not entry.get("timings") or entry.get("status") == "interrupted":
            return None
        self._restore(runner, name, None)
        return entry

    def finished_fold(self, name: str, fold: int, runner: Any) -> dict[str, Any] | None:
        """A fold of an unfinished variant that was scored before the crash, its rows restored."""
        entry = self.entries.get(name) or {}
        for done in entry.get("folds") or []:
            if done.get("fold") == fold and done.get("status") == "completed" and "metrics" in done:
                self._restore(runner, name, {fold})
                return done
        return None

    def started(self) -> str | None:
        return self.record.get("started")


# -- inside one Keras fit -------------------------------------------------------------------------------
def _kind(callback: Any) -> str | None:
    """Which Keras callback with state across epochs `callback` is (or subclasses), if any."""
    return next((k.__name__ for k in type(callback).__mro__ if k.__module__.startswith("keras")
                 and k.__name__ in _STATE_ATTRIBUTES), None)


def _stateful(callbacks: list[Any]) -> list[Any]:
    return [c for c in callbacks if _kind(c) is not None]


def _save_states(path: Path, callbacks: list[Any]) -> None:
    """The counters, best value and best weights of `callbacks`, as plain arrays (loaded without pickle)."""
    arrays: dict[str, np.ndarray] = {}
    for i, callback in enumerate(callbacks):
        arrays[f"{i}/kind"] = np.asarray(_kind(callback))
        for name in _STATE_ATTRIBUTES[_kind(callback)]:
            value = getattr(callback, name, None)
            if value is not None:
                arrays[f"{i}/{name}"] = np.asarray(value)
        for j, weight in enumerate(getattr(callback, "best_weights", None) or []):
            arrays[f"{i}/best_weights/{j:06d}"] = np.asarray(weight)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    runs.atomic_write(path, buffer.getvalue())


def _load_states(path: Path, callbacks: list[Any]) -> None:
    with np.load(path, allow_pickle=False) as saved:
        for i, callback in enumerate(callbacks):
            if f"{i}/kind" not in saved.files or str(saved[f"{i}/kind"]) != _kind(callback):
                raise ValueError(f"{path.name} holds other callbacks than this fit's")
            for name in _STATE_ATTRIBUTES[_kind(callback)]:
                if f"{i}/{name}" in saved.files:
                    setattr(callback, name, saved[f"{i}/{name}"].item())
            weights = sorted(k for k in saved.files if k.startswith(f"{i}/best_weights/"))
            if weights:
                callback.best_weights = [saved[k] for k in weights]


def backup_callback(backup_dir: Path, csv_log: Path, note: dict[str, Any], siblings: list[Any] = ()):
    """keras.callbacks.BackupAndRestore that never stops a fit it cannot back up, and remembers the epochs
    logged before a restart (CSVLogger rewrites its file when fit starts again) in `note`. The state of
    the EarlyStopping and ReduceLROnPlateau callbacks among `siblings` (wait, best, best weights) is
    backed up and restored with the weights.

    Put it before the CSVLogger in the callback list: it must read the log before it is rewritten; and
    after the callbacks in `siblings`, so that it saves their state once they have seen the epoch, and
    restores it after their own on_train_begin has reset it.
    """
    import keras

    class _Backup(keras.callbacks.BackupAndRestore):
        _last_save = 0.0

        def _save_model(self):
            # Keras's own epoch hook updates its epoch counter, then saves; only the saving is throttled.
            now = time.monotonic()
            if now - self._last_save >= BACKUP_INTERVAL_S:
                stateful = _stateful(list(siblings))
                if stateful:  # before Keras's metadata names this epoch: a restore never finds it missing
                    _save_states(Path(self.backup_dir) / _STATES.format(epoch=self._current_epoch), stateful)
                super()._save_model()
                self._last_save = now
                # kept: this epoch's and the one before (Keras falls back to its previous backup if this one is damaged)
                older = sorted(Path(self.backup_dir).glob(_STATES.format(epoch="*")),
                               key=lambda p: int(p.stem.split("-")[1]))[:-2]
                for path in older:
                    path.unlink(missing_ok=True)

        def on_train_begin(self, logs=None):
            self._last_save = time.monotonic()
            try:
                if self.model.count_params() > MAX_BACKUP_PARAMETERS:
                    note["backup_error"] = f"no mid-fit backup: more than {MAX_BACKUP_PARAMETERS:,} weights"
                    return
            except ValueError:  # not built yet (built by fitting): small enough to find out later
                pass
            if not (Path(self._weights_path).is_file() and self.model.built):
                return  # nothing to restore (Keras would refuse a model built by fitting)
            try:
                super().on_train_begin(logs)
            except Exception as error:  # noqa: BLE001 - a backup half-written by the crash: start the fold afresh
                note["restore_error"] = f"{type(error).__name__}: {error}"
                self.model._initial_epoch = 0
                return
            restored = int(getattr(self.model, "_initial_epoch", 0) or 0)
            stateful = _stateful(list(siblings))
            if stateful and restored:
                try:
                    _load_states(Path(self.backup_dir) / _STATES.format(epoch=restored), stateful)
                except (OSError, ValueError, KeyError) as error:  # the fit goes on; its early stopping starts afresh
                    note["restore_error"] = f"callback state not restored ({type(error).__name__}: {error})"
            before = Path(self.backup_dir) / _BEFORE
            rows = json.loads(before.read_text(encoding="utf-8")) if before.is_file() else []
            seen = {r["epoch"] for r in rows}
            if csv_log.is_file():
                with open(csv_log, encoding="utf-8", newline="") as handle:
                    for row in csv.DictReader(handle):
                        epoch = int(row.pop("epoch"))
                        if epoch < restored and epoch not in seen:
                            rows.append({"epoch": epoch, **{k: float(v) for k, v in row.items() if v}})
            rows = sorted((r for r in rows if r["epoch"] < restored), key=lambda r: r["epoch"])
            runs.atomic_write(before, json.dumps(rows))
            note.update(from_epoch=restored, rows=rows)

        def on_epoch_end(self, epoch, logs=None):
            if "backup_error" in note:
                return
            try:
                super().on_epoch_end(epoch, logs)
            except Exception as error:  # noqa: BLE001 - e.g. a model whose weights cannot be saved as .h5
                note["backup_error"] = f"{type(error).__name__}: {error}"  # stop trying; the fit goes on

    return _Backup(str(backup_dir))


def splice_fit(result: Any, note: dict[str, Any] | None, *, variant: str, fold: int, monitor: str | None,
               lower_is_better: bool) -> None:
    """A fold resumed inside its fit: number its epochs from where the backup left off, put the epochs
    logged before the crash in front, and recount epochs_run and best_epoch over the whole fit."""
    if note and (problem := note.get("backup_error") or note.get("restore_error")):
        result.entry["backup"] = problem  # why this fit could not be (or was not) resumed mid-way
    if not note or not note.get("from_epoch"):
        return
    start = note["from_epoch"]
    for row in result.history:
        row["epoch"] += start
    earlier = [{"variant": variant, "fold": fold, **{k: v for k, v in r.items() if k != "epoch"},
                "epoch": r["epoch"] + 1} for r in note["rows"]]
    result.history[:0] = earlier
    entry = result.entry
    entry["epochs_run"] = len(result.history)
    entry["resumed_from_epoch"] = start
    values = [r.get(monitor) for r in result.history] if monitor else []
    if values and entry.get("best_epoch") is not None and all(isinstance(v, float) for v in values):
        pick = np.nanargmin if lower_is_better else np.nanargmax
        entry["best_epoch"] = int(pick(np.asarray(values, dtype=float))) + 1
