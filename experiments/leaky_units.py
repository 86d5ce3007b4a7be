"""
Title: Leaky units and skip connections through time — α fixed vs learned vs SimpleRNN vs skips
Description: SimpleRNN against leaky units h_t = α h_{t−1} + (1 − α) tanh(·) with α fixed at 0.9 or
learned per unit (from 0.5), and against a skip connection from h_{t−5}, on 50-step adding problems.

The syllabus lists "Leaky Units: Skip connections" among the ways to handle long-term dependencies
(001 Unit III, 001:2836). A leaky unit keeps the fraction α of its previous value, so information and
gradients decay like α^k instead of through k products of tanh′·U (002:113-161): α = 0.9 is a time
constant of about 10 steps. With ``learn_alpha`` every unit learns its own α (kept in (0, 1) by a
sigmoid), so the network can choose fast and slow units. A skip connection through time adds a second
recurrent weight matrix from h_{t−d} (here d = 5), so a dependency T steps back is d times fewer
multiplications away. All variants are `leaky_rnn` / `simple_rnn` builders with 32 units on the adding
problem (sum of two marked values, one marker in each half of 50 steps; predicting the mean scores 1/6).
A probe reads the learned α values back from the trained cell.
"""

from __future__ import annotations

from typing import Any

from kerasdl.harness import Analysis, Experiment, Variant
from kerasdl.report.sections import Histogram, Section, Table, Text
from kerasdl.report.study_helpers import entry_metric, fit_seconds, number, overlaid_curves, probe_value

NAME = "leaky-units"
TITLE = "Leaky units: α fixed (0.9) vs learned vs SimpleRNN vs a skip from h(t−5), adding problem"
NOTES_REF = "001:33 (Unit III), 001:2836, 002:113-161"

## Setup
DATA = {"length": 50, "samples": 5000}
UNITS = 32
FIT = {"epochs": 40, "batch_size": 64, "patience": 15, "learning_rate": 3e-3, "optimizer_options": {"clipnorm": 1.0}}
VARIANTS = (
    ("simple-rnn", "simple_rnn", {}, "SimpleRNN (α = 0)"),
    ("alpha-0.9", "leaky_rnn", {"alpha": 0.9}, "leaky, α = 0.9 fixed"),
    ("alpha-learned", "leaky_rnn", {"alpha": 0.5, "learn_alpha": True}, "leaky, α learned per unit (from 0.5)"),
    ("skip-5", "leaky_rnn", {"alpha": 0.0, "skip": 5}, "skip connection from h(t−5), α = 0"),
)


def alpha_probe(model, arrays) -> dict[str, Any]:
    """The α of every unit of the model's leaky cell (none for a SimpleRNN)."""
    import numpy as np

    from kerasdl.layers import LeakyRNNCell

    for layer in model.layers:
        cell = getattr(layer, "cell", None)
        if isinstance(cell, LeakyRNNCell):
            alpha = np.broadcast_to(np.asarray(cell.leak(), dtype=float), (cell.units,))
            return {"alpha": [round(float(a), 5) for a in alpha]}
    return {}


def experiment() -> Experiment:
    variants = [Variant(name, builder=builder, api="functional", label=label, probe=alpha_probe,
                        hyperparameters={"units": UNITS, **own}, **FIT) for name, builder, own, label in VARIANTS]
    return Experiment(name=NAME, title=TITLE, dataset="adding-problem", dataset_options=DATA, variants=variants,
                      description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF, headline_metric="mse",
                      analyze=analyze, quick_samples=160, quick_epochs=1, quick_folds=1,
                      # --quick: the baseline, a learned α (its probe and histogram) and a skip; a fixed α is
                      # the same cell with one weight fewer (tests/test_recurrent.py checks its equations)
                      quick_variants=("simple-rnn", "alpha-learned", "skip-5"))


## Analyse
def analyze(analysis: Analysis) -> list[Section]:
    entries = [v for v in analysis.record["variants"] if v["status"] == "completed"]
    rows = []
    for entry in entries:
        alpha = probe_value(entry, "alpha")
        summary = (f"{min(alpha):.3f} … {max(alpha):.3f} (mean {sum(alpha) / len(alpha):.3f})" if alpha else "—")
        rows.append([entry["label"], entry["parameter_count"], summary, round(entry_metric(entry, "mse"), 4),
                     round(entry_metric(entry, "r2"), 3), round(fit_seconds(entry), 1)])
    sections: list[Section] = [
        Table(title="Leaky units and skips: test error", rows=rows,
              columns=["variant", "parameters", "α after training", "test MSE", "test R²", "fit time (s)"],
              caption="Predicting the mean scores MSE 0.1667. A learned α adds one weight per unit; a skip adds a "
                      "second 32×32 recurrent matrix."),
        overlaid_curves(analysis, title="Validation MSE per epoch", y_label="validation MSE", log_y=True),
    ]
    learned = next((e for e in entries if e["name"] == "alpha-learned"), None)
    if learned and probe_value(learned, "alpha"):
        sections.append(Histogram(title="Learned α per unit", x_label="α", bins=16, density=False,
                                  series=[{"label": "learned α (started at 0.5)",
                                           "values": probe_value(learned, "alpha")}],
                                  caption="Units near 1 integrate slowly (long memory); units near 0 follow the "
                                          "input."))
    sections.append(Text(title="What this run shows", body=_findings(analysis, entries)))
    return sections


def _findings(analysis: Analysis, entries) -> str:
    if not entries:
        return "No variant completed."
    ranked = sorted(entries, key=lambda e: entry_metric(e, "mse"))
    out = ["Test MSE, best first: " + ", ".join(f"{e['label']} {number(entry_metric(e, 'mse'), 4)}" for e in ranked)
           + " (predicting the mean: 0.1667)."]
    by = {e["name"]: e for e in entries}
    simple = by.get("simple-rnn")
    if simple:
        better = [e["label"] for e in entries
                  if e is not simple and entry_metric(e, "mse") < 0.9 * entry_metric(simple, "mse")]
        out.append("Clearly better than SimpleRNN (by more than 10 %): " + (", ".join(better) if better else "none")
                   + ".")
    learned = by.get("alpha-learned")
    if learned and probe_value(learned, "alpha"):
        alpha = probe_value(learned, "alpha")
        slow, fast = sum(a > 0.6 for a in alpha), sum(a < 0.4 for a in alpha)
        out.append(f"The learned α spread from 0.5 to {min(alpha):.2f}-{max(alpha):.2f} (mean "
                   f"{sum(alpha) / len(alpha):.2f}): {slow} of {len(alpha)} units became slower (α > 0.6) and {fast} "
                   "faster (α < 0.4) — the network chose its own mix of time scales, which no single fixed α "
                   "gives.")
    if analysis.quick:
        out.append("Quick mode: one epoch on 160 sequences; the comparison needs the full run.")
    return "\n\n".join(out)


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
