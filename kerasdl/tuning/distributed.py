"""Distributed search with keras-tuner's own chief/worker mode over gRPC, on one machine or several.

keras-tuner's protocol: every process runs the same search; `KERASTUNER_TUNER_ID` ("chief", or any
id for a worker), `KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT` say who it is and where the
oracle listens. The chief hosts the Oracle behind keras-tuner's gRPC `OracleServicer`; a worker's
tuner wraps its oracle in `OracleClient`, asks for trials, trains them and reports back. Trial
folders live in one shared directory (on several machines: a shared filesystem).

What kerasdl adds, and why:
* The chief serves keras-tuner's `OracleServicer` from its own loop instead of
  `oracle_chief.start_server`, which polls every 20 s before exiting, lets gRPC share a busy port
  (SO_REUSEPORT) and waits forever for a worker that died. Here a port in use is a UserError and the
  chief exits as soon as the oracle has stopped and no trial is running. keras-tuner does not export
  that servicer: it comes from `_keras_tuner_private`, the one module that touches its internals.
* `--workers K` (one machine): a launcher starts the chief, waits until it listens, starts K workers,
  streams every line prefixed with its process, and watches them. When a worker dies holding a trial,
  the launcher tells the chief ("lost <tuner-id>" on its stdin); the chief ends that trial as INVALID,
  so keras-tuner hands it to a surviving worker (kerasdl allows one retry per trial), and forgets the
  worker. If no worker is left to take it, it stays queued ("retrying") and the next run of the same
  command runs it first.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kerasdl import runs
from kerasdl.errors import UserError

from . import threads as _threads  # each worker's share of the cores (kerasdl/tuning/threads.py)

__all__ = ["ORACLE_TIMEOUT_S", "READY", "ChiefLost", "check_port", "check_tuner_id", "free_port", "launch",
           "parse_address", "run_chief", "run_worker", "wait_for_chief"]

READY = "kerasdl: oracle listening on"
ORACLE_TIMEOUT_S = 30.0  # a worker: how long to wait for the chief to answer, at start and on every call
_IDLE_EXIT_S = 15.0   # chief: stopped, nothing running, a worker never came back for its STOPPED → exit anyway


def parse_address(text: str) -> tuple[str, int]:
    host, sep, port = str(text).rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError(f"--oracle expects HOST:PORT, e.g. 10.0.0.5:8000. Received: {text!r}")
    return host, int(port)


def check_port(host: str, port: int) -> None:
    """A UserError now, rather than a chief that cannot listen and workers that wait an hour for it."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC does: TIME_WAIT is no conflict
        try:
            probe.bind((host, port))
        except OSError as error:
            raise UserError(f"port {port} on {host} is already in use ({error.strerror}); the oracle cannot listen "
                            "there: pick another with --port / --oracle HOST:PORT, or stop what holds it") from None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _set_role(tuner_id: str, host: str, port: int) -> None:
    os.environ.update(KERASTUNER_TUNER_ID=tuner_id, KERASTUNER_ORACLE_IP=host, KERASTUNER_ORACLE_PORT=str(port))


# -- the chief ------------------------------------------------------------------------------------------
def _release(oracle, tuner_id: str) -> str | None:
    """A lost worker's trial back to the oracle as INVALID (keras-tuner retries it), the worker forgotten."""
    import keras_tuner

    @keras_tuner.synchronized
    def release(oracle):
        trial = oracle.ongoing_trials.get(tuner_id)
        oracle.tuner_ids.discard(tuner_id)
        if trial is None:
            return None
        trial.status = "INVALID"
        trial.message = f"worker {tuner_id} was lost while running this trial; it was handed back for a retry"
        oracle.end_trial(trial)
        return trial.trial_id

    return release(oracle)


def _idle(oracle) -> tuple[bool, bool]:
    import keras_tuner

    @keras_tuner.synchronized
    def state(oracle):
        return not oracle.ongoing_trials, not oracle.tuner_ids

    return state(oracle)


def _stdin_lines() -> queue.Queue[str | None]:
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in sys.stdin:
            lines.put(line.strip())
        lines.put(None)  # EOF: the launcher is done with us

    threading.Thread(target=read, daemon=True, name="kerasdl-chief-stdin").start()
    return lines


