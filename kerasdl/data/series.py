"""Time series as forecasting windows, split chronologically BEFORE windowing (notes 002:1-60 "windowed
data", 004:1126-1160 weather forecasting).

Two series:

- `sunspots`: the yearly sunspot numbers 1700-2008 shipped with statsmodels
  (`statsmodels.api.datasets.sunspots`), one variable, an ~11-year cycle of varying height.
- `weather`: a generated hourly multivariate series (004:1158: "predicting the daily temperature ...
  along with other relevant factors like humidity"): temperature, pressure and humidity over two
  years, with a seasonal and a daily cycle, slow weather systems (pressure anomalies that cool or warm
  the air half a day later) and measurement noise. Fixed seed, documented in `generate_weather`.

How a series becomes samples (`windowed`): the time axis is cut into train / val / test parts in
order (70/15/15), THEN each part is windowed on its own. A sample is `window` consecutive steps of
every variable (inputs, shape (window, variables)) and the next `horizon` values of the target
variable. A val or test window may look back into the previous part for its inputs — those values
are known at forecast time — but its targets all lie in its own part, and no training window reads
anything after the training part. The standardisation (mean and standard deviation per variable) is
fitted on the training part only. Targets are in the same standardised units as the inputs, so
networks and baselines are scored in "training standard deviations"; `extras["target_scale"]` and
`extras["target_mean"]` turn them back into the series' own units (the studies report both).
Windowing itself is `keras.utils.timeseries_dataset_from_array`.
"""

from __future__ import annotations

import numpy as np

from kerasdl.data import _options
from kerasdl.data.dataset import Dataset
from kerasdl.data.info import DatasetSpec

__all__ = ["SPECS", "chronological_parts", "generate_weather", "load_sunspots", "load_weather", "windowed"]

FRACTIONS = (0.70, 0.15, 0.15)


def chronological_parts(n_steps: int, fractions=FRACTIONS) -> dict[str, tuple[int, int]]:
    """[start, stop) time indices of the train, val and test parts, in time order."""
    train_end = int(round(n_steps * fractions[0]))
    val_end = int(round(n_steps * (fractions[0] + fractions[1])))
    return {"train": (0, train_end), "val": (train_end, val_end), "test": (val_end, n_steps)}


