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

__all__ = [
    "READABLE_SCHEMA_VERSIONS", "SCHEMA_VERSION", "STATUSES", "RunDir", "atomic_write", "dumps", "json_safe", "load_record",
    "list_runs", "worst_status", "new_run_id", "now", "safe_name",
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

    def __init__(self, out: Path | str, experiment: str, run_id: str | None = None) -> None:
        self.run_id = run_id or new_run_id()
        self.experiment_dir = Path(out) / experiment
        self.final = self.experiment_dir / self.run_id
        self.path = self.experiment_dir / f".{self.run_id}.partial"
        self.path.mkdir(parents=True, exist_ok=False)

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

    def finish(self) -> Path:
        """Move the finished run into place; from now on indexes and `kerasdl report` see it."""
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
