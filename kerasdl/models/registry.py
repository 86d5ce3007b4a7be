"""The builder registry: names, families and notes references, importable without TensorFlow.

Each row points at a builder function by module and name; the module (and with it Keras) is imported
only when that builder is built. That keeps `kerasdl list builders` instant.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
from collections.abc import Mapping
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
    BuilderInfo("inception_v3", "convolutional", _FUNCTIONAL, "001:1745, 001:1758",
                "inception", "build_inception_v3",
                "Inception v3: factorised 3×3 / 1×7-7×1 / 1×3-3×1 modules, BN, grid reductions "
                "(canonical 299×299×3: 23,851,784 = keras.applications.InceptionV3)"),
    BuilderInfo("resnet", "convolutional", _FUNCTIONAL, "001:1741, 001:2852-2863",
                "modern_cnns", "build_resnet",
                "ResNet 18/34 (basic) and 50/101/152 (bottleneck) with additive skips"),
    BuilderInfo("densenet", "convolutional", _FUNCTIONAL, "001:2866-2876",
                "modern_cnns", "build_densenet",
                "DenseNet-BC 121/169/201 with concatenative skips"),
    BuilderInfo("mobilenet", "convolutional", _BOTH, "001:1743",
                "modern_cnns", "build_mobilenet",
                "MobileNet v1: depthwise-separable convolutions with width multiplier alpha"),
    BuilderInfo("deep_cnn", "convolutional", _FUNCTIONAL, "001:2840-2863",
                "deep_cnn", "build_deep_cnn",
                "Constant-width deep CNN of `depth` weight layers, plain or with identity skips "
                "(same parameters): the degradation test"),
    # -- recurrent and sequence (recurrent.py, seq2seq.py, recursive.py) ----------------------------
    BuilderInfo("simple_rnn", "recurrent", _BOTH, "000:1362-1611, 001:2279-2436, 002:65-161",
                "recurrent", "build_simple_rnn",
                "Elman RNN h = tanh(Wx + Uh + b): acceptor (last state → Dense) or tagger "
                "(return_sequences); token ids via a masked Embedding or real-valued steps"),
    BuilderInfo("lstm", "recurrent", _BOTH, "000:1729-1827, 002:163-190, 004:1018-1090",
                "recurrent", "build_lstm",
                "LSTM: forget, input and output gates over a cell state; 4(m²+nm+m) weights"),
    BuilderInfo("gru", "recurrent", _BOTH, "000:1642-1727, 002:191-211, 004:1092-1128",
                "recurrent", "build_gru",
                "GRU: update and reset gates; reset_after=True (Keras, 000/004) or False (002:208)"),
    BuilderInfo("bidirectional_rnn", "recurrent", _BOTH, "001:2592-2678, 002:218-224",
                "recurrent", "build_bidirectional_rnn",
                "Forward and backward RNN (cell simple_rnn/lstm/gru/leaky) merged by concat, sum, mul or ave"),
    BuilderInfo("stacked_rnn", "recurrent", _BOTH, "001:2519-2556, 002:213",
                "recurrent", "build_stacked_rnn",
                "Deep RNN: depth recurrent layers, each reading the state sequence of the one below"),
    BuilderInfo("conv1d", "recurrent", _BOTH, "001:1687, 004:695",
                "recurrent", "build_conv1d",
                "1-D convolutions over time, global max/avg pooling (or per-step outputs), dense head"),
    BuilderInfo("leaky_rnn", "recurrent", _BOTH, "001:33 (Unit III), 001:2836",
                "recurrent", "build_leaky_rnn",
                "Leaky units h = αh₋₁ + (1−α)tanh(·), α fixed or learned, optional skip from h(t−d)"),
    BuilderInfo("char_rnn", "recurrent", _BOTH, "000:1423-1611, 003:978-1010",
                "recurrent", "build_char_rnn",
                "Character/word language model: one-hot (or embedded) tokens → RNN → softmax over the next token"),
    BuilderInfo("image_captioner", "recurrent", _BOTH, "001:2400-2436, 003:939-976",
                "recurrent", "build_image_captioner",
                "One-to-many: CNN image code fed to an RNN decoder at every step, one word per step"),
    BuilderInfo("caption_mlp", "recurrent", _BOTH, "001:2400-2436, 003:939-976",
                "recurrent", "build_caption_mlp",
                "One-to-one counterpart of image_captioner: the same CNN, all caption words from one Dense layer"),
    BuilderInfo("recursive_nn", "recurrent", _FUNCTIONAL, "001:2680-2726",
                "recursive", "build_recursive_nn",
                "Recursive net: one shared h = f(W[left; right] + b) composed bottom-up over binary trees"),
    BuilderInfo("postorder_rnn", "recurrent", _FUNCTIONAL, "001:2680-2726",
                "recursive", "build_postorder_rnn",
                "Baseline for recursive_nn: an RNN over the tree's post-order (reverse Polish) token sequence"),
    BuilderInfo("seq2seq", "recurrent", _FUNCTIONAL, "001:2494-2590, 002:303-321",
                "seq2seq", "build_seq2seq",
                "Encoder-decoder: encoder RNN's final state starts the decoder; teacher forcing in training, "
                "greedy decoding to END at inference (DecodingTrainer)"),
    BuilderInfo("seq2seq_attention", "recurrent", _FUNCTIONAL, "002:327-375",
                "seq2seq", "build_seq2seq_attention",
                "Bahdanau additive attention over a bidirectional encoder; weights retrievable "
                "(seq2seq.attention_weights)"),
    BuilderInfo("transformer_encoder", "recurrent", _FUNCTIONAL, "002:377, 004:135",
                "seq2seq", "build_transformer_encoder",
                "Multi-head self-attention blocks + position embedding: classifier on tokens, or "
                "encoder-decoder (causal decoder, cross-attention) on encoder/decoder inputs"),
    # -- autoencoders (autoencoders.py) --------------------------------------------------------------
    BuilderInfo("autoencoder", "autoencoder", _BOTH, "001:3287-3451",
                "autoencoders", "build_autoencoder",
                "Dense autoencoder: 784-32-784 undercomplete, 784-128-32-128-784 stacked, or overcomplete "
                "(code > input); encoder and decoder sub-models"),
    BuilderInfo("linear_autoencoder", "autoencoder", _BOTH, "001:3439",
                "autoencoders", "build_linear_autoencoder",
                "Linear autoencoder (no activations): with MSE it spans the PCA subspace"),
    BuilderInfo("sparse_autoencoder", "autoencoder", _BOTH, "001:3464-3556",
                "autoencoders", "build_sparse_autoencoder",
                "Autoencoder with an L1 activity penalty on the code (the notes' l1(10e-5)) or KL sparsity "
                "toward a target activation rho"),
    BuilderInfo("denoising_autoencoder", "autoencoder", _BOTH, "001:3560-3630",
                "autoencoders", "build_denoising_autoencoder",
                "Denoising autoencoder, dense or the notes' convolutional DAE; Gaussian, salt-and-pepper or "
                "masking corruption in training only"),
    BuilderInfo("contractive_autoencoder", "autoencoder", _FUNCTIONAL, "syllabus (001 Unit IV)",
                "autoencoders", "build_contractive_autoencoder",
                "Contractive autoencoder: reconstruction + lambda·||dh/dx||_F^2, Jacobian by gradient tape"),
    BuilderInfo("stochastic_autoencoder", "autoencoder", _FUNCTIONAL, "001:3633-3674",
                "autoencoders", "build_stochastic_autoencoder",
                "Stochastic encoder N(f(x), s^2) and Gaussian / Bernoulli / categorical decoder, trained on "
                "-log p_decoder(x|h)"),
    BuilderInfo("vae", "autoencoder", _FUNCTIONAL, "001:3678-3758",
                "autoencoders", "build_vae",
                "Variational autoencoder, dense or convolutional: mu and log sigma^2, Sampling layer, "
                "reconstruction + KL loss, generate(n)"),
    # -- generative and Boltzmann (generative.py, boltzmann.py) --------------------------------------
    BuilderInfo("gan", "generative", _BOTH, "001:3767-3921, 002:245-301",
                "generative", "build_gan",
                "Dense GAN (keras-io shape): generator and discriminator stacks, two optimizers, d_loss and "
                "g_loss logged, generate(n); 1-D heights with data_offset/data_scale, or images"),
    BuilderInfo("dcgan", "generative", _BOTH, "001:3767-3921, 001:2131-2159",
                "generative", "build_dcgan",
                "Deep convolutional GAN: Conv2DTranspose generator, stride-2 convolutional discriminator, "
                "for square images (8x8 digits, 28x28 MNIST)"),
    BuilderInfo("rbm", "boltzmann", _FUNCTIONAL, "003:1318-1581",
                "boltzmann", "build_rbm",
                "Binary restricted Boltzmann machine trained by contrastive divergence CD-k in its own "
                "train_step (RuleTrainer); negative inputs are missing (unrated) and masked"),
    BuilderInfo("dbn", "boltzmann", _FUNCTIONAL, "001:577, 003:1318-1581",
                "boltzmann", "build_dbn",
                "Deep belief net: sigmoid MLP whose layers are pre-trained greedily as RBMs (CD-k) on the "
                "first fit, then fine-tuned by backpropagation; pretrain_epochs=0 is the random-init control"),
    # -- vision tasks (segmentation.py, detection.py) ------------------------------------------------
    BuilderInfo("fcn", "vision", _BOTH, "002:410, 002:381-404",
                "segmentation", "build_fcn",
                "Fully convolutional segmentation: conv/pool encoder, 1x1 class scores, one Conv2DTranspose "
                "upsampling to full size (FCN-32s), per-pixel softmax"),
    BuilderInfo("unet", "vision", _FUNCTIONAL, "001:2880-2889, 002:381-420",
                "segmentation", "build_unet",
                "U-Net: encoder-decoder with long skips (concatenation) and Conv2DTranspose upsampling"),
    BuilderInfo("yolo", "vision", _BOTH, "002:422-486",
                "detection", "build_yolo",
                "YOLO-style single-shot grid detector: Conv-BN-LeakyReLU, stride-2 downsampling, per-cell box + "
                "objectness + per-class sigmoids, composite loss; NMS-decoded predictions"),
    BuilderInfo("rcnn", "vision", _BOTH, "002:436-446",
                "detection", "build_rcnn",
                "R-CNN-style two-stage baseline: sliding-window proposals, each warped and classified by one "
                "small CNN (background or class) with box regression; NMS-decoded predictions"),
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
    return _function(info)(_shape(input_shape), int(outputs), api=api, **hyper)


def _shape(input_shape: Any) -> Any:
    """A shape as a tuple of ints; a model with several named inputs (an encoder-decoder's
    {"encoder": ..., "decoder": ...}) gets one such tuple per input name."""
    if isinstance(input_shape, Mapping):
        return {str(key): tuple(int(d) for d in shape) for key, shape in input_shape.items()}
    return tuple(int(d) for d in input_shape)
