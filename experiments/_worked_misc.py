"""Worked numbers about models rather than single layers: parameter counts, gates, metrics, regularizers.

* Parameter counts: the notes print no "Total params" line; the value in the notes' column is the
  hand count from the layer sizes in the notes' code (n_in·n_out + n_out per Dense; CATALOG §5 gives
  25,450 for 784-32-10), compared with Keras's `count_params()` of the model the code builds.
* 002:229-243: "y(m² + nm + m), or y(m² + nm) without bias" with m units and n input dimensions; y is
  the number of weight blocks, 1 for a simple RNN, 4 for an LSTM, 3 for a GRU (CATALOG §5). The
  notes pick no m and n; we use n = 10, m = 20.
* 002:184-186 (LSTM forget gate): the OCR shows the added input-gate term as five zeros for a six-
  entry cell state; it is a zero vector of length 6.
* Confusion matrices through `kerasdl.metrics.confusion_metrics` (the suite's own metric code).
"""

from __future__ import annotations

import itertools

import numpy as np

from kerasdl.experiments._worked_common import Registry, digits

REGISTRY = Registry()
N_INPUT, M_UNITS = 10, 20


def _dense_count(*sizes: int) -> int:
    """Hand count of a Dense stack: Σ n_in·n_out + n_out."""
    return sum(a * b + b for a, b in itertools.pairwise(sizes))


# --------------------------------------------------------------------------- parameter counts
@REGISTRY.add("params-784-32-10-seq", "Parameters of Dense(32, relu, input 784) → Dense(10, softmax), "
              "Sequential", "003:364-371 (CATALOG §5)")
def params_sequential():
    import keras

    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    return 25450, model.count_params()


@REGISTRY.add("params-784-32-10-func", "Parameters of the same network, functional API "
              "(Model(inputs=, outputs=))", "003:377-382 (CATALOG §5)")
def params_functional():
    import keras

    inputs = keras.Input((784,))
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Dense(32, activation="relu")(inputs))
    return 25450, keras.Model(inputs=inputs, outputs=outputs).count_params()


@REGISTRY.add("keras1-model-kwargs", "Model(input=..., output=...) as written in the notes, on Keras 3",
              "003:382, 001:3541, 001:3613", expected="ValueError", catalog=True,
              erratum="Keras 1 keyword names; Keras 3 rejects them (ValueError: unrecognized keyword "
                      "arguments); use Model(inputs=..., outputs=...)")
def keras1_model_kwargs():
    import keras

    inputs = keras.Input((784,))
    outputs = keras.layers.Dense(10)(inputs)
    try:
        keras.Model(input=inputs, output=outputs)
    except (TypeError, ValueError) as error:  # Keras 3 raises ValueError; which one is the finding
        return "builds the model", type(error).__name__
    return "builds the model", "builds the model"


@REGISTRY.add("params-registry-mlp", "kerasdl's `mlp` builder with units=[32], 784 → 10", "003:364-371")
def params_registry_mlp():
    from kerasdl import models

    return _dense_count(784, 32, 10), models.build("mlp", (784,), 10, units=[32]).count_params()


@REGISTRY.add("params-l2-layer", "Parameters of Dense(16, l2(0.001), input_shape=(10,))", "003:476-478")
def params_l2_layer():
    import keras

    layer = keras.layers.Dense(16, kernel_regularizer=keras.regularizers.l2(0.001))
    layer.build((None, 10))
    return _dense_count(10, 16), layer.count_params()


@REGISTRY.add("l2-penalty", "l2(0.001) adds 0.001·w² per weight: penalty of that layer with weights "
              "w_ij = (16i+j)/160 (Keras layer.losses; Keras keeps 0.001 in float32, so ±1e-8)", "003:480",
              tolerance=1e-8)
def l2_penalty():
    import keras

    kernel = np.arange(160, dtype="float64").reshape(10, 16) / 160
    layer = keras.layers.Dense(16, kernel_regularizer=keras.regularizers.l2(0.001), dtype="float64")
    layer.build((None, 10))
    layer.set_weights([kernel, np.zeros(16)])
    return 0.001 * float(np.sum(kernel ** 2)), float(sum(layer.losses))


@REGISTRY.add("params-autoencoder", "Parameters of the autoencoder 784 → Dense(32) → Dense(784)",
              "001:3315-3334")
def params_autoencoder():
    import keras

    inputs = keras.Input((784,))
    decoded = keras.layers.Dense(784, activation="sigmoid")(keras.layers.Dense(32, activation="relu")(inputs))
    return _dense_count(784, 32, 784), keras.Model(inputs, decoded).count_params()


