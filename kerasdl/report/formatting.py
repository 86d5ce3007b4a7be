"""How numbers, durations, times and metric names look in a report.

One place for it so that the run page and the index agree (a value read as "0.912 ± 0.021" on
one page must not read "0.91" on the other). Everything here returns plain text; escaping is
Jinja's job.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "STATUSES",
    "as_float",
    "duration",
    "mean_std",
    "metric_title",
    "number",
    "parse_timestamp",
    "plain_value",
    "signed_number",
    "status_class",
    "timestamp",
]

STATUSES = ("completed", "failed", "interrupted", "diverged")

# Display names for the metric keys kerasdl.metrics produces; anything else is shown with
# underscores turned into spaces, so a new metric never breaks a report.
_METRIC_TITLES = {
    "accuracy": "accuracy",
    "detection_rate": "detection rate",
    "sensitivity": "sensitivity",
    "recall": "recall",
    "specificity": "specificity",
    "fpr": "FPR",
    "precision": "precision",
    "npv": "NPV",
    "f1": "F1",
    "log_loss": "log loss",
    "roc_auc": "ROC AUC",
    "average_precision": "average precision",
    "pr_auc": "PR AUC",
    "mse": "MSE",
    "mae": "MAE",
    "rmse": "RMSE",
    "msle": "MSLE",
    "r2": "R²",
    "adjusted_r2": "adjusted R²",
    "macro_f1": "macro F1",
    "micro_f1": "micro F1",
}


def as_float(value: Any) -> float | None:
    """A finite float, or None for null/NaN/inf/non-numbers (the record stores NaN as null)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number_ = float(value)
    except (TypeError, ValueError):
        return None
    return number_ if math.isfinite(number_) else None


def _decimals(magnitude: float) -> int:
    # Three decimals suit the [0, 1] scores that dominate; large regression errors need none.
    if magnitude >= 1000:
        return 0
    if magnitude >= 100:
        return 1
    return 3


def number(value: Any, *, decimals: int | None = None) -> str:
    """A metric value as text: three decimals for scores, fewer for large values, "n/a" if missing."""
    x = as_float(value)
    if x is None:
        return "n/a"
    if x == 0:
        return f"{0:.{3 if decimals is None else decimals}f}"
    magnitude = abs(x)
    if decimals is None and (magnitude < 0.001 or magnitude >= 1e7):
        return f"{x:.2e}"
    d = _decimals(magnitude) if decimals is None else decimals
    return f"{x:,.{d}f}"


def signed_number(value: Any) -> str:
    """A difference, with its sign always shown ("+0.012", "−0.034")."""
    x = as_float(value)
    if x is None:
        return "n/a"
    text = number(abs(x))
    return ("+" if x >= 0 else "−") + text


def mean_std(entry: Any) -> str:
    """`{"mean", "std", "folds"}` as "mean ± std"; the ± part only when there was more than one fold."""
    if not isinstance(entry, dict):
        return number(entry)
    mean = as_float(entry.get("mean"))
    if mean is None:
        return "n/a"
    folds = entry.get("folds")
    std = as_float(entry.get("std"))
    if std is None or (isinstance(folds, list) and len(folds) <= 1):
        return number(mean)
    decimals = _decimals(abs(mean)) if 0.001 <= abs(mean) < 1e7 else None
    return f"{number(mean)} ± {number(std, decimals=decimals)}"


def duration(seconds: Any) -> str:
    """Seconds as "12.3 s", "4 min 05 s" or "1 h 02 min"."""
    s = as_float(seconds)
    if s is None or s < 0:
        return "n/a"
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        minutes, rest = divmod(round(s), 60)
        return f"{minutes} min {rest:02d} s"
    hours, rest = divmod(round(s), 3600)
    return f"{hours} h {rest // 60:02d} min"


def file_size(size_bytes: Any) -> str:
    """A byte count as "512 B", "3.4 MB"; "" when there is none (older records do not state it)."""
    size = as_float(size_bytes)
    if size is None or size < 0:
        return ""
    units, step = ("B", "KB", "MB", "GB", "TB"), 0
    while size >= 1024 and step < len(units) - 1:
        size, step = size / 1024, step + 1
    return f"{size:.0f} B" if step == 0 else f"{size:.1f} {units[step]}"


def parse_timestamp(text: Any) -> datetime | None:
    """An ISO 8601 time from the record as an aware datetime (naive ones are taken as UTC)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def timestamp(text: Any) -> str:
    """An ISO time as "2026-11-25 14:00:00 +00:00"; text that does not parse is shown as it is."""
    moment = parse_timestamp(text)
    if moment is None:
        return "n/a" if not text else str(text)
    return moment.strftime("%Y-%m-%d %H:%M:%S %z").replace("+0000", "UTC")


def metric_title(key: str) -> str:
    return _METRIC_TITLES.get(key, str(key).replace("_", " "))


def status_class(status: Any) -> str:
    """CSS class for a status badge; only known statuses get their colour, so a record cannot inject a class."""
    return status if status in STATUSES or status == "unreadable" else "unknown"


def plain_value(value: Any) -> str:
    """Any JSON value as one line of text for a key/value table."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):  # settings such as 0.3 or 1e-4: shown as written, not rounded
        return f"{value:g}" if math.isfinite(value) else "n/a"
    if isinstance(value, (list, tuple)):
        if not value:
            return "none"
        if all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
            return ", ".join(str(v) for v in value)
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)
