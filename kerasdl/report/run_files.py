"""Reading one run record from disk (run.json, predictions.npz, history.csv) for the report.

run.json is required; the other two are optional (a failed run may have neither). A damaged
optional file does not stop the report: it is noted in `problems` and its sections say so.
The format is docs/run-record.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kerasdl.errors import UserError

__all__ = ["FoldPredictions", "RunFiles", "finite", "fold_entries", "load_run", "pooled", "read_run_json"]

from kerasdl.runs import READABLE_SCHEMA_VERSIONS


@dataclass(frozen=True)
class FoldPredictions:
    """Held-out predictions of one fold of one variant."""

    fold: int
    y_true: np.ndarray
    y_score: np.ndarray


@dataclass
class RunFiles:
    """Everything a run page is drawn from."""

    run_dir: Path
    record: dict[str, Any]
    predictions: dict[str, list[FoldPredictions]] | None  # variant name -> folds in order; None: no file
    history: Any  # pandas.DataFrame or None
    problems: list[str] = field(default_factory=list)


def read_run_json(path: Path) -> dict[str, Any]:
    """Parse run.json; raise ValueError (with the reason) if it is not a JSON object."""
    with open(path, encoding="utf-8") as handle:
        record = json.load(handle)
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, found {type(record).__name__}")  # noqa: TRY004 - a bad file, like bad JSON
    return record


def _read_predictions(path: Path) -> dict[str, list[FoldPredictions]]:
    parts: dict[tuple[str, int], dict[str, np.ndarray]] = {}
    with np.load(path, allow_pickle=False) as npz:
        for key in npz.files:
            pieces = key.rsplit("/", 2)
            if len(pieces) != 3 or not pieces[1].startswith("fold"):
                continue
            variant, fold_text, what = pieces
            try:
                fold = int(fold_text[4:])
            except ValueError:
                continue
            parts.setdefault((variant, fold), {})[what] = np.asarray(npz[key])
    by_variant: dict[str, list[FoldPredictions]] = {}
    for (variant, fold), arrays in sorted(parts.items()):
        if "y_true" not in arrays or "y_score" not in arrays:
            continue
        by_variant.setdefault(variant, []).append(
            FoldPredictions(fold=fold, y_true=arrays["y_true"], y_score=arrays["y_score"])
        )
    return by_variant


def _read_history(path: Path) -> Any:
    import pandas as pd  # only when there is a history to read

    table = pd.read_csv(path)
    missing = {"variant", "fold", "epoch"} - set(table.columns)
    if missing:
        raise ValueError(f"missing columns {sorted(missing)}")
    table["variant"] = table["variant"].astype(str)
    return table


def load_run(run_dir: Path) -> RunFiles:
    """Read a run folder; a missing or unparsable run.json is the user's to fix (UserError)."""
    run_json = run_dir / "run.json"
    if not run_json.is_file():
        raise UserError(
            f"no run record at {run_json}; pass a run folder such as reports/<experiment>/<run-id>"
        )
    try:
        record = read_run_json(run_json)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"cannot read {run_json}: {reason}; re-run the experiment to rewrite it") from None

    problems: list[str] = []
    version = record.get("schema_version")
    if version not in READABLE_SCHEMA_VERSIONS:
        problems.append(
            f"run.json has schema_version {version!r}; this report understands "
            f"{', '.join(map(str, READABLE_SCHEMA_VERSIONS))}, "
            "so some sections may be incomplete"
        )

    predictions = None
    npz_path = run_dir / "predictions.npz"
    if npz_path.is_file():
        try:
            predictions = _read_predictions(npz_path)
        except Exception as exc:  # noqa: BLE001 - any damage to an optional file is reported, not fatal
            problems.append(f"predictions.npz could not be read ({type(exc).__name__}: {exc})")

    history = None
    csv_path = run_dir / "history.csv"
    if csv_path.is_file():
        try:
            history = _read_history(csv_path)
        except Exception as exc:  # noqa: BLE001 - same as above
            problems.append(f"history.csv could not be read ({type(exc).__name__}: {exc})")

    return RunFiles(run_dir=run_dir, record=record, predictions=predictions, history=history, problems=problems)


def finite(values: np.ndarray) -> bool:
    """True if every entry is a finite number (a diverged variant may have NaN scores)."""
    try:
        return bool(np.all(np.isfinite(np.asarray(values, dtype=float))))
    except (TypeError, ValueError):
        return False


def _samples(y_true: np.ndarray) -> np.ndarray:
    """One row per sample: (n, 1) columns become (n,); per-token tags (n, T) and images keep their shape."""
    y_true = np.asarray(y_true)
    return y_true.reshape(-1) if y_true.ndim == 0 or (y_true.ndim == 2 and y_true.shape[1] == 1) else y_true


def pooled(folds: list[FoldPredictions]) -> tuple[np.ndarray, np.ndarray]:
    """All folds' held-out predictions concatenated (each sample appears once across CV folds)."""
    y_true = np.concatenate([_samples(f.y_true) for f in folds], axis=0)
    y_score = np.concatenate([np.asarray(f.y_score, dtype=float) for f in folds], axis=0)
    return y_true, y_score


def fold_entries(variant: dict[str, Any]) -> list[dict[str, Any]]:
    """The variant's per-fold records (malformed entries skipped)."""
    folds = variant.get("folds")
    return [f for f in folds if isinstance(f, dict)] if isinstance(folds, list) else []
