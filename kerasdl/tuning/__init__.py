"""Hyperparameter search with keras-tuner: search units, strategies, resumable searches, retraining.

A search unit (`tuning/<name>.py`, or a user's own `PATH.py` of the same shape) declares *what* to
search — a dataset, a hypermodel `build(hp, data)`, optionally `fit(hp, model, *args, **kwargs)` for
batch size and epochs, and an objective that names its direction. keras-tuner does the searching
(GridSearch, RandomSearch, BayesianOptimization, Hyperband; `manual` replays a list of configurations
through an Oracle of ours) into `reports/tuning/<name>/<strategy>/`, and results are read back from
keras-tuner's own files (`oracle.json`, `trial_*/trial.json`) plus a small sidecar per trial. The
task of the searched dataset (`kerasdl.tasks`) supplies output units, builder defaults, loss and
compile metrics, exactly as in the harness.

Modules, each importing only the ones listed before it:
  data        SearchData: what `build(hp, data)` knows about the data (shapes, task)
  unit        SearchUnit, load_unit, available: a search file read into one object
  settings    SearchSettings, STRATEGIES, search_dir: how and where to search
  declare     compiled_model, replay, variant_from: what a search file calls
  space       space discovery, the grid's size, continuous ranges on a grid
  _keras_tuner_private  the keras-tuner internals no public API replaces, all in one place
  tuner       the HyperModel and our run_trial (--cv, stored predictions, progress)
  strategies  one keras-tuner tuner per strategy with that run_trial; the manual-search Oracle
  results     a search folder read back without TensorFlow; trials.csv
  session     preparing and running one search, search.json; `search`
  distributed chief/worker over keras-tuner's gRPC service, the one-machine launcher
  retrain     `--retrain-best`: the best trial as a harness run
  cli         `kerasdl tune`
Importing this package imports neither TensorFlow nor keras-tuner, so `kerasdl tune --list` stays instant.
"""

from __future__ import annotations

import importlib
from typing import Any

from .data import SearchData
from .declare import compiled_model, replay, variant_from
from .settings import COMPARED, STRATEGIES, SearchSettings, search_dir
from .unit import SearchUnit, available, load_unit

__all__ = [
    "COMPARED", "STRATEGIES", "SearchData", "SearchSettings", "SearchUnit", "available", "compiled_model",
    "load_unit", "replay", "retrain_best", "search", "search_dir", "variant_from",
]

# Loaded on first use (PEP 562): their modules import NumPy, which `kerasdl tune --list` never needs.
_LAZY = {"search": ".session", "retrain_best": ".retrain"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
