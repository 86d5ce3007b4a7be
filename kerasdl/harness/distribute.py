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

Faults. MultiWorkerMirroredStrategy has no elastic membership: it needs every process to the end.
Its waits are bounded here through TensorFlow's coordination service (`_configure_coordination`): a
process gives up on peers that have not started after KERASDL_PEER_TIMEOUT_S (default 120 s; a worker
then names the chief's address it tried), and a peer without heartbeats for min(that, 10 s) is lost,
which aborts the collectives every survivor is blocked in. A lost peer (killed, crashed, host or
network down) ends the run on every surviving host with one line naming it (`PeerLost`, exit 2);
the chief's folder stays `.partial` with every fold that finished (`kerasdl report` lists it as
abandoned). Start the command again on every host with `--resume last` (or the same RUN_DIR): the
chief resumes its partial run as one process does, and tells the workers which one through the
coordination service (`chiefs_word`); they read that folder, never write it, so every host skips the
same variants and folds and restores the chief's mid-fit backup (kerasdl/harness/resume.py).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kerasdl.errors import UserError

__all__ = ["KINDS", "PEER_TIMEOUT_S", "PeerLost", "build_before_fit", "check", "chiefs_word", "describe",
           "heartbeat_timeout", "is_chief", "peer_timeout", "peers_watched", "prepare", "scope", "shard_by_rows",
           "strategy", "writes_output"]

KINDS = ("mirrored", "multiworker")
# A multi-worker process waits this long for its peers to start (KERASDL_PEER_TIMEOUT_S), and counts a
# peer as lost after min(this, 10 s) without its heartbeat.
PEER_TIMEOUT_S = 120.0
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
            _configure_coordination(tf)
            try:
                _made[kind] = _scalar_safe(tf.distribute.MultiWorkerMirroredStrategy())
            except _tf_errors() as error:  # the cluster never formed within the timeout
                raise _never_formed(error) from None
    return _made[kind]


class PeerLost(UserError):
    """Another process of a multi-worker run stopped answering (killed, crashed, host down, network cut):
    MultiWorkerMirroredStrategy cannot go on without it, so the run stops on every host still alive."""


def peer_timeout() -> float:
    """Seconds a multi-worker process waits for a peer that does not answer (KERASDL_PEER_TIMEOUT_S)."""
    text = os.environ.get("KERASDL_PEER_TIMEOUT_S", str(PEER_TIMEOUT_S))
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise UserError(f"KERASDL_PEER_TIMEOUT_S: expected a number of seconds > 0. Received: {text!r}")
    return value


def heartbeat_timeout() -> float:
    """Seconds without a peer's heartbeat after which it counts as lost: `peer_timeout()`, at most
    TensorFlow's own default of 10 s."""
    return min(peer_timeout(), 10.0)


def _addresses() -> dict[str, str]:
    """'/job:worker/replica:0/task:1' → its host:port in TF_CONFIG."""
    cluster = _cluster().get("cluster") or {}
    return {f"/job:{job}/replica:0/task:{i}": address for job in ("chief", "worker")
            for i, address in enumerate(cluster.get(job) or [])}


def _leader() -> tuple[str, str]:
    """The coordination service's leader (TensorFlow's choice: the chief, else worker 0) and its address."""
    cluster = _cluster().get("cluster") or {}
    name = "/job:chief/replica:0/task:0" if cluster.get("chief") else "/job:worker/replica:0/task:0"
    return name, _addresses().get(name, "?")


def _configure_coordination(tf: Any) -> None:
    """TensorFlow's coordination service, as MultiWorkerMirroredStrategy would configure it itself
    (it keeps a configuration made before it), but with bounded waits: a process waits at most
    `peer_timeout()` for the others to register (its default is an hour), and a peer whose heartbeats
    stop for that long (at most 10 s, TensorFlow's own default) counts as lost, which aborts the
    collectives every survivor is blocked in. Private TensorFlow modules: without them the strategy
    configures itself, with unbounded waits."""
    try:
        from tensorflow.python.eager import context
        try:
            from tensorflow.compiler.xla.tsl.protobuf import coordination_config_pb2
        except ImportError:
            from tsl.protobuf import coordination_config_pb2
    except ImportError:
        return
    spec = tf.distribute.cluster_resolver.TFConfigClusterResolver().cluster_spec()
    jobs = [coordination_config_pb2.CoordinatedJob(name=job, num_tasks=spec.num_tasks(job))
            for job in ("chief", "worker") if job in spec.jobs]
    heartbeat_ms = int(heartbeat_timeout() * 1000)
    context.context().configure_coordination_service(
        service_type="standalone", service_leader=_leader()[0], coordinated_jobs=jobs,
        cluster_register_timeout_in_ms=int(peer_timeout() * 1000), heartbeat_timeout_in_ms=heartbeat_ms,
        shutdown_barrier_timeout_in_ms=heartbeat_ms)


def _tf_errors() -> tuple[type[BaseException], ...]:
    import tensorflow as tf

    return (tf.errors.UnavailableError, tf.errors.DeadlineExceededError, tf.errors.AbortedError,
            tf.errors.CancelledError)


