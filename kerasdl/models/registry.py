"""The builder registry: names, families and notes references, importable without TensorFlow.

Each row points at a builder function by module and name; the module (and with it Keras) is imported
only when that builder is built. That keeps `kerasdl list builders` instant.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kerasdl.errors import UserError, closest_names

__all__ = ["BuilderInfo", "available", "build", "get", "hyperparameters"]


@dataclass(frozen=True)
class BuilderInfo:
    name: str
    family: str
    apis: tuple[str, ...]  # "sequential" and/or "functional" (also used for Model subclasses)
    notes_ref: str
    module: str            # module under kerasdl.models
    function: str
    description: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "family": self.family, "apis": list(self.apis),
                "notes_ref": self.notes_ref, "description": self.description}


_BOTH = ("sequential", "functional")
_FUNCTIONAL = ("functional",)

# One row per registered builder. Families and notes references follow ../shared/CATALOG.md §1.
_BUILDERS: tuple[BuilderInfo, ...] = (
    BuilderInfo("mlp", "feedforward", _BOTH, "001:280-345, 004:142-229, 003:362-383",
                "feedforward", "build_mlp",
                "Deep feedforward network: Dense layers with activation, initializer, L1/L2, dropout "
                "and batch norm before or after the activation"),
    BuilderInfo("perceptron", "feedforward", _BOTH, "000:76-86, 004:252-338",
                "feedforward", "build_perceptron",
                "Single threshold unit trained through a sigmoid surrogate; optional hard step output "
                "(NumPy learning rule: feedforward.perceptron_learning_rule)"),
    BuilderInfo("linear_stack", "feedforward", _BOTH, "001:1504, 003:149-163",
                "feedforward", "build_linear_stack",
                "Stacked Dense layers without activations: collapses to one linear map"),
    BuilderInfo("cnn", "convolutional", _BOTH, "000:482-493, 001:1789-1803, 004:669-877, 001:2006-2072",
                "convolutional", "build_cnn",
                "Conv → activation → pool blocks, flatten or global pool, dense head; pool kind max/avg/"
                "global_max/global_avg/None"),
    BuilderInfo("strided_cnn", "convolutional", _BOTH, "001:2079-2117, 000:550-638",
                "convolutional", "build_strided_cnn",
                "CNN downsampling with stride-2 convolutions instead of pooling"),
    BuilderInfo("dilated_cnn", "convolutional", _BOTH, "001:2161-2196",
                "convolutional", "build_dilated_cnn",
                "CNN of dilated (atrous) convolutions, receptive field k+(k-1)(l-1) per layer"),
    BuilderInfo("tiled_cnn", "convolutional", _BOTH, "001:2119-2129",
                "convolutional", "build_tiled_cnn",
                "CNN of tiled convolutions (TiledConv2D): k×k untied kernels cycled over the output grid"),
    BuilderInfo("conv_decoder", "convolutional", _BOTH, "001:2131-2159",
                "convolutional", "build_conv_decoder",
                "Conv2DTranspose upsampling decoder, output (i-1)s+k-2p per block"),
    BuilderInfo("lenet5", "convolutional", _BOTH, "001:1707-1714",
                "classic_cnns", "build_lenet5",
                "LeNet-5: two 5×5 conv/pool stages, dense 120-84 (canonical 32×32×1: 61,706 parameters)"),
    BuilderInfo("alexnet", "convolutional", _BOTH, "001:1716",
                "classic_cnns", "build_alexnet",
                "AlexNet single tower: 5 conv, 3 dense, 2 dropout, ReLU (canonical 227×227×3: 62,378,344)"),
    BuilderInfo("zfnet", "convolutional", _BOTH, "001:1723",
                "classic_cnns", "build_zfnet",
                "ZFNet: AlexNet with 7×7 stride-2 conv1 and stride-2 conv2 (canonical 224×224×3: 62,357,608)"),
    BuilderInfo("vgg", "convolutional", _BOTH, "001:1734",
                "classic_cnns", "build_vgg",
                "VGG 11/13/16/19: stacks of 3×3 convolutions (canonical VGG16 138,357,544, VGG19 143,667,240)"),
    BuilderInfo("googlenet", "convolutional", _FUNCTIONAL, "001:1725-1727",
                "modern_cnns", "build_googlenet",
                "GoogLeNet / Inception v1: parallel 1×1/3×3/5×5/pool branches, global average pooling"),
    BuilderInfo("resnet", "convolutional", _FUNCTIONAL, "001:1741, 001:2852-2863",
                "modern_cnns", "build_resnet",
                "ResNet 18/34 (basic) and 50/101/152 (bottleneck) with additive skips"),
    BuilderInfo("densenet", "convolutional", _FUNCTIONAL, "001:2866-2876",
                "modern_cnns", "build_densenet",
                "DenseNet-BC 121/169/201 with concatenative skips"),
    BuilderInfo("mobilenet", "convolutional", _BOTH, "001:1743",
                "modern_cnns", "build_mobilenet",
                "MobileNet v1: depthwise-separable convolutions with width multiplier alpha"),
    # -- recurrent and sequence (recurrent.py, seq2seq.py, recursive.py) ----------------------------
    # -- autoencoders (autoencoders.py) --------------------------------------------------------------
    # -- generative and Boltzmann (generative.py, boltzmann.py) --------------------------------------
    # -- vision tasks (segmentation.py, detection.py) ------------------------------------------------
)


def available() -> list[BuilderInfo]:
    """Every registered builder, sorted by family then name."""
    return sorted(_BUILDERS, key=lambda b: (b.family, b.name))


def get(name: str) -> BuilderInfo:
    for info in _BUILDERS:
        if info.name == name:
            return info
    raise UserError(f"unknown builder {name!r}; {closest_names(name, [b.name for b in _BUILDERS])}")


def _function(info: BuilderInfo):
    module = importlib.import_module(f"kerasdl.models.{info.module}")
    return getattr(module, info.function)


def hyperparameters(name: str) -> dict[str, Any]:
    """The builder's tunable keyword arguments and their defaults.

    Read from the builder's source with `ast`, not by importing it: importing a builder module
    imports TensorFlow (seconds, and C++ log lines on stderr), and this is what validates a user's
    `--hp` before anything runs, so a typo must be answered instantly with one line.
    """
    info = get(name)
    spec = importlib.util.find_spec(f"kerasdl.models.{info.module}")
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    function = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == info.function)
    arguments = function.args
    return {arg.arg: _literal(default) for arg, default in zip(arguments.kwonlyargs, arguments.kw_defaults)
            if arg.arg != "api"}


def _literal(node: ast.expr | None) -> Any:
    """A default value as Python (all builder defaults are literals); its source text otherwise."""
    if node is None:
        return inspect.Parameter.empty
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)


def check(name: str, api: str, hyper: Any, *, settings: tuple[str, ...] = ()) -> BuilderInfo:
    """The builder `name` if it has an `api` form and accepts every key of `hyper`; else a user error
    naming what is accepted (and the `settings` a caller takes besides, like `kerasdl fit`'s epochs).
    No TensorFlow: the harness and the CLI call this before anything runs."""
    info = get(name)
    if api not in info.apis:
        raise UserError(f"builder {name!r} has no {api!r} form; it supports: {', '.join(info.apis)}")
    accepted = hyperparameters(name)
    unknown = sorted(set(hyper) - set(accepted))
    if unknown:
        also = f" (and fit settings {', '.join(settings)})" if settings else ""
        raise UserError(f"builder {name!r} has no hyperparameter {', '.join(unknown)}; "
                        f"accepted: {', '.join(sorted(accepted))}{also}")
    return info


def build(name: str, input_shape, outputs: int, *, api: str = "sequential", **hyper):
    """Build the registered model `name` (uncompiled) for `input_shape` with `outputs` output units.

    Unknown hyperparameters and unsupported APIs are user errors naming what is accepted.
    """
    info = check(name, api, hyper)
    return _function(info)(tuple(int(d) for d in input_shape), int(outputs), api=api, **hyper)
