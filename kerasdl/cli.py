"""The `kerasdl` command line.

Only the standard library is imported at start-up: `--help` and `list` answer without loading
TensorFlow. A `UserError` anywhere becomes one line on stderr and exit status 2; any other exception
is a bug in kerasdl and keeps its traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
from pathlib import Path

from kerasdl.errors import UserError

__all__ = ["main"]

_FIT_SETTINGS = ("epochs", "batch_size", "learning_rate", "optimizer", "patience", "loss")
# `kerasdl fit`'s own defaults, measured on the bundled tabular sets by benchmarks/fit_vs_linear.py (README,
# "kerasdl fit"), one configuration for all of them: small tables give a few batches per epoch, so the
# harness's 50 epochs stop most fits before they converge, and at Adam's usual 1e-3 most folds of the
# smallest tables were still improving at epoch 300.
_FIT_DEFAULTS = {"epochs": 300, "patience": 20, "learning_rate": 3e-3, "batch_size": 16}
# `mlp` under `kerasdl fit` (the builder's own defaults, which the studies use, stay as they are): a linear
# path from the inputs to the output ("wide & deep"), so the network contains the linear baseline it is
# compared with, and L2 weight decay on the hidden layers, which pulls it toward that linear model unless
# the data ask for more. Without them the MLP trailed the linear baseline on the small, nearly linear tables.
_FIT_MLP_DEFAULTS = {"linear_skip": True, "l2": 0.03}


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (and exit status 2) instead of a usage dump."""

    def error(self, message: str):  # noqa: D401 - argparse's API
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kerasdl", description="Run the deep-learning notes' experiments with Keras 3, "
                     "compare them, and read the HTML reports.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    listing = sub.add_parser("list", help="list builders, experiments or datasets")
    listing.add_argument("what", choices=["builders", "experiments", "datasets"])
    listing.add_argument("--json", action="store_true", help="machine-readable output")

    run = sub.add_parser("run", help="run an experiment and write its report")
    run.add_argument("name", help="experiment name (see `kerasdl list experiments`) or the path of your own "
                                  "experiment script (PATH.py with experiment())")
    _add_run_options(run)
    run.add_argument("--dataset", metavar="NAME", help="run the study on another fitting dataset (a registered "
                     "name or your CSV file); the error lists the compatible ones")
    run.add_argument("--dataset-option", action="append", default=[], metavar="KEY=VALUE",
                     help="an option of that dataset (repeatable), e.g. target=outcome for a CSV, limit=5000")
    run.add_argument("--download", action="store_true",
                     help="first download the keras.datasets set the run needs if it is not cached")

    fit = sub.add_parser("fit", help="train one builder on your own CSV file and write a report")
    fit.add_argument("builder", help="builder name (see `kerasdl list builders`)")
    fit.add_argument("--data", required=True, type=Path, help="CSV file with a header row")
    fit.add_argument("--target", required=True, help="column to predict")
    fit.add_argument("--task", choices=["binary", "multiclass", "regression"],
                     help="default: inferred from the target column")
    fit.add_argument("--text", metavar="COLUMN",
                     help="free-text column to read as word ids (default: detected, a column of many distinct "
                          "multi-word texts); its vocabulary is adapted on the training rows only")
    fit.add_argument("--hp", action="append", default=[], metavar="NAME=VALUE",
                     help="builder hyperparameter or fit setting (epochs, batch_size, learning_rate, "
                          "optimizer, patience, loss; defaults epochs=300 patience=20 learning_rate=0.003, "
                          "Adam, batch_size=16, and for mlp linear_skip=True l2=0.03: a linear path started as "
                          "the fitted linear baseline, kept unless training beats it); repeatable, e.g. "
                          "--hp units=[64,32] --hp epochs=50")
    fit.add_argument("--api", choices=["sequential", "functional"], default="sequential")
    fit.add_argument("--cv", type=int, default=0, metavar="K",
                     help="stratified K-fold cross-validation instead of one holdout split")
    _add_run_options(fit)

    report = sub.add_parser("report", help="re-render reports from run records and search folders")
    report.add_argument("run_dir", nargs="?", type=Path,
                        help="one run or search folder; default: every run and search in --out")
    report.add_argument("--out", type=Path, default=Path("reports"), help="reports folder (default: reports)")

    datasets = sub.add_parser("datasets", help="list datasets, their size and whether they are available offline")
    datasets.add_argument("--json", action="store_true", help="machine-readable output")
    datasets.add_argument("--download", nargs="+", metavar="NAME", help="download these keras.datasets sets "
                          "(mnist, fashion-mnist, cifar10, imdb, reuters) into the Keras cache, hash-checked")
    _add_tune_parser(sub)
    compare = sub.add_parser("compare", help="several runs side by side: metrics, curves and what differs")
    compare.add_argument("runs", nargs="+", metavar="RUN", help="run folders (reports/<experiment>/<run-id>) or "
                         "run ids under --out; the first is the reference")
    compare.add_argument("--out", type=Path, default=Path("reports"), help="reports folder (default: reports)")
    browse = sub.add_parser("open", help="open the reports index, or one run's or search's report, in the browser")
    browse.add_argument("run_dir", nargs="?", type=Path, help="a run or search folder (or an .html page); "
                        "default: the index of --out")
    browse.add_argument("--out", type=Path, default=Path("reports"), help="reports folder (default: reports)")
    return parser


