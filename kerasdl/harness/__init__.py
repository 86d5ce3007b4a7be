"""One fit/evaluate harness for every experiment: Experiment/Variant → folds → fit → metrics → run record.

An experiment script only declares *what* to compare (a dataset and a list of variants); the harness
does the rest the same way for every variant, Keras model or scikit-learn baseline alike: same folds,
same preprocessing (fitted on training rows only), same metrics, same record. Keras is imported only
when a Keras variant is trained, so declaring experiments stays cheap.

Modules, imported one way only (run → fold → spec):
  spec     the declarations (Experiment, Variant) and what hooks receive (Analysis, FoldArrays)
  fold     one variant on one fold: encode, build, the trainer's compile/fit/evaluate, scores
  run      the loop over variants and folds, Ctrl-C, the run record
  control  the Ctrl-C flag and progress lines they share
"""

from __future__ import annotations

from .run import run
from .spec import Analysis, Experiment, FoldArrays, RunRecord, Variant

__all__ = ["Analysis", "Experiment", "FoldArrays", "RunRecord", "Variant", "run"]
