"""Measurements the feedforward studies take on Keras models: gradient norms per layer, weight
sparsity, decision grids, and a fast full-batch gradient-descent loop.

The feedforward studies (activations, regularization, perceptron-logic) take them in their probes.
This module imports TensorFlow (gradient tapes, one tf.function loop), so an experiment script
imports it inside its probe or analyze hook, never at its top: `kerasdl list experiments` stays
instant.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

__all__ = ["dense_kernels", "dense_gradient_norms", "weight_sparsity", "full_batch_descent",
           "decision_grid", "data_loss"]


def dense_kernels(model: keras.Model) -> list:
    """The kernel (weight matrix, no bias) of every Dense layer, input side first."""
    return [layer.kernel for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def dense_gradient_norms(model: keras.Model, x, y, loss: str | keras.losses.Loss) -> list[float]:
    """Frobenius norm of ∂loss/∂W for every Dense kernel W, on one batch, in training mode.

    This is what backpropagation hands each layer: with saturating activations (sigmoid) the
    product of small derivatives shrinks the gradient layer by layer towards the input — the
    vanishing gradient the activations study is about. Only the data loss is differentiated
    (regularization penalties would add a term that does not travel through the activations).
    """
    loss_fn = keras.losses.get(loss)
    kernels = dense_kernels(model)
    y = np.asarray(y)
    with tf.GradientTape() as tape:
        outputs = model(tf.convert_to_tensor(x), training=True)
        if outputs.shape[-1] == 1 and y.ndim == len(outputs.shape) - 1:  # (n,) labels for (n, 1) outputs
            y = y.reshape(-1, 1)
        # a loss *function* returns one value per sample; the gradient Keras trains on is of the mean
        value = tf.reduce_mean(loss_fn(tf.convert_to_tensor(y), outputs))
    gradients = tape.gradient(value, kernels)
    return [float(tf.norm(g)) if g is not None else float("nan") for g in gradients]


def weight_sparsity(model: keras.Model, threshold: float = 1e-3) -> dict[str, int]:
    """How many Dense kernel weights are exactly 0.0 and how many have |w| < threshold.

    Counted separately on purpose: L1 pushes weights towards zero with a constant-size step
    (001:3503), but a gradient step lands *on* 0.0 only by accident, so plain (sub)gradient descent
    leaves weights jittering around zero instead of at it. The threshold count shows the shrinkage
    L1 does cause; the exact count shows what it does not.
    """
    weights = np.concatenate([np.asarray(k).ravel() for k in dense_kernels(model)])
    return {"weights": int(weights.size), "exactly_zero": int(np.sum(weights == 0.0)),
            "below_threshold": int(np.sum(np.abs(weights) < threshold))}


def data_loss(model: keras.Model, x, y, loss: str = "sparse_categorical_crossentropy") -> float:
    """Mean loss of the data alone in inference mode: no dropout or noise, no regularization penalty."""
    predictions = model.predict(x, batch_size=1024, verbose=0)
    return float(np.mean(keras.losses.get(loss)(y, predictions)))


def full_batch_descent(model: keras.Model, x, y, *, optimizer: keras.optimizers.Optimizer,
                       steps: int, loss: str = "binary_crossentropy") -> dict[str, list[float]]:
    """`steps` updates on the whole of (x, y), each step's loss and training accuracy (binary, 0.5).

    One tf.function call runs every step: the studies need a few hundred full-batch steps on a few
    hundred points, and `model.fit` spends far longer per epoch on its own bookkeeping (tens of ms)
    than on such a step. Loss and accuracy are measured before each update, as Keras' history does.
    """
    loss_fn = keras.losses.get(loss)
    x = tf.convert_to_tensor(np.asarray(x, dtype=np.float32))
    y = tf.convert_to_tensor(np.asarray(y, dtype=np.float32).reshape(-1, 1))
    variables = model.trainable_variables
    optimizer.build(variables)

    @tf.function
    def run(n):
        losses = tf.TensorArray(tf.float32, size=n)
        accuracies = tf.TensorArray(tf.float32, size=n)
        for step in tf.range(n):
            with tf.GradientTape() as tape:
                scores = model(x, training=True)
                value = tf.reduce_mean(loss_fn(y, scores))
            optimizer.apply_gradients(zip(tape.gradient(value, variables), variables))
            correct = tf.cast(tf.cast(scores >= 0.5, tf.float32) == y, tf.float32)
            losses = losses.write(step, value)
            accuracies = accuracies.write(step, tf.reduce_mean(correct))
        return losses.stack(), accuracies.stack()

    losses, accuracies = run(tf.constant(int(steps)))
    return {"loss": [float(v) for v in losses.numpy()], "accuracy": [float(v) for v in accuracies.numpy()]}


def decision_grid(predict, *, low: float, high: float, n: int = 41) -> dict[str, Any]:
    """P(class 1) over an n×n grid of the square [low, high]², in the `boundaries` section layout."""
    axis = np.linspace(low, high, n)
    gx, gy = np.meshgrid(axis, axis)  # rows follow y, columns follow x
    z = np.asarray(predict(np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)), dtype=float)
    return {"xs": axis.round(4).tolist(), "ys": axis.round(4).tolist(),
            "z": z.reshape(n, n).round(4).tolist()}
