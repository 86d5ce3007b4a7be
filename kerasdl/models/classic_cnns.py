"""The named plain-stack CNNs of notes 001:1705-1763: LeNet-5, AlexNet, ZFNet and VGG.

Each is written as a *plan* — a list of steps ("conv", "pool", "dense", ...) — turned into one list of
layers, so the Sequential and functional forms are the same network by construction. Every builder
has `scale="canonical"`, the published network with its published parameter count at its canonical
input size, and `scale="small"` (the default), the same topology with fewer filters and "same"
padding everywhere, so that ⌈n/s⌉ never reaches zero and it trains on 8×8 or 28×28 digits in
seconds. The notes' own figures for these nets are partly wrong (CATALOG.md §6: VGG does not have
"95M parameters"); the papers are the reference.
"""

from __future__ import annotations

import keras

from kerasdl.errors import UserError
from kerasdl.layers import conv_output_size
from kerasdl.models._assemble import assemble, check_choice, unit_layers, weight_regularizer
from kerasdl.models.feedforward import default_output_activation

__all__ = ["build_lenet5", "build_alexnet", "build_zfnet", "build_vgg", "VGG_BLOCKS"]

SCALES = ("small", "canonical")

# Convolutions per block of VGG configurations A, B, D, E (Simonyan & Zisserman 2015, Table 1).
VGG_BLOCKS = {11: (1, 1, 2, 2, 2), 13: (2, 2, 2, 2, 2), 16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}


def _conv(filters, kernel, strides=1, padding="same"):
    return ("conv", filters, kernel, strides, padding)


def _pool(size, strides=None, padding="valid"):
    return ("pool", size, strides or size, padding)


def _plan_model(plan, input_shape, outputs, api, name, *, activation, batch_norm, initializer, l1, l2,
                dropout, pool="max", bn_momentum=0.99, output_activation=None) -> keras.Model:
    """Turn a plan into a model, checking first that no step shrinks the image to nothing.

    `bn_momentum` sets the moving-average momentum of the batch-norm layers that `batch_norm` adds:
    Keras's 0.99 lags for many epochs on small training sets (see modern_cnns.py), 0.9 does not.
    """
    check_choice("pool", pool, ("max", "avg"))
    if len(input_shape) != 3:
        raise UserError(f"{name} expects images (height, width, channels). Received: input_shape={input_shape}")
    size = min(input_shape[:2])
    for step in plan:
        if step[0] == "zeropad":
            size += 2 * step[1]
        elif step[0] in ("conv", "pool"):
            kernel, strides, padding = step[2:5] if step[0] == "conv" else step[1:4]
            size = conv_output_size(size, kernel, strides, padding)
            if size < 1:
                raise UserError(f"{name}: a {input_shape[0]}×{input_shape[1]} input is too small for this "
                                "configuration; use scale='small' or the canonical input size")
    regularizer = weight_regularizer(l1, l2)
    pool_layer = keras.layers.MaxPooling2D if pool == "max" else keras.layers.AveragePooling2D

    def layers():
        out, count = [], {"conv": 0, "pool": 0, "dense": 0, "dropout": 0}
        for step in plan:
            kind = step[0]
            count[kind] = count.get(kind, 0) + 1
            n = count.get(kind)
            if kind == "conv":
                _, filters, kernel, strides, padding = step
                conv = keras.layers.Conv2D(filters, kernel, strides=strides, padding=padding,
                                           kernel_initializer=initializer, kernel_regularizer=regularizer,
                                           name=f"conv_{n}")
                out += unit_layers(conv, activation, batch_norm, name=f"conv_{n}", bn_momentum=bn_momentum)
            elif kind == "pool":
                out.append(pool_layer(step[1], strides=step[2], padding=step[3], name=f"pool_{n}"))
            elif kind == "zeropad":
                out.append(keras.layers.ZeroPadding2D(step[1], name=f"zeropad_{n}"))
            elif kind == "flatten":
                out.append(keras.layers.Flatten(name="flatten"))
            elif kind == "dense":
                dense = keras.layers.Dense(step[1], kernel_initializer=initializer, kernel_regularizer=regularizer,
                                           name=f"dense_{n}")
                out += unit_layers(dense, activation, batch_norm, name=f"dense_{n}", bn_momentum=bn_momentum)
            elif kind == "dropout" and dropout:
                out.append(keras.layers.Dropout(dropout, name=f"dropout_{n}"))
        out.append(keras.layers.Dense(outputs, activation=output_activation or default_output_activation(outputs),
                                      kernel_initializer=initializer, kernel_regularizer=regularizer,
                                      name="output"))
        return out

    return assemble(layers, input_shape, api, name=name)


