"""What a long run or search releases between fits, so that its memory stays flat (benchmarks/memory.py).

Two things outlive a fit unless released:

* TensorFlow's custom-gradient entries. Keras's TensorFlow optimizer sums gradients through
  `ReplicaContext.all_reduce`, which TensorFlow wraps in `tf.custom_gradient`. Traced in graph mode
  (every `fit` traces its train step), that adds a "CustomGradient-<n>" entry to TensorFlow's
  process-wide gradient registry whose closure holds the step's output tensors, hence its whole
  FuncGraph, and nothing ever removes it (tensorflow/tensorflow#97697; `keras.backend.clear_session()`
  does not either): 2 entries and ~5 MB of resident memory kept per variant or trial, for good.
  `released_custom_gradients()` drops the entries added while its block ran. Only those: the graphs
  they point to belong to the fit that just ended, whose model is then discarded, whereas entries made
  before (a user's own models in the same process) are left alone. The registry is TensorFlow's private
  `ops._gradient_registry`; if a TensorFlow version lacks it, nothing is done.
* The finished model itself: layers, optimizer, traced functions and datasets refer to each other,
  so only the cycle collector frees them (about 10,000 objects per MLP variant). Python runs a full
  collection only once the survivors grow by a quarter of the heap (TensorFlow alone is ~400,000
  objects), so without help several variants' garbage piles up before it goes. A full collection
  takes 0.1-0.2 s with TensorFlow loaded, which is why the harness's `clear_session(free_memory=False)`
  skips it per fold; `GarbageBudget` collects between variants instead, as long as that stays under
  5 % of the time spent (a search needs nothing: keras-tuner's `clear_session()` collects per trial).
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["GarbageBudget", "released_custom_gradients"]

_PREFIX = "CustomGradient-"  # tensorflow/python/ops/custom_gradient.py generate_name()


def _registry() -> dict | None:
    """TensorFlow's gradient registry, or None when TensorFlow is not imported (a scikit-learn variant
    must not pay for importing it) or keeps no such dict."""
    ops = sys.modules.get("tensorflow.python.framework.ops")
    entries = getattr(getattr(ops, "_gradient_registry", None), "_registry", None)
    return entries if isinstance(entries, dict) else None


@contextmanager
def released_custom_gradients() -> Iterator[None]:
    """Run the block, then remove the custom-gradient entries it registered (see the module docstring)."""
    entries = _registry()
    before = set(entries) if entries is not None else set()  # TensorFlow imported inside: all entries are new
    try:
        yield
    finally:
        entries = _registry()
        if entries is not None:
            for name in [n for n in entries if n.startswith(_PREFIX) and n not in before]:
                del entries[name]


class GarbageBudget:
    """`gc.collect()` when called, unless collecting would exceed `share` of the time since the last one.

    Times are this process's CPU time (`time.process_time`), so a busy machine, which stretches the
    wall time of a collection and of the fits alike, does not change how often it collects. Until one
    has been timed, a collection is assumed to cost `first_cost` seconds, so a run of very short
    variants (a quick run, a test) pays for few.
    """

    def __init__(self, share: float = 0.05, first_cost: float = 0.05) -> None:
        self.share, self.cost = share, first_cost
        self.since = time.process_time()

    def __call__(self) -> bool:
        started = time.process_time()
        if self.cost > self.share * (started - self.since):
            return False
        gc.collect()
        self.since = time.process_time()
        self.cost = self.since - started
        return True