def _named(task: str, where: dict[str, str]) -> str:
    """'/job:worker/replica:0/task:1' → 'worker 1 at host:port'."""
    found = re.match(r"/job:(\w+)/replica:\d+/task:(\d+)", task)
    return f"{found.group(1)} {found.group(2)} at {where.get(task, '?')}" if found else task


def _peer_lost(error: BaseException) -> PeerLost:
    """One line naming who was lost, from TensorFlow's (long, multi-line) error."""
    text = str(getattr(error, "message", error))
    where = _addresses()
    leader, leader_address = _leader()
    me = _cluster().get("task") or {}
    if "stopped sending heartbeats" in text:
        tail = text.split("stopped sending heartbeats", 1)[1]
        lost = [_named(t, where) for t in dict.fromkeys(re.findall(r"/job:\w+/replica:\d+/task:\d+", tail))]
        who = f"{', '.join(lost) or 'a peer'} stopped sending heartbeats"
    elif (found := re.search(r"ipv[46]:([^\s;,]+):(\d+)", text)) and "onnect" in text:
        port = found.group(2)
        task = next((t for t, a in where.items() if a.rsplit(":", 1)[-1] == port), None)
        who = (f"{_named(task, where) if task else f'the peer at {found.group(1)}:{port}'} refused the "
               "connection (its process is gone)")
    elif "Heartbeat" in text or "DEADLINE_EXCEEDED" in text or isinstance(error, _tf_errors()[1]):
        who = f"the chief at {leader_address} stopped answering"
    else:  # e.g. "Socket closed": TensorFlow does not say whose
        mine = f"/job:{me.get('type')}/replica:0/task:{me.get('index', 0)}"
        peers = [_named(t, where) for t in where if t != mine]
        reason = text.strip().splitlines()[0].split("aborted by: ")[-1][:160]
        who = f"{peers[0] if len(peers) == 1 else 'one of ' + ', '.join(peers)} stopped answering ({reason})"
    return PeerLost(f"multi-worker run: {who}; this process ({me.get('type', '?')} {me.get('index', '?')}) "
                    f"stopped too. Every finished fold is in the chief's record; start the command again on "
                    f"every host with `--resume last` (a peer silent for {heartbeat_timeout():g} s counts as lost)")


@contextlib.contextmanager
def peers_watched(kind: str | None) -> Iterator[None]:
    """Inside a multi-worker fit: TensorFlow's error for a lost peer becomes one clear PeerLost."""
    if kind != "multiworker":
        yield
        return
    try:
        yield
    except _tf_errors() as error:
        raise _peer_lost(error) from None


def _never_formed(error: BaseException) -> UserError:
    me = _cluster().get("task") or {}
    leader, address = _leader()
    mine = _addresses().get(f"/job:{me.get('type')}/replica:0/task:{me.get('index', 0)}")
    if mine == address:  # this process is the leader: some worker never came
        return UserError(f"multi-worker run: not every worker of TF_CONFIG's cluster "
                         f"({', '.join(_addresses().values())}) connected to this chief at {address} within "
                         f"{peer_timeout():g} s; start the same command on every host (KERASDL_PEER_TIMEOUT_S "
                         f"sets the wait)")
    return UserError(f"multi-worker run: no chief answered at {address} ({leader.split('/replica')[0][5:]} "
                     f"{leader.rsplit(':', 1)[-1]} of TF_CONFIG) within {peer_timeout():g} s; start the chief "
                     f"first, or check TF_CONFIG's addresses (KERASDL_PEER_TIMEOUT_S sets the wait)")


_words = 0  # decisions this process has taken from the chief: each gets its own key (the store keeps them all)


def chiefs_word(experiment: Any, decide: Callable[[], str], what: str) -> str:
    """`decide()` on the chief of a multi-worker run, its answer on every process; elsewhere just `decide()`.

    For a choice every host must make alike but cannot make alone, such as which `.partial` run
    `--resume last` means (the chief takes that folder's lock, so a worker would not see it as
    abandoned). The chief publishes its answer in TensorFlow's coordination service's key-value store;
    the other workers wait for it at most peer_timeout(). A UserError on the chief reaches them as the
    same line. Every process asks the same questions in the same order, so a counter names the keys.
    """
    global _words
    if "multiworker" not in _kinds(experiment):
        return decide()
    from tensorflow.python.eager import context

    _words += 1
    key = f"kerasdl/chiefs_word/{_words}"
    if is_chief():
        try:
            answer = decide()
        except UserError as error:
            context.context().set_config_key_value(key, f"error {error}")
            raise
        context.context().set_config_key_value(key, f"ok {answer}")
        return answer
    import tensorflow as tf

    try:
        said = context.context().get_config_key_value(key, int(peer_timeout() * 1000))
    except tf.errors.OpError:
        raise UserError(f"multi-worker run: the chief at {_leader()[1]} did not say {what} within "
                        f"{peer_timeout():g} s (KERASDL_PEER_TIMEOUT_S sets the wait)") from None
    status, _, answer = said.partition(" ")
    if status == "error":
        raise UserError(f"multi-worker run: the chief stopped: {answer}")
    return answer


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