@REGISTRY.add("compression-24.5", "'32 floats → compression of factor 24.5': 784 / encoder output width",
              "001:3315")
def compression_factor():
    import keras

    code = keras.layers.Dense(32, activation="relu")(np.zeros((1, 784), dtype="float32"))
    return 24.5, 784 / code.shape[-1]


@REGISTRY.add("params-sparse-ae", "Parameters of the sparse autoencoder 784 → Dense(64) → Dense(784)",
              "001:3514-3541")
def params_sparse_autoencoder():
    import keras

    inputs = keras.Input((784,))
    hidden = keras.layers.Dense(64, activation="relu", activity_regularizer=keras.regularizers.l1(10e-5))(inputs)
    outputs = keras.layers.Dense(784, activation="sigmoid")(hidden)
    return _dense_count(784, 64, 784), keras.Model(inputs, outputs).count_params()


@REGISTRY.add("l1-10e-5", "Strength of regularizers.l1(10e-5): penalty on 64 activations of 1 / 64",
              "001:3528", tolerance=1e-9, expected=1e-4, catalog=True,
              erratum="10e-5 is 10 × 10⁻⁵ = 1e-4, ten times the 1e-5 it reads like; write 1e-5 if that is meant")
def l1_strength():
    import keras

    penalty = float(keras.regularizers.l1(10e-5)(np.ones(64, dtype="float64")))
    return 1e-5, penalty / 64


@REGISTRY.add("params-conv-dae", "Parameters and output shape of the convolutional denoising autoencoder "
              "(5 Conv2D 3×3, 2 pools, 2 upsamplings)", "001:3599-3614")
def params_conv_dae():
    import keras

    x = keras.Input((28, 28, 1))
    h = keras.layers.Conv2D(32, 3, activation="relu", padding="same")(x)
    h = keras.layers.MaxPooling2D(2, padding="same")(h)
    h = keras.layers.Conv2D(32, 3, activation="relu", padding="same")(h)
    h = keras.layers.MaxPooling2D(2, padding="same")(h)
    h = keras.layers.Conv2D(32, 3, activation="relu", padding="same")(h)
    h = keras.layers.UpSampling2D(2)(h)
    h = keras.layers.Conv2D(32, 3, activation="relu", padding="same")(h)
    h = keras.layers.UpSampling2D(2)(h)
    r = keras.layers.Conv2D(1, 3, activation="sigmoid", padding="same")(h)
    model = keras.Model(x, r)
    hand = (9 * 1 * 32 + 32) + 3 * (9 * 32 * 32 + 32) + (9 * 32 * 1 + 1)
    return [hand, 28, 28, 1], [model.count_params(), *model.output.shape[1:]]


# --------------------------------------------------------------------------- recurrent parameter counts
def _recurrent_count(kind: str, **options) -> int:
    import keras

    layer = getattr(keras.layers, kind)(M_UNITS, **options)
    layer.build((None, 5, N_INPUT))
    return layer.count_params()


def _blocks(y: int, bias: bool = True) -> int:
    """The notes' y(m² + nm + m), or y(m² + nm) without bias."""
    m, n = M_UNITS, N_INPUT
    return y * (m * m + n * m + (m if bias else 0))


@REGISTRY.add("rnn-params", "y(m²+nm+m), n=10, m=20, y = 1 / 4 / 3: SimpleRNN, LSTM, GRU(reset_after=False)",
              "002:229-243")
def rnn_params():
    return ([_blocks(1), _blocks(4), _blocks(3)],
            [_recurrent_count("SimpleRNN"), _recurrent_count("LSTM"), _recurrent_count("GRU", reset_after=False)])


@REGISTRY.add("rnn-params-nobias", "y(m²+nm) without bias (use_bias=False): SimpleRNN, LSTM, GRU", "002:231-238")
def rnn_params_nobias():
    return ([_blocks(1, False), _blocks(4, False), _blocks(3, False)],
            [_recurrent_count(k, use_bias=False) for k in ("SimpleRNN", "LSTM", "GRU")])


@REGISTRY.add("gru-reset-after", "3(m²+nm+m) vs Keras's default GRU (reset_after=True)", "002:229-243",
              expected=3 * (M_UNITS ** 2 + N_INPUT * M_UNITS + 2 * M_UNITS), catalog=True,
              erratum="a convention, not a slip: the count 3(m²+nm+m) is that of a GRU with one bias per gate, "
                      "Keras's reset_after=False (row above), which resets h before the matrix product as 002:208 "
                      "does; 000:1683 and 004:1102 reset after it, r ⊙ (U h), which is Keras's default "
                      "reset_after=True — and that form keeps a second bias per gate inside the reset, "
                      "r ⊙ (U h + b′), 3(m²+nm+2m) (see the gru-step rows)")
