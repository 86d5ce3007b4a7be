"""One fit/evaluate harness for every experiment: Experiment/Variant → folds → fit → metrics → run record.

An experiment script only declares *what* to compare (a dataset and a list of variants); the harness
does the rest the same way for every variant, Keras model or scikit-learn baseline alike: same folds,
same preprocessing (fitted on training rows only), same metrics, same record. Keras is imported only
when a Keras variant is trained, so declaring experiments stays cheap.

Modules, imported one way only (run → fold → spec):
  spec     the declarations (Experiment, Variant) and what hooks receive (Analysis, FoldArrays)
  fold     one variant on one fold: encode, build, the trainer's compile/fit/evaluate, scores
  run      the loop over variants and folds, Ctrl-C, the run record
  control  the Ctrl-C flag and the progress display they share (epoch bars in a terminal, a line per fold elsewhere)
  record_display  a finished RunRecord as a pandas DataFrame and in Jupyter (_repr_html_)
  feeding  how fold arrays reach Keras fast (tf.data pipeline, steps_per_execution) and when they do not
  distribute  tf.distribute strategies (mirrored, multiworker) for a variant's build, compile and fit
"""

from __future__ import annotations

from .run import run
from .spec import Analysis, Experiment, FoldArrays, RunRecord, Variant

__all__ = ["Analysis", "Experiment", "FoldArrays", "RunRecord", "Variant", "run"]
