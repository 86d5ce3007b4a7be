"""Fixed (untrained) image upsampling as scikit-learn estimators, the baselines of the `upsampling` study.

The harness gives a scikit-learn variant its images flattened, (n, h·w·c), and expects `predict` to
return the flattened target, so these estimators reshape to images, resize, and flatten back.
`fit` learns nothing: it only records the input and output image sizes from the training arrays.
The resizing itself is `scipy.ndimage.zoom` on the image axes with `grid_mode=True` — pixel
centres at half-pixel positions and edge pixels repeated outward — which is the convention of
`keras.layers.UpSampling2D` (order 0 = "nearest", order 1 = "bilinear"); tests check the two agree.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

__all__ = ["ResizeUpsampler"]


class ResizeUpsampler(RegressorMixin, BaseEstimator):
    """Upsample square single-channel images by interpolation; no parameters are learned.

    `method` is "nearest" (each pixel copied into a factor×factor block) or "bilinear" (linear
    interpolation between the four nearest input pixel centres).
    """

    _ORDERS = {"nearest": 0, "bilinear": 1}

    def __init__(self, method: str = "bilinear") -> None:
        self.method = method

    def fit(self, x, y):
        if self.method not in self._ORDERS:
            raise ValueError(f"ResizeUpsampler: expected method 'nearest' or 'bilinear'. Received: {self.method!r}")
        self.in_side_ = _side(np.shape(x)[1])
        self.out_side_ = _side(np.shape(y)[1])
        if self.out_side_ % self.in_side_:
            raise ValueError(f"ResizeUpsampler: output side {self.out_side_} is not a multiple of the input "
                             f"side {self.in_side_}")
        return self

    def predict(self, x) -> np.ndarray:
        from scipy import ndimage

        images = np.asarray(x, dtype=np.float64).reshape(-1, self.in_side_, self.in_side_)
        factor = self.out_side_ // self.in_side_
        out = ndimage.zoom(images, (1, factor, factor), order=self._ORDERS[self.method], grid_mode=True,
                           mode="nearest")
        return out.reshape(len(images), -1)


def _side(n_pixels: int) -> int:
    side = math.isqrt(int(n_pixels))
    if side * side != n_pixels:
        raise ValueError(f"ResizeUpsampler: expected square single-channel images. Received {n_pixels} values")
    return side
