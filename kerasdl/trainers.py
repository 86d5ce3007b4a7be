"""How a variant's model is compiled, fitted and asked for its outputs: the harness's training hook.

The default `Trainer` is plain Keras — `model.compile(optimizer, loss, metrics)`, `model.fit(x, y,
validation_data=...)`, `model.predict(x)` — so an ordinary model needs nothing here. A model that
trains differently plugs in by overriding one step, the way keras-tuner's `HyperModel.fit` lets a
search own its loop:

* a keras-io style GAN compiled with `compile(d_optimizer, g_optimizer, loss_fn)`: override `compile`;
* a generative model scored by its samples: `SamplingTrainer` (`evaluate` asks `model.generate(n)`);
* teacher forcing in training, greedy decoding at inference: override `evaluate`;
* a non-gradient rule (the perceptron rule, contrastive divergence): a `keras.Model` with its own
  `train_step`, trained by the default `fit`;
* weights that start from the data rather than at random (a linear path started as the fitted linear
  baseline, `LinearStartTrainer`): override `initialize`, which runs before `compile`.

Whatever the trainer does, the harness supplies the callbacks (Ctrl-C, divergence, early stopping,
CSV and TensorBoard logs), the seed, the statuses and the record. `fit` must return Keras's
`History` (what `model.fit` returns), which is where the per-epoch logs come from.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AdversarialTrainer", "DecodingTrainer", "Inputs", "LinearStartTrainer", "RuleTrainer", "SamplingTrainer",
           "Trainer", "make_optimizer"]

#: What one split looks like to a trainer: an (x, y) pair of arrays or dicts of arrays (y is None
#: when the task has no target), or a `tf.data.Dataset` of batches that the dataset's pipeline made.
Inputs = Any


def make_optimizer(name: str, learning_rate: Any, /, **options: Any) -> Any:
    """A fresh Keras optimizer by its name (`adam`, `sgd`, ...) with a learning rate and its options
    (momentum, nesterov, ...): what a variant or a search trial compiles with.

    The rate may be a number or a decay schedule: a `keras.optimizers.schedules.LearningRateSchedule`
    or its serialized dict (`keras.optimizers.schedules.serialize(...)`), which Keras deserializes
    itself. A `learning_rate` among the options wins over the positional one; that is how a Variant,
    whose `learning_rate` field is a plain number, asks for a schedule: the serialized schedule in
    `optimizer_options` stays JSON, so the run record shows the schedule it trained with.
    """
    import keras

    return keras.optimizers.get({"class_name": name, "config": {"learning_rate": learning_rate, **options}})


def _unpack(data: Inputs) -> tuple[Any, Any]:
    return data if isinstance(data, tuple) else (data, None)


class Trainer:
    """Plain Keras compile / fit / predict; subclass and override one step to train differently.

    `monitor` (None: the task's) names the logged quantity that early stopping, the best epoch and
    checkpoints watch, e.g. "g_loss" for a GAN; `validate=False` fits without validation data (a
    model with no `test_step` for its kind of data).
    """

    monitor: str | None = None
    validate: bool = True

    def initialize(self, model: Any, train: tuple[Any, Any], validation: tuple[Any, Any], *, task: Any,
                   target_scaling: dict[str, float] | None) -> dict[str, Any] | None:
        """Set the weights the model starts from, given the fold's training and validation arrays (always
        arrays here, whatever the feed), before `compile`; returns a note for the fold's record, or None.
        Default: the weights as built (Keras's initializers, from the harness's seed)."""
        return None

    def fit_callbacks(self, monitor: str | None, lower_is_better: bool, *, validation: tuple[Any, Any],
                      start: dict[str, Any] | None) -> list[Any]:
        """Keras callbacks of the trainer's own for this fit, after the harness's (early stopping among
        them, so their `on_train_end` sees its restored weights), given the fold's validation arrays and
        the note `initialize` returned for this fold. Default: none."""
        return []

    def compile(self, model: Any, *, optimizer: Any, loss: Any, metrics: list[Any]) -> None:
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics)

    def fit(self, model: Any, train: Inputs, validation: Inputs | None, *, epochs: int, batch_size: int | None,
            callbacks: list[Any], verbose: int, **fit_kwargs: Any) -> Any:
        x, y = _unpack(train)
        if not isinstance(train, tuple):
            batch_size = None  # a tf.data pipeline batches (and shuffles) itself
            fit_kwargs.setdefault("shuffle", False)
        return model.fit(x, y, validation_data=validation if self.validate else None, epochs=epochs,
                         batch_size=batch_size, callbacks=callbacks, verbose=verbose, **fit_kwargs)

    def evaluate(self, model: Any, test: Inputs, *, n: int) -> Any:
        """The model's raw outputs for the `n` held-out rows, which the task turns into scores."""
        x, _ = _unpack(test)
        return model.predict(x, batch_size=1024 if isinstance(test, tuple) else None, verbose=0)


