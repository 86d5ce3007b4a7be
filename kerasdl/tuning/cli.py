"""`kerasdl tune`: what the subcommand does, kept here so that cli.py stays a light argument parser.

One search in this process; `--workers K` (a chief and K workers on this machine); `--role chief|worker
--oracle HOST:PORT` (one process of a search spread over machines); `--compare` (the four keras-tuner
strategies on one budget and seed, their best-so-far curves on one chart); `--retrain-best`. After a
search the report and trials.csv are written and a summary is printed that names every failed trial.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from kerasdl import environment
from kerasdl.errors import UserError

from .settings import COMPARED, SearchSettings, search_dir
from .unit import available, load_unit

__all__ = ["run"]

_TOP = 5


def _say(args):
    return (lambda text: None) if args.quiet else (lambda text: print(text, flush=True))


def _settings(args, strategy: str | None = None) -> SearchSettings:
    return SearchSettings(
        strategy=strategy or args.strategy, max_trials=args.max_trials, epochs=args.epochs,
        executions_per_trial=args.executions_per_trial, cv=args.cv, seed=args.seed, quick=args.quick,
        overwrite=args.overwrite, enumerate_continuous=args.enumerate_continuous, out=Path(args.out),
        quiet=args.quiet, keep_checkpoints=getattr(args, "keep_checkpoints", None))


def _child_args(args) -> list[str]:
    """The options every process of a distributed search shares."""
    out = ["--strategy", args.strategy, "--seed", str(args.seed), "--out", str(Path(args.out).resolve()),
           "--executions-per-trial", str(args.executions_per_trial), "--cv", str(args.cv)]
    for flag, value in (("--max-trials", args.max_trials), ("--epochs", args.epochs),
                        ("--enumerate-continuous", args.enumerate_continuous),
                        ("--keep-checkpoints", getattr(args, "keep_checkpoints", None))):
        if value is not None:
            out += [flag, str(value)]
    out += [flag for flag, on in (("--quick", args.quick), ("--overwrite", args.overwrite), ("--quiet", args.quiet))
            if on]
    return out


def _role_from_environment(args) -> tuple[str | None, str | None]:
    """keras-tuner's own convention also works: the role and the oracle come from KERASTUNER_* variables."""
    if args.role:
        return args.role, args.oracle
    if "KERASTUNER_ORACLE_IP" in os.environ and "KERASTUNER_TUNER_ID" in os.environ:
        role = "chief" if "chief" in os.environ["KERASTUNER_TUNER_ID"] else "worker"
        return role, f"{os.environ['KERASTUNER_ORACLE_IP']}:{os.environ.get('KERASTUNER_ORACLE_PORT', '')}"
    if args.oracle:
        raise UserError("--oracle HOST:PORT needs --role chief or --role worker")
    return None, None


def _list_units() -> int:
    units = available()
    width = max(len(u.name) for u in units)
    for unit in units:
        print(f"{unit.name.ljust(width)}  {unit.title}")
    return 0


def run(args) -> int:
    if args.list:
        return _list_units()
    if not args.name:
        raise UserError("kerasdl tune needs a search unit (see `kerasdl tune --list`) or the path of a search file")
    reference = str(Path(args.name).resolve()) if args.name.endswith(".py") else args.name
    unit = load_unit(reference)
    environment.import_tensorflow_quietly()
    if args.compare:
        if args.workers or args.role:
            raise UserError("--compare runs the four strategies one after another in this process; "
                            "drop --workers/--role, or run each strategy with --workers")
        return _compare(unit, args)
    settings = _settings(args).checked(unit)
    role, address = _role_from_environment(args)
    say = _say(args)
    if role is not None:
        return _role(unit, settings, args, role, address, say)
    folder = search_dir(unit, settings)
    from . import distributed as tuning_distributed

    try:
        if args.workers:
            from .distributed import launch

            launch(reference, folder, _child_args(args), workers=args.workers,
                                      port=args.port, timeout=args.timeout, say=say,
                                      threads=getattr(args, "threads", None))
        else:
            from .session import search, sigterm_as_ctrl_c

            with sigterm_as_ctrl_c():  # SIGTERM stops a search as Ctrl-C does: search.json says interrupted
                search(unit, settings, announce=say)
    except (KeyboardInterrupt, TimeoutError, tuning_distributed.ChiefLost) as error:
        stopped = "interrupted" if isinstance(error, KeyboardInterrupt) else str(error)
        if any(folder.glob("trial_*/trial.json")):
            from kerasdl import report

            print(f"report so far: {report.render_search(folder).resolve()}", file=sys.stderr)
        print(f"\n{stopped}; running the same command again continues the search", file=sys.stderr)
        return 130 if isinstance(error, KeyboardInterrupt) else 1
    return _report_and_summary(unit, settings, args)


