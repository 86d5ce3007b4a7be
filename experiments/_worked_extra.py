"""Worked numbers of the notes' prose and code listings: layer shapes, transposed and dilated convolution,
momentum rules, dropout, updates per epoch, entropy, accuracy, splits, probability distributions.

Many of these are not printed tables but a sentence with a number ("1000 rows → 1000 updates", "12
filters → 32×32×12") or a code listing whose output the notes plot; the row then computes the
sentence's number with Keras, NumPy, SciPy or scikit-learn and puts it beside the number the notes
state. Where the notes give no values to compute with, the row says which it chose (the one-weight
problem of 003:178-184 for the momentum rules, the 6×6 image of 000:509 for deconvolution).

Reconstructions from the notes' text:

* 001:2147-2151 (transposed convolution): the figures are missing; "without padding 7×7, with padding
  5×5" is a 5×5 input and a 3×3 kernel at stride 1, and "stride 2 takes 3×3 to 5×5" is a 3×3 input,
  a 3×3 kernel and padding 1 — the transpose of the stride-2, padding-1 convolution that maps 5×5 to
  3×3. Padding p of a transposed convolution crops p from each side of its output (001:2143), which in
  Keras is Conv2DTranspose(padding="valid") followed by Cropping2D(p).
* 003:222-248 (momentum): the listing is Chollet's (Deep Learning with Python, §2.4.3) with the sign
  of the gradient term in the velocity flipped; with Chollet's sign it is Nesterov momentum, which is
  Keras's SGD(momentum=m, nesterov=True) update.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from kerasdl.experiments._worked_common import Registry

REGISTRY = Registry()

ONE_WEIGHT_SAMPLES = ((2.0, 4.0), (1.0, 2.0), (3.0, 6.0))           # 003:182-184, y = x·w with w = 2
LEARNING_RATE, MOMENTUM = 0.1, 0.1                                   # 003:179, 003:222


# --------------------------------------------------------------------------- layer shapes
@REGISTRY.add("convnet-32x32x3", "32×32×3 input → Conv2D(12 filters, 3×3, 'same') → ReLU → MaxPooling2D(2, 2): "
              "output shapes (the notes keep 32×32, so 'same' padding)", "001:1789-1794")
def convnet_shapes():
    import keras

    inputs = keras.Input((32, 32, 3))
    conv = keras.layers.Conv2D(12, 3, padding="same")(inputs)
    relu = keras.layers.Activation("relu")(conv)
    pooled = keras.layers.MaxPooling2D(2, strides=2)(relu)
    return ([[32, 32, 12], [32, 32, 12], [16, 16, 12]],
            [list(t.shape[1:]) for t in (conv, relu, pooled)])


def _transposed(size: int, kernel: int, strides: int, padding: str, crop: int = 0) -> int:
    """Output length of a real Conv2DTranspose (then Cropping2D(crop): the transposed conv's padding)."""
    import keras

    layer = keras.layers.Conv2DTranspose(1, kernel, strides=strides, padding=padding)
    out = layer(np.zeros((1, size, size, 1), dtype="float32"))
    if crop:
        out = keras.layers.Cropping2D(crop)(out)
    return int(out.shape[1])


@REGISTRY.add("transposed-padding", "Conv2DTranspose, 5×5 input, 3×3 kernel, stride 1: output without padding, "
              "and with padding 1 on both sides (Keras 'same')", "001:2143-2147")
def transposed_padding():
    return [7, 5], [_transposed(5, 3, 1, "valid"), _transposed(5, 3, 1, "same")]


@REGISTRY.add("transposed-stride-2", "Conv2DTranspose, 3×3 input, 3×3 kernel, strides (2,2), padding 1 (valid, "
              "then Cropping2D(1)) → 5×5; the stride-2 padding-1 Conv2D it transposes maps 5×5 back to 3×3",
              "001:2147-2151")
def transposed_stride_2():
    import keras

    forward = keras.layers.Conv2D(1, 3, strides=2)(keras.layers.ZeroPadding2D(1)(np.zeros((1, 5, 5, 1), "float32")))
    return [5, 3], [_transposed(3, 3, 2, "valid", crop=1), int(forward.shape[1])]


@REGISTRY.add("dilation-skip", "Dilated Conv2D, 3×3 kernel: pixels skipped between kernel taps for l = 2 and 3 "
              "(the notes: l − 1), read off the layer's response to one-pixel images", "001:2173-2182")
def dilation_skip():
    import keras

    skipped = []
    for rate in (2, 3):
        size = 2 * rate + 1                              # the dilated kernel's extent, k + (k−1)(l−1)
        layer = keras.layers.Conv2D(1, 3, dilation_rate=rate, use_bias=False, kernel_initializer="ones")
        basis = np.eye(size * size, dtype="float32").reshape(-1, size, size, 1)   # one lit pixel each
        seen = np.asarray(layer(basis))[:, 0, 0, 0].reshape(size, size)          # which pixels output (0,0) reads
        columns = np.flatnonzero(seen[0])
        skipped.append(int(np.diff(columns)[0] - 1))
    return [1, 2], skipped


# --------------------------------------------------------------------------- transposed conv vs deconvolution
@lru_cache(maxsize=1)  # four rows and the report's images read it; callers do not modify the arrays
def deconvolution_demo() -> dict[str, np.ndarray]:
    """001:2153-2159 with the 6×6 image and X kernel of 000:509: conv, Conv2DTranspose, least-squares deconvolution.

    The convolution is linear, y = A x; A is read off Keras's Conv2D applied to the 36 one-pixel
    images. Conv2DTranspose with the same kernel computes Aᵀ y (the *transpose*, hence the name),
    which has x's shape but not its values. A deconvolution inverts A: for the "full" convolution
    (Conv2D on the image zero-padded by 2, 8×8 outputs for 36 unknowns) A has full column rank and
    least squares returns x exactly; for the "valid" 4×4 output (16 equations) no inverse exists.
    """
    import keras

    from kerasdl.experiments._worked_conv import IMAGE_6X6, KERNEL_X

    def fixed(kind: str, size: int):
        """A one-filter layer of `kind` with KERNEL_X as its weights, for size×size inputs."""
        made = getattr(keras.layers, kind)(1, 3, use_bias=False, dtype="float64")
        made.build((None, size, size, 1))
        made.set_weights([KERNEL_X[:, :, None, None]])
        return made

    def full_conv(images):
        return np.asarray(fixed("Conv2D", 10)(np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))))

    x = IMAGE_6X6
    valid = np.asarray(fixed("Conv2D", 6)(x[None, :, :, None]))[0, :, :, 0]
    transposed = np.asarray(fixed("Conv2DTranspose", 4)(valid[None, :, :, None]))[0, :, :, 0]
    basis = np.eye(36).reshape(36, 6, 6, 1)
    a_valid = np.asarray(fixed("Conv2D", 6)(basis)).reshape(36, 16).T        # 16 × 36
    a_full = full_conv(basis).reshape(36, 64).T                                   # 64 × 36
    full = full_conv(x[None, :, :, None])[0, :, :, 0]
    deconvolved = np.linalg.lstsq(a_full, full.ravel(), rcond=None)[0].reshape(6, 6)
    return {"image": x, "valid": valid, "transposed": transposed, "adjoint": (a_valid.T @ valid.ravel()).reshape(6, 6),
            "full": full, "deconvolved": deconvolved, "rank_valid": np.linalg.matrix_rank(a_valid),
            "rank_full": np.linalg.matrix_rank(a_full)}


