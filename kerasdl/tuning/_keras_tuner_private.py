"""Every use kerasdl makes of keras-tuner internals, in one place, because no public API does the job.

keras-tuner 1.4 exports its tuners, oracles, hyperparameters, `Objective`, `synchronized` and error
types (all used elsewhere through `keras_tuner.*`). It does not export:

* the best-epoch checkpoint its own `Tuner.run_trial` writes (`tuner_utils.SaveBestEpoch` into
  `Tuner._get_checkpoint_fname(trial_id)`). Our run_trial replaces keras-tuner's and must write the
  same file: Hyperband warm-starts a trial's next round from it and `Tuner.load_model` reads it.
* `Tuner._build_and_fit_model`: keras-tuner's build (session cleared, model-size check, compile
  overrides) followed by `HyperModel.fit`; its docstring names it as the override point for
  AutoKeras ("DO NOT REMOVE"), and calling it keeps trials identical to keras-tuner's own.
* the chief's gRPC service (`protos` and `oracle_chief.OracleServicer`). The public route,
  `Tuner.search` in the chief role, calls `oracle_chief.start_server`, which polls every 20 s before
  exiting, lets a busy port be shared (SO_REUSEPORT) and waits forever for a dead worker; the
  distributed module serves the same servicer from its own loop instead.

Everything is imported inside functions, so importing this module never fails; `problems()` says
what a keras-tuner upgrade removed or changed, and tests/test_tuning.py fails with that text.
"""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["CHIEF_UNREACHABLE", "best_epoch_checkpoint", "bound_client_calls", "build_and_fit", "grpc_servicer",
           "problems", "stop_triggered"]

TESTED_WITH = "1.4.8"
CHIEF_UNREACHABLE = "kerasdl: the chief did not answer:"


def best_epoch_checkpoint(tuner: Any, trial: Any) -> Any:
    """keras-tuner's callback that saves the weights of the best epoch where its tuner looks for them."""
    from keras_tuner.src.engine import tuner_utils

    return tuner_utils.SaveBestEpoch(objective=tuner.oracle.objective,
                                     filepath=tuner._get_checkpoint_fname(trial.trial_id))


def build_and_fit(tuner: Any, trial: Any, *args: Any, **kwargs: Any) -> Any:
    """keras-tuner's build of `trial`'s model followed by the hypermodel's fit; returns what fit returned."""
    return tuner._build_and_fit_model(trial, *args, **kwargs)


def grpc_servicer(oracle: Any, server: Any) -> Any:
    """keras-tuner's OracleServicer for `oracle`, added to the gRPC `server` (not started)."""
    from keras_tuner.src import protos
    from keras_tuner.src.distribute.oracle_chief import OracleServicer

    servicer = OracleServicer(oracle)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    return servicer


def stop_triggered(servicer: Any) -> bool:
    """Whether the oracle has answered a worker with STOPPED (the search has no trial left to hand out)."""
    return bool(servicer.stop_triggered)


def _parameters(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


def problems() -> list[str]:
    """What the functions above need from keras-tuner and no longer find (empty: all is there)."""
    import keras_tuner

    found: list[str] = []

    def expect(ok: bool, what: str) -> None:
        if not ok:
            found.append(what)

    try:
        from keras_tuner.src.engine import tuner_utils

        expect(_parameters(tuner_utils.SaveBestEpoch)[:2] == ["objective", "filepath"],
               "keras_tuner.src.engine.tuner_utils.SaveBestEpoch(objective, filepath)")
    except (ImportError, AttributeError) as error:
        found.append(f"keras_tuner.src.engine.tuner_utils.SaveBestEpoch ({error})")
    for name, expected in (("_get_checkpoint_fname", ["self", "trial_id"]),
                           ("_build_and_fit_model", ["self", "trial", "args", "kwargs"])):
        method = getattr(keras_tuner.Tuner, name, None)
        expect(method is not None and _parameters(method) == expected,
               f"keras_tuner.Tuner.{name}({', '.join(expected[1:])})")
    try:
        from keras_tuner.src import protos
        from keras_tuner.src.distribute.oracle_chief import OracleServicer

        expect(callable(getattr(protos.get_service_grpc(), "add_OracleServicer_to_server", None)),
               "keras_tuner.src.protos.get_service_grpc().add_OracleServicer_to_server")
        expect(_parameters(OracleServicer.__init__) == ["self", "oracle"],
               "keras_tuner.src.distribute.oracle_chief.OracleServicer(oracle)")
        expect(getattr(OracleServicer(None), "stop_triggered", None) is False,
               "OracleServicer(oracle).stop_triggered (False until the oracle answers STOPPED)")
        expect("stop_triggered = True" in inspect.getsource(OracleServicer.CreateTrial),
               "OracleServicer.CreateTrial setting stop_triggered = True")
    except (ImportError, AttributeError, OSError, TypeError) as error:
        found.append(f"keras-tuner's gRPC OracleServicer ({error})")
    return found


def bound_client_calls(tuner: Any, seconds: float) -> None:
    """Give every call a worker's `OracleClient` makes to the chief a deadline of `seconds`.

    keras-tuner's client waits for the chief with `wait_for_ready=True` and a one-hour deadline
    (`oracle_client.TIMEOUT`), so a worker whose chief died hangs for an hour; with a short deadline
    the call fails with DEADLINE_EXCEEDED. Our deadline replaces the one keras-tuner passes.
    A chief that does not answer in time (or whose port is closed) becomes keras-tuner's `FatalError`
    carrying `CHIEF_UNREACHABLE` and the gRPC status: keras-tuner re-raises that at once, instead of
    printing a traceback, recording the trial as failed and calling the dead chief again.
    """
    import grpc
    import keras_tuner

    stub = tuner.oracle.stub

    def bounded(call: Any) -> Any:
        def send(*args: Any, **kwargs: Any) -> Any:
            try:
                return call(*args, **{**kwargs, "timeout": seconds})
            except grpc.RpcError as error:
                code = error.code() if callable(getattr(error, "code", None)) else None
                if code in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE):
                    raise keras_tuner.errors.FatalError(f"{CHIEF_UNREACHABLE} {code.name}") from None
                raise

        return send

    class _Bounded:
        def __getattr__(self, name: str) -> Any:
            call = getattr(stub, name)
            return bounded(call) if callable(call) else call

    tuner.oracle.stub = _Bounded()