def _windows(values: np.ndarray, target: np.ndarray, *, window: int, horizon: int, first_target: int,
             stop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every window whose first target step is in [first_target, stop) and whose last is < stop:
    inputs values[t - window:t], targets target[t:t + horizon]; also the time index t of each."""
    import keras

    starts = np.arange(max(first_target, window), stop - horizon + 1)
    if starts.size == 0:
        return (np.zeros((0, window, values.shape[1]), np.float32), np.zeros((0, horizon), np.float32),
                starts)
    lo = int(starts[0]) - window
    # sequence_stride 1, one window per start; batch the lot, the datasets are small
    inputs = keras.utils.timeseries_dataset_from_array(
        values[lo:int(starts[-1])], None, sequence_length=window, batch_size=len(starts), shuffle=False)
    x = np.concatenate([np.asarray(b) for b in inputs])
    y = np.stack([target[t:t + horizon] for t in starts])
    return x.astype(np.float32), y.astype(np.float32), starts


def windowed(values: np.ndarray, *, names: tuple[str, ...], target: str, window: int, horizon: int,
             times: np.ndarray, fractions=FRACTIONS) -> tuple[np.ndarray, np.ndarray, dict, dict]:
    """(inputs, targets, splits, extras) of a (steps, variables) series; see the module docstring."""
    values = np.asarray(values, dtype=np.float64)
    parts = chronological_parts(len(values), fractions)
    lo, hi = parts["train"]
    mean, std = values[lo:hi].mean(axis=0), values[lo:hi].std(axis=0)
    std = np.where(std > 0, std, 1.0)
    scaled = (values - mean) / std
    column = names.index(target)
    xs, ys, ts, splits, start = [], [], [], {}, 0
    for name, (first, stop) in parts.items():
        # Targets of a part lie inside it; inputs may reach back into earlier parts (known at forecast
        # time), never forward, and the training part starts at step 0, so it reads nothing but itself.
        x, y, t = _windows(scaled, scaled[:, column], window=window, horizon=horizon, first_target=first,
                           stop=stop)
        xs.append(x), ys.append(y), ts.append(t)
        splits[name] = np.arange(start, start + len(t))
        start += len(t)
    x, y, t = np.concatenate(xs), np.concatenate(ys), np.concatenate(ts)
    extras = {"target_scale": float(std[column]), "target_mean": float(mean[column]), "target_column": column,
              "variables": names, "window": window, "horizon": horizon, "time": np.asarray(times)[t],
              "time_index": t, "parts": parts, "series": values, "series_time": np.asarray(times),
              "scaler_mean": mean, "scaler_std": std}
    return x, (y[:, 0] if horizon == 1 else y), splits, extras


def _check(name: str, window, horizon) -> tuple[int, int]:
    return (_options.positive_int(name, "window", window, minimum=2),
            _options.positive_int(name, "horizon", horizon))


def load_sunspots(*, seed: int = 0, window: int = 22, horizon: int = 1) -> Dataset:
    """Yearly sunspot numbers as windows of `window` years → the next `horizon` years (seed unused:
    the data and its split are fixed by time)."""
    window, horizon = _check("sunspots", window, horizon)
    import statsmodels.api as sm

    frame = sm.datasets.sunspots.load_pandas().data
    years = frame["YEAR"].to_numpy().astype(int)
    values = frame[["SUNACTIVITY"]].to_numpy()
    x, y, splits, extras = windowed(values, names=("sunspots",), target="sunspots", window=window,
                                    horizon=horizon, times=years)
    return SUNSPOTS.dataset(features=x, target=y, splits=splits, extras={**extras, "time_unit": "year",
                                                                      "seasonal_period": 11})


def generate_weather(hours: int = 2 * 8760, *, seed: int = 0) -> np.ndarray:
    """(hours, 3) hourly temperature (°C), pressure (hPa) and relative humidity (%).

    pressure = 1013 + a slow AR(1) anomaly (φ = 0.995 per hour, ~8 hPa standard deviation): weather systems
    lasting days. temperature = 11 + 9·sin(seasonal phase) + 5·sin(daily phase, warmest at 15:00)
    + 0.35·(pressure anomaly 12 hours earlier) (high pressure brings clear, warm air half a day later)
    + an AR(1) local anomaly (φ = 0.97) + noise (0.3 °C). humidity = 75 − 2.2·(temperature − its seasonal
    mean) + 6·sin(seasonal phase + π) + noise (3 %), clipped to [5, 100].
    """
    rng = np.random.default_rng(seed)
    t = np.arange(hours, dtype=np.float64)
    seasonal = np.sin(2 * np.pi * (t / 8766.0 - 0.29))  # coldest around late January
    daily = np.sin(2 * np.pi * (t / 24.0 - 9.0 / 24.0))  # peaks at 15:00
    pressure_anomaly = np.zeros(hours)
    local = np.zeros(hours)
    shocks_p = rng.normal(0, 8.0 * np.sqrt(1 - 0.995 ** 2), hours)
    shocks_l = rng.normal(0, 1.2 * np.sqrt(1 - 0.97 ** 2), hours)
    for i in range(1, hours):
        pressure_anomaly[i] = 0.995 * pressure_anomaly[i - 1] + shocks_p[i]
        local[i] = 0.97 * local[i - 1] + shocks_l[i]
    lagged = np.concatenate([np.zeros(12), pressure_anomaly[:-12]])
    seasonal_mean = 11 + 9 * seasonal
    temperature = seasonal_mean + 5 * daily + 0.35 * lagged + local + rng.normal(0, 0.3, hours)
    pressure = 1013 + pressure_anomaly + rng.normal(0, 0.2, hours)
    humidity = np.clip(75 - 2.2 * (temperature - seasonal_mean) - 6 * seasonal + rng.normal(0, 3, hours), 5, 100)
    return np.stack([temperature, pressure, humidity], axis=1)


def load_weather(*, seed: int = 0, window: int = 24, horizon: int = 6, hours: int = 17520) -> Dataset:
    """The generated hourly weather as windows of `window` hours of all three variables → the next
    `horizon` hours of temperature."""
    window, horizon = _check("weather", window, horizon)
    hours = _options.positive_int("weather", "hours", hours, minimum=200)
    values = generate_weather(hours, seed=seed)
    x, y, splits, extras = windowed(values, names=("temperature", "pressure", "humidity"), target="temperature",
                                    window=window, horizon=horizon, times=np.arange(hours))
    return WEATHER.dataset(features=x, target=y, splits=splits, extras={**extras, "time_unit": "hour",
                                                                     "seasonal_period": 24})


SUNSPOTS = DatasetSpec(
    name="sunspots", task="forecasting", n_samples=287, origin="statsmodels",
    description=("Yearly mean sunspot numbers 1700-2008 (309 years) as forecasting windows: 22 years in, the "
                 "next year out; split 70/15/15 in time before windowing, standardised on the training years."),
    provenance=("statsmodels.api.datasets.sunspots (Wolfer/Wolf yearly sunspot numbers, via the R datasets "
                "package), shipped with statsmodels; no download."),
    license="Public domain (statsmodels' COPYRIGHT for this dataset)", loader=load_sunspots)
WEATHER = DatasetSpec(
    name="weather", task="forecasting", n_samples=17481, origin="generated",
    description=("Generated hourly weather (temperature, pressure, humidity) over two years with seasonal and "
                 "daily cycles, weather systems and noise: 24 hours of all three in, the next 6 hours of "
                 "temperature out; split 70/15/15 in time before windowing."),
    provenance="Generated by kerasdl.data.series.generate_weather from a fixed seed (notes 004:1158).",
    license="CC0 (generated by kerasdl)", loader=load_weather)

SPECS = (SUNSPOTS, WEATHER)
