"""TensorBoard's HParams dashboard for a search: `tensorboard --logdir reports/tuning/<unit>/<strategy>`.

Written with TensorBoard's own API (`tensorboard.plugins.hparams.api`) into `<search>/tensorboard/`:
the experiment (every hyperparameter with its domain, taken from the keras-tuner space, and the
metrics) once at the top, and one session per finished trial under `trial_<id>/` with the trial's
hyperparameter values, its status, and as metrics the objective (mean over folds and executions,
what keras-tuner ranks by), the best epoch, the epochs run and the trial's seconds. A failed or
diverged trial is written too (status, no objective), so the dashboard shows what was tried.

keras-tuner's own `tuner/...` bookkeeping values (Hyperband's brackets) are left out: they are not
hyperparameters a user chose.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["LOG_DIR", "record_trial"]

LOG_DIR = "tensorboard"
_EXTRA_METRICS = (("best_epoch", "best epoch"), ("epochs_run", "epochs run"), ("duration_s", "trial seconds"))


def _domain(parameter: Any) -> Any:
    """The HParams domain of one keras-tuner hyperparameter (None: the dashboard infers it)."""
    from tensorboard.plugins.hparams import api as hp

    config = parameter.get_config()
    kind = type(parameter).__name__
    if kind == "Choice":
        return hp.Discrete(list(config["values"]))
    if kind == "Boolean":
        return hp.Discrete([False, True])
    if kind == "Fixed":
        return hp.Discrete([config["value"]])
    if kind == "Int":
        return hp.IntInterval(int(config["min_value"]), int(config["max_value"]))
    if kind == "Float":
        return hp.RealInterval(float(config["min_value"]), float(config["max_value"]))
    return None


def _loggable(value: Any) -> bool:
    return isinstance(value, (bool, int, float, str))


def _write_experiment(root: Path, space: list[Any], objective: str) -> None:
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    hparams = [hp.HParam(p.name, _domain(p)) for p in space if not p.name.startswith("tuner/")]
    metrics = [hp.Metric(objective, display_name=f"{objective} (objective)"),
               *(hp.Metric(tag, display_name=name) for tag, name in _EXTRA_METRICS)]
    writer = tf.summary.create_file_writer(str(root))
    with writer.as_default():
        hp.hparams_config(hparams=hparams, metrics=metrics)
    writer.close()


def record_trial(folder: str | Path, oracle: Any, trial: Any, outcome: dict[str, Any]) -> Path:
    """Write one finished trial's HParams session (and the experiment, the first time); returns its folder.

    `outcome` is the trial's kerasdl sidecar (status, objective, best_epoch, epochs_run, duration_s).
    """
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    root = Path(folder) / LOG_DIR
    objective = oracle.objective.name
    if not any(root.glob("events.out.tfevents.*")):
        _write_experiment(root, list(oracle.get_space().space), objective)
    values = {k: v for k, v in trial.hyperparameters.values.items()
              if not k.startswith("tuner/") and _loggable(v)}
    session = root / f"trial_{trial.trial_id}"
    writer = tf.summary.create_file_writer(str(session))
    with writer.as_default():
        hp.hparams(values, trial_id=str(trial.trial_id))
        if outcome.get("status") == "completed" and outcome.get("objective") is not None:
            tf.summary.scalar(objective, float(outcome["objective"]), step=0)
        for tag, _ in _EXTRA_METRICS:
            if isinstance(outcome.get(tag), (int, float)):
                tf.summary.scalar(tag, float(outcome[tag]), step=0)
        tf.summary.text("status", str(outcome.get("status") or "failed"), step=0)
    writer.close()
    return session
