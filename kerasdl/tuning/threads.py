"""How many TensorFlow threads each process of a search on one machine may use.

TensorFlow sizes its thread pools to every core of the machine. One search process is fine that way,
but K worker processes on the same cores then fight over K times too many threads, and a small
model's search barely gains from a second worker (measured: 5.7 vs 5.4 trials/min for 2 workers vs
1 on 2 cores). Each worker therefore gets its share: cores ÷ K intra-op threads (at least one) and
one inter-op thread, through the environment variables TensorFlow reads when it starts
(TF_NUM_INTRAOP_THREADS, TF_NUM_INTEROP_THREADS), since a worker is started before it imports it.
The chief only serves the oracle and gets one thread. `--threads T` overrides the share; a process
started by hand (`--role worker`, one per machine) keeps TensorFlow's defaults unless given `--threads`.
"""

from __future__ import annotations

import os

from kerasdl.errors import UserError

__all__ = ["cores", "environment", "limit_this_process", "share"]


def cores() -> int:
    """Cores this process may run on (the CPU affinity mask, which containers and taskset narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def share(workers: int, threads: int | None = None) -> int:
    """Intra-op threads per worker: `threads` when given, else this machine's cores ÷ `workers`."""
    if threads is not None:
        if threads < 1:
            raise UserError(f"--threads must be at least 1. Received: {threads}")
        return threads
    return max(1, cores() // max(1, workers))


def environment(threads: int) -> dict[str, str]:
    """The variables that make a TensorFlow process started with them use `threads` intra-op threads."""
    return {"TF_NUM_INTRAOP_THREADS": str(threads), "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": str(threads)}


def limit_this_process(threads: int) -> None:
    """The same limit for this process (before TensorFlow runs its first operation)."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError as error:  # TensorFlow already started its pools: say so rather than ignore it
        raise RuntimeError(f"--threads {threads}: TensorFlow was already running ({error})") from None