def _add_tune_parser(sub) -> None:
    tune = sub.add_parser("tune", help="hyperparameter search with keras-tuner, resumable, with an HTML report",
                          description="Search a unit's hyperparameters with keras-tuner into "
                          "reports/tuning/<name>/<strategy>/; re-running continues the search.")
    tune.add_argument("name", nargs="?", help="search unit (see `kerasdl tune --list`) or the path of your own "
                      "search file (NAME.py with DATASET, OBJECTIVE and build(hp, data))")
    tune.add_argument("--list", action="store_true", help="list the search units")
    tune.add_argument("--strategy", default="random",
                      help="grid | random | bayesian | hyperband | manual (the unit's MANUAL list); default random")
    tune.add_argument("--max-trials", type=int, metavar="N", help="trial budget (default: the unit's)")
    tune.add_argument("--epochs", type=int, metavar="E", help="epochs per trial; Hyperband's max epochs")
    tune.add_argument("--executions-per-trial", type=int, default=1, metavar="K",
                      help="models trained per configuration, scores averaged (default 1)")
    tune.add_argument("--cv", type=int, default=0, metavar="K",
                      help="score each trial by stratified K-fold CV over train+validation rows (mean of folds)")
    tune.add_argument("--enumerate-continuous", type=int, metavar="N",
                      help="grid only: try N evenly spaced values of each Float / log-Int range without step")
    tune.add_argument("--overwrite", action="store_true", help="start the search again instead of continuing it")
    tune.add_argument("--retrain-best", action="store_true",
                      help="retrain the best trial on train+validation and evaluate it on test as a normal run")
    tune.add_argument("--compare", action="store_true",
                      help="run grid, random, bayesian and hyperband on one budget and seed, and compare them")
    tune.add_argument("--workers", type=int, default=0, metavar="K",
                      help="one chief and K worker processes on this machine (keras-tuner's gRPC mode)")
    tune.add_argument("--port", type=int, help="with --workers: the oracle's port (default: a free one)")
    tune.add_argument("--threads", type=int, metavar="T", help="TensorFlow threads per worker (default with --workers: "
                      "cores ÷ K, so that workers do not fight over the cores)")
    tune.add_argument("--timeout", type=float, metavar="SECONDS",
                      help="with --workers: stop every process after this long")
    tune.add_argument("--role", choices=["chief", "worker"], help="one process of a search over several machines")
    tune.add_argument("--oracle", metavar="HOST:PORT", help="with --role: where the chief listens")
    tune.add_argument("--tuner-id", help="with --role worker: this worker's id (default worker-<pid>)")
    tune.add_argument("--oracle-timeout", type=float, metavar="SECONDS",
                      help="with --role worker: give up when the chief does not answer for this long (default 30)")
    tune.add_argument("--keep-checkpoints", type=int, metavar="N",
                      help="after the search, keep the weights of the N best trials only (default: all)")
    tune.add_argument("--stdin-control", action="store_true", help=argparse.SUPPRESS)  # set by the launcher
    tune.add_argument("--quick", action="store_true", help="smoke-sized search: fewer rows, 1-2 epochs per trial")
    tune.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    tune.add_argument("--out", type=Path, default=Path("reports"), help="reports folder (default: reports)")
    tune.add_argument("--quiet", action="store_true", help="no progress output")


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="smoke-sized run: fewer rows, folds and epochs")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0); same seed, same metrics")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="reports folder (default: reports)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.add_argument("--no-tensorboard", dest="tensorboard", action="store_false",
                        help="do not write TensorBoard logs")
    parser.add_argument("--checkpoint", action="store_true",
                        help="also keep each fold's best model (ModelCheckpoint); the mid-fit backup that "
                        "--resume uses is always on")
    parser.add_argument("--distribute", choices=["mirrored", "multiworker"],
                        help="train with tf.distribute: mirrored (this machine's GPUs) or multiworker (hosts in "
                        "TF_CONFIG; the chief writes the record)")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue a run killed hard or interrupted: its "
                        "`.partial` folder (`kerasdl report` lists them), its folder, or `last`")


# -- commands ---------------------------------------------------------------------------------------