@REGISTRY.add("transposed-shape", "Conv2D(3×3, valid) takes the 6×6 image to 4×4; Conv2DTranspose with the same "
              "kernel takes that back to the input's shape", "001:2159")
def transposed_shape():
    return [6, 6], list(deconvolution_demo()["transposed"].shape)


@REGISTRY.add("transposed-is-adjoint", "Conv2DTranspose(y) equals Aᵀy, A the Conv2D's matrix read off Keras "
              "(max |difference|): the transposed convolution is the matrix transpose, not the inverse",
              "001:2134, 001:2153-2159", tolerance=1e-9)
def transposed_is_adjoint():
    demo = deconvolution_demo()
    return 0.0, float(np.max(np.abs(demo["transposed"] - demo["adjoint"])))


@REGISTRY.add("transposed-not-inverse", "Does Conv2DTranspose(Conv2D(x)), same kernel, give x back?",
              "001:2159")
def transposed_not_inverse():
    demo = deconvolution_demo()
    return "no", "yes" if np.allclose(demo["transposed"], demo["image"]) else "no"


@REGISTRY.add("deconvolution-recovers", "Deconvolution by least squares on the full convolution (8×8 from 6×6): "
              "max |x̂ − x| (the notes: 'you get back the exact same input')", "001:2157", tolerance=1e-8)
