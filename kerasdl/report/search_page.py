"""The report of one hyperparameter search, and the page comparing strategies on one budget.

Read from the search folder alone (keras-tuner's oracle.json and trial_*/trial.json, kerasdl's
search.json, per-trial sidecars and validation predictions) — never TensorFlow or keras-tuner — so
`render_search` can re-render any search at any time, including one still running or interrupted.
Section order: what was searched and did it work, the space, the best configuration, every trial
ranked, how the search progressed, how each hyperparameter relates to the score, what failed,
what was retrained from it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from kerasdl.tuning import results as tuning_results
from kerasdl.errors import UserError

from . import search_figures
from .formatting import duration, file_size, number, plain_value, timestamp
from .templating import render_page, write_page

__all__ = ["render_compare", "render_search", "search_context"]

EXACT_TOP = 5           # trials whose validation predictions are re-scored with scikit-learn
_PROBLEM_STATUSES = ("failed", "diverged", "interrupted", "retrying", "running")
_COMPARED = ("grid", "random", "bayesian", "hyperband")
_NO_MESSAGE = {
    "interrupted": "the search stopped while this trial ran (Ctrl-C, or its process ended); running the same "
                   "command again continues the search and keras-tuner retries this trial first",
    "running": "still running",
    "retrying": "handed back to the oracle (its worker was lost); the next worker to ask runs it again",
}


# -- numbers ------------------------------------------------------------------------------------------
def _exact_auc(path: Path | None, task_name: str) -> float | None:
    """Mean over folds/executions of scikit-learn's ROC AUC on the stored validation predictions.

    The task turns the stored outputs into scores and scores them; a task whose metrics hold no
    `roc_auc` (or an unknown task) gives None, and the column is left out."""
    from kerasdl import tasks

    if path is None or not task_name or task_name not in tasks.names():
        return None
    task = tasks.get(task_name)
    try:
        with np.load(path, allow_pickle=False) as npz:
            y_true, y_score = npz["y_true"], npz["y_score"]
            groups = npz["fold"] * 1000 + npz["execution"]
    except (OSError, KeyError, ValueError):
        return None
    found = []
    for group in np.unique(groups):
        chosen = groups == group
        try:
            found.append(task.metrics(y_true[chosen], task.scores(y_score[chosen])).get("roc_auc"))
        except (ValueError, IndexError):
            continue
    found = [f for f in found if f is not None and math.isfinite(f)]
    return float(np.mean(found)) if found else None


def _value_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return plain_value(value)


# -- sections -----------------------------------------------------------------------------------------
def _overview(found: tuning_results.SearchFiles) -> dict[str, Any]:
    record = found.record
    unit = record.get("unit") or {}
    budget = record.get("budget") or {}
    dataset = record.get("dataset") or {}
    rows = dataset.get("search_rows") or {}
    counts = found.counts()
    sessions = record.get("sessions") or []
    total = sum(s.get("duration_s") or 0.0 for s in sessions)
    arrow = "↑ higher is better" if found.direction == "max" else "↓ lower is better"
    evaluation = (f"stratified {budget.get('cv')}-fold CV over train+validation ({rows.get('fit', '?')} fit / "
                  f"{rows.get('validation', '?')} scored rows per fold), mean of folds" if budget.get("cv")
                  else f"train {rows.get('fit', '?')} rows, scored on validation {rows.get('validation', '?')} rows")
    facts = [
        ("Search unit", f"{unit.get('name', found.path.parent.name)} ({unit.get('source', '')})"),
        ("Strategy", str(record.get("strategy") or found.path.name)),
        ("Objective", f"{found.objective} ({arrow})"),
        ("Budget", f"{budget.get('max_trials') or 'whole space'} trial(s) × {budget.get('epochs', '?')} epoch(s), "
                   f"{budget.get('executions_per_trial', 1)} execution(s) per trial"
                   + (f", Hyperband factor {budget['hyperband_factor']}" if budget.get("hyperband_factor") else "")),
        ("Evaluation", evaluation),
        ("Trials", f"{len(found.trials)}: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none")),
    ]
    if record.get("grid_points") is not None:
        facts.append(("Grid points", str(record["grid_points"])))
    if record.get("enumerated"):
        facts.append(("Enumerated ranges", "; ".join(f"{k}: {', '.join(_value_text(v) for v in vals)}"
                                                     for k, vals in record["enumerated"].items())))
    facts += [
        ("Dataset", f"{dataset.get('name', 'n/a')} ({dataset.get('task', '?')}, {dataset.get('n_samples', '?')} rows)"),
        ("Seed", plain_value(record.get("seed"))),
        ("Quick search", "yes (fewer rows and epochs)" if record.get("quick") else "no"),
        ("Started", timestamp(record.get("started"))),
        ("Finished", timestamp(record.get("finished")) if record.get("finished") else "n/a"),
        ("Time searching", f"{duration(total)} over {len(sessions)} session(s)"),
        ("keras-tuner", plain_value((record.get("environment") or {}).get("keras_tuner"))),
    ]
    if file_size(record.get("disk_bytes")):
        pruned = record.get("pruned_checkpoints")
        facts.append(("Disk used", file_size(record["disk_bytes"])
                      + (f" (checkpoints of {len(pruned)} trial(s) pruned, --keep-checkpoints)" if pruned else "")))
    if not record:
        facts.append(("Note", "no search.json: the folder was read from keras-tuner's files only"))
    return {"title": str(unit.get("title") or unit.get("name") or found.path.parent.name),
            "strategy": str(record.get("strategy") or found.path.name), "status": found.status, "facts": facts,
            "error": str(record.get("error") or ""), "description": str(unit.get("description") or ""),
            "notes_ref": str(unit.get("notes_ref") or "")}


def _grid_text(entry: dict[str, Any]) -> str:
    """How many values GridSearch tries for one hyperparameter ("binned (10)": a range without step)."""
    if entry.get("grid_values"):
        return str(len(entry["grid_values"]))
    if entry.get("step") is None and (entry.get("kind") == "Float" or (
            entry.get("kind") == "Int" and entry.get("sampling") in ("log", "reverse_log"))):
        return "binned (10)"
    return "—"


def _space(found: tuning_results.SearchFiles) -> list[dict[str, str]]:
    rows = []
    for entry in found.space:
        if str(entry.get("name", "")).startswith("tuner/"):
            continue
        if entry.get("kind") in ("Int", "Float"):
            values = f"{_value_text(entry.get('min_value'))} … {_value_text(entry.get('max_value'))}"
        else:
            values = ", ".join(_value_text(v) for v in entry.get("values") or [])
        conditions = "; ".join(f"when {c.get('config', {}).get('name')} in {c.get('config', {}).get('values')}"
                               for c in entry.get("conditions") or [])
        rows.append({"name": str(entry.get("name")), "kind": str(entry.get("kind")), "values": values,
                     "step": _value_text(entry.get("step")) if entry.get("step") is not None else "—",
                     "sampling": str(entry.get("sampling") or "—"), "default": _value_text(entry.get("default")),
                     "grid": _grid_text(entry),
                     "conditions": conditions or "—"})
    return rows


def _configuration(trial) -> str:
    return json.dumps(trial.hyperparameters, sort_keys=True, default=str)


def _first_seen(found) -> dict[str, str]:
    """trial id → the earlier trial with the same configuration (keras-tuner's Bayesian oracle may repeat one;
    Hyperband's later rounds continue a trial on purpose, so their bookkeeping values are left out)."""
    seen: dict[str, str] = {}
    repeats = {}
    for trial in sorted(found.trials, key=lambda t: t.order):
        if "tuner/trial_id" in trial.values:
            continue
        key = _configuration(trial)
        if key in seen:
            repeats[trial.trial_id] = seen[key]
        else:
            seen[key] = trial.trial_id
    return repeats


def _trials_table(found, names, task):
    exact = {}
    for trial in [t for t in found.ranked() if t.status == "completed"][:EXACT_TOP]:
        exact[trial.trial_id] = _exact_auc(trial.predictions, task)
    best = found.best()
    first_seen = _first_seen(found)
    rows = []
    for rank, trial in enumerate(found.ranked(), start=1):
        done = trial.status == "completed"
        rows.append({
            "repeat_of": first_seen.get(trial.trial_id),
            "rank": rank if done else "", "trial": trial.trial_id, "status": trial.status,
            "score": number(trial.score, decimals=4) if done else "—",
            "exact": number(exact[trial.trial_id], decimals=4) if exact.get(trial.trial_id) is not None else "",
            "best_epoch": str(trial.best_epoch) if trial.best_epoch is not None else "—",
            "epochs": str(trial.epochs_run) if trial.epochs_run is not None else "—",
            "duration": duration(trial.duration_s) if trial.duration_s is not None else "—",
            "worker": trial.tuner_id or "—", "values": [_value_text(trial.values.get(n, "—")) for n in names],
            "hyperband": _value_text(trial.values.get("tuner/epochs")) if "tuner/epochs" in trial.values else "",
            "is_best": best is not None and trial.trial_id == best.trial_id,
        })
    return rows, any(v is not None for v in exact.values())


def _axis_for(name: str, entry: dict[str, Any] | None, seen: list[Any]):
    """(kind, categories, low, high, log) for one hyperparameter, from the space or else the values seen."""
    numbers = [v for v in seen if isinstance(v, (int, float)) and not isinstance(v, bool)]
    declared = list((entry or {}).get("values") or [])
    numeric = bool(numbers) and len(numbers) == len(seen) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in declared)
    if not numeric:
        categories = [str(v) for v in declared]
        categories += [str(v) for v in seen if str(v) not in categories]
        return "categorical", categories, 0.0, 1.0, False
    log = (entry or {}).get("sampling") in ("log", "reverse_log")
    pool = numbers + [v for v in declared if isinstance(v, (int, float))]
    for key in ("min_value", "max_value"):
        if isinstance((entry or {}).get(key), (int, float)):
            pool.append(entry[key])
    low, high = float(min(pool)), float(max(pool))
    return "numeric", None, low, high, log and low > 0


