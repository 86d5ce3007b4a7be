"""Worked numbers of the Boltzmann-machine notes (003:1363-1488), for `worked-examples`.

* 003:1474-1477: the chess game against Viswanathan Anand, a Bernoulli trial with success
  probability p = 0.15 and failure 0.85; P(x) = pˣ(1 − p)^(1−x).
* 003:1482-1488: E(X) = p and V(X) = p − p² = p(1 − p); the notes give the formulas, the numbers
  for their p = 0.15 are 0.15 and 0.1275 (SciPy's Bernoulli distribution computes them here).
* The RBM's Bernoulli draws (003:1450: "the final binary values of the neurons are obtained by
  sampling from a Bernoulli distribution using the probability p") with p = 0.15: the mean of 200,000
  draws by kerasdl's RestrictedBoltzmannMachine.sample, within 5 standard errors of p.
* 003:1392-1396: p(hⱼ = 1 | v) = σ(bⱼ + Σᵢ vᵢwᵢⱼ) against the same probability summed from the
  joint distribution over all states of a 3-visible / 2-hidden RBM (the `boltzmann` study's RBM).
"""

from __future__ import annotations

import numpy as np

from kerasdl.experiments._worked_common import Registry, digits

REGISTRY = Registry()
P_ANAND = 0.15  # a normal person's chance of beating Viswanathan Anand (003:1474-1477)
DRAWS = 200_000


@REGISTRY.add("bernoulli-pmf", "Bernoulli pmf pˣ(1 − p)^(1−x) at x = 1 and x = 0 with p = 0.15 (chess vs Anand)",
              "003:1466-1477", tolerance=digits(2))
def bernoulli_pmf():
    from scipy import stats

    return [0.15, 0.85], stats.bernoulli(P_ANAND).pmf([1, 0]).tolist()


@REGISTRY.add("bernoulli-mean-variance", "Bernoulli E(X) = p and V(X) = p(1 − p) for p = 0.15",
              "003:1482-1488", tolerance=1e-12)
def bernoulli_moments():
    from scipy import stats

    mean, variance = stats.bernoulli(P_ANAND).stats(moments="mv")
    return [P_ANAND, P_ANAND * (1 - P_ANAND)], [float(mean), float(variance)]


@REGISTRY.add("rbm-bernoulli-draws",
              f"Share of ones in {DRAWS:,} RBM Bernoulli draws with p = 0.15 (±5 standard errors)",
              "003:1450, 003:1474-1477", tolerance=5 * float(np.sqrt(P_ANAND * (1 - P_ANAND) / DRAWS)))
def rbm_bernoulli_draws():
    import keras

    from kerasdl.models.boltzmann import build_rbm

    keras.utils.set_random_seed(0)
    model = build_rbm((1,), 1, hidden_units=1, seed=0)
    draws = model.sample(keras.ops.full((DRAWS, 1), P_ANAND))
    return P_ANAND, float(np.mean(np.asarray(draws)))


@REGISTRY.add("rbm-conditional-formula", "p(h = 1 | v) of a 3×2 RBM: σ(b + vW) vs summing p(v, h) over all 32 states "
              "(all 8 v, both hidden units)", "003:1392-1396, 003:1374-1386", tolerance=1e-6)
def rbm_conditional_formula():
    from kerasdl.experiments.boltzmann import HIDDEN_BIAS, VISIBLE_BIAS, W
    from kerasdl.models.boltzmann import binary_states, enumerate_rbm

    w, a, b = np.asarray(W), np.asarray(VISIBLE_BIAS), np.asarray(HIDDEN_BIAS)
    v = binary_states(3)
    formula = 1 / (1 + np.exp(-(b + v @ w)))
    return formula.round(8).tolist(), enumerate_rbm(w, a, b)["p_h_given_v"].round(8).tolist()
