"""Run records on disk (format: docs/run-record.md).

A run is written inside a hidden `.<run-id>.partial` folder and renamed into place when it ends, and
every file in it is replaced atomically, so a crash can never leave something that looks complete.
This module knows nothing about Keras; the harness hands it plain data.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from kerasdl import locks

__all__ = [
    "READABLE_SCHEMA_VERSIONS", "SCHEMA_VERSION", "STATUSES", "RunDir", "atomic_write", "check_name", "check_run",
    "damaged", "disk_bytes", "dumps", "json_safe", "list_abandoned", "load_record", "list_runs", "worst_status",
    "new_run_id", "now", "refuse_damaged", "safe_name", "warn_skipped",
]

# 2: variants record fit.monitor (and trainer), folds record monitor and, when diverged, which loss
# and epoch. Version-1 records have none of these and still render.
SCHEMA_VERSION = 2
READABLE_SCHEMA_VERSIONS = (1, 2)
_UMASK = os.umask(0)
os.umask(_UMASK)  # reading the umask means setting it; put it straight back
# Ordered from best to worst: a run's status is the worst of its variants' statuses.
STATUSES = ("completed", "diverged", "failed", "interrupted")


def worst_status(statuses: Iterable[str]) -> str:
    ranked = [STATUSES.index(s) for s in statuses]
    return STATUSES[max(ranked)] if ranked else "completed"


def now(timespec: str = "seconds") -> str:
    """The current UTC time as ISO 8601, the form every record and search file stores."""
    return datetime.now(timezone.utc).isoformat(timespec=timespec)


def safe_name(text: str, default: str) -> str:
    """`text` made safe as one path component (letters, digits, `_.-`), or `default` if nothing is left."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", str(text)).strip("-.") or default


def check_name(name: str, what: str = "experiment") -> str:
    """`name` if it can be one folder under the reports folder; else a UserError.

    Names become paths (reports/<experiment>/...): `../x`, `/abs`, `a/b` or a hidden `.x` would
    write outside `--out` or be hidden from the index, so they are refused rather than rewritten.
    """
    from kerasdl.errors import UserError

    text = str(name)
    if not text or text != safe_name(text, "") or text.startswith(".") or len(text) > 120:
        suggestion = safe_name(text, what)[:120]
        raise UserError(f"{what} name {text!r} cannot be a folder name: use letters, digits and `_.-` only "
                        f"(at most 120, not starting with a dot), e.g. {suggestion!r}")
    return text


