"""Learning from few labels: transfer from a pre-trained network, and pseudo-labelling (a trainer).

Notes 001:1448 and 001:1470 name transfer learning and semi-supervised learning as the answers to
"great performances with a lot less training data". `FewLabelTrainer` is a `kerasdl.trainers.Trainer`
that gives the harness's variant (any classifier whose head starts at its first Dense layer, e.g. the
`cnn` builder) only `labels_per_class` labelled training rows and then trains it one of four ways:

* `init="scratch"` — random weights, the labelled rows only (the baseline);
* `init="frozen"` — the convolutional base (every layer before the first Dense) copied from the same
  architecture pre-trained on a *source* dataset and frozen; only the dense head learns;
* `init="fine-tune"` — the same copied base, but every layer keeps learning;
* `pseudo_labels=True` (with any init) — after the first fit, the model labels the *unlabelled*
  training rows (the rest of the training split, whose labels it is never shown), the predictions
  with probability ≥ `threshold` join the labelled rows, and training continues on both: the
  simplest semi-supervised method (self-training).

Pre-training runs once per (source, architecture, epochs, seed) in this process and is cached, so the
variants and folds of a run share one pre-trained network. The run's seed reaches the trainer only
through the random generators the harness seeded before building the model, so the trainer draws its
seed from NumPy's right then: the same run seed gives the same labelled subset, the same pre-training
and the same pseudo-labels, and every variant of a run with the same architecture draws the same one.
Keras is imported inside the methods (experiment scripts import this module).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kerasdl.trainers import Trainer

__all__ = ["FewLabelTrainer", "INITS", "few_labels", "transferred_layers"]

INITS = ("scratch", "frozen", "fine-tune")
_PRETRAINED: dict[tuple, list[list[np.ndarray]]] = {}  # (source, architecture, epochs, seed) → base weights


def few_labels(y: np.ndarray, per_class: int, *, seed: int) -> np.ndarray:
    """Sorted row indices of `per_class` rows of every class in `y` (all of a class that has fewer)."""
    rng = np.random.default_rng(seed)
    y = np.asarray(y).reshape(-1)
    picked = [rng.permutation(np.flatnonzero(y == c))[:per_class] for c in np.unique(y)]
    return np.sort(np.concatenate(picked))


def transferred_layers(model) -> list:
    """The layers copied from the pre-trained network: everything before the first Dense layer (the
    convolutional base and its flatten or global pool); the dense head is always learnt anew."""
    import keras

    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    first_dense = next((i for i, layer in enumerate(layers) if isinstance(layer, keras.layers.Dense)), None)
    if not first_dense:
        raise ValueError(f"FewLabelTrainer: expected a model with layers before its first Dense layer. "
                         f"Received: {model.name} with layers {[layer.name for layer in layers]}")
    return layers[:first_dense]


class FewLabelTrainer(Trainer):
    """Train on `labels_per_class` labelled rows, from scratch or from a pre-trained base, optionally
    adding confident pseudo-labels of the unlabelled training rows (see the module docstring).

    `pretrain_epochs` is capped by the epochs the harness grants the fit, so `--quick` and `--epochs`
    shorten pre-training too. After `fit`, `stats` holds what happened (labelled rows, source accuracy,
    pseudo-labels added and how many of them were right) for a probe to record.
    """

    def __init__(self, *, labels_per_class: int, init: str = "scratch", pseudo_labels: bool = False,
                 threshold: float = 0.95, source: str = "digits-0-4", pretrain_epochs: int = 30,
                 pretrain_learning_rate: float = 3e-3) -> None:
        if init not in INITS:
            raise ValueError(f"FewLabelTrainer: expected init in {INITS}. Received: init={init!r}")
        if not isinstance(labels_per_class, int) or labels_per_class < 1:
            raise ValueError(f"FewLabelTrainer: expected labels_per_class ≥ 1. Received: {labels_per_class!r}")
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"FewLabelTrainer: expected 0 < threshold < 1. Received: threshold={threshold!r}")
        self.labels_per_class, self.init, self.pseudo_labels = labels_per_class, init, pseudo_labels
        self.threshold, self.source = threshold, source
        self.pretrain_epochs, self.pretrain_learning_rate = pretrain_epochs, pretrain_learning_rate
        self.stats: dict[str, Any] = {}
        self._compile_args: dict[str, Any] = {}
        self._seed = 0

    def compile(self, model: Any, *, optimizer: Any, loss: Any, metrics: list[Any]) -> None:
        # The harness seeded NumPy just before building: this draw is a function of the run's seed.
        self._seed = int(np.random.randint(2**31 - 1))
        self._compile_args = {"optimizer": optimizer, "loss": loss, "metrics": metrics}
        model.compile(**self._compile_args)

    def fit(self, model: Any, train: Any, validation: Any, *, epochs: int, batch_size: int | None,
            callbacks: list[Any], verbose: int, **fit_kwargs: Any) -> Any:
        import keras

        if not isinstance(train, tuple):
            raise ValueError("FewLabelTrainer: expected (x, y) arrays, not a tf.data pipeline")
        x, y = np.asarray(train[0]), np.asarray(train[1])
        labelled = few_labels(y, self.labels_per_class, seed=self._seed)
        unlabelled = np.setdiff1d(np.arange(len(y)), labelled)
        self.stats = {"labelled": int(len(labelled)), "unlabelled": int(len(unlabelled)), "init": self.init}
        if self.init != "scratch":
            self._load_pretrained(model, epochs)
        if self.init == "frozen":
            for layer in transferred_layers(model):
                layer.trainable = False
        model.compile(**self._compile_args)  # after freezing: trainability is read when compiling
        keras.utils.set_random_seed(self._seed)  # the same fit randomness whether or not pre-training ran now
        first = super().fit(model, (x[labelled], y[labelled]), validation, epochs=epochs, batch_size=batch_size,
                            callbacks=callbacks, verbose=verbose, **fit_kwargs)
        if not self.pseudo_labels or not len(unlabelled):
            return first
        probabilities = np.asarray(model(x[unlabelled], training=False))
        confident = probabilities.max(axis=1) >= self.threshold
        guesses = probabilities.argmax(axis=1)
        chosen = unlabelled[confident]
        self.stats.update(pseudo_labelled=int(confident.sum()),
                          pseudo_label_accuracy=float(np.mean(guesses[confident] == y[chosen])) if confident.any()
                          else None)
        x_both = np.concatenate([x[labelled], x[chosen]])
        y_both = np.concatenate([y[labelled], guesses[confident].astype(y.dtype)])
        second = super().fit(model, (x_both, y_both), validation, epochs=epochs, batch_size=batch_size,
                             callbacks=callbacks, verbose=verbose, **fit_kwargs)
        # One history for the harness: the two phases one after the other.
        merged = keras.callbacks.History()
        merged.history = {key: list(first.history.get(key, [])) + list(second.history.get(key, []))
                          for key in {*first.history, *second.history}}
        merged.params, merged.epoch = second.params, list(range(len(next(iter(merged.history.values()), []))))
        return merged

    # -- pre-training --------------------------------------------------------------------------------
    def _load_pretrained(self, model: Any, epochs: int) -> None:
        base = transferred_layers(model)
        pretrain_epochs = max(1, min(self.pretrain_epochs, epochs))
        # The architecture by layer types and weight shapes (layer names carry per-process counters).
        architecture = tuple((type(layer).__name__, tuple(tuple(w.shape) for w in layer.weights))
                             for layer in model.layers)
        key = (self.source, architecture, pretrain_epochs, self._seed)
        if key not in _PRETRAINED:
            _PRETRAINED[key] = self._pretrain(model, pretrain_epochs)
        weights, source_accuracy = _PRETRAINED[key]
        for layer, values in zip(base, weights):
            layer.set_weights(values)
        self.stats.update(source=self.source, pretrain_epochs=pretrain_epochs, source_test_accuracy=source_accuracy)

    def _pretrain(self, model: Any, epochs: int) -> tuple[list[list[np.ndarray]], float]:
        """The same architecture, fresh weights and a new output layer for the source's classes, fitted
        on the source's training rows (early stopping on its validation rows); returns the base's weights
        and the accuracy on the source's test rows."""
        import keras

        from kerasdl import data
        from kerasdl.trainers import make_optimizer

        source = data.load(self.source, seed=self._seed % 10_000)
        keras.utils.set_random_seed(self._seed)
        clone = keras.models.clone_model(model)  # same layers, new weights
        base = transferred_layers(clone)
        # Everything but the output layer (the base and any hidden dense layers), then the source's classes.
        outputs = keras.layers.Dense(source.n_classes, activation="softmax", name="source_output")(
            clone.layers[-2].output)
        network = keras.Model(clone.inputs[0], outputs, name="pretraining")
        network.compile(optimizer=make_optimizer("adam", self.pretrain_learning_rate),
                        loss="sparse_categorical_crossentropy", metrics=["accuracy"])

        def rows(split):
            x, y = source.rows(source.splits[split])
            return np.asarray(x), np.asarray(y)

        network.fit(*rows("train"), validation_data=rows("val"), epochs=epochs, batch_size=32, verbose=0,
                    callbacks=[keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)])
        x_test, y_test = rows("test")
        accuracy = float(np.mean(np.asarray(network(x_test, training=False)).argmax(axis=1) == y_test))
        return [layer.get_weights() for layer in base], accuracy