def deconvolution_recovers():
    demo = deconvolution_demo()
    return 0.0, float(np.max(np.abs(demo["deconvolved"] - demo["image"])))


# --------------------------------------------------------------------------- momentum
def _keras_momentum(*, nesterov: bool, momentum: float = MOMENTUM) -> list[float]:
    """w after each sample of 003:182-184 from w = 0.5, lr 0.1, E = (xw − y)², Keras SGD with momentum."""
    import keras
    import tensorflow as tf

    w = keras.Variable(0.5, dtype="float64")
    optimizer = keras.optimizers.SGD(LEARNING_RATE, momentum=momentum, nesterov=nesterov)
    out = []
    for x, y in ONE_WEIGHT_SAMPLES:
        with tf.GradientTape() as tape:
            loss = (x * w - y) ** 2
        optimizer.apply_gradients([(tape.gradient(loss, w), w)])
        out.append(float(w.numpy()))
    return out


def _listing_momentum(sign: float) -> list[float]:
    """003:230-247 in NumPy: velocity = past·m + sign·lr·g; w = w + m·velocity − lr·g (sign +1: as printed)."""
    w, past, out = 0.5, 0.0, []
    for x, y in ONE_WEIGHT_SAMPLES:
        gradient = 2 * x * (x * w - y)
        velocity = past * MOMENTUM + sign * LEARNING_RATE * gradient
        w = w + MOMENTUM * velocity - LEARNING_RATE * gradient
        past = velocity
        out.append(w)
    return out


@REGISTRY.add("momentum-003-listing", "Momentum 0.1, lr 0.1 on the one-weight problem (w = 0.5, samples (2,4), "
              "(1,2), (3,6)): w after each update, the listing's rule vs Keras SGD(momentum=0.1, nesterov=True) "
              "(±1e-6: Keras keeps the learning rate in float32)",
              "003:217-248", tolerance=1e-6, expected=_listing_momentum(-1.0), catalog=True,
              erratum="the velocity adds +lr·g, so w + m·velocity − lr·g = w + m²·v_prev − (1 − m)·lr·g: the "
                      "accumulated m²·v_prev points uphill. With velocity = m·v − lr·g (Chollet's listing, which "
                      "this is) the rule is Nesterov momentum, Keras SGD(momentum=m, nesterov=True)")
def momentum_listing():
    return _listing_momentum(+1.0), _keras_momentum(nesterov=True)


@REGISTRY.add("momentum-003-accumulator", "Momentum as 003:313-316 — accumulator ← accumulator·m + g, w ← w − lr·"
              "accumulator — vs Keras SGD(momentum=0.1) on the one-weight problem: w after each update (±1e-6)",
              "003:311-316", tolerance=1e-6)
def momentum_accumulator():
    w, accumulator, out = 0.5, 0.0, []
    for x, y in ONE_WEIGHT_SAMPLES:
        accumulator = accumulator * MOMENTUM + 2 * x * (x * w - y)
        w -= LEARNING_RATE * accumulator
        out.append(w)
    return out, _keras_momentum(nesterov=False)


@REGISTRY.add("momentum-004-378", "Δw(t) = −ε·dE/dw + α·Δw(t−1), ε = 0.1, α = 0.5, on the one-weight problem, "
              "vs Keras SGD(0.1, momentum=0.5): w after each update (±1e-6)", "004:378-390", tolerance=1e-6)