class LinearStartTrainer(Trainer):
    """For a network with a linear path beside its hidden layers (`mlp(linear_skip=True)`, whose
    `PlusLinear` layer holds it): the network starts as the task's linear baseline and learns only what
    that misses, which is what `kerasdl fit` trains.

    Before training, the linear path is set to the task's linear model (`Task.linear_estimator()`:
    scikit-learn's logistic or least-squares regression) fitted on the rows the baseline beside it
    learns from — every non-test row, training and validation — and frozen; the hidden path's output
    weights start at zero and its bias at the linear model's intercept. At epoch 0 the network *is*
    the baseline; training changes only the hidden path, and early stopping on the validation rows
    keeps what it adds only while that helps, with the start itself as one more candidate
    (`kerasdl.callbacks.StartIsACandidate`): when no epoch beats it there, the network stays the
    baseline. This is the "combined actuarial neural network" (CANN) of Wüthrich & Merz, "Editorial:
    Yes, we CANN!", ASTIN Bulletin 49(1), 2019: a fitted GLM as a frozen skip connection, a network on
    what it leaves.

    The validation rows thus shape the frozen linear part too; with at most a few dozen inputs a
    regularized linear model overfits them little, and the baseline beside it sees the same rows.
    """

    def initialize(self, model: Any, train: tuple[Any, Any], validation: tuple[Any, Any], *, task: Any,
                   target_scaling: dict[str, float] | None) -> dict[str, Any] | None:
        import numpy as np

        wide = _linear_path(model)
        x = np.concatenate([train[0], validation[0]]).reshape(len(train[0]) + len(validation[0]), -1)
        y = task.estimator_target(np.concatenate([train[1], validation[1]]))
        if target_scaling is not None:  # the network predicts the standardized target (Rescaling maps back)
            y = (np.asarray(y, dtype=np.float64) - target_scaling["mean"]) / target_scaling["std"]
        # The baseline's own coordinates: the network's inputs were standardized on the training rows,
        # the baseline's on training + validation rows, and a penalized fit (logistic regression's L2)
        # depends on the scale. Standardizing again over these rows gives the baseline's design exactly
        # (standardization ignores how a column was shifted and scaled before); indicator (one-hot)
        # columns stay as they are, as the baseline leaves them. The coefficients are mapped back below.
        indicator, spread = np.all((x == 0) | (x == 1), axis=0), x.std(axis=0)
        mean = np.where(indicator, 0.0, x.mean(axis=0))
        sd = np.where(indicator | (spread == 0), 1.0, spread)
        estimator = task.linear_estimator()
        estimator.fit((x - mean) / sd, y)
        kernel, bias = _as_logits(estimator, x.shape[1], wide.units)
        kernel = kernel / sd[:, None]
        bias = bias - mean @ kernel
        wide.linear.kernel.assign(kernel)
        wide.linear.trainable = False  # before compile: the optimizer never sees it
        logits = wide.layer.get_layer("hidden_logits")  # the hidden path's output layer (build_mlp names it)
        logits.kernel.assign(np.zeros(logits.kernel.shape))
        logits.bias.assign(bias)
        return {"linear_path": f"{type(estimator).__name__} fitted on {len(x)} training and validation rows, "
                               "frozen; the hidden path starts at zero"}

    def fit_callbacks(self, monitor: str | None, lower_is_better: bool, *, validation: tuple[Any, Any],
                      start: dict[str, Any] | None) -> list[Any]:
        if monitor is None or not monitor.startswith("val_") or start is None:
            return []
        from kerasdl.callbacks import StartIsACandidate

        # The start's note is the fold record's `start` entry: the callback adds its verdict to it.
        return [StartIsACandidate(validation, monitor, lower_is_better, start)]


def _linear_path(model: Any) -> Any:
    from kerasdl.models.feedforward import PlusLinear

    found = [layer for layer in getattr(model, "layers", ()) if isinstance(layer, PlusLinear)]
    if len(found) != 1:
        raise TypeError("LinearStartTrainer: expected a model with one linear path (a PlusLinear layer, e.g. "
                        f"mlp(linear_skip=True)). Received: {type(model).__name__} with {len(found)}")
    return found[0]


