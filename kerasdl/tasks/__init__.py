"""One object per kind of problem, registered by name (see `base.Task` for what a task holds).

    >>> from kerasdl import tasks
    >>> tasks.get("binary").headline
    'roc_auc'

Registered: binary, multiclass, regression, reconstruction (classification.py, regression.py),
tagging (sequence.py), generation (generation.py), seq2seq (translation.py), forecasting
(forecasting.py), recommendation (recommendation.py), segmentation, detection (vision.py). A new
family adds a `Task` subclass and calls `register(...)`; nothing else in kerasdl changes. Importing
this package never imports TensorFlow.
"""

from __future__ import annotations

from .base import Task, get, names, register
from .classification import BinaryTask, MulticlassTask
from .forecasting import ForecastingTask
from .generation import GenerationTask, distribution_distances
from .recommendation import RecommendationTask
from .regression import ReconstructionTask, RegressionTask
from .sequence import PAD_TAG, TaggingTask
from .translation import Seq2SeqTask
from .vision import DetectionTask, SegmentationTask

__all__ = [
    "PAD_TAG", "BinaryTask", "GenerationTask", "MulticlassTask", "ReconstructionTask", "RegressionTask",
    "TaggingTask", "Task", "distribution_distances", "get", "headline_of", "is_lower_better", "names", "register",
    "ForecastingTask", "Seq2SeqTask",
    "RecommendationTask",
    "DetectionTask", "SegmentationTask",
]

for _task in (
    BinaryTask(), MulticlassTask(),
    RegressionTask(), ReconstructionTask(),
    TaggingTask(),
    GenerationTask(),
    RecommendationTask(),
    Seq2SeqTask(), ForecastingTask(),
    SegmentationTask(), DetectionTask(),
):
    register(_task)


def headline_of(task: str | None) -> str | None:
    """The headline metric of a registered task name (None for no or an unknown task: old records)."""
    try:
        return get(task).headline if task else None
    except ValueError:
        return None


def is_lower_better(metric: str, task: str | None = None) -> bool:
    """Direction of `metric`: the task's word when the task is known, else any registered task's."""
    try:
        if task:
            return get(task).is_lower_better(metric)
    except ValueError:
        pass
    return any(get(name).is_lower_better(metric) for name in names())