def momentum_004():
    w, change, out = 0.5, 0.0, []
    for x, y in ONE_WEIGHT_SAMPLES:
        change = -LEARNING_RATE * 2 * x * (x * w - y) + 0.5 * change
        w += change
        out.append(w)
    return out, _keras_momentum(nesterov=False, momentum=0.5)


@REGISTRY.add("momentum-004-labels", "What −ε and α of Δw(t) = −ε·dE/dw + α·Δw(t−1) are, identified from two "
              "Keras SGD(learning_rate=0.01, momentum=0.9) steps with known gradients", "004:378-390",
              expected="ε: learning rate; α: momentum", catalog=True,
              erratum="the underbraces label −ε 'Bias' and α·Δw(t−1) 'Learning Rate'; the lines below the "
                      "formula (004:384-388) have it right: ε is the learning rate, α the momentum")
def momentum_labels():
    import keras

    w = keras.Variable(0.0, dtype="float64")
    optimizer = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)
    gradients, changes = (1.0, 3.0), []
    for g in gradients:
        before = float(w.numpy())
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(g, dtype="float64"), w)])
        changes.append(float(w.numpy()) - before)
    epsilon = -changes[0] / gradients[0]                     # Δw(1) = −ε·g₁
    alpha = (changes[1] + epsilon * gradients[1]) / changes[0]  # Δw(2) = −ε·g₂ + α·Δw(1)
    # rounded to 6 digits: Keras keeps the learning rate in float32
    names = {round(float(optimizer.learning_rate), 6): "learning rate", round(optimizer.momentum, 6): "momentum"}
    return ("ε: Bias; α: Learning Rate",
            f"ε: {names.get(round(epsilon, 6), 'neither')}; α: {names.get(round(alpha, 6), 'neither')}")


# --------------------------------------------------------------------------- dropout
def _dropout_outputs(rate: float, draws: int = 20000) -> dict[str, float]:
    """A Dense(1) unit on a fixed input, over `draws` dropout masks, in the notes' and Keras's schemes."""
    import keras

    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1.5, size=(1, 16))
    weights = rng.normal(size=(16, 1))
    keras.utils.set_random_seed(0)
    dropped = np.asarray(keras.layers.Dropout(rate, dtype="float64")(np.repeat(x, draws, 0), training=True))
    keras_train = dropped @ weights                   # inverted dropout: kept units ×1/(1−p) in training
    notes_train = (dropped * (1 - rate)) @ weights    # the notes' training: units dropped, nothing rescaled
    return {"dropped": float(np.mean(dropped == 0)),
            "keras_ratio": float(np.mean(keras_train) / (x @ weights).item()),           # test: weights as trained
            "notes_ratio": float(np.mean(notes_train) / (x @ (weights * (1 - rate))).item())}  # test: weights ×(1−p)


@REGISTRY.add("dropout-rates", "Fraction of units Keras Dropout zeroes in training, p = 0.5 (hidden) and 0.2 "
              "(input), over 20,000 × 16 units (±0.01)", "001:2914, 004:625-629", tolerance=0.01)
def dropout_rates():
    return [0.5, 0.2], [_dropout_outputs(0.5)["dropped"], _dropout_outputs(0.2)["dropped"]]


@REGISTRY.add("dropout-halving", "Mean training output ÷ test output of a Dense unit, p = 0.5: the notes' weights "
              "halved at test time, and Keras's inverted dropout (×2 in training, weights kept) — both 1 in "
              "expectation (±0.02 over 20,000 masks)", "001:2920, 004:640", tolerance=0.02)
def dropout_halving():
    found = _dropout_outputs(0.5)
    return [1.0, 1.0], [found["notes_ratio"], found["keras_ratio"]]


# --------------------------------------------------------------------------- training, entropy, metrics
@REGISTRY.add("sgd-updates-1000", "Optimizer updates in one epoch over 1000 rows: model.fit with batch_size=1 "
              "(SGD) and batch_size=1000 (gradient descent), counted by optimizer.iterations", "001:946-948")
def sgd_updates():
    import keras

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(1000, 3)).astype("float32"), rng.normal(size=(1000, 1)).astype("float32")
    counts = []
    for batch_size in (1, 1000):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        # steps_per_execution runs 100 steps per graph call (fast); each step is still one update
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", steps_per_execution=100)
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
        counts.append(int(model.optimizer.iterations.numpy()))
    return [1000, 1], counts