def _print_table(rows: list[dict], columns: list[str]) -> None:
    widths = {c: max([len(c)] + [len(str(r.get(c, ""))) for r in rows]) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip())
    for row in rows:
        print("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns).rstrip())


def _cmd_list(args) -> int:
    if args.what == "builders":
        from kerasdl import models

        rows = [b.as_dict() for b in models.available()]
        if not args.json:
            for row in rows:
                row["apis"] = ",".join(row["apis"])
        columns = ["name", "family", "apis", "notes_ref"]
    elif args.what == "experiments":
        from kerasdl import experiments

        rows = [e.as_dict() for e in experiments.available()]
        columns = ["name", "title", "notes_ref"]
    else:
        return _cmd_datasets(args)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        _print_table(rows, columns)
    return 0


def _cmd_datasets(args) -> int:
    from kerasdl import data

    if getattr(args, "download", None):  # `kerasdl list datasets` has no --download
        from kerasdl.data import downloads

        return downloads.main(args.download)
    rows = [d.as_dict() for d in data.available()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        row["offline"] = "yes" if row["offline"] else "no (not cached: kerasdl datasets --download NAME)"
        row["n_samples"] = row["n_samples"] if row["n_samples"] is not None else "?"
    _print_table(rows, ["name", "task", "n_samples", "origin", "offline"])
    return 0


def _run_and_report(experiment, args) -> int:
    from kerasdl import environment, harness, report

    environment.import_tensorflow_quietly()
    if getattr(args, "distribute", None):  # tf.distribute for every Keras variant (kerasdl/harness/distribute.py)
        experiment = dataclasses.replace(experiment, distribute=args.distribute)
    try:
        record = harness.run(experiment, quick=args.quick, seed=args.seed, out=args.out, quiet=args.quiet,
                             tensorboard=args.tensorboard, checkpoint=args.checkpoint, resume=args.resume)
    except KeyboardInterrupt:
        if not harness.distribute.writes_output(experiment):  # a worker: the shared folder is the chief's alone
            print("\ninterrupted; the chief's record says what finished, and the same command with --resume on "
                  "every host runs the rest", file=sys.stderr)
            return 130
        latest = max(Path(args.out, experiment.name).glob("*/run.json"), default=None,
                     key=lambda p: p.stat().st_mtime)
        if latest is not None:
            report.render_run(latest.parent)
            report.render_index(args.out)
        print(f"\ninterrupted; the record so far is in {latest.parent if latest else args.out}"
              + (f" (`--resume {latest.parent}` runs the rest)" if latest else ""), file=sys.stderr)
        return 130
    if not harness.distribute.writes_output(experiment):  # a non-chief worker of a multi-worker run
        return 0 if record.status != "failed" else 1
    page = report.render_run(record.path)
    report.render_index(args.out)
    for variant in record.data["variants"]:
        if variant["status"] == "failed":
            print(f"\nvariant {variant['name']} failed:\n{variant['error']}", file=sys.stderr)
        elif variant["status"] == "diverged":
            print(f"warning: variant {variant['name']} diverged: {variant['error']}", file=sys.stderr)
    print(f"run {record.status}: {record.path}")
    print(f"report: {page.resolve()}")
    return 1 if record.status == "failed" else 0


def _cmd_run(args) -> int:
    from kerasdl import experiments, user_experiment
    from kerasdl.discovery import is_path

    module = experiments.load_module(args.name) if not is_path(args.name) else user_experiment.load(args.name)
    from kerasdl import study_data  # --dataset, --dataset-option, --download

    return _run_and_report(study_data.experiment_from_arguments(module, args), args)


def _parse_hp(items: list[str]) -> dict:
    """NAME=VALUE pairs; values are Python literals (numbers, lists, None) or else plain strings."""
    from kerasdl.study_data import parse_options  # light: no TensorFlow

    return parse_options(items, "--hp", "NAME=VALUE")


def _cmd_fit(args) -> int:
    from kerasdl import data, models

    hyper = _parse_hp(args.hp)
    settings = {k: hyper.pop(k) for k in _FIT_SETTINGS if k in hyper}
    models.get(args.builder)
    # The file first: reading it needs no TensorFlow, so its mistakes are reported in a blink.
    dataset = data.load_csv(args.data, args.target, task=args.task, seed=args.seed, text=args.text)
    if "text_column" in dataset.extras:
        _text_settings(args, dataset, hyper)
    experiment = fit_experiment(dataset, args.builder, api=args.api, hyperparameters=hyper, settings=settings,
                                cv=args.cv, title=f"{args.builder} on {args.data.name} (target {args.target})")
    return _run_and_report(experiment, args)


def fit_experiment(dataset, builder: str, *, api: str = "sequential", hyperparameters: dict | None = None,
                   settings: dict | None = None, cv: int = 0, title: str | None = None):
    """What `kerasdl fit` runs: the builder under fit's defaults (the user's settings win), a linear /
    logistic baseline and a dummy one, on one holdout split or `cv` folds. benchmarks/fit_vs_linear.py
    measures these defaults on the bundled tables through this same function."""
    from kerasdl import models, runs, tasks
    from kerasdl.fit_finding import against_baselines
    from kerasdl.harness import Experiment, Variant
    from kerasdl.trainers import LinearStartTrainer

    text = "text_column" in dataset.extras  # word ids: not inputs for a linear model or a linear path
    hyper = {**(_FIT_MLP_DEFAULTS if builder == "mlp" and not text else {}), **(hyperparameters or {})}
    settings = {**_FIT_DEFAULTS, **(settings or {})}
    models.check(builder, api, hyper, settings=_FIT_SETTINGS)
    # With its linear path, the MLP starts as the linear baseline (fitted on the same rows, frozen) and
    # its hidden layers learn what that misses: LinearStartTrainer says how and why.
    trainer = LinearStartTrainer() if builder == "mlp" and hyper.get("linear_skip") else None
    variants = [Variant(builder, builder=builder, api=api, hyperparameters=hyper, trainer=trainer, **settings)]
    task = tasks.get(dataset.task)
    linear = task.linear_estimator() if not text else None
    if linear is not None:
        variants.append(Variant("linear", estimator=linear, label=f"{type(linear).__name__} baseline"))
    variants.append(Variant("dummy", estimator=task.dummy_estimator(), label="Dummy baseline"))
    safe_stem = runs.safe_name(dataset.name, "data")
    return Experiment(
        name=f"fit-{builder}-{safe_stem}", dataset=dataset, variants=variants,
        title=title or f"{builder} on {dataset.name}",
        description=dataset.description, evaluation="cv" if cv else "holdout",
        folds=cv or 5, quick_folds=min(cv or 2, 2),
        analyze=against_baselines if linear is not None else None,  # the report opens with network vs linear
    )


def _text_settings(args, dataset, hyper: dict) -> None:
    """A free-text CSV: one holdout split (the vocabulary is that split's), and a builder that reads token
    ids gets the vocabulary size unless --hp sets it."""
    from kerasdl import models

    if args.cv:
        raise UserError(f"--cv cannot be used with the free-text column {dataset.extras['text_column']!r}: its "
                        "vocabulary is adapted on one training split; drop --cv to use a holdout split")
    if "vocab_size" in models.hyperparameters(args.builder):
        hyper.setdefault("vocab_size", int(dataset.extras["vocabulary_size"]))


def _cmd_report(args) -> int:
    from kerasdl import report, runs
    from kerasdl.report.index_page import TUNING
    from kerasdl.tuning.results import is_search

    if args.run_dir is not None:
        search = is_search(args.run_dir)
        if not search:
            runs.refuse_damaged(args.run_dir)  # one line naming the file and what is wrong with it
        page = report.render_search(args.run_dir) if search else report.render_run(args.run_dir)
        print(f"report: {page.resolve()}")
        # runs live in <out>/<experiment>/<run>, searches in <out>/tuning/<unit>/<strategy>
        out = args.run_dir.resolve().parents[2 if search else 1]
    else:
        out = args.out
        for run_dir in runs.list_runs(out):
            if runs.damaged(run_dir):
                runs.warn_skipped(run_dir, runs.damaged(run_dir))
                continue
            report.render_run(run_dir)
        for partial in runs.list_abandoned(out):
            print(f"abandoned: {partial} (killed before it finished); `kerasdl run {partial.parent.name} "
                  f"--resume {partial}` runs the rest")
        for search_dir in sorted(Path(out, TUNING).glob("*/*/")):
            if is_search(search_dir):
                report.render_search(search_dir)
    print(f"index: {report.render_index(out).resolve()}")
    return 0


def _cmd_open(args) -> int:
    from kerasdl import browse

    print(f"opened {browse.open_page(args.run_dir, args.out)}")
    return 0


def _cmd_tune(args) -> int:
    # kerasdl.tuning.cli is light: keras-tuner and TensorFlow load only once the unit and options are checked
    from kerasdl.tuning import cli as tuning_cli

    return tuning_cli.run(args)


def _cmd_compare(args) -> int:
    from kerasdl.report.compare import compare_command

    return compare_command(args.runs, args.out)


_COMMANDS = {"list": _cmd_list, "run": _cmd_run, "fit": _cmd_fit, "report": _cmd_report,
             "datasets": _cmd_datasets, "tune": _cmd_tune, "open": _cmd_open, "compare": _cmd_compare}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except UserError as error:
        print(f"kerasdl: error: {error}", file=sys.stderr)
        return error.exit_status
    except BrokenPipeError:
        # The reader went away (`kerasdl list --json | head`): stop quietly, as Unix tools do. Python
        # would otherwise print a traceback when it flushes stdout at exit, so point stdout at devnull.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
