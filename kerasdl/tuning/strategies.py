"""One keras-tuner tuner per strategy, each with our run_trial mixed in, and the manual-search Oracle.

grid, random, bayesian and hyperband are keras-tuner's own tuners; `manual` replays a list of
configurations through `ReplayOracle`, so manual trials get the same files, resume, retries, workers
and report as every other strategy.
"""

from __future__ import annotations

from pathlib import Path

import keras_tuner
from keras_tuner.engine.trial import TrialStatus

from .tuner import SearchTuner, TrialContext, UnitHyperModel

__all__ = ["ReplayOracle", "make_tuner"]


class ReplayOracle(keras_tuner.Oracle):
    """Manual search through keras-tuner's machinery: the given configurations, in order, once each.

    Hyperparameters a configuration leaves out take their declared default. Because it is an Oracle,
    manual trials get the same trial files, resume, retries, workers and report as every other strategy.
    """

    def __init__(self, configurations, **kwargs) -> None:
        super().__init__(max_trials=len(configurations), **kwargs)
        self.configurations = [dict(c) for c in configurations]

    def populate_space(self, trial_id):
        index = len(self.start_order)
        if index >= len(self.configurations):
            return {"status": TrialStatus.STOPPED, "values": None}
        wanted = self.configurations[index]
        hps = self.get_space()
        for hp in hps.space:
            if hps.is_active(hp):
                hps.values[hp.name] = wanted.get(hp.name, hp.default)
        return {"status": TrialStatus.RUNNING, "values": hps.values}


class _Manual(SearchTuner):
    def __init__(self, hypermodel=None, objective=None, configurations=(), seed=None, hyperparameters=None,
                 max_retries_per_trial=0, max_consecutive_failed_trials=3, **kwargs):
        oracle = ReplayOracle(configurations, objective=objective, seed=seed, hyperparameters=hyperparameters,
                              max_retries_per_trial=max_retries_per_trial,
                              max_consecutive_failed_trials=max_consecutive_failed_trials)
        super().__init__(oracle, hypermodel, **kwargs)


class _Grid(keras_tuner.GridSearch, SearchTuner):
    pass


class _Random(keras_tuner.RandomSearch, SearchTuner):
    pass


class _Bayesian(keras_tuner.BayesianOptimization, SearchTuner):
    pass


class _Hyperband(keras_tuner.Hyperband, SearchTuner):
    pass


def make_tuner(strategy: str, hypermodel: UnitHyperModel, *, objective: tuple[str, str], max_trials: int | None,
               epochs: int, seed: int, directory: Path, project_name: str, overwrite: bool,
               executions_per_trial: int, context: TrialContext, hyperparameters=None,
               manual=(), hyperband_factor: int = 3):
    """The keras-tuner tuner for `strategy`, with our run_trial mixed in.

    keras-tuner reads seed 0 as "no seed", so the oracle gets seed + 1. Hyperband has no max_trials
    argument; its oracle's max_trials attribute (checked by Oracle.create_trial) caps it to the same
    budget as the other strategies.
    """
    common = {"hypermodel": hypermodel, "objective": keras_tuner.Objective(*objective), "seed": seed + 1,
              "hyperparameters": hyperparameters, "directory": str(directory), "project_name": project_name,
              "overwrite": overwrite, "executions_per_trial": executions_per_trial, "context": context,
              "max_retries_per_trial": 1}
    if strategy == "grid":
        return _Grid(max_trials=max_trials, **common)
    if strategy == "random":
        return _Random(max_trials=max_trials, **common)
    if strategy == "bayesian":
        return _Bayesian(max_trials=max_trials, num_initial_points=min(3, max_trials or 3), **common)
    if strategy == "hyperband":
        tuner = _Hyperband(max_epochs=epochs, factor=hyperband_factor, **common)
        tuner.oracle.max_trials = max_trials
        return tuner
    if strategy == "manual":
        return _Manual(configurations=list(manual)[:max_trials] if max_trials else list(manual), **common)
    raise ValueError(f"Expected a strategy of kerasdl.tuning.STRATEGIES. Received: {strategy!r}")