def gru_reset_after():
    return _blocks(3), _recurrent_count("GRU")


# --------------------------------------------------------------------------- element-wise gates
def _elementwise(kind: str, a, b) -> list[float]:
    import keras

    layer = getattr(keras.layers, kind)(dtype="float64")
    return np.asarray(layer([np.array([a], dtype=float), np.array([b], dtype=float)]))[0].tolist()


@REGISTRY.add("plus-junction", "Plus junction: [3,4,5] + [6,7,8] (keras.layers.Add)", "003:1025-1040")
def plus_junction():
    return [9, 11, 13], _elementwise("Add", [3, 4, 5], [6, 7, 8])


@REGISTRY.add("times-junction", "Times junction: [3,4,5] ⊙ [6,7,8] (keras.layers.Multiply)", "003:1042-1057",
              expected=[18, 28, 40], catalog=True,
              erratum="the slide repeats the sums 9, 11, 13; 3×6, 4×7, 5×8 are 18, 28, 40")
def times_junction():
    return [9, 11, 13], _elementwise("Multiply", [3, 4, 5], [6, 7, 8])


@REGISTRY.add("gating", "Gating: signal 0.8 ⊙ gate [1.0, 0.5, 0.0] (Multiply)", "003:1059-1087", tolerance=1e-12)
def gating():
    return [0.8, 0.4, 0.0], _elementwise("Multiply", [0.8, 0.8, 0.8], [1.0, 0.5, 0.0])


@REGISTRY.add("forget-gate", "LSTM forget gate: c_t = f ⊙ c_{t−1} + 0, f = ½, c_{t−1} = (2,8,9,4,0,6)",
              "002:184-186")
def forget_gate():
    kept = _elementwise("Multiply", [0.5] * 6, [2, 8, 9, 4, 0, 6])
    return [1, 4, 4.5, 2, 0, 3], _elementwise("Add", kept, [0] * 6)


# --------------------------------------------------------------------------- confusion matrices
def _bowel():
    from kerasdl.metrics import confusion_metrics

    return confusion_metrics(tp=20, fp=180, fn=10, tn=1820)                  # 000:1904-1905


@REGISTRY.add("bowel-ratios", "Bowel-cancer screen TP 20, FP 180, FN 10, TN 1820: PPV, NPV, sensitivity, "
              "specificity, accuracy (%, to the printed digits)", "000:1902-1906",
              tolerance=[digits(0), digits(1), digits(0), digits(0), digits(1)])
def bowel_ratios():
    m = _bowel()
    return [10, 99.5, 67, 91, 90.6], [100 * m[k] for k in ("precision", "npv", "sensitivity", "specificity",
                                                           "accuracy")]


@REGISTRY.add("bowel-fpr", "'Specificity (false positive rate)': the FPR of the same screen", "000:1900",
              tolerance=digits(2), expected=0.09, catalog=True,
              erratum="specificity TN/(TN+FP) = 0.91 is the true negative rate; FPR = FP/(FP+TN) = "
                      "1 − specificity = 0.09")
def bowel_fpr():
    return 0.91, _bowel()["fpr"]


@REGISTRY.add("n165-margins", "n=165 (TN 50, FP 10, FN 5, TP 100): total, predicted yes, predicted no, "
              "actual no, actual yes", "001:2969-2974")
def n165_margins():
    from kerasdl.metrics import confusion_matrix, confusion_metrics

    y_true = np.repeat([0, 0, 1, 1], [50, 10, 5, 100])
    y_pred = np.repeat([0, 1, 0, 1], [50, 10, 5, 100])
    (tn, fp), (fn, tp) = confusion_matrix(y_true, y_pred, labels=[0, 1])   # rows actual, columns predicted
    m = confusion_metrics(tp=tp, fp=fp, fn=fn, tn=tn)
    return [165, 110, 55, 60, 105], [m["n"], tp + fp, tn + fn, tn + fp, tp + fn]


@REGISTRY.add("accuracy-95", "Everyone predicted 'no disease', 5 of 100 ill: accuracy", "001:2963")
def accuracy_95():
    from kerasdl.metrics import confusion_metrics

    return 0.95, confusion_metrics(tp=0, fp=0, fn=5, tn=95)["accuracy"]
