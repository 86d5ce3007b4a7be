"""What a `kerasdl fit` run found, as the Finding its report opens with: the network against the linear
baseline beside it, in the notes' sense of a baseline (001:3067), and whether its hidden layers earned
their keep. `kerasdl.cli.fit_experiment` hands `against_baselines` to the harness as the `analyze` hook.
"""

from __future__ import annotations

from typing import Any

__all__ = ["against_baselines"]

NOTES_REF = "001:3067"
CLAIM = ("Baseline models serve as a benchmark in an ML application. Their main goal is to put the results of "
         "trained models into context.")


def _summary(variant: dict[str, Any] | None, metric: str) -> tuple[float, float] | None:
    found = (variant or {}).get("metrics", {}).get(metric)
    if not isinstance(found, dict) or not isinstance(found.get("mean"), (int, float)):
        return None
    return float(found["mean"]), float(found.get("std") or 0.0)


def _kept_start(network: dict[str, Any]) -> tuple[int, int]:
    """(folds that kept their start, folds whose start was weighed): LinearStartTrainer's notes."""
    weighed = [f["start"]["validation"] for f in network.get("folds", [])
               if isinstance(f.get("start"), dict) and isinstance(f["start"].get("validation"), dict)]
    return sum(v.get("kept") == "start" for v in weighed), len(weighed)


def against_baselines(analysis: Any) -> list[Any]:
    from kerasdl import tasks
    from kerasdl.report.sections import Finding
    from kerasdl.report.study_helpers import number

    record = analysis.record
    metric = record["experiment"]["headline_metric"]
    variants = record["variants"]
    network, by_name = variants[0], {v["name"]: v for v in variants}
    linear_variant = by_name.get("linear")
    mine, linear = _summary(network, metric), _summary(linear_variant, metric)
    dummy = _summary(by_name.get("dummy"), metric)
    title = "The network against its linear baseline"
    if mine is None or linear is None:
        missing = network["name"] if mine is None else "the linear baseline"
        return [Finding(title=title, claim=CLAIM, notes_ref=NOTES_REF,
                        answer=f"{missing} did not finish, so this run cannot compare the two.")]
    lower = tasks.get(record["dataset"]["task"]).is_lower_better(metric)
    label = linear_variant.get("label") or "linear baseline"
    answer = (f"{network['name']} {metric} {number(mine[0], 4)} ± {number(mine[1], 4)} against the "
              f"{label} {number(linear[0], 4)} ± {number(linear[1], 4)}"
              + (f" (dummy {number(dummy[0], 4)})." if dummy else "."))
    kept, weighed = _kept_start(network)
    gain = (linear[0] - mine[0]) if lower else (mine[0] - linear[0])
    if weighed and kept == weighed:
        answer += (" On every fold no epoch beat the network's start, the linear model itself, on the validation "
                   "rows: its hidden layers found nothing the linear model misses, and the simpler linear model "
                   "is the one to use.")
    elif gain > 0:
        answer += f" The hidden layers add {number(gain, 4)} to what the linear model reaches"
        answer += (f"; the trained weights beat the linear start on {weighed - kept} of {weighed} folds."
                   if weighed else ".")
    elif gain == 0:
        answer += " The network ties the linear model: the simpler model is the one to use."
    else:
        answer += (f" The network scores {number(-gain, 4)} below the linear model, which is the one to use"
                   + (" (this network did not start as the linear model: see `kerasdl fit --help`, linear_skip)."
                      if not weighed else "."))
    return [Finding(title=title, claim=CLAIM, notes_ref=NOTES_REF, answer=answer)]