def _as_logits(estimator: Any, n_features: int, units: int) -> tuple[Any, Any]:
    """A fitted linear scikit-learn model as the (kernel, bias) of a layer with `units` outputs: one
    unit (a sigmoid or a regression output) takes the single coefficient row; softmax units take each
    class's row, a binary model's row going to its second class (the first keeps logit 0, as in the
    logistic model), and classes a fold lacks keep zeros."""
    import numpy as np

    coef = np.asarray(estimator.coef_, dtype=np.float64).reshape(-1, n_features)
    intercept = np.broadcast_to(np.asarray(estimator.intercept_, dtype=np.float64).reshape(-1), (len(coef),))
    kernel, bias = np.zeros((n_features, units)), np.zeros(units)
    if units == 1:
        kernel[:, 0], bias[0] = coef[0], intercept[0]
        return kernel, bias
    classes = np.asarray(estimator.classes_, dtype=int)
    columns = classes[1:] if len(coef) == 1 else classes
    kernel[:, columns], bias[columns] = coef.T, intercept
    return kernel, bias


class RuleTrainer(Trainer):
    """For a model that updates its own weights in `train_step` without gradients (the perceptron rule,
    contrastive divergence): compiled with no optimizer and no loss, since neither is used; the model
    logs what it measures itself. The early-stopping monitor stays the task's (`val_loss`, which such a
    model's `test_step` reports)."""

    def compile(self, model: Any, *, optimizer: Any, loss: Any, metrics: list[Any]) -> None:
        model.compile()


class SamplingTrainer(Trainer):
    """For generative models (`generation` task): fit on the inputs alone, then draw as many samples
    as there are held-out rows through the model's `generate(n)` method, seeded by the harness."""

    validate = False

    def evaluate(self, model: Any, test: Inputs, *, n: int) -> Any:
        if not callable(getattr(model, "generate", None)):
            raise TypeError(f"SamplingTrainer: expected a model with a generate(n) method. "
                            f"Received: {type(model).__name__}, which has none")
        return model.generate(n)


class AdversarialTrainer(SamplingTrainer):
    """For a GAN in the keras-io shape: `compile(d_optimizer, g_optimizer, loss_fn)`, a `train_step`
    that updates discriminator and generator in turn and logs `d_loss` and `g_loss`, and `generate(n)`.

    The variant's optimizer settings make both optimizers (two instances: each keeps its own moments),
    and the variant's or the task's loss becomes `loss_fn`.
    """

    def compile(self, model: Any, *, optimizer: Any, loss: Any, metrics: list[Any]) -> None:
        import keras

        twin = type(optimizer).from_config(optimizer.get_config())
        model.compile(d_optimizer=optimizer, g_optimizer=twin, loss_fn=keras.losses.get(loss))


class DecodingTrainer(Trainer):
    """For encoder-decoder models (`seq2seq` task): fitted with teacher forcing — the decoder input is the
    true target shifted right behind START, so every step learns from the right history — but evaluated
    the way a translation is made: greedy decoding from the encoder input alone, each step's most probable
    token fed back as the next step's input until END or the target length (notes 001:2494-2590: "the
    model will predict the output until the END symbol occurs"). Scores from teacher-forced `predict`
    would flatter the model, since it would never see its own mistakes.

    The test inputs must be a dict with the encoder inputs under `encoder_key` and the decoder inputs
    under `decoder_key` (their width is the longest output); `start`/`end` are the target ids of the
    START and END marks.
    """

    def __init__(self, *, start: int = 1, end: int = 2, encoder_key: str = "encoder",
                 decoder_key: str = "decoder") -> None:
        self.start, self.end, self.encoder_key, self.decoder_key = start, end, encoder_key, decoder_key

    def evaluate(self, model: Any, test: Inputs, *, n: int) -> Any:
        from kerasdl.models.seq2seq import greedy_decode

        x, _ = _unpack(test)
        if not isinstance(x, dict) or {self.encoder_key, self.decoder_key} - set(x):
            raise TypeError(f"DecodingTrainer: expected test inputs as a dict with {self.encoder_key!r} and "
                            f"{self.decoder_key!r}. Received: {type(x).__name__}")
        length = int(x[self.decoder_key].shape[1])
        return greedy_decode(model, x[self.encoder_key], length=length, start=self.start, end=self.end,
                             encoder_key=self.encoder_key, decoder_key=self.decoder_key)
