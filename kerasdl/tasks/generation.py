"""Generation: no labels to predict; a model is judged by how close its samples lie to held-out data.

Layout: `features` holds real samples (n, d) or images; `target` is the same samples, so the held-out
split's real samples are stored beside the generated ones. The trainer's `evaluate` step asks the
model for as many samples as there are held-out rows (`model.generate(n)`, see
`kerasdl.trainers.SamplingTrainer`), and the metrics are distribution distances between the two sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import Task

__all__ = ["GenerationTask", "distribution_distances"]

_MMD_ROWS = 500  # the kernel matrix is rows²: a sample of each set keeps it cheap


def distribution_distances(real: Any, generated: Any, *, seed: int = 0) -> dict[str, float]:
    """How far generated samples are from real ones (0 = indistinguishable by these measures).

    Per feature (pixel, coordinate): the 1-D Wasserstein distance and the two-sample Kolmogorov-
    Smirnov statistic (SciPy), averaged over features; mean and spread of the two sets; and the
    squared maximum mean discrepancy with an RBF kernel of median-heuristic width over whole samples,
    which also sees dependence between features. scikit-learn gives the kernel; the MMD estimate
    (mean k(x,x') + mean k(y,y') − 2 mean k(x,y), biased V-statistic) is three means of it.
    """
    from scipy import stats
    from sklearn.metrics.pairwise import euclidean_distances, rbf_kernel

    a = np.asarray(real, dtype=np.float64).reshape(len(real), -1)
    b = np.asarray(generated, dtype=np.float64).reshape(len(generated), -1)
    if a.shape[1] != b.shape[1] or len(a) == 0 or len(b) == 0:
        raise ValueError("distribution_distances: expected non-empty real and generated samples with the same "
                         f"number of features. Received: {a.shape} and {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("distribution_distances: expected finite samples. Received: nan or inf")
    wasserstein = [stats.wasserstein_distance(a[:, j], b[:, j]) for j in range(a.shape[1])]
    ks = [stats.ks_2samp(a[:, j], b[:, j]).statistic for j in range(a.shape[1])]
    rng = np.random.default_rng(seed)
    a_m = a[rng.permutation(len(a))[:_MMD_ROWS]]
    b_m = b[rng.permutation(len(b))[:_MMD_ROWS]]
    both = np.vstack([a_m, b_m])
    distances = euclidean_distances(both, squared=True)
    width = float(np.median(distances[distances > 0])) if np.any(distances > 0) else 1.0
    gamma = 1.0 / width
    mmd2 = (rbf_kernel(a_m, gamma=gamma).mean() + rbf_kernel(b_m, gamma=gamma).mean()
            - 2 * rbf_kernel(a_m, b_m, gamma=gamma).mean())
    return {
        "wasserstein": float(np.mean(wasserstein)),
        "ks": float(np.mean(ks)),
        "mmd2": float(max(mmd2, 0.0)),
        "mean_gap": float(np.mean(np.abs(a.mean(axis=0) - b.mean(axis=0)))),
        "std_ratio": float(np.mean(b.std(axis=0)) / np.mean(a.std(axis=0))) if np.mean(a.std(axis=0)) else float("nan"),
    }


class GenerationTask(Task):
    """Unsupervised: the model learns the inputs' distribution; scored by distribution distances."""

    name = "generation"
    description = "samples like the data; Wasserstein, Kolmogorov-Smirnov and MMD² to held-out samples"
    headline = "wasserstein"
    lower_is_better = frozenset({"wasserstein", "ks", "mmd2", "mean_gap"})
    monitor = None          # no validation loss: nothing is watched, every epoch runs
    supervised = False
    loss_name = "binary_crossentropy"  # the adversarial loss a GAN's compile receives
    report_sections = ("samples",)

    def output_units(self, dataset) -> int:
        return int(np.prod(np.shape(dataset.features)[1:]))

    def default_trainer(self):
        from kerasdl.trainers import SamplingTrainer

        return SamplingTrainer()

    def scores(self, raw: Any) -> np.ndarray:
        return np.asarray(raw, dtype=np.float32)

    def metrics(self, y_true, scores, *, class_names: Sequence[str] = (), n_features=None) -> dict[str, float]:
        return distribution_distances(y_true, scores)