@REGISTRY.add("entropy-coin-die", "e^H of a fair coin and a fair die, H = Keras categorical cross-entropy of the "
              "distribution with itself (nats): the 'number of potential outcomes' the notes compare",
              "004:518", tolerance=1e-9)
def entropy_coin_die():
    import keras

    out = []
    for sides in (2, 6):
        p = np.full((1, sides), 1.0 / sides)
        out.append(math.exp(float(keras.losses.categorical_crossentropy(p, p)[0])))
    return [2, 6], out


@REGISTRY.add("accuracy-60-40", "Accuracy on a roughly 60:40 two-class set (scikit-learn's bundled breast-cancer "
              "data, 62.7 % benign): standardised logistic regression on a stratified 70:30 split, and the "
              "always-majority baseline (±0.02, ±0.03)", "001:2959", tolerance=[0.02, 0.03])
def accuracy_60_40():
    from sklearn.datasets import load_breast_cancer
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, stratify=y, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x_train, y_train)
    baseline = DummyClassifier(strategy="most_frequent").fit(x_train, y_train)
    return [0.97, 0.60], [model.score(x_test, y_test), baseline.score(x_test, y_test)]


@REGISTRY.add("split-70-30", "train_test_split(test_size=0.3) of 1000 rows: training and test rows (%)",
              "001:1296")
def split_70_30():
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(np.arange(1000), test_size=0.3, random_state=0)
    return [70, 30], [100 * len(train) / 1000, 100 * len(test) / 1000]


@REGISTRY.add("lower-lr-faster", "Which learning rate brings the one-weight problem (003:178-184) within 0.01 "
              "of w = 2 in fewer SGD updates, 0.01 or 0.1 (Keras SGD; the counts are in the summary)",
              "001:3123", expected="0.1", catalog=True,
              erratum="a lower learning rate takes smaller steps and needs more of them (until the rate is "
                      "large enough to overshoot); the learning-rate study measures this on real data")
def lower_lr_faster():
    counts = learning_rate_steps()
    return "0.01", min(counts, key=counts.get)


def learning_rate_steps() -> dict[str, int]:
    """SGD updates (cycling through 003:182-184) until |w − 2| < 0.01, from w = 0.5, per learning rate."""
    import keras
    import tensorflow as tf

    counts = {}
    for rate in ("0.01", "0.1"):
        w = keras.Variable(0.5, dtype="float64")
        optimizer = keras.optimizers.SGD(float(rate))
        step = 0
        while abs(float(w.numpy()) - 2.0) >= 0.01 and step < 10_000:
            x, y = ONE_WEIGHT_SAMPLES[step % 3]
            with tf.GradientTape() as tape:
                loss = (x * w - y) ** 2
            optimizer.apply_gradients([(tape.gradient(loss, w), w)])
            step += 1
        counts[rate] = step
    return counts


# --------------------------------------------------------------------------- probability distributions
@REGISTRY.add("binomial-pmf", "The listing's binom.pmf(r, n=5, p=0.4), r = 0…5, vs the closed form C(n,r)·pᵣ·"
              "(1−p)ⁿ⁻ʳ in NumPy; the last value is the sum (the notes: 'properly normalized')", "001:640-665",
              tolerance=1e-12)
def binomial_pmf():
    from scipy.stats import binom

    n, p = 5, 0.4                                                    # 001:656-657
    listing = [float(binom.pmf(r, n, p)) for r in range(n + 1)]
    closed = [math.comb(n, r) * p ** r * (1 - p) ** (n - r) for r in range(n + 1)]
    return [*listing, 1.0], [*closed, float(np.sum(closed))]


@REGISTRY.add("binomial-six-times", "Number of tosses in the binomial listing: the largest r with nonzero pmf",
              "001:647-658", expected=5, catalog=True,
              erratum="the text tosses the coin 'six times', the code sets n = 5 (six outcomes r = 0…5 are five "
                      "tosses); six tosses need n = 6")