def _role(unit, settings, args, role: str, address: str | None, say) -> int:
    from . import distributed as tuning_distributed
    from .session import prepare

    if not address:
        raise UserError(f"--role {role} needs --oracle HOST:PORT (where the chief listens)")
    host, port = tuning_distributed.parse_address(address)
    if getattr(args, "threads", None) and not args.stdin_control:  # started by hand: --threads limits this process
        from .threads import limit_this_process, share

        limit_this_process(share(1, args.threads))
    timeout = args.oracle_timeout or tuning_distributed.ORACLE_TIMEOUT_S
    if role == "chief":
        tuning_distributed.check_port(host, port)  # before the data and the space are prepared
    else:  # fail fast, naming the address, when no chief is there
        tuning_distributed.check_tuner_id(args.tuner_id or os.environ.get("KERASTUNER_TUNER_ID") or "worker")
        tuning_distributed.wait_for_chief(host, port, timeout)
    prepared = prepare(unit, settings, announce=say if role == "chief" else None)
    if role == "chief":
        record = tuning_distributed.run_chief(prepared, host, port, workers=args.workers,
                                              stdin_control=args.stdin_control)
        if not args.stdin_control:  # started by hand: this process owns the report
            return _report_and_summary(unit, settings, args)
        return 0 if record.get("status") == "completed" else 1
    tuner_id = args.tuner_id or os.environ.get("KERASTUNER_TUNER_ID") or f"worker-{os.getpid()}"
    tuning_distributed.run_worker(prepared, host, port, tuner_id, timeout=timeout)
    return 0


def _report_and_summary(unit, settings, args) -> int:
    from kerasdl import report

    from .results import load_search
    from .retrain import retrain_best

    folder = search_dir(unit, settings)
    if args.retrain_best:
        record = retrain_best(unit, settings)
        run_page = report.render_run(record.path)
        print(f"retrained best configuration: run {record.status}: {run_page.resolve()}")
    page = report.render_search(folder)
    report.render_index(settings.out)
    found = load_search(folder)
    _summary(found)
    print(f"report: {page.resolve()}")
    print(f"trials: {(folder / 'trials.csv').resolve()}")
    completed = found.counts().get("completed", 0)
    return 0 if completed and found.status != "failed" else 1


def _summary(found) -> None:
    counts = found.counts()
    breakdown = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    arrow = "higher" if found.direction == "max" else "lower"
    print(f"\nsearch {found.status}: {len(found.trials)} trial(s) ({breakdown or 'none'}); "
          f"objective {found.objective}, {arrow} is better")
    if found.record.get("error"):
        print(f"  {str(found.record['error']).strip().splitlines()[-1]}", file=sys.stderr)
    best = found.best()
    if best is not None:
        shown = ", ".join(f"{k}={v}" for k, v in best.hyperparameters.items())
        print(f"best: trial {best.trial_id} {found.objective} {best.score:.4f} (best epoch {best.best_epoch}): {shown}")
    ranked = [t for t in found.ranked() if t.status == "completed"][:_TOP]
    if len(ranked) > 1:
        print(f"top {len(ranked)}:")
        for position, trial in enumerate(ranked, start=1):
            values = ", ".join(f"{k}={v}" for k, v in trial.hyperparameters.items())
            took = f"{trial.duration_s:.1f} s" if trial.duration_s is not None else "?"
            print(f"  {position}. trial {trial.trial_id}  {trial.score:.4f}  epoch {trial.best_epoch}  {took}  {values}")
    for trial in found.trials:
        if trial.status in ("failed", "diverged", "interrupted", "retrying"):
            message = trial.message.strip().splitlines()[-1] if trial.message.strip() else "no message recorded"
            print(f"trial {trial.trial_id} {trial.status}: {message}", file=sys.stderr)


def _compare(unit, args) -> int:
    """grid, random, bayesian, hyperband on one budget and seed; one report each plus the comparison."""
    from kerasdl import report

    from .results import load_search
    from .session import search

    say = _say(args)
    outcomes = {}
    for strategy in COMPARED:
        say(f"\n== {strategy} ==")
        try:
            settings = _settings(args, strategy).checked(unit)
            search(unit, settings, announce=say)
        except UserError as error:  # e.g. grid over a continuous range: shown on the comparison page
            say(f"{strategy}: not run: {error}")
            outcomes[strategy] = str(error)
            continue
        report.render_search(search_dir(unit, settings))
        outcomes[strategy] = None
    base = search_dir(unit, _settings(args, "random")).parent
    page = report.render_compare(base, skipped={k: v for k, v in outcomes.items() if v})
    report.render_index(Path(args.out))
    print("\nbest score per strategy (same budget and seed):")
    for strategy in COMPARED:
        found = load_search(base / strategy)
        best = found.best()
        text = f"{best.score:.4f} (trial {best.trial_id} of {len(found.trials)})" if best else \
            (outcomes.get(strategy) or "no completed trial")
        print(f"  {strategy:<10} {text}")
    print(f"comparison: {page.resolve()}")
    return 0 if any(v is None for v in outcomes.values()) else 1
