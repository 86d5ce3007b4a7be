"""Tasks whose outputs are real numbers: regression and reconstruction (image to image)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from kerasdl import metrics

from .base import Task
from .target_scaling import standardized_outputs

__all__ = ["ReconstructionTask", "RegressionTask"]


class RegressionTask(Task):
    """One real value per sample; a linear output unit."""

    name = "regression"
    description = "one real value; RMSE, MAE, R² (adjusted with the feature count)"
    headline = "rmse"
    output_activation = "linear"
    lower_is_better = metrics.LOWER_IS_BETTER
    report_sections = ("regression",)

    #: standardize the target on each fold's training rows (see target_scaling: a regression network
    #: otherwise spends its epochs learning the target's mean and spread)
    standardize_target: ClassVar[bool] = True

    def compile_metrics(self) -> list[Any]:
        return ["mae"]

    def linear_estimator(self) -> Any:
        from sklearn.linear_model import LinearRegression

        return LinearRegression()  # ordinary least squares on the same preprocessed columns

    def prepare_model(self, model: Any, y_train: Any) -> tuple[Any, dict[str, Any] | None]:
        if not self.standardize_target or y_train is None:
            return model, None
        return standardized_outputs(model, y_train)

    def scores(self, raw: Any) -> np.ndarray:
        return np.asarray(raw, dtype=np.float64).reshape(-1)

    def metrics(self, y_true, scores, *, class_names: Sequence[str] = (), n_features=None) -> dict[str, float]:
        return metrics.scalars(metrics.regression_metrics(y_true, scores, n_features=n_features))


class ReconstructionTask(RegressionTask):
    """Outputs shaped like the targets (autoencoders, upsampling): pixel-wise errors plus the worst sample."""

    name = "reconstruction"
    description = "outputs shaped like the targets; pixel-wise MSE/MAE and the worst sample's error"
    headline = "mse"
    output_activation = "sigmoid"  # pixels live in [0, 1]
    report_sections = ()
    standardize_target = False  # the sigmoid output already matches the pixels' [0, 1] range

    def output_units(self, dataset) -> int:
        return int(np.shape(dataset.target)[-1])  # pixels or channels: the target's last axis

    def scores(self, raw: Any) -> np.ndarray:
        return np.asarray(raw, dtype=np.float32)  # images are large: float32 in predictions.npz

    def estimator_target(self, y: np.ndarray) -> np.ndarray:
        return np.asarray(y).reshape(len(y), -1)  # scikit-learn wants one row per sample

    def estimator_scores(self, estimator: Any, x_test: np.ndarray, dataset) -> np.ndarray:
        """A regressor predicts the flattened target; a decomposition (PCA) maps test rows to its
        components and back, which is a reconstruction when target and input are the same images."""
        shape = (len(x_test), *np.shape(dataset.target)[1:])
        if hasattr(estimator, "predict"):
            return self.scores(np.asarray(estimator.predict(x_test)).reshape(shape))
        return self.scores(estimator.inverse_transform(estimator.transform(x_test)).reshape(shape))

    def metrics(self, y_true, scores, *, class_names: Sequence[str] = (), n_features=None) -> dict[str, float]:
        y_true, scores = np.asarray(y_true, dtype=float), np.asarray(scores, dtype=float)
        if y_true.shape != scores.shape:
            raise ValueError("reconstruction metrics: expected reconstructions shaped like their targets. "
                             f"Received: {y_true.shape} and {scores.shape}")
        found = metrics.regression_metrics(y_true.reshape(-1), scores.reshape(-1))
        found.pop("adjusted_r2", None)
        found["reconstruction_error_max"] = float(metrics.reconstruction_error(y_true, scores).max())
        return metrics.scalars(found)