def serve(tuner, host: str, port: int, *, stdin_control: bool = False) -> None:
    """Serve `tuner.oracle` to workers until the search has ended; see the module docstring."""
    from concurrent import futures

    import grpc

    from . import _keras_tuner_private as private

    oracle = tuner.oracle
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1), options=[("grpc.so_reuseport", 0)])
    servicer = private.grpc_servicer(oracle, server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError:
        bound = 0
    if not bound:
        raise UserError(f"port {port} on {host} is already in use; the oracle cannot listen there: pick another "
                        "with --oracle HOST:PORT (or --port), or stop what holds it")
    tuner.save()
    server.start()
    print(f"{READY} {host}:{port}", flush=True)
    commands = _stdin_lines() if stdin_control else None
    idle_since: float | None = None
    try:
        while True:
            time.sleep(0.2)
            while commands is not None and not commands.empty():
                command = commands.get()
                if command is None:
                    return  # the launcher saw every worker exit
                verb, _, tuner_id = command.partition(" ")
                if verb == "lost" and tuner_id:
                    trial_id = _release(oracle, tuner_id)
                    print(f"{tuner_id} lost" + (f"; trial {trial_id} handed back for a retry" if trial_id else ""),
                          flush=True)
            if not private.stop_triggered(servicer):
                continue
            nothing_running, nobody_left = _idle(oracle)
            if nothing_running and nobody_left:
                return
            idle_since = (idle_since or time.monotonic()) if nothing_running else None
            if idle_since is not None and time.monotonic() - idle_since > _IDLE_EXIT_S:
                print("search finished; a worker never asked again after it (is it gone?)", flush=True)
                return
    finally:
        server.stop(grace=2).wait(5)


def run_chief(prepared, host: str, port: int, *, workers: int = 0, stdin_control: bool = False) -> dict[str, Any]:
    """The chief role: hold the oracle, serve it, keep search.json; returns the search record."""
    from .session import exclusive_session, run_session

    check_port(host, port)
    settings = prepared.settings
    _set_role("chief", host, port)
    with exclusive_session(prepared.folder):
        tuner = prepared.tuner(overwrite=settings.overwrite)
        return run_session(prepared, lambda: serve(tuner, host, port, stdin_control=stdin_control),
                           role="chief", workers=workers, overwrite=settings.overwrite)


def check_tuner_id(tuner_id: str) -> None:
    if "chief" in tuner_id:
        raise UserError(f"a worker's id must not contain 'chief' (keras-tuner would take it for the chief). "
                        f"Received: --tuner-id {tuner_id}")


def wait_for_chief(host: str, port: int, seconds: float) -> None:
    """Return once the chief's gRPC port answers; a UserError naming the address after `seconds`."""
    import grpc

    channel = grpc.insecure_channel(f"{host}:{port}")
    try:
        grpc.channel_ready_future(channel).result(timeout=seconds)
    except grpc.FutureTimeoutError:
        raise UserError(f"no chief answered at {host}:{port} within {seconds:g} s; start it first "
                        f"(kerasdl tune NAME --role chief --oracle {host}:{port}), check the address, or wait "
                        "longer with --oracle-timeout SECONDS") from None
    finally:
        channel.close()


def run_worker(prepared, host: str, port: int, tuner_id: str, *, timeout: float = ORACLE_TIMEOUT_S) -> None:
    """A worker role: ask the chief for trials and run them until it says STOPPED.

    Every call to the chief has a deadline of `timeout` seconds (keras-tuner's own is an hour), so a
    worker whose chief died ends with one line naming the address instead of waiting forever.
    """
    import keras_tuner

    from . import _keras_tuner_private as private

    check_tuner_id(tuner_id)
    _set_role(tuner_id, host, port)
    tuner = prepared.tuner(overwrite=False)  # only the chief may start the folder afresh
    private.bound_client_calls(tuner, timeout)
    try:
        tuner.search(epochs=prepared.epochs, verbose=0)
    except keras_tuner.errors.FatalError as error:
        if not str(error).startswith(private.CHIEF_UNREACHABLE):
            raise
        code = str(error).removeprefix(private.CHIEF_UNREACHABLE).strip()
        raise UserError(f"the chief at {host}:{port} stopped answering ({code} after {timeout:g} s); this "
                        f"worker ({tuner_id}) stops. Start the chief again (the search continues where it "
                        "stopped), then the workers") from None


# -- the one-machine launcher ---------------------------------------------------------------------------
class _Child:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], say: Callable[[str], None],
                 *, stdin: bool = False) -> None:
        self.name, self.say = name, say
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.error_line: str | None = None
        self.process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        bufsize=1, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL)
        self.reader = threading.Thread(target=self._read, daemon=True, name=f"kerasdl-{name}")
        self.reader.start()

    def _read(self) -> None:
        for raw in self.process.stdout:
            line = raw.rstrip("\n")
            self.lines = (self.lines + [line])[-40:]
            if line.startswith("kerasdl: error: "):
                self.error_line = line.removeprefix("kerasdl: error: ")
                continue  # re-raised by the launcher as its own one-line error
            if line.startswith(READY):
                self.ready.set()
            self.say(f"[{self.name}] {line}")

    def tell(self, line: str | None) -> None:
        try:
            if line is None:
                self.process.stdin.close()
            else:
                self.process.stdin.write(line + "\n")
                self.process.stdin.flush()
        except (OSError, ValueError):
            pass  # the chief already exited

    def stop(self, grace: float = 5.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class ChiefLost(RuntimeError):
    """The chief of a one-machine distributed search died (killed); the workers were stopped."""


def _signal_name(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"


def launch(reference: str, folder: Path, child_args: list[str], *, workers: int, host: str = "127.0.0.1",
           port: int | None = None, timeout: float | None = None, say: Callable[[str], None] = print,
           threads: int | None = None) -> dict:
    """One chief and `workers` workers on this machine; returns what workers.json records.

    `child_args` are the `kerasdl tune` options every process shares (strategy, budget, seed, ...).
    Raises UserError for a busy port or when the chief refuses the search (e.g. a grid over a
    continuous range); TimeoutError when `timeout` seconds pass (every process is stopped first).
    """
    if workers < 1:
        raise UserError(f"--workers must be at least 1. Received: {workers}")
    port = port or free_port(host)
    check_port(host, port)
    base_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
                "PYTHONUNBUFFERED": "1", "KERASTUNER_ORACLE_IP": host, "KERASTUNER_ORACLE_PORT": str(port)}
    command = [sys.executable, "-m", "kerasdl.cli", "tune", reference, *child_args, "--oracle", f"{host}:{port}"]
    state: dict[str, Any] = {"host": host, "port": port, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                             "chief": {}, "workers": {}, "events": []}
    deadline = None if timeout is None else time.monotonic() + timeout
    record_path = Path(folder) / "workers.json"

    def note(text: str) -> None:
        state["events"].append({"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "text": text})
        say(f"[launcher] {text}")
        runs.atomic_write(record_path, json.dumps(state, indent=2) + "\n")

    chief = _Child("chief", [*command, "--role", "chief", "--stdin-control", "--workers", str(workers)],
                   {**base_env, **_threads.environment(1), "KERASTUNER_TUNER_ID": "chief"}, say, stdin=True)
    children = [chief]
    try:
        # Workers start with the chief, not after it: each spends seconds importing TensorFlow, and
        # keras-tuner's client waits for the oracle to listen (gRPC wait_for_ready) anyway.
        crew = {}
        for i in range(workers):
            name = f"worker{i}"
            # Started with the chief, a worker waits as long as the chief may need to import TensorFlow and
            # prepare the data; the launcher itself watches the chief (and stops the workers if it dies).
            wait = str(max(timeout or 0, 600))
            crew[name] = _Child(name, [*command, "--role", "worker", "--tuner-id", name,
                                       "--oracle-timeout", wait],
                                {**base_env, **_threads.environment(_threads.share(workers, threads)),
                                 "KERASTUNER_TUNER_ID": name}, say)
            state["workers"][name] = {"pid": crew[name].process.pid, "exit": None}
        children += list(crew.values())
        while not chief.ready.wait(0.2):
            if chief.process.poll() is not None:
                chief.reader.join(5)
                if chief.error_line:
                    raise UserError(chief.error_line)
                raise RuntimeError(f"the chief exited ({_signal_name(chief.process.returncode)}) before listening:\n"
                                   + "\n".join(chief.lines[-15:]))
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"the chief did not start listening within {timeout} s")
        state["chief"] = {"pid": chief.process.pid, "exit": None}
        note(f"chief (pid {chief.process.pid}) on {host}:{port}, {workers} worker(s): "
             + ", ".join(f"{n} pid {c.process.pid}" for n, c in crew.items()))
        told_done = False
        while True:
            time.sleep(0.2)
            for name, child in crew.items():
                code = child.process.poll()
                if code is None or state["workers"][name]["exit"] is not None:
                    continue
                state["workers"][name]["exit"] = code
                if code != 0:
                    child.reader.join(2)
                    note(f"{name} (pid {child.process.pid}) ended with {_signal_name(code)}; its trial, if it held one, "
                         "is handed back to the oracle for another worker"
                         + (f"; last output: {child.lines[-1]}" if child.lines else ""))
                    chief.tell(f"lost {name}")
                else:
                    note(f"{name} finished")
            everyone_done = all(c.process.poll() is not None for c in crew.values())
            if everyone_done and not told_done:
                chief.tell(None)  # EOF: the chief may stop now
                told_done = True
            if chief.process.poll() is not None:
                if not everyone_done:
                    time.sleep(3)  # workers see STOPPED and exit right after the chief's last answer
                    for child in crew.values():
                        child.stop()
                break
            if deadline is not None and time.monotonic() > deadline:
                note(f"timeout: stopping every process after {timeout} s")
                raise TimeoutError(f"the distributed search did not finish within {timeout} s")
        chief.reader.join(5)
        state["chief"]["exit"] = chief.process.returncode
        for name, child in crew.items():
            if state["workers"][name]["exit"] is None:
                state["workers"][name]["exit"] = child.process.returncode
                note(f"{name} ended with {_signal_name(child.process.returncode)}")
        if chief.process.returncode != 0:
            note(f"chief ended with {_signal_name(chief.process.returncode)}")
            if chief.error_line:
                raise UserError(chief.error_line)
            if chief.process.returncode < 0:  # killed: the workers were stopped above
                raise ChiefLost(f"the chief (pid {chief.process.pid}) ended with "
                                f"{_signal_name(chief.process.returncode)}; every worker was stopped")
        else:
            note("search finished")
        return state
    finally:
        for child in children:
            child.stop()
        for child in children:
            child.reader.join(2)
        if record_path.parent.is_dir():
            runs.atomic_write(record_path, json.dumps(state, indent=2) + "\n")