def build_lenet5(input_shape: tuple[int, ...], outputs: int, *, api: str = "sequential", scale: str = "small",
                 activation: str = "tanh", pool: str = "avg", batch_norm: str | None = None,
                 dropout: float = 0.0, initializer: str = "glorot_uniform", l1: float = 0.0, l2: float = 0.0,
                 bn_momentum: float = 0.99, output_activation: str | None = None) -> keras.Model:
    """LeNet-5 (LeCun et al. 1998; notes 001:1707-1714): C1 6@5×5, pool, C3 16@5×5, pool, F5 120, F6 84.

    Canonical (32×32×1, 10 classes): "valid" convolutions 32→28→14→10→5, 61,706 parameters. Tanh and
    average pooling stand for the paper's scaled tanh and trainable subsampling; C3's partial
    connection table is replaced by full connections, as every modern LeNet-5 does (the count above
    assumes that). Small: the same layers with "same" padding, so 28×28 MNIST or 8×8 digits fit.
    """
    check_choice("scale", scale, SCALES)
    pad = "valid" if scale == "canonical" else "same"
    plan = [_conv(6, 5, padding=pad), _pool(2, padding=pad), _conv(16, 5, padding=pad), _pool(2, padding=pad),
            ("flatten",), ("dropout",), ("dense", 120), ("dropout",), ("dense", 84), ("dropout",)]
    return _plan_model(plan, input_shape, outputs, api, "lenet5", activation=activation, batch_norm=batch_norm,
                       initializer=initializer, l1=l1, l2=l2, dropout=dropout, pool=pool,
                       bn_momentum=bn_momentum, output_activation=output_activation)


def build_alexnet(input_shape: tuple[int, ...], outputs: int, *, api: str = "sequential", scale: str = "small",
                  activation: str = "relu", batch_norm: str | None = None, dropout: float = 0.5,
                  initializer: str = "glorot_uniform", l1: float = 0.0, l2: float = 0.0,
                  bn_momentum: float = 0.99, output_activation: str | None = None) -> keras.Model:
    """AlexNet (Krizhevsky, Sutskever & Hinton 2012; notes 001:1716): 5 conv, 3 dense, 2 dropout, ReLU.

    Canonical: the paper's network as a single tower (its two-GPU split into grouped convolutions
    removed) on 227×227×3 — the size at which the paper's 11×11 stride-4 conv1 gives 55×55 —
    conv 96@11×11/4, max-pool 3/2, conv 256@5×5, pool, conv 384, 384, 256 @3×3, pool → 6×6×256,
    dense 4096, 4096, 1000, dropout 0.5 after each hidden dense layer. Parameters:
    34,944 + 614,656 + 885,120 + 1,327,488 + 884,992 (conv) + 37,752,832 + 16,781,312 + 4,097,000
    (dense) = 62,378,344 (the paper's "60 million"; the two-tower original is 60,965,224 because
    grouping halves conv2, conv4 and conv5). Local response normalisation is left out: it has no
    parameters and later work found it useless; `batch_norm` is the modern substitute.
    Small: channels ÷8, 3×3 stride-1 conv1, "same" pooling, 64-unit dense layers.
    """
    check_choice("scale", scale, SCALES)
    if scale == "canonical":
        plan = [_conv(96, 11, 4, "valid"), _pool(3, 2), _conv(256, 5), _pool(3, 2),
                _conv(384, 3), _conv(384, 3), _conv(256, 3), _pool(3, 2),
                ("flatten",), ("dense", 4096), ("dropout",), ("dense", 4096), ("dropout",)]
    else:
        plan = [_conv(12, 3), _pool(3, 2, "same"), _conv(32, 3), _pool(3, 2, "same"),
                _conv(48, 3), _conv(48, 3), _conv(32, 3), _pool(3, 2, "same"),
                ("flatten",), ("dense", 64), ("dropout",), ("dense", 64), ("dropout",)]
    return _plan_model(plan, input_shape, outputs, api, "alexnet", activation=activation, batch_norm=batch_norm,
                       initializer=initializer, l1=l1, l2=l2, dropout=dropout,
                       bn_momentum=bn_momentum, output_activation=output_activation)