def binomial_six_times():
    from scipy.stats import binom

    return 6, int(binom(5, 0.4).support()[1])


@REGISTRY.add("bernoulli-mean", "bernoulli(0.6): pmf of 0 and 1, and the expected value ('is p')", "001:679-695",
              tolerance=1e-12)
def bernoulli_mean():
    from scipy.stats import bernoulli

    bd = bernoulli(0.6)
    return [0.4, 0.6, 0.6], [*map(float, bd.pmf([0, 1])), float(bd.mean())]


@REGISTRY.add("poisson-mean", "Mean of the listing's random.poisson(lam=5, size=100), seeded (±3 standard errors "
              "of a 100-draw mean, 3·√(5/100))", "001:717-737", tolerance=3 * math.sqrt(5 / 100))
def poisson_mean():
    return 5.0, float(np.mean(np.random.default_rng(0).poisson(lam=5, size=100)))


def _listing_normal_pdf(x, mean, sd):
    return (np.pi * sd) * np.exp(-0.5 * ((x - mean) / sd) ** 2)   # 001:772-774 as printed


@REGISTRY.add("normal-pdf", "Area under the listing's normal_dist for its own data (x = linspace(1, 50, 100), "
              "mean and sd of x), integrated by scipy.integrate.quad, vs scipy.stats.norm.pdf", "001:765-787",
              tolerance=1e-6, expected=1.0, catalog=True,
              erratum="normal_dist multiplies by π·sd; the density is exp(−½((x−μ)/σ)²) / (σ·√(2π)), whose "
                      "area is 1 (the listing's area is 2π√(2π)·σ² times too large)")
def normal_pdf():
    from scipy.integrate import quad
    from scipy.stats import norm

    x = np.linspace(1, 50, 100)                                     # 001:768
    mean, sd = float(np.mean(x)), float(np.std(x))
    listing = quad(_listing_normal_pdf, -np.inf, np.inf, args=(mean, sd))[0]
    return listing, quad(norm.pdf, -np.inf, np.inf, args=(mean, sd))[0]


# --------------------------------------------------------------------------- text errata
@REGISTRY.add("attention-sum", "Which sum of the attention weights is 1 in Keras's AdditiveAttention "
              "(Bahdanau's a(s, h)), 3 decoder steps i over 5 encoder states j", "002:347-372",
              expected="Σⱼ αᵢⱼ = 1 for each i", catalog=True,
              erratum="αᵢⱼ is a softmax over the encoder positions j (002:353 divides by Σₖ exp(cᵢₖ)), so "
                      "Σⱼ αᵢⱼ = 1 for each output step i; Σᵢ over the output steps is not 1")
def attention_sum():
    import keras

    rng = np.random.default_rng(0)
    query, value = rng.normal(size=(1, 3, 4)), rng.normal(size=(1, 5, 4))
    _, scores = keras.layers.AdditiveAttention(dtype="float64")([query, value], return_attention_scores=True)
    scores = np.asarray(scores)[0]                                   # (i, j)
    over_j, over_i = np.allclose(scores.sum(axis=1), 1), np.allclose(scores.sum(axis=0), 1)
    found = "Σⱼ αᵢⱼ = 1 for each i" if over_j and not over_i else \
        "Σᵢ αᵢⱼ = 1 for each j" if over_i and not over_j else "neither"
    return "Σᵢ αᵢⱼ = 1 for each j", found


@REGISTRY.add("stride-label", "What (Input size − Kernel size)/Stride + 1 is, for the notes' 5×5 input, 3×3 kernel "
              "at strides 1 and 2 (Keras Conv2D output lengths 3 and 2)", "004:781-795",
              expected="output size", catalog=True,
              erratum="the formula is labelled 'Stride ='; it is the output size (004:819 has it right)")
def stride_label():
    import keras

    strides = (1, 2)
    formula = [(5 - 3) // s + 1 for s in strides]
    output = [keras.layers.Conv2D(1, 3, strides=s)(np.zeros((1, 5, 5, 1), "float32")).shape[1] for s in strides]
    if formula == output:
        return "stride", "output size"
    return "stride", "stride" if formula == list(strides) else "neither"
