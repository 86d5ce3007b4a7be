"""Recursive neural network over binary trees (CATALOG.md §1, notes 001:2680-2726), and its sequence baseline.

A recursive net applies ONE composition function at every internal node of a tree,
h = f(W [h_left; h_right] + b), bottom-up, so a phrase's vector is built from its parts' vectors with the
same weights everywhere (the notes' h = f(Σ W_i C_i) with the child vectors C_i). Leaves are word (token)
embeddings in the same space, so any node can be a child.

Trees reach Keras as arrays (kerasdl.data.sequences.encode_tree): each sample is (N, 3) rows
[token, left child, right child] in post-order, right-aligned, so children precede their parent and the
root is row N − 1. :class:`TreeComposition` walks the rows in order, a fixed N steps (keras.ops.fori_loop) —
one loop body of composition that Keras differentiates and trains like any layer.
"""

from __future__ import annotations

import keras
from keras import ops

from kerasdl.errors import UserError
from kerasdl.models.feedforward import default_output_activation
from kerasdl.models.recurrent import recurrent_layer

__all__ = ["TreeComposition", "PostorderTokens", "build_recursive_nn", "build_postorder_rnn"]


@keras.saving.register_keras_serializable(package="kerasdl")
class TreeComposition(keras.layers.Layer):
    """The vector of every node of a post-order tree encoding; returns the root's (or all nodes').

    Row n with token > 0 is a leaf: its vector is the token's embedding. Any other row is an internal
    node: f(W [h_left; h_right] + b) of the rows its child indices name (earlier rows, already
    computed). Padding rows at the start compose rows 0 and 0 and are never read by a real node.
    """

    def __init__(self, vocab_size: int, units: int, *, activation="tanh", return_nodes: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.units = int(vocab_size), int(units)
        self.activation = keras.activations.get(activation)
        self.return_nodes = bool(return_nodes)

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] != 3:
            raise ValueError(f"TreeComposition expects (batch, nodes, 3) rows. Received: {input_shape}")
        self.embeddings = self.add_weight(name="embeddings", shape=(self.vocab_size, self.units),
                                          initializer=keras.initializers.RandomUniform(-0.5, 0.5))
        # One W for every node: [left; right] (2·units) → units. Its top half is the notes' W_1 (left
        # child) and its bottom half W_2 (right child): W [c_1; c_2] = W_1 c_1 + W_2 c_2 = Σ W_i C_i.
        self.kernel = self.add_weight(name="kernel", shape=(2 * self.units, self.units),
                                      initializer="glorot_uniform")
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, rows):
        rows = ops.cast(rows, "int32")
        nodes = rows.shape[1]
        tokens, left, right = rows[..., 0], rows[..., 1], rows[..., 2]
        leaves = ops.take(self.embeddings, tokens, axis=0)            # (batch, N, units)
        is_leaf = ops.expand_dims(ops.greater(tokens, 0), -1)

        def visit(n, states):
            # Row n from rows 0..n−1 (children always come first); one loop body, so the graph stays
            # small whatever N is, and Keras differentiates through the loop.
            def child(index):
                at = ops.reshape(ops.take(index, n, axis=1), (-1, 1, 1))
                return ops.take_along_axis(states, at, axis=1)[:, 0]

            composed = self.activation(ops.matmul(ops.concatenate([child(left), child(right)], axis=-1),
                                                  self.kernel) + self.bias)
            vector = ops.where(ops.take(is_leaf, n, axis=1), ops.take(leaves, n, axis=1), composed)
            slot = ops.reshape(ops.one_hot(n, nodes, dtype=states.dtype), (1, nodes, 1))
            return states * (1.0 - slot) + ops.expand_dims(vector, 1) * slot

        states = ops.fori_loop(0, nodes, visit, ops.zeros_like(leaves))
        return states if self.return_nodes else states[:, -1]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], self.units) if self.return_nodes else (input_shape[0], self.units)

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "units": self.units,
                "activation": keras.activations.serialize(self.activation), "return_nodes": self.return_nodes}


@keras.saving.register_keras_serializable(package="kerasdl")
class PostorderTokens(keras.layers.Layer):
    """The tree rows as a token sequence in post-order: leaves keep their token, internal nodes become
    the extra token `vocab_size` ("compose"), padding rows 0 — reverse Polish notation of the tree."""

    def __init__(self, vocab_size: int, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = int(vocab_size)

    def call(self, rows):
        rows = ops.cast(rows, "int32")
        internal = ops.logical_and(ops.equal(rows[..., 0], 0), ops.greater(rows[..., 2], 0))
        return ops.where(internal, self.vocab_size, rows[..., 0])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:2])

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size}


def _check_rows(name: str, input_shape) -> None:
    if len(tuple(input_shape)) != 2 or tuple(input_shape)[1] != 3:
        raise UserError(f"{name}: expected trees as (nodes, 3) rows [token, left, right] "
                        f"(kerasdl.data.sequences.encode_tree). Received: input_shape={tuple(input_shape)}")


def build_recursive_nn(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional", units: int = 16,
                       vocab_size: int = 16, activation: str = "tanh", dense_units: int = 0,
                       output_activation: str | None = None) -> keras.Model:
    """Recursive net: TreeComposition (one shared W over the tree) → root vector → (Dense) → Dense(outputs).

    `vocab_size` must exceed the largest token id (the `arithmetic-trees` dataset has 13 ids with 0).
    """
    if api != "functional":
        raise UserError(f"recursive_nn is functional only. Received: api={api!r}")
    _check_rows("recursive_nn", input_shape)
    inputs = keras.Input(shape=tuple(input_shape), dtype="int32", name="tree")
    x = TreeComposition(vocab_size, units, activation=activation, name="composition")(inputs)
    if dense_units:
        x = keras.layers.Dense(int(dense_units), activation="relu", name="dense")(x)
    out = keras.layers.Dense(int(outputs), activation=output_activation or default_output_activation(outputs),
                             name="output")(x)
    return keras.Model(inputs, out, name="recursive_nn")


def build_postorder_rnn(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional",
                        cell: str = "lstm", units: int = 16, vocab_size: int = 16, embedding_dim: int = 16,
                        output_activation: str | None = None) -> keras.Model:
    """A recurrent net reading the tree as its post-order token sequence (the recursive net's baseline).

    The sequence (reverse Polish notation, internal nodes as a "compose" token) holds the whole tree, so
    this model could learn the structure too — but it must discover a stack machine, where the recursive
    net is given the composition order.
    """
    if api != "functional":
        raise UserError(f"postorder_rnn is functional only. Received: api={api!r}")
    _check_rows("postorder_rnn", input_shape)
    inputs = keras.Input(shape=tuple(input_shape), dtype="int32", name="tree")
    x = PostorderTokens(vocab_size, name="postorder")(inputs)
    x = keras.layers.Embedding(int(vocab_size) + 1, int(embedding_dim), mask_zero=True, name="embedding")(x)
    x = recurrent_layer(cell, units, return_sequences=False, name=cell)(x)
    out = keras.layers.Dense(int(outputs), activation=output_activation or default_output_activation(outputs),
                             name="output")(x)
    return keras.Model(inputs, out, name="postorder_rnn")
