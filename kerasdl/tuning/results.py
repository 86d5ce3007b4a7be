"""A search folder read back from keras-tuner's own files, without TensorFlow or keras-tuner.

keras-tuner writes `oracle.json` (trial order, ongoing trials, the space) and `trial_<id>/trial.json`
(values, metrics, score, best step, status, message). kerasdl adds `search.json` (what was searched
and how), `trial_<id>/kerasdl_trial.json` (duration, worker, folds, best epoch, full error text) and
`trial_<id>/val_predictions.npz`. Everything here is plain JSON and NumPy, so the report and the
index can read a search on a machine without TensorFlow, and a half-written search still reads.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kerasdl import runs

__all__ = ["SearchFiles", "TrialRow", "load_search", "trials_csv", "write_csv"]

_STATUS = {"COMPLETED": "completed", "FAILED": "failed", "INVALID": "retrying", "RUNNING": "running"}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@dataclass
class TrialRow:
    """One trial as the report and the CSV show it."""

    trial_id: str
    status: str                      # completed | failed | diverged | retrying | running | interrupted
    score: float | None
    values: dict[str, Any]
    best_epoch: int | None = None
    epochs_run: int | None = None
    duration_s: float | None = None
    tuner_id: str = ""
    started: str = ""
    message: str = ""
    order: int = 0                   # position in keras-tuner's start order
    folds: list[dict[str, Any]] = field(default_factory=list)
    predictions: Path | None = None

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """Values without Hyperband's bookkeeping (tuner/epochs, tuner/round, ...)."""
        return {k: v for k, v in self.values.items() if not k.startswith("tuner/")}


@dataclass
class SearchFiles:
    path: Path
    record: dict[str, Any]           # search.json ({} if missing)
    oracle: dict[str, Any]           # oracle.json ({} if missing)
    trials: list[TrialRow]
    objective: str
    direction: str                   # "max" | "min"
    workers: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return str(self.record.get("status") or ("completed" if self.trials else "unknown"))

    @property
    def space(self) -> list[dict[str, Any]]:
        return list(self.record.get("space") or [])

    @property
    def hyperparameter_names(self) -> list[str]:
        """Names in declaration order (from the space), then any other name a trial carries."""
        names = [entry["name"] for entry in self.space if not str(entry.get("name", "")).startswith("tuner/")]
        for trial in self.trials:
            names += [n for n in trial.hyperparameters if n not in names]
        return names

    def ranked(self) -> list[TrialRow]:
        """Completed trials best first, then the rest (failed, diverged, running) in trial order."""
        done = [t for t in self.trials if t.status == "completed" and t.score is not None]
        done.sort(key=lambda t: t.score, reverse=self.direction == "max")
        rest = [t for t in self.trials if t not in done]
        return done + sorted(rest, key=lambda t: t.order)

    def best(self) -> TrialRow | None:
        ranked = self.ranked()
        return ranked[0] if ranked and ranked[0].status == "completed" and ranked[0].score is not None else None

    def best_so_far(self) -> list[tuple[int, float | None, float | None]]:
        """(trial number, its score or None, best score so far or None) in the order trials started."""
        better = max if self.direction == "max" else min
        best: float | None = None
        out = []
        for position, trial in enumerate(sorted(self.trials, key=lambda t: t.order), start=1):
            score = trial.score if trial.status == "completed" else None
            if score is not None:
                best = score if best is None else better(best, score)
            out.append((position, score, best))
        return out

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for trial in self.trials:
            found[trial.status] = found.get(trial.status, 0) + 1
        return found


