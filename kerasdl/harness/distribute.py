"""Training a variant past one device or one machine with TensorFlow's own tf.distribute strategies.

* `mirrored`: `tf.distribute.MirroredStrategy` over this machine's devices — every GPU, or, with none,
  every logical CPU device (tests split the CPU in two with `tf.config.set_logical_device_configuration`).
* `multiworker`: `tf.distribute.MultiWorkerMirroredStrategy` over hosts described by `TF_CONFIG`
  (the same command on every host, each with its own `task`). The chief — task type `chief`, or
  `worker` 0 when the cluster names no chief — writes the run record and the report; every other
  worker trains its share and writes nothing (its files go to a temporary folder deleted at exit).

The variant's `batch_size` is the global batch: Keras splits every batch across the replicas, so
the per-replica batch is batch_size ÷ replicas and the learning dynamics match one process with the
same batch. Model building and compiling happen inside `strategy.scope()` (kerasdl/harness/fold.py),
as tf.distribute requires for the variables to be mirrored. What a fold used is recorded beside it:
strategy, replicas, workers, global and per-replica batch.

If a worker dies, collective operations on the others fail (MultiWorkerMirroredStrategy has no
elastic membership): the run ends as failed with TensorFlow's error in the record. Run it again with
`--resume` (`kerasdl/harness/resume.py`): `keras.callbacks.BackupAndRestore`, which the harness adds
to every fit, restarts each unfinished fold from its last finished epoch.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from kerasdl.errors import UserError

__all__ = ["KINDS", "build_before_fit", "check", "describe", "is_chief", "prepare", "scope", "shard_by_rows",
           "strategy", "writes_output"]

KINDS = ("mirrored", "multiworker")
_made: dict[str, Any] = {}


def check(kind: str | None, where: str = "--distribute") -> None:
    if kind is not None and kind not in KINDS:
        raise UserError(f"{where}: expected one of {', '.join(KINDS)}. Received: {kind!r}")


def _cluster() -> dict[str, Any]:
    text = os.environ.get("TF_CONFIG", "")
    try:
        return json.loads(text) if text else {}
    except json.JSONDecodeError as error:
        raise UserError(f"TF_CONFIG is not valid JSON ({error.msg}); expected e.g. "
                        '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", '
                        '"index": 0}}') from None


def is_chief() -> bool:
    """True unless TF_CONFIG makes this process a non-chief member of a cluster."""
    config = _cluster()
    task = config.get("task") or {}
    if not task:
        return True
    if "chief" in (config.get("cluster") or {}):
        return task.get("type") == "chief"
    return task.get("type") == "worker" and int(task.get("index", 0)) == 0


def strategy(kind: str | None) -> Any:
    """The process's strategy of that kind (made once: tf.distribute wants one per process), or None."""
    check(kind)
    if kind is None:
        return None
    if kind not in _made:
        import tensorflow as tf

        if kind == "mirrored":
            gpus = tf.config.list_logical_devices("GPU")
            devices = [d.name for d in gpus or tf.config.list_logical_devices("CPU")]
            _made[kind] = tf.distribute.MirroredStrategy(devices=devices)
        else:
            workers = (_cluster().get("cluster") or {})
            if not workers:
                raise UserError("--distribute multiworker needs TF_CONFIG describing the cluster and this task, "
                                'e.g. TF_CONFIG=\'{"cluster": {"worker": ["10.0.0.1:12345", "10.0.0.2:12345"]}, '
                                '"task": {"type": "worker", "index": 0}}\' on the first host (index 1 on the second)')
            _made[kind] = _scalar_safe(tf.distribute.MultiWorkerMirroredStrategy())
    return _made[kind]


def _scalar_safe(found: Any) -> Any:
    """Keras 3's fit reduces every logged value across workers with `strategy.reduce("MEAN", v, axis=0)`,
    which TensorFlow rejects for a scalar (a loss, a metric: "Invalid reduction dimension 0 for input
    with 0 dimensions"). For scalars the mean over replicas is `axis=None`; this strategy object
    (ours alone) answers that way, anything with a batch axis is reduced as asked."""
    original = found.reduce

    def reduce(reduce_op: Any, value: Any, axis: Any = None) -> Any:
        if axis is not None and all(getattr(getattr(v, "shape", None), "rank", None) == 0
                                    for v in found.experimental_local_results(value)):
            axis = None
        return original(reduce_op, value, axis=axis)

    found.reduce = reduce
    return found


def scope(found: Any) -> Any:
    """Where the model is built and compiled: the strategy's scope, or nothing special."""
    return found.scope() if found is not None else contextlib.nullcontext()


def describe(kind: str | None, found: Any, batch_size: int) -> dict[str, Any]:
    """What the record says about a fold's distribution (nothing for one process)."""
    if found is None:
        return {}
    replicas = int(found.num_replicas_in_sync)
    cluster = (_cluster().get("cluster") or {})
    hosts = sum(len(v) for k, v in cluster.items() if k in ("chief", "worker")) or 1
    return {"distribute": {"strategy": kind, "class": type(found).__name__, "replicas": replicas, "workers": hosts,
                           "global_batch_size": batch_size, "per_replica_batch_size": batch_size / replicas}}


def shard_by_rows(data: Any) -> Any:
    """A pipeline made from in-memory rows has no files to split between workers: split its batches."""
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return data.with_options(options)


def _kinds(experiment: Any) -> set[str | None]:
    return {experiment.distribute} | {v.distribute for v in experiment.variants}


def writes_output(experiment: Any) -> bool:
    """False for a non-chief worker of a multi-worker run: it writes no record, report or index."""
    return "multiworker" not in _kinds(experiment) or is_chief()


def prepare(out: str | Path, experiment: Any) -> str | Path:
    """Make the run's strategies now, before TensorFlow runs anything (a multi-worker strategy must
    configure its collectives at start-up), and say where this process writes: `out` for the chief
    or a single process, a throw-away folder for the other workers of a multi-worker run, which must
    run every step of the fit with the chief but write nothing."""
    for kind in sorted(k for k in _kinds(experiment) if k is not None):
        strategy(kind)
    if writes_output(experiment):
        return out
    scratch = tempfile.mkdtemp(prefix="kerasdl-worker-")
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    return scratch


def build_before_fit(model: Any, train: Any, batch_size: int) -> None:
    """Under MultiWorkerMirroredStrategy, build the model's compiled state from one local batch.

    Keras 3's `fit` first all-reduces a distributed batch (MEAN) only to learn the batch's shapes
    (`_maybe_symbolic_build`); with MultiWorkerMirroredStrategy TensorFlow fails that reduce
    ("Attempt to convert a value (PerReplica...) ... to a Tensor"). Building from a local batch gives
    the same shapes without the reduce, and Keras then skips its own attempt. Only these two
    private methods are touched, and only when they exist.
    """
    if not (hasattr(model, "_symbolic_build") and hasattr(model, "_maybe_symbolic_build")):
        return
    if isinstance(train, tuple):
        x, y = train
        cut = (lambda v: {k: a[:batch_size] for k, a in v.items()} if isinstance(v, dict) else v[:batch_size])
        batch = (cut(x),) if y is None else (cut(x), cut(y))
    else:
        batch = next(iter(train))
    with model.distribute_strategy.scope():  # where Keras builds it too: optimizer slots are mirrored
        model._symbolic_build(data_batch=batch)
    model._maybe_symbolic_build = lambda *args, **kwargs: None
