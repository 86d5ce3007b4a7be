"""
Title: Forecasting a real series — SimpleRNN, LSTM, GRU and Conv1D vs naive, seasonal naive and ARIMA
Description: the yearly sunspot numbers (statsmodels), windows of 22 years → the next year, split in
time before windowing; MAE and RMSE against the forecasts that need no learning and the classical one.

Notes 002:1-60 ("Time-series data — windowed data") and 004:1126-1160 (RNNs for "financial
forecasting, weather forecasting, energy demand"): a recurrent network reads a window of the past
and predicts what comes next. A forecaster is only useful if it beats the forecasts anyone can
make without learning: tomorrow like today (last value), like one season ago (seasonal naive,
11 years for the sunspot cycle) — and the classical statistical model, ARIMA (statsmodels), fitted
on the training years. The series is cut 70/15/15 in time BEFORE windowing and standardised on the
training years only (kerasdl.data.series), so no test year leaks into training; errors are shown in
sunspot numbers. `experiment(dataset="weather")` runs the same comparison on the generated hourly
weather (three variables in, the next 6 hours of temperature out, seasonal period 24 hours).
"""

from __future__ import annotations

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Lines, Section, Table, Text

NAME = "time-series"
TITLE = "Time-series forecasting: SimpleRNN / LSTM / GRU / Conv1D vs last value, seasonal naive and ARIMA"
NOTES_REF = "002:1-60, 004:1126-1160, 001:1687"

## Setup
#: per dataset: variables in a window, the season length and the ARIMA order
SERIES = {"sunspots": {"variables": 1, "period": 11, "order": (9, 0, 0)},
          "weather": {"variables": 3, "period": 24, "order": (2, 0, 1)}}
FIT = {"epochs": 300, "batch_size": 16, "patience": 30, "learning_rate": 1e-3}


def experiment(dataset: str = "sunspots") -> Experiment:
    """Four networks and three baselines on one chronological split."""
    from kerasdl.tasks.forecasting import ArimaForecaster, LastValue, SeasonalNaive

    setting = SERIES[dataset]
    read = {"n_variables": setting["variables"], "target_index": 0}
    fit = FIT if dataset == "sunspots" else {**FIT, "epochs": 40, "batch_size": 64, "patience": 6}
    variants = [
        Variant("last-value", estimator=LastValue(**read), label="naive: last value"),
        Variant("seasonal-naive", estimator=SeasonalNaive(period=setting["period"], **read),
                label=f"seasonal naive (period {setting['period']})"),
        Variant("arima", estimator=ArimaForecaster(order=setting["order"], **read),
                label=f"ARIMA{setting['order']} (statsmodels)"),
        Variant("simple-rnn", builder="simple_rnn", api="functional", label="SimpleRNN 32",
                hyperparameters={"units": 32}, **fit),
        Variant("lstm", builder="lstm", api="functional", label="LSTM 32", hyperparameters={"units": 32}, **fit),
        Variant("gru", builder="gru", api="functional", label="GRU 32", hyperparameters={"units": 32}, **fit),
        Variant("conv1d", builder="conv1d", api="functional", label="Conv1D 32×3, flatten, dense 32",
                hyperparameters={"filters": (32,), "kernel_size": 3, "pool": None, "units": 32}, **fit),
    ]
    return Experiment(
        name=NAME, title=TITLE, dataset=dataset, variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF, evaluation="holdout",
        analyze=analyze, quick_samples=150, quick_epochs=1, quick_folds=1,
        # --quick: the three baselines, one recurrent cell and the convolution; the other two cells train
        # in the quick runs of rnn-cells and review-polarity
        quick_variants=("last-value", "seasonal-naive", "arima", "lstm", "conv1d"),
    )

QUICK_NOTE = ("This was a --quick run (a few hundred rows, one epoch): the numbers show that everything runs, "
              "not what the models can do; the targets below are for the full run.")


## Analyse
def analyze(analysis) -> list[Section]:
    entries = [v for v in analysis.record["variants"] if f"{v['name']}/fold0/y_score" in analysis.predictions]
    scale = float(analysis.dataset.extras.get("target_scale", 1.0))
    sections: list[Section] = [_table(analysis, entries, scale)]
    plot = _forecast_plot(analysis, entries)
    if plot is not None:
        sections.append(plot)
    from kerasdl.report.study_helpers import overlaid_curves

    sections.append(overlaid_curves(analysis, title="Validation MSE per epoch (standardised units)",
                                    y_label="validation MSE", log_y=True))
    quick = QUICK_NOTE + "\n\n" if analysis.quick else ""
    sections.append(Text(title="What this run shows", body=quick + _findings(analysis, entries, scale)))
    return sections


