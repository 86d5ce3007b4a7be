"""`--retrain-best`: the best trial of a search retrained on train+validation and scored on the test
split as an ordinary harness run, linked from the search's search.json."""

from __future__ import annotations

from dataclasses import replace

from kerasdl.errors import UserError

from .settings import SearchSettings, search_dir
from .unit import SearchUnit

__all__ = ["retrain_best"]


def retrain_best(unit: SearchUnit, settings: SearchSettings):
    """Retrain the best trial on train+validation and score it on the test split as a normal run.

    The model trains for the best trial's best epoch (no early stopping: the validation rows are now
    training rows; their curve is still drawn but is no longer held out). Returns the harness RunRecord
    and links it from the search's search.json, so the search report can point at it.
    """
    import numpy as np

    from kerasdl import harness

    from .results import load_search
    from .session import link_retrained, search_dataset

    folder = search_dir(unit, settings)
    best = load_search(folder).best()
    if best is None:
        raise UserError(f"no completed trial in {folder} to retrain; run the search first")
    dataset = search_dataset(unit, settings)
    train = np.union1d(dataset.splits["train"], dataset.splits.get("val", np.array([], dtype=int)))
    retrain_set = replace(dataset, splits={"train": np.asarray(train), "val": np.asarray(dataset.splits["val"]),
                                           "test": np.asarray(dataset.splits["test"])})
    values = {k: v for k, v in best.values.items() if not k.startswith("tuner/")}
    variant = unit.variant(values)
    epochs = best.best_epoch or settings.effective_epochs(unit)
    variant = replace(variant, name="best", label=f"best of {settings.strategy} search (trial {best.trial_id})",
                      epochs=int(epochs), patience=None)
    experiment = harness.Experiment(
        name=f"tune-{folder.parent.name}", dataset=retrain_set, variants=[variant],
        title=f"{unit.title}: best {settings.strategy} configuration retrained",
        description=(f"Trial {best.trial_id} of the {settings.strategy} search in {folder}, retrained on the train "
                     f"and validation rows together for {epochs} epoch(s) (its best epoch in the search) and "
                     "evaluated once on the untouched test split. The validation curve is drawn for reference "
                     "only: those rows are training rows here."),
        notes_ref=unit.notes_ref, evaluation="holdout",
        quick_samples=max(len(retrain_set.target), 1), quick_epochs=settings.effective_epochs(unit),
    )
    record = harness.run(experiment, quick=settings.quick, seed=settings.seed, out=settings.out,
                         quiet=settings.quiet, tensorboard=False)
    link_retrained(folder, record, best)
    return record
