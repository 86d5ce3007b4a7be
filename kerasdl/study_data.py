"""Which data a study runs on: its own, another fitting dataset (`--dataset`), downloaded on request.

`kerasdl run NAME --dataset OTHER [--dataset-option k=v] [--download]` builds the study as written,
checks that OTHER has the same kind of input and a fitting task (kerasdl.data.compatibility), loads
it, and hands the study the loaded set: every builder already takes the input shape and the number
of classes from the data, and a builder reading word indices gets OTHER's vocabulary size. The title
and description say which dataset was used instead of which, and each of the study's reference
figures says for which data the study gives it. A study whose dataset takes a `source` option
(digits-reconstruction: digits, mnist, fashion-mnist) runs on another image set through it. A study
module that lists `DATASETS` (benchmarks-classic) builds itself for the requested one.

Nothing is downloaded unless `download` is set; without it a missing keras.datasets file stops the
run with the line naming `--download`.
"""

from __future__ import annotations

import ast
import dataclasses
from types import ModuleType
from typing import Any

from kerasdl.errors import UserError

__all__ = ["experiment_for", "experiment_from_arguments", "parse_options"]


def parse_options(items: list[str], flag: str = "--dataset-option", shape: str = "KEY=VALUE") -> dict[str, Any]:
    """KEY=VALUE pairs (`--dataset-option`, and `--hp` through the CLI); values are Python literals
    (numbers, lists, True, None) or else plain strings."""
    parsed: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"{flag} expects {shape}, got {item!r}")
        try:
            parsed[key.strip()] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            parsed[key.strip()] = text
    return parsed


def experiment_from_arguments(module: ModuleType, args) -> Any:
    """The Experiment `kerasdl run` runs, from its --dataset, --dataset-option and --download flags."""
    return experiment_for(module, dataset=getattr(args, "dataset", None),
                          options=parse_options(getattr(args, "dataset_option", None) or []),
                          download=bool(getattr(args, "download", False)),
                          quick=bool(getattr(args, "quick", False)), seed=getattr(args, "seed", 0))


def experiment_for(module: ModuleType, *, dataset: str | None = None, options: dict[str, Any] | None = None,
                   download: bool = False, quick: bool = False, seed: int = 0) -> Any:
    """`module.experiment()` on its own dataset, or retargeted to `dataset` (see the module docstring)."""
    options = dict(options or {})
    if dataset is not None and hasattr(module, "DATASETS"):
        return _own_choice(module, dataset, options, download)
    base = module.experiment()
    if dataset is None:
        if options:
            base = _with_options(base, options)
        _fetch(base.dataset, base.dataset_options if isinstance(base.dataset, str) else {}, download)
        return base
    return _retarget(module, base, dataset, options, download=download, quick=quick, seed=seed)


def _own_choice(module: ModuleType, dataset: str, options: dict[str, Any], download: bool) -> Any:
    from kerasdl.data import registry

    name = registry.spec(dataset).name
    if name not in module.DATASETS:
        raise UserError(f"study {module.NAME!r} runs on {', '.join(module.DATASETS)}; received --dataset {dataset}")
    experiment = module.experiment(dataset=name)
    if options:
        experiment = _with_options(experiment, options)
    _fetch(experiment.dataset, experiment.dataset_options, download)
    return experiment


def _with_options(experiment, options: dict[str, Any]):
    if not isinstance(experiment.dataset, str):
        raise UserError(f"study {experiment.name!r} builds its own dataset in code, so it takes no "
                        "--dataset-option; use --dataset NAME to run it on another dataset")
    return dataclasses.replace(experiment, dataset_options={**experiment.dataset_options, **options})


def _fetch(name: Any, options: dict[str, Any], download: bool) -> None:
    """With --download: fetch the keras.datasets set the run reads (itself or through its `source`).
    Without: stop now, before TensorFlow starts, if one of its files is missing (the line names --download)."""
    if not isinstance(name, str):
        return
    from kerasdl.data import downloads, keras_sets

    needed = [n for n in (name, options.get("source")) if isinstance(n, str) and n in downloadable_names()]
    if not download:
        for each in needed:
            keras_sets.require_present(each)
        return
    if not needed:
        print(f"--download: {name} needs no download (it is always available offline)")
    from kerasdl import environment

    if needed:
        environment.import_tensorflow_quietly()
    for each in needed:
        downloads.download(each)


def downloadable_names() -> tuple[str, ...]:
    from kerasdl.data import downloads

    return downloads.downloadable()


def _describe(kind: str | None, task: str) -> str:
    from kerasdl.data.compatibility import task_family

    return f"{task_family(task)} of {kind or 'its own kind of data'}"