def build_zfnet(input_shape: tuple[int, ...], outputs: int, *, api: str = "sequential", scale: str = "small",
                activation: str = "relu", batch_norm: str | None = None, dropout: float = 0.5,
                initializer: str = "glorot_uniform", l1: float = 0.0, l2: float = 0.0,
                bn_momentum: float = 0.99, output_activation: str | None = None) -> keras.Model:
    """ZFNet (Zeiler & Fergus 2013, Fig. 3; notes 001:1723): AlexNet with a 7×7 stride-2 first layer.

    Visualising AlexNet showed aliasing from conv1's 11×11 stride 4, so ZFNet uses 96@7×7/2 and a
    stride-2 conv2; the rest is AlexNet's single tower. Canonical on 224×224×3, sizes as in the
    paper's figure: pad 1 → conv1 110×110 → pool 3/2 → 55 → conv2 256@5×5/2 → 26 → pool → 13 →
    conv 384, 384, 256 @3×3 → pool → 6×6×256 → dense 4096, 4096, 1000. (The paper's Caffe pooling
    rounds up; "same" pooling reproduces its 55 and 13.) Parameters: 14,208 + 614,656 + 885,120 +
    1,327,488 + 884,992 + 37,752,832 + 16,781,312 + 4,097,000 = 62,357,608, i.e. 20,736 fewer than
    AlexNet, all from the smaller conv1 (contrast normalisation omitted, parameter-free).
    Small: as AlexNet's small version.
    """
    check_choice("scale", scale, SCALES)
    if scale == "canonical":
        plan = [("zeropad", 1), _conv(96, 7, 2, "valid"), _pool(3, 2, "same"), _conv(256, 5, 2, "valid"),
                _pool(3, 2, "same"), _conv(384, 3), _conv(384, 3), _conv(256, 3), _pool(3, 2),
                ("flatten",), ("dense", 4096), ("dropout",), ("dense", 4096), ("dropout",)]
    else:
        plan = [_conv(12, 3), _pool(3, 2, "same"), _conv(32, 3, 2), _pool(3, 2, "same"),
                _conv(48, 3), _conv(48, 3), _conv(32, 3), _pool(3, 2, "same"),
                ("flatten",), ("dense", 64), ("dropout",), ("dense", 64), ("dropout",)]
    return _plan_model(plan, input_shape, outputs, api, "zfnet", activation=activation, batch_norm=batch_norm,
                       initializer=initializer, l1=l1, l2=l2, dropout=dropout,
                       bn_momentum=bn_momentum, output_activation=output_activation)


def build_vgg(input_shape: tuple[int, ...], outputs: int, *, api: str = "sequential", variant: int = 16,
              scale: str = "small", activation: str = "relu", batch_norm: str | None = None, dropout: float = 0.5,
              initializer: str = "glorot_uniform", l1: float = 0.0, l2: float = 0.0,
              bn_momentum: float = 0.99, output_activation: str | None = None) -> keras.Model:
    """VGG (Simonyan & Zisserman 2015; notes 001:1734): only 3×3 convolutions, five pooled blocks.

    Two stacked 3×3 convs see 5×5 with fewer weights and one more nonlinearity, which is the paper's
    argument for depth over kernel size. `variant` 11/13/16/19 picks configuration A/B/D/E.
    Canonical (224×224×3, 1000 classes): blocks of 64, 128, 256, 512, 512 filters, each closed by a
    2×2 max pool, then dense 4096, 4096, 1000 — VGG16 138,357,544 and VGG19 143,667,240 parameters,
    equal to keras.applications.VGG16/VGG19 (not the notes' "95 million"). Dropout 0.5 after the
    two hidden dense layers as in the paper (keras.applications leaves it out; no parameters).
    Small: filters ÷16, "same" pooling (an 8×8 input ends at 1×1), 64-unit dense layers.
    """
    check_choice("scale", scale, SCALES)
    check_choice("variant", variant, tuple(VGG_BLOCKS))
    canonical = scale == "canonical"
    widths = (64, 128, 256, 512, 512) if canonical else (4, 8, 16, 32, 32)
    plan = []
    for width, convs in zip(widths, VGG_BLOCKS[variant]):
        plan += [_conv(width, 3)] * convs + [_pool(2, padding="valid" if canonical else "same")]
    dense = 4096 if canonical else 64
    plan += [("flatten",), ("dense", dense), ("dropout",), ("dense", dense), ("dropout",)]
    return _plan_model(plan, input_shape, outputs, api, f"vgg{variant}", activation=activation,
                       batch_norm=batch_norm, initializer=initializer, l1=l1, l2=l2, dropout=dropout,
                       bn_momentum=bn_momentum, output_activation=output_activation)
