"""What kerasdl knows about a dataset without loading it, and the spec that ties that to a loader.

`available()` (and so `kerasdl datasets`) must answer in well under a second, without TensorFlow and
without reading any data, so everything it shows lives here as plain values; `offline` is a cheap
file-existence check supplied by the loader module.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from kerasdl.data.dataset import Dataset

__all__ = ["DatasetInfo", "DatasetSpec", "ORIGINS"]

ORIGINS = ("embedded", "sklearn", "statsmodels", "keras-cache", "user", "generated")


@dataclass(frozen=True)
class DatasetInfo:
    """One line of the dataset listing.

    `n_samples` is None when the size is not known without loading; `offline` says whether the dataset
    can be loaded right now on this machine without network access.
    """

    name: str
    task: str
    n_samples: int | None
    origin: str
    offline: bool
    description: str
    provenance: str
    license: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _always_offline() -> bool:
    return True


@dataclass(frozen=True)
class DatasetSpec:
    """A registered dataset: its card (name, task, provenance, ...) and the function that loads it.

    The loader takes keyword-only options, one of which is `seed`; the options a user may pass are read
    from its signature, so the accepted-options list in error messages can never drift from the code.
    """

    name: str
    task: str
    n_samples: int | None
    origin: str
    description: str
    provenance: str
    license: str
    loader: Callable[..., Dataset]
    is_offline: Callable[[], bool] = _always_offline

    def info(self) -> DatasetInfo:
        return DatasetInfo(self.name, self.task, self.n_samples, self.origin, bool(self.is_offline()),
                           self.description, self.provenance, self.license)

    def options(self) -> dict[str, Any]:
        """Options the loader accepts besides `seed`, with their defaults."""
        parameters = inspect.signature(self.loader).parameters.values()
        return {p.name: p.default for p in parameters
                if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "seed"}

    def dataset(self, **fields: Any) -> Dataset:
        """A `Dataset` carrying this spec's card, so the loaded data and the listing always agree."""
        card = {"name": self.name, "task": self.task, "provenance": self.provenance,
                "license": self.license, "description": self.description, "origin": self.origin}
        card.update(fields)
        return Dataset(**card)