def _retarget(module: ModuleType, base, requested: str, options: dict[str, Any], *, download: bool,
              quick: bool, seed: int):
    from kerasdl import data
    from kerasdl.data import registry
    from kerasdl.data import compatibility

    if base.dataset is None:
        raise UserError(f"study {base.name!r} trains on no dataset, so --dataset cannot change it")
    own_name, own_kind, own_task = _own(base)
    is_csv = requested.lower().endswith(".csv")
    name = requested if is_csv else registry.spec(requested).name
    spec = None if is_csv else registry.spec(name)
    if own_name is not None and name == own_name:
        experiment = _with_options(base, options) if options else base
        _fetch(name, experiment.dataset_options, download)
        return experiment
    load_name, load_options = name, dict(options)
    if (spec is not None and own_name is not None and "source" in registry.spec(own_name).options()
            and compatibility.kind_of_name(name) == own_kind and not compatibility.fits(
                own_kind, own_task, compatibility.kind_of_name(name), spec.task)):
        # digits-reconstruction on MNIST: the study's own derived set, reading `name` as its source
        load_name, load_options = own_name, {**base.dataset_options, **options, "source": name}
    elif not compatibility.fits(own_kind, own_task, compatibility.kind_of_name(name),
                                _task_of(name, spec, options, seed)):
        raise UserError(_mismatch(base.name, own_name, own_kind, own_task, name, spec))
    _fetch(load_name, load_options, download)
    if quick and "limit" not in load_options:  # subsample while loading (60,000 images need not be scaled)
        load_options["limit"] = max(base.quick_samples, 10)
    loaded = data.load(load_name, seed=seed, **load_options)
    if not compatibility.fits(own_kind, own_task, compatibility.input_kind(loaded), loaded.task):
        raise UserError(_mismatch(base.name, own_name, own_kind, own_task, name, spec, loaded))
    used = f"{loaded.name} (source {load_options['source']})" if "source" in load_options else loaded.name
    return dataclasses.replace(
        base, dataset=loaded, dataset_options={}, references=[_annotated(r, own_name, used) for r in base.references],
        variants=[_adapted(v, loaded) for v in base.variants],
        title=f"{base.title or base.name} — run on {used} instead of {own_name or 'its own dataset'}",
        description=(f"Run with --dataset {requested} on {used} ({loaded.n_samples:,} rows, input "
                     f"{'×'.join(str(d) for d in loaded.input_shape)}), not on the dataset it was written for "
                     f"({own_name or 'built in code'}); its text below speaks of that one, its numbers are "
                     f"from this run.\n\n{base.description}"))


def _own(base) -> tuple[str | None, str | None, str]:
    """The study's own dataset: (registered name or None, input kind, task)."""
    from kerasdl.data import compatibility, registry

    if isinstance(base.dataset, str):
        spec = registry.spec(base.dataset)
        return spec.name, compatibility.kind_of_name(spec.name), spec.task
    return None, compatibility.input_kind(base.dataset), base.dataset.task


def _task_of(name: str, spec, options: dict[str, Any], seed: int) -> str:
    """A registered set's task from its card; a CSV's from the file (reading a CSV needs no TensorFlow)."""
    if spec is not None:
        return spec.task
    from kerasdl import data

    return data.load(name, seed=seed, **options).task


def _mismatch(study: str, own_name, own_kind, own_task, name: str, spec, loaded=None) -> str:
    from kerasdl.data import compatibility, registry

    kind = compatibility.input_kind(loaded) if loaded is not None else compatibility.kind_of_name(name)
    task = loaded.task if loaded is not None else spec.task if spec is not None else "?"
    fitting = [n for n in compatibility.compatible(own_kind, own_task) if n != own_name]
    if own_kind == compatibility.TABULAR:
        fitting.append("your own CSV file (--dataset FILE.csv --dataset-option target=COLUMN)")
    if own_name is not None and "source" in registry.spec(own_name).options():
        fitting.append(f"another image set through {own_name}'s source option (--dataset mnist)")
    listing = ", ".join(fitting) if fitting else f"none besides its own ({own_name or 'built in code'})"
    return (f"study {study!r} compares models for {_describe(own_kind, own_task)} and cannot run on {name!r} "
            f"({_describe(kind, task)}); datasets it can run on: {listing}")


def _annotated(reference: Any, own_name: str | None, used: str) -> Any:
    """A reference figure stays beside ours (the notes' MNIST autoencoder figures fit an MNIST run better
    than the digits run they were shown beside), with a comment naming the data of each."""
    if not isinstance(reference, dict):
        return reference
    note = f"given by the study for {own_name or 'its own data'}; this run is on {used}"
    return {**reference, "comment": f"{reference['comment']} ({note})" if reference.get("comment") else note}


def _adapted(variant, dataset):
    """A variant whose builder reads word indices gets the new dataset's vocabulary size."""
    if "vocabulary_size" not in dataset.extras or not isinstance(variant.builder, str):
        return variant
    from kerasdl import models

    if "vocab_size" not in models.hyperparameters(variant.builder):
        return variant
    hyper = {**variant.hyperparameters, "vocab_size": int(dataset.extras["vocabulary_size"])}
    return dataclasses.replace(variant, hyperparameters=hyper)
