"""A classical (no deep learning) segmenter: the notes' clustering approach (002:406-410) as a baseline.

Steps, each a library call: (1) the background colour of an image is the median of its border
pixels; (2) k-means (scikit-learn, 2 clusters) on every training pixel's colour distance from that
background finds the threshold that separates foreground from background — clustering, as the notes
list first; (3) connected foreground regions come from `scipy.ndimage.label`; (4) each region is
described by its fill ratio (area / bounding-box area: 1 for a square, π/4 for a disc, 1/2 for a
triangle), aspect ratio and area, and a decision tree learns the class from training regions.
Overlapping objects merge into one region and get one class, which is where learned networks win.

A scikit-learn estimator, so the harness treats it like any baseline: `fit(X, masks)` with X the
flattened images, `predict(X)` → (n, H, W) integer masks.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

__all__ = ["ClassicalSegmenter"]


class ClassicalSegmenter(BaseEstimator):
    """Background-distance k-means threshold + connected components + a region-shape classifier."""

    def __init__(self, max_depth: int = 4, sample_pixels: int = 20000, random_state: int = 0) -> None:
        self.max_depth = max_depth
        self.sample_pixels = sample_pixels
        self.random_state = random_state

    def _images(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        return X.reshape(len(X), *self.image_shape_)

    @staticmethod
    def _distance(images: np.ndarray) -> np.ndarray:
        border = np.concatenate([images[:, 0], images[:, -1], images[:, :, 0], images[:, :, -1]], axis=1)
        background = np.median(border, axis=1)  # (n, C)
        return np.linalg.norm(images - background[:, None, None, :], axis=-1)

    @staticmethod
    def _regions(foreground: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
        """Labelled components of one image and an (r, 3) feature row per component."""
        from scipy import ndimage

        labelled, count = ndimage.label(foreground)
        features = np.zeros((count, 3))
        for r, found in enumerate(ndimage.find_objects(labelled)):
            height = found[0].stop - found[0].start
            width = found[1].stop - found[1].start
            area = float(np.sum(labelled[found] == r + 1))
            features[r] = [area / (height * width), width / height, area]
        return labelled, count, features

    def fit(self, X, y):
        from sklearn.cluster import KMeans
        from sklearn.tree import DecisionTreeClassifier

        masks = np.asarray(y)
        n, height, width = masks.shape
        self.image_shape_ = (height, width, np.asarray(X).shape[1] // (height * width))
        self.n_classes_ = int(masks.max()) + 1
        distance = self._distance(self._images(X))
        rng = np.random.default_rng(self.random_state)
        sample = rng.choice(distance.ravel(), size=min(self.sample_pixels, distance.size), replace=False)
        centres = np.sort(KMeans(n_clusters=2, n_init=4, random_state=self.random_state)
                          .fit(sample[:, None]).cluster_centers_.ravel())
        self.threshold_ = float(centres.mean())
        rows, labels = [], []
        for i in range(n):
            labelled, count, features = self._regions(distance[i] > self.threshold_)
            for r in range(count):
                inside = masks[i][labelled == r + 1]
                rows.append(features[r])
                labels.append(np.bincount(inside, minlength=self.n_classes_).argmax())
        self.classifier_ = DecisionTreeClassifier(max_depth=self.max_depth, random_state=self.random_state)
        self.classifier_.fit(np.array(rows).reshape(-1, 3), np.array(labels, dtype=int))
        return self

    def predict(self, X) -> np.ndarray:
        distance = self._distance(self._images(X))
        out = np.zeros(distance.shape, dtype=np.int64)
        for i in range(len(distance)):
            labelled, count, features = self._regions(distance[i] > self.threshold_)
            if count:
                classes = np.concatenate([[0], self.classifier_.predict(features)])
                out[i] = classes[labelled]
        return out
