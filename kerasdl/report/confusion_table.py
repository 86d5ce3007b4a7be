"""A confusion matrix as an HTML table whose cells are shaded by the row share.

Up to `figures.ANNOTATED_CLASSES` classes a table reads better than a picture of one: the numbers are
text (selectable, searchable, read aloud with their row and column headers by a screen reader), the
class names wrap instead of being cut, and it prints. Each cell holds the count and, under it, the
count divided by its row total (the diagonal is each class's recall); the shade follows that share on
matplotlib's "Blues" scale, as the heatmaps did. Colours are computed here as hex strings, so the
page needs no script; every class name reaches the page through Jinja's autoescaping.
More classes keep the heatmap figure (`figures.confusion_figure`), where cells are too many to read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["confusion_table"]

_DARK_FROM = 0.6  # a share above this gets white text, as on the heatmaps


def _shade(share: float) -> str:
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    return to_hex(colormaps["Blues"](share))


def confusion_table(matrix: Sequence[Sequence[float]], class_names: Sequence[str]) -> dict[str, Any]:
    """Header names and rows of cells {count, share, background, dark, diagonal} plus each row's total.

    A class with no samples (an all-zero row) shows "–" as its shares, unshaded.
    """
    counts = np.asarray(matrix, dtype=float)
    totals = counts.sum(axis=1)
    rows = []
    for i, name in enumerate(class_names):
        cells = []
        for j, count in enumerate(counts[i]):
            share = count / totals[i] if totals[i] > 0 else float("nan")
            shaded = not np.isnan(share)
            cells.append({"count": f"{count:.0f}", "share": f"{share:.2f}" if shaded else "–",
                          "background": _shade(share) if shaded else "#ffffff",
                          "dark": shaded and share > _DARK_FROM, "diagonal": i == j})
        rows.append({"name": str(name), "cells": cells, "total": f"{totals[i]:.0f}"})
    return {"columns": [str(name) for name in class_names], "rows": rows}
