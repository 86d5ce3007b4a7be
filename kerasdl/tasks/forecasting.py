"""Forecasting: the next value(s) of a series from a window of its past (kerasdl.data.series).

Layout: inputs (n, window, variables) float windows; target (n,) for one step ahead or
(n, horizon) for several, in the units the dataset chose (the series datasets standardise with the
training part's statistics, so errors are in training standard deviations). The headline is the
mean absolute error over every forecast step; RMSE weighs large misses more; for several steps the
error of each step is reported too (it grows with the horizon).

The naive baselines every forecaster must beat are scikit-learn estimators on the same windows, so
the harness fits and scores them like any baseline (`Variant(estimator=...)`). The harness hands a
baseline its windows flattened to (n, window · variables); `n_variables` and `target_index` say how
to read the target variable's history back out of a row:

- `LastValue`: tomorrow looks like today (the random-walk forecast);
- `SeasonalNaive(period)`: the value one season earlier (24 hours; an ~11-year sunspot cycle);
- `ArimaForecaster(order)`: statsmodels' ARIMA fitted once on the training part's series, then
  applied with those fixed parameters to each test window (`ARIMAResults.apply`) and forecast
  `horizon` steps from there — the classical model the networks are measured against.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .regression import RegressionTask

__all__ = ["ArimaForecaster", "ForecastingTask", "LastValue", "SeasonalNaive"]


class ForecastingTask(RegressionTask):
    """Real-valued forecasts, one or several steps ahead; MAE headline, lower is better."""

    name = "forecasting"
    description = "next value(s) of a series from a window of its past; MAE (headline), RMSE, per-step MAE"
    headline = "mae"
    report_sections = ("regression",)
    # the series loaders already standardize on the training part and report both units (kerasdl.data.series)
    standardize_target = False

    def output_units(self, dataset) -> int:
        shape = np.shape(dataset.target)
        return 1 if len(shape) == 1 else int(shape[1])

    def scores(self, raw: Any) -> np.ndarray:
        out = np.asarray(raw, dtype=np.float64)
        out = out.reshape(len(out), -1)
        return out[:, 0] if out.shape[1] == 1 else out

    def metrics(self, y_true, scores, *, class_names: Sequence[str] = (), n_features=None) -> dict[str, float]:
        y = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
        s = np.asarray(scores, dtype=np.float64).reshape(len(scores), -1)
        if y.shape != s.shape:
            raise ValueError(f"forecasting metrics: expected forecasts shaped like the targets. "
                             f"Received: {y.shape} and {s.shape}")
        error = s - y
        found = {"mae": float(np.mean(np.abs(error))), "rmse": float(np.sqrt(np.mean(error ** 2))),
                 "r2": float(1 - np.sum(error ** 2) / max(np.sum((y - y.mean(axis=0)) ** 2), 1e-12))}
        if y.shape[1] > 1:
            for step in range(y.shape[1]):
                found[f"mae_step{step + 1}"] = float(np.mean(np.abs(error[:, step])))
        return found

    def dummy_estimator(self) -> Any:
        return LastValue()

    def is_lower_better(self, metric: str) -> bool:
        bare = metric[4:] if metric.startswith("val_") else metric
        return bare.startswith("mae_step") or super().is_lower_better(metric)


class _WindowForecaster:
    """Shared plumbing: read the target's history from flattened windows, remember the horizon."""

    def __init__(self, n_variables: int = 1, target_index: int = 0):
        self.n_variables = n_variables
        self.target_index = target_index

    def get_params(self, deep: bool = True) -> dict:
        import inspect

        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params):
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def _history(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return x.reshape(len(x), -1, int(self.n_variables))[:, :, int(self.target_index)]

    def fit(self, x, y):
        y = np.asarray(y, dtype=np.float64)
        self.horizon_ = 1 if y.ndim == 1 else int(y.shape[1])
        self.one_dimensional_ = y.ndim == 1
        self._fit(self._history(x), y.reshape(len(y), -1))
        return self

    def _fit(self, history: np.ndarray, y: np.ndarray) -> None:
        """Nothing to learn for the naive forecasts."""

    def predict(self, x) -> np.ndarray:
        out = self._forecast(self._history(x))
        return out[:, 0] if self.one_dimensional_ else out


class LastValue(_WindowForecaster):
    """ŷ_{t+h} = y_t for every step h: the naive (random-walk) forecast."""

    def _forecast(self, history: np.ndarray) -> np.ndarray:
        return np.repeat(history[:, -1:], self.horizon_, axis=1)


class SeasonalNaive(_WindowForecaster):
    """ŷ_{t+h} = y_{t+h−k·period} with the smallest k ≥ 1 that reaches into the window."""

    def __init__(self, period: int = 24, n_variables: int = 1, target_index: int = 0):
        super().__init__(n_variables, target_index)
        self.period = period

    def _forecast(self, history: np.ndarray) -> np.ndarray:
        if history.shape[1] < self.period:
            raise ValueError(f"SeasonalNaive: expected windows of at least period={self.period} steps. "
                             f"Received: {history.shape[1]}")
        steps = [history[:, history.shape[1] - self.period + (h % self.period)] for h in range(self.horizon_)]
        return np.stack(steps, axis=1)


class ArimaForecaster(_WindowForecaster):
    """statsmodels ARIMA(order) fitted on the training series, applied to each window with fixed parameters.

    The training series is read from the first target step of the training windows, which follow one
    another step by step in time (a --quick subsample leaves gaps; the fit is then approximate).
    """

    def __init__(self, order: tuple[int, int, int] = (2, 0, 1), n_variables: int = 1, target_index: int = 0):
        super().__init__(n_variables, target_index)
        self.order = order

    def _fit(self, history: np.ndarray, y: np.ndarray) -> None:
        import warnings

        from statsmodels.tsa.arima.model import ARIMA

        series = np.concatenate([history[0], y[:, 0]])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter; the fit is still the maximum found
            self.result_ = ARIMA(series, order=tuple(self.order)).fit()

    def _forecast(self, history: np.ndarray) -> np.ndarray:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.stack([np.asarray(self.result_.apply(window).forecast(self.horizon_)) for window in history])
