"""How to search (`SearchSettings`: strategy and budget) and where the search lives (`search_dir`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kerasdl.errors import UserError, closest_names

if TYPE_CHECKING:
    from .unit import SearchUnit

__all__ = ["COMPARED", "STRATEGIES", "SearchSettings", "search_dir"]

STRATEGIES = ("grid", "random", "bayesian", "hyperband", "manual")
COMPARED = ("grid", "random", "bayesian", "hyperband")  # --compare: keras-tuner's four searchers


@dataclass(frozen=True)
class SearchSettings:
    """How to search: strategy and budget. None means "the unit's default"."""

    strategy: str = "random"
    max_trials: int | None = None
    epochs: int | None = None
    executions_per_trial: int = 1
    cv: int = 0                          # 0: the unit's train/val split; K >= 2: stratified K-fold on train+val
    seed: int = 0
    quick: bool = False
    overwrite: bool = False
    enumerate_continuous: int | None = None  # grid: try N evenly spaced values of each continuous range
    out: Path = Path("reports")
    quiet: bool = False
    hyperband_factor: int = 3
    keep_checkpoints: int | None = None  # after a session: keep the N best trials' weights, delete the rest

    def checked(self, unit: SearchUnit) -> SearchSettings:
        """Every user mistake in the settings, as a UserError, before anything is built or written."""
        if self.strategy not in STRATEGIES:
            raise UserError(f"unknown strategy {self.strategy!r}; {closest_names(self.strategy, STRATEGIES)}")
        for name, value, least in (("--max-trials", self.max_trials, 1), ("--epochs", self.epochs, 1),
                                   ("--executions-per-trial", self.executions_per_trial, 1),
                                   ("--enumerate-continuous", self.enumerate_continuous, 2),
                                   ("--keep-checkpoints", self.keep_checkpoints, 0)):
            if value is not None and value < least:
                raise UserError(f"{name} must be at least {least}. Received: {value}")
        if self.cv == 1 or self.cv < 0:
            raise UserError(f"--cv needs at least 2 folds (or 0 for the unit's validation split). Received: {self.cv}")
        if self.cv and self.strategy == "hyperband":
            raise UserError("--cv cannot be combined with hyperband: Hyperband continues a trial from the previous "
                            "round's checkpoint, which was trained on the other folds' validation rows; use grid, "
                            "random or bayesian with --cv")
        if self.strategy == "manual" and not unit.manual:
            raise UserError(f"search unit {unit.name!r} has no MANUAL list of configurations for --strategy manual")
        return self

    def effective_epochs(self, unit: SearchUnit) -> int:
        epochs = self.epochs or unit.epochs
        return min(epochs, unit.quick_epochs) if self.quick else epochs

    def effective_max_trials(self, unit: SearchUnit) -> int | None:
        if self.strategy == "manual":
            return min(len(unit.manual), self.max_trials or len(unit.manual))
        return self.max_trials or unit.max_trials


def search_dir(unit: SearchUnit, settings: SearchSettings) -> Path:
    """reports/tuning/<unit>/<strategy>/: keras-tuner's project folder and our files."""
    from kerasdl import runs  # here, not at the top: `kerasdl tune --list` imports this module

    return Path(settings.out) / "tuning" / runs.safe_name(unit.name, "search") / settings.strategy