def _table(analysis, entries, scale) -> Table:
    from kerasdl.report.study_helpers import entry_metric, fit_seconds

    unit = analysis.dataset.extras.get("variables", ("value",))[0]
    rows = [[e["label"], e.get("parameter_count") or 0, round(entry_metric(e, "mae") * scale, 3),
             round(entry_metric(e, "rmse") * scale, 3), round(entry_metric(e, "mae"), 4),
             round(entry_metric(e, "r2"), 3), round(fit_seconds(e), 2)] for e in entries]
    rows.sort(key=lambda r: r[2])
    return Table(title="Held-out forecast errors (best MAE first)",
                 columns=["model", "learned parameters", f"MAE ({unit})", f"RMSE ({unit})",
                          "MAE (training std units)", "R²", "fit time (s)"], rows=rows,
                 caption="Errors over every forecast step of the test part. Scaled back to the series' units with "
                         f"the training part's standard deviation ({scale:.3f}).")


def _forecast_plot(analysis, entries) -> Lines | None:
    """The test part: truth and each forecast (first step), in the series' units, in time order."""
    import numpy as np

    extras = analysis.dataset.extras
    scale, mean = float(extras.get("target_scale", 1.0)), float(extras.get("target_mean", 0.0))
    time = np.asarray(extras.get("time", ()))
    if len(time) != analysis.dataset.n_samples:  # a --quick subsample: rows are still in time order
        time = np.arange(analysis.dataset.n_samples)
    series = []
    for position, entry in enumerate(entries):
        key = f"{entry['name']}/fold0"
        index = np.asarray(analysis.predictions[f"{key}/index"])
        order = np.argsort(time[index])
        first = lambda a: np.asarray(a).reshape(len(a), -1)[:, 0]  # noqa: E731 - the first forecast step
        if position == 0:
            truth = first(analysis.predictions[f"{key}/y_true"])[order] * scale + mean
            series.append({"label": "actual", "x": time[index][order].tolist(), "y": truth.tolist()})
        values = first(analysis.predictions[f"{key}/y_score"])[order] * scale + mean
        series.append({"label": entry["label"], "x": time[index][order].tolist(), "y": values.tolist()})
    if not series:
        return None
    return Lines(title="Test part: actual series and one-step-ahead forecasts", series=series,
                 x_label=str(extras.get("time_unit", "time")), y_label=str(extras.get("variables", ("value",))[0]),
                 caption="Each forecast uses only the window before its time step.")


def _findings(analysis, entries, scale) -> str:
    from kerasdl.report.study_helpers import entry_metric

    mae = {e["name"]: entry_metric(e, "mae") for e in entries}
    labels = {e["name"]: e["label"] for e in entries}
    if not mae:
        return "No variant produced forecasts."
    networks = {k: v for k, v in mae.items() if k in ("simple-rnn", "lstm", "gru", "conv1d")}
    out = ["MAE, best first: " + ", ".join(f"{labels[k]} {v * scale:.2f}" for k, v in sorted(mae.items(),
                                                                                        key=lambda kv: kv[1])) + "."]
    if networks and "last-value" in mae:
        best = min(networks, key=networks.get)
        gain = 1 - networks[best] / mae["last-value"]
        out.append(f"Best network {labels[best]}: MAE {networks[best] * scale:.2f} vs naive last value "
                   f"{mae['last-value'] * scale:.2f} ({abs(100 * gain):.1f} % {'lower' if gain > 0 else 'higher'}). "
                   "The issue's target (beat the naive "
                   "last value on the real series): " + ("met." if gain > 0 else "not met on this run."))
        if "arima" in mae:
            if mae["arima"] < networks[best]:
                out.append(f"ARIMA wins: its MAE {mae['arima'] * scale:.2f} is below the best network's — with a few "
                           "hundred training windows, a linear model with the right lags is hard to beat.")
            else:
                out.append(f"The best network also beats ARIMA (MAE {mae['arima'] * scale:.2f}).")
    return "\n\n".join(out)


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