def _position(value, kind, categories, low, high, log) -> float | None:
    if value is None:
        return None
    if kind == "categorical":
        text = str(value)
        if text not in categories:
            return None
        return categories.index(text) / (len(categories) - 1) if len(categories) > 1 else 0.5
    if high == low:
        return 0.5
    if log:
        return (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
    return (float(value) - low) / (high - low)


def _figures(found, names) -> dict[str, Any]:
    out: dict[str, Any] = {"progress": None, "parallel": None, "scatters": []}
    if not found.trials:
        return out
    points = found.best_so_far()
    ordered = sorted(found.trials, key=lambda t: t.order)
    failed = [n for n, trial in zip(range(1, len(ordered) + 1), ordered) if trial.status != "completed"]
    out["progress"] = search_figures.best_so_far_figure(points, failed, found.objective, found.direction, key="best")
    space = {entry.get("name"): entry for entry in found.space}
    axes, coordinates = [], [[] for _ in ordered]
    for position, name in enumerate(names):
        seen = [t.values[name] for t in ordered if name in t.values]
        if not seen:
            continue
        kind, categories, low, high, log = _axis_for(name, space.get(name), seen)
        if kind == "categorical":
            ticks = tuple((_position(c, kind, categories, low, high, log), c) for c in categories)
        else:
            ticks = ((0.0, _value_text(low)), (1.0, _value_text(high)))
        axes.append(search_figures.Axis(name, ticks))
        for row, trial in zip(coordinates, ordered):
            row.append(_position(trial.values.get(name), kind, categories, low, high, log))
        done = [(t.values[name], t.score) for t in ordered if t.status == "completed" and t.score is not None
                and name in t.values]
        if done:
            xs = [categories.index(str(v)) if kind == "categorical" else float(v) for v, _ in done]
            out["scatters"].append({"name": name, "svg": search_figures.scatter_figure(
                name, xs, [s for _, s in done], categories=categories if kind == "categorical" else None,
                log_x=log, objective=found.objective, direction=found.direction, key=f"sc{position}")})
    scores = [t.score for t in ordered if t.status == "completed" and t.score is not None]
    if axes and scores:
        low, high = min(scores), max(scores)
        axes.append(search_figures.Axis(found.objective, ((0.0, number(low, decimals=4)), (1.0, number(high, decimals=4)))))
        lines = []
        for row, trial in zip(coordinates, ordered):
            score = trial.score if trial.status == "completed" else None
            row.append(None if score is None else (0.5 if high == low else (score - low) / (high - low)))
            lines.append(search_figures.Line(tuple(row), score, failed=trial.status != "completed"))
        out["parallel"] = search_figures.parallel_figure(axes, lines, found.objective, found.direction, key="pc")
    return out


def _retrained(found) -> list[dict[str, str]]:
    items = []
    for entry in found.record.get("retrained") or []:
        run = str(entry.get("run") or "")
        report = found.path / run / "report.html"
        items.append({"trial": str(entry.get("trial_id", "?")), "status": str(entry.get("status", "unknown")),
                      "href": Path(run, "report.html").as_posix() if run and report.is_file() else None,
                      "run": run, "metric": str(entry.get("metric") or ""),
                      "value": number(entry.get("value"), decimals=4), "created": timestamp(entry.get("created"))})
    return items


def search_context(folder: str | Path) -> dict[str, Any]:
    """Everything search.html.j2 shows, as plain values (the template only lays it out)."""
    folder = Path(folder)
    found = tuning_results.load_search(folder)
    task = str((found.record.get("dataset") or {}).get("task") or "")
    names = found.hyperparameter_names
    rows, has_exact = _trials_table(found, names, task)
    best = found.best()
    problems = [t for t in found.trials if t.status in _PROBLEM_STATUSES]
    workers = found.workers or {}
    return {
        "overview": _overview(found), "space": _space(found), "names": names, "trials": rows, "has_exact": has_exact,
        "exact_top": EXACT_TOP, "objective": found.objective, "direction": found.direction,
        "has_hyperband": any("tuner/epochs" in t.values for t in found.trials),
        "best": None if best is None else {"trial": best.trial_id, "score": number(best.score, decimals=4),
                                           "best_epoch": best.best_epoch,
                                           "values": [(k, _value_text(v)) for k, v in best.hyperparameters.items()]},
        "figures": _figures(found, names),
        "problems": [{"trial": t.trial_id, "status": t.status, "worker": t.tuner_id or "—",
                      "values": ", ".join(f"{k}={_value_text(v)}" for k, v in t.hyperparameters.items()),
                      "message": t.message.strip() or _NO_MESSAGE.get(t.status, "no message recorded")}
                     for t in problems],
        "retrained": _retrained(found),
        "sessions": [{"started": timestamp(s.get("started")), "status": str(s.get("status", "unknown")),
                      "role": str(s.get("role", "")), "workers": s.get("workers") or 0,
                      "trials": f"{s.get('trials_at_start', '?')} → {s.get('trials_at_end', '?')}",
                      "duration": duration(s.get("duration_s"))} for s in found.record.get("sessions") or []],
        "events": [{"time": str(e.get("time", "")), "text": str(e.get("text", ""))} for e in workers.get("events") or []],
        "compare_href": "../compare.html" if (folder.parent / "compare.html").is_file() else None,
        "index_href": "../../../index.html" if (folder.parent.parent.parent / "index.html").is_file() else None,
    }


def render_search(folder: str | Path) -> Path:
    """Write `folder/report.html` and `folder/trials.csv` for the search in `folder`; return the page."""
    folder = Path(folder)
    if not tuning_results.is_search(folder):
        raise UserError(f"no search at {folder}: expected keras-tuner's trial_*/trial.json or kerasdl's search.json")
    tuning_results.write_csv(folder)
    with np.errstate(all="ignore"):
        html = render_page("search.html.j2", **search_context(folder))
    return write_page(folder / "report.html", html)


# -- comparison of strategies -------------------------------------------------------------------------
def _verdict(best: dict[str, float], direction: str) -> list[str]:
    """The notes' claims (Bayesian beats random, random beats grid) checked on this one budget and seed."""
    lines = []
    for first, second in (("bayesian", "random"), ("random", "grid"), ("hyperband", "random")):
        if first in best and second in best:
            a, b = best[first], best[second]
            if a == b:
                lines.append(f"{first} and {second} tie ({number(a, decimals=4)})")
                continue
            won = (a > b) if direction == "max" else (a < b)
            lines.append(f"{first} {'beat' if won else 'did not beat'} {second}: {number(a, decimals=4)} vs "
                         f"{number(b, decimals=4)}")
    return lines


def _budget_text(budget: dict[str, Any]) -> str:
    return f"{budget.get('max_trials') or 'whole space'} trial(s) × {budget.get('epochs', '?')} epoch(s)"


def render_compare(base: str | Path, *, skipped: dict[str, str] | None = None) -> Path:
    """Write `base/compare.html`: every strategy's search under `base` on one chart and one table."""
    base = Path(base)
    series, rows, best = [], [], {}
    objective, direction = "score", "max"
    strategies = [s for s in _COMPARED if (base / s).is_dir()]
    for strategy in strategies:
        found = tuning_results.load_search(base / strategy)
        objective, direction = found.objective, found.direction
        ordered = sorted(found.trials, key=lambda t: t.order)
        by_trial = [(n, b) for n, _, b in found.best_so_far() if b is not None]
        epochs, by_epochs, better = 0, [], None
        for trial in ordered:
            epochs += trial.epochs_run or 0
            if trial.status == "completed" and trial.score is not None:
                better = trial.score if better is None else (max if direction == "max" else min)(better, trial.score)
            if better is not None:
                by_epochs.append((epochs, better))
        series.append((strategy, by_trial, by_epochs))
        winner = found.best()
        if winner is not None:
            best[strategy] = winner.score
        counts = found.counts()
        rows.append({"strategy": strategy, "status": found.status, "trials": len(found.trials),
                     "distinct": len({_configuration(t) for t in found.trials}),
                     "completed": counts.get("completed", 0),
                     "failed": sum(n for s, n in counts.items() if s != "completed"),
                     "best": number(winner.score, decimals=4) if winner else "—",
                     "values": ", ".join(f"{k}={_value_text(v)}" for k, v in winner.hyperparameters.items())
                     if winner else "", "epochs": str(epochs),
                     "duration": duration(sum(t.duration_s or 0.0 for t in found.trials)),
                     "href": f"{strategy}/report.html" if (base / strategy / "report.html").is_file() else None,
                     "seed": plain_value(found.record.get("seed")),
                     "budget": _budget_text(found.record.get("budget") or {})})
    if not rows:
        raise UserError(f"no strategy folders ({', '.join(_COMPARED)}) under {base} to compare")
    svg = search_figures.compare_figure(series, objective, direction, key="cmp")
    budgets = sorted({row["budget"] for row in rows})
    seeds = sorted({row["seed"] for row in rows})
    html = render_page("search_compare.html.j2", name=base.name, rows=rows, svg=svg, objective=objective,
                       direction=direction, verdict=_verdict(best, direction), budgets=budgets, seeds=seeds,
                       hyperband=any(row["strategy"] == "hyperband" for row in rows),
                       skipped=sorted((skipped or {}).items()),
                       index_href="../../index.html" if (base.parent.parent / "index.html").is_file() else None)
    return write_page(base / "compare.html", html)