def _trial(folder: Path, order: dict[str, int], search_running: bool) -> TrialRow | None:
    state = _read_json(folder / "trial.json")
    if not state:
        return None
    side = _read_json(folder / "kerasdl_trial.json")
    trial_id = str(state.get("trial_id") or folder.name.removeprefix("trial_"))
    status = _STATUS.get(str(state.get("status")), str(state.get("status") or "unknown").lower())
    if status == "failed" and side.get("status") == "diverged":
        status = "diverged"
    if status == "running" and side.get("status") in ("failed", "diverged"):
        status = side["status"]  # keras-tuner stopped (consecutive failures) before it saved this trial's end
    if status == "running" and not search_running:
        status = "interrupted"
    values = ((state.get("hyperparameters") or {}).get("values")) or {}
    message = str(state.get("message") or side.get("error") or "")
    best_epoch = side.get("best_epoch")
    if best_epoch is None and status == "completed" and state.get("best_step") is not None:
        best_epoch = int(state["best_step"]) + 1  # keras-tuner's step is the 0-based epoch of the best value
    predictions = folder / str(side.get("predictions") or "val_predictions.npz")
    return TrialRow(
        trial_id=trial_id, status=status, score=_finite(state.get("score")) if status == "completed" else None,
        values=dict(values), best_epoch=best_epoch, epochs_run=side.get("epochs_run"),
        duration_s=_finite(side.get("duration_s")), tuner_id=str(side.get("tuner_id") or ""),
        started=str(side.get("started") or ""), message=message, order=order.get(trial_id, 10**6),
        folds=list(side.get("folds") or []), predictions=predictions if predictions.is_file() else None,
    )


def _objective(record: dict[str, Any], trials_state: list[dict[str, Any]]) -> tuple[str, str]:
    objective = record.get("objective") or {}
    if objective.get("name") and objective.get("direction") in ("min", "max"):
        return str(objective["name"]), str(objective["direction"])
    for state in trials_state:  # no search.json: keras-tuner records each metric's direction
        for name, metric in ((state.get("metrics") or {}).get("metrics") or {}).items():
            if name.startswith("val_") and metric.get("direction") in ("min", "max"):
                return name, metric["direction"]
    return "score", "max"


def is_search(folder: str | Path) -> bool:
    """Whether `folder` holds a search: keras-tuner's trial_*/trial.json or kerasdl's search.json."""
    folder = Path(folder)
    return folder.is_dir() and ((folder / "search.json").is_file() or any(folder.glob("trial_*/trial.json")))


def load_search(folder: str | Path) -> SearchFiles:
    """Read a search folder; missing or damaged files give empty parts, never an exception."""
    folder = Path(folder)
    record = _read_json(folder / "search.json")
    oracle = _read_json(folder / "oracle.json")
    order = {str(tid): i for i, tid in enumerate(oracle.get("start_order") or [])}
    running = record.get("status") == "running"
    trials = [t for t in (_trial(p, order, running) for p in sorted(folder.glob("trial_*")) if p.is_dir()) if t]
    for position, trial in enumerate(sorted(trials, key=lambda t: (t.order, t.trial_id))):
        trial.order = position
    states = [_read_json(p) for p in sorted(folder.glob("trial_*/trial.json"))[:3]]
    name, direction = _objective(record, states)
    return SearchFiles(folder, record, oracle, trials, name, direction, _read_json(folder / "workers.json"))


def trials_csv(found: SearchFiles) -> str:
    """Every trial, one row each: id, status, score, best epoch, duration, worker, values, message."""
    names = found.hyperparameter_names
    extra = sorted({k for t in found.trials for k in t.values if k.startswith("tuner/")})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["trial_id", "status", found.objective, "best_epoch", "epochs_run", "duration_s", "tuner_id",
                     "started", *names, *extra, "message"])
    for trial in sorted(found.trials, key=lambda t: t.order):
        first_line = trial.message.strip().splitlines()[-1] if trial.message.strip() else ""
        writer.writerow([trial.trial_id, trial.status, "" if trial.score is None else repr(trial.score),
                         trial.best_epoch if trial.best_epoch is not None else "",
                         trial.epochs_run if trial.epochs_run is not None else "",
                         "" if trial.duration_s is None else f"{trial.duration_s:.3f}", trial.tuner_id, trial.started,
                         *[trial.values.get(n, "") for n in names], *[trial.values.get(n, "") for n in extra],
                         first_line])
    return buffer.getvalue()


def write_csv(folder: str | Path, target: str | Path | None = None) -> Path:
    """Write `trials.csv` (or `target`) for the search in `folder`; returns its path."""
    found = load_search(folder)
    return runs.atomic_write(Path(target) if target else Path(folder) / "trials.csv", trials_csv(found))
