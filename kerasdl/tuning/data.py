"""What a hypermodel is built for: `SearchData`, the shapes and the task of the searched data.

`build(hp, data)` gets one per fold, so a search unit never sees the rows, only what a builder needs
(input shape, output units, the task's loss and compile metrics, class names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SearchData"]


@dataclass(frozen=True)
class SearchData:
    """What `build(hp, data)` needs to know about the data: shapes and the task, never the rows."""

    input_shape: tuple[int, ...]
    outputs: int
    task: str
    class_names: tuple[str, ...] = ()

    @property
    def kind(self):
        """The registered `kerasdl.tasks.Task` called `task` (loss, compile metrics, builder defaults)."""
        from kerasdl import tasks

        return tasks.get(self.task)

    @property
    def loss(self) -> Any:
        """The task's default loss (what the harness compiles a variant with)."""
        return self.kind.loss()

    def metrics(self) -> list[Any]:
        """The task's compile metrics (binary: accuracy and an AUC named "auc", so `val_auc` can be an
        objective; multiclass: accuracy; regression: MAE)."""
        return self.kind.compile_metrics()