def new_run_id() -> str:
    """Sortable by time, unique enough for two runs started in the same second."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(2)


def atomic_write(path: Path, data: bytes | str) -> Path:
    """Write `data` to `path` through a temporary file in the same folder and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; records are meant to be shared
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def json_safe(value: Any) -> Any:
    """Plain JSON types: NumPy scalars and arrays unwrapped, NaN/inf → None (JSON has no NaN)."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def dumps(value: Any, indent: int = 2, _level: int = 0) -> str:
    """JSON indented like `json.dumps(indent=2)`, except that a list of numbers or strings stays on one line.

    Records hold images, curves and matrices as nested lists; one number per line made an image-heavy
    record ten times larger and unreadable. NaN and infinity are refused, as json_safe has removed them.
    """
    pad, inner = " " * indent * _level, " " * indent * (_level + 1)
    if isinstance(value, dict) and value:
        items = (f"{inner}{json.dumps(str(k))}: {dumps(v, indent, _level + 1)}" for k, v in value.items())
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, (list, tuple)) and any(isinstance(v, (dict, list, tuple)) for v in value):
        return "[\n" + ",\n".join(inner + dumps(v, indent, _level + 1) for v in value) + f"\n{pad}]"
    return json.dumps(value, allow_nan=False, ensure_ascii=False)


class RunDir:
    """The folder of one run while it is being written, and its final place."""

    LOCK = ".lock"  # held by the writing process; a `.partial` folder whose lock is free is abandoned

    def __init__(self, out: Path | str, experiment: str, run_id: str | None = None) -> None:
        self.experiment_dir = Path(out) / check_name(experiment)
        self.experiment_dir.mkdir(parents=True, exist_ok=True)
        for attempt in range(20):
            # mkdir is atomic: of two processes that drew the same id, exactly one gets the folder
            self.run_id = run_id or new_run_id()
            self.final = self.experiment_dir / self.run_id
            self.path = self.experiment_dir / f".{self.run_id}.partial"
            try:
                if self.final.exists():
                    raise FileExistsError(self.final)
                self.path.mkdir()
                break
            except FileExistsError:
                if run_id is not None or attempt == 19:
                    raise
        self._lock = locks.HeldLock(self.path / self.LOCK)

    @classmethod
    def reopen(cls, partial: Path | str) -> RunDir:
        """An abandoned `.<run-id>.partial` folder, taken over to be resumed (UserError if still being written)."""
        from kerasdl.errors import UserError

        partial = Path(partial)
        self = cls.__new__(cls)
        self.path, self.experiment_dir = partial, partial.parent
        self.run_id = partial.name[1:].removesuffix(".partial")
        self.final = self.experiment_dir / self.run_id
        try:
            self._lock = locks.HeldLock(partial / cls.LOCK)
        except BlockingIOError:
            raise UserError(f"{partial} is still being written by another kerasdl process; wait for it to end "
                            "(or stop it) before resuming it") from None
        return self

    def file(self, relative: str) -> Path:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write_json(self, relative: str, record: Mapping[str, Any]) -> Path:
        return atomic_write(self.file(relative), dumps(json_safe(record)) + "\n")

    def write_history(self, rows: list[dict[str, Any]]) -> Path:
        """history.csv: variant, fold, epoch, then the union of every Keras log key."""
        keys: list[str] = []
        for row in rows:
            keys.extend(k for k in row if k not in keys)
        fields = ["variant", "fold", "epoch"] + sorted(k for k in keys if k not in ("variant", "fold", "epoch"))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=fields, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return atomic_write(self.file("history.csv"), buffer.getvalue())

    def write_predictions(self, arrays: Mapping[str, np.ndarray]) -> Path:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **dict(arrays))
        return atomic_write(self.file("predictions.npz"), buffer.getvalue())

    def release(self) -> None:
        """Give the folder up unfinished (it stays resumable); a crash does the same implicitly."""
        self._lock.release()

    def finish(self) -> Path:
        """Move the finished run into place; from now on indexes and `kerasdl report` see it."""
        self._lock.release(remove=True)
        os.replace(self.path, self.final)
        self.path = self.final
        return self.final


def load_record(run_dir: Path | str) -> dict[str, Any]:
    """run.json of a run folder (raises FileNotFoundError / json.JSONDecodeError as they are)."""
    return json.loads((Path(run_dir) / "run.json").read_text(encoding="utf-8"))


def list_runs(out: Path | str) -> list[Path]:
    """Finished run folders under `out`, newest first; in-progress `.partial` folders are skipped."""
    root = Path(out)
    if not root.is_dir():
        return []
    runs = [p.parent for p in root.glob("*/*/run.json")
            if not p.parent.name.startswith(".") and p.parent.parent.name != "tuning"]
    return sorted(runs, key=lambda p: p.name, reverse=True)


def list_abandoned(out: Path | str) -> list[Path]:
    """`.partial` run folders under `out` that no live process is writing (killed hard), newest first."""
    root = Path(out)
    found = [p for p in root.glob("*/.*.partial") if p.is_dir() and p.parent.name != "tuning"
             and not locks.is_locked(p / RunDir.LOCK)] if root.is_dir() else []
    return sorted(found, key=lambda p: p.name, reverse=True)


def disk_bytes(folder: Path | str) -> int:
    """Bytes used by every file under `folder` (what a run or search costs on disk)."""
    total = 0
    for path in Path(folder).rglob("*"):
        try:
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
        except OSError:  # removed while we walked (a Keras backup being replaced)
            continue
    return total


def check_run(run_dir: Path | str) -> str | None:
    """What is wrong with a finished run's files, in one phrase naming the file; None when it is sound.

    Cheap enough for the index (run.json is parsed; predictions.npz only has its zip directory read,
    history.csv only its header), and strict where the report would otherwise draw half a page: a
    finished run always has all three files, because the harness writes them after every variant.
    """
    import zipfile

    run_dir = Path(run_dir)
    path = run_dir / "run.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"{path}: missing"
    except UnicodeDecodeError as error:
        return f"{path}: not UTF-8 text (byte {error.start})"
    except ValueError as error:
        return f"{path}: not valid JSON, truncated or hand-edited? ({str(error).splitlines()[0]})"
    except OSError as error:
        return f"{path}: cannot be read ({error.strerror})"
    if not isinstance(record, dict):
        return f"{path}: expected a JSON object, found {type(record).__name__}"
    version = record.get("schema_version")
    if version not in READABLE_SCHEMA_VERSIONS:
        newer = isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION
        return (f"{path}: schema_version {version!r} " + ("is newer than this kerasdl understands "
                f"({SCHEMA_VERSION}); upgrade kerasdl to read it" if newer else
                f"is not one this kerasdl reads ({', '.join(map(str, READABLE_SCHEMA_VERSIONS))})"))
    for key, kind in (("variants", list), ("experiment", dict), ("status", str)):
        if not isinstance(record.get(key), kind):
            return f"{path}: {key!r} is missing or not a {kind.__name__} (hand-edited?)"
    if record["status"] not in STATUSES:
        return f"{path}: unknown status {record['status']!r}; expected one of {', '.join(STATUSES)}"
    predictions = run_dir / "predictions.npz"
    if not predictions.is_file():
        return f"{predictions}: missing (every finished run has one; it holds the held-out predictions)"
    try:
        with zipfile.ZipFile(predictions) as archive:
            archive.namelist()
    except (OSError, zipfile.BadZipFile) as error:
        return f"{predictions}: not a readable .npz archive, truncated? ({error})"
    history = run_dir / "history.csv"
    try:
        with open(history, encoding="utf-8") as handle:
            header = handle.readline().strip().split(",")
    except FileNotFoundError:
        return f"{history}: missing (every finished run has one; it holds the per-epoch history)"
    except (OSError, UnicodeDecodeError) as error:
        return f"{history}: cannot be read ({error})"
    if header[:3] != ["variant", "fold", "epoch"]:
        return f"{history}: the header does not start with variant,fold,epoch (hand-edited?)"
    return None


def damaged(run_dir: Path | str) -> str:
    """`check_run` with file names relative to the run folder ("" when the run is sound), for pages."""
    problem = check_run(run_dir)
    return problem.replace(f"{Path(run_dir)}{os.sep}", "") if problem else ""


def warn_skipped(run_dir: Path | str, problem: str) -> None:
    """One line on stderr for a run that an index or `kerasdl report` leaves out."""
    import sys

    print(f"kerasdl: warning: skipped {run_dir}: {problem}", file=sys.stderr)


def refuse_damaged(run_dir: Path | str) -> None:
    """A UserError (one line) if `run_dir` is an unfinished or damaged run, saying what and how to fix it."""
    from kerasdl.errors import UserError

    run_dir = Path(run_dir)
    if run_dir.name.endswith(".partial"):
        if locks.is_locked(run_dir / RunDir.LOCK):
            raise UserError(f"{run_dir} is a run still being written by another process; its report comes when "
                            "it ends")
        raise UserError(f"{run_dir} is an abandoned run (its process was killed before it finished); "
                        f"`kerasdl run {run_dir.parent.name} --resume {run_dir}` runs the rest")
    if (run_dir / "run.json").is_file():
        problem = check_run(run_dir)
        if problem:
            raise UserError(f"{problem}; run the experiment again for a new record")
