"""Sequence-to-sequence tasks (translation): the target is a token sequence of its own length.

Layout: inputs {"encoder": (n, T_in) source ids, "decoder": (n, T_out) START + target tokens}
(teacher forcing: in training the decoder reads the true previous token), target (n, T_out) target
tokens then END, 0-padded; the dataset's `class_names` are the target vocabulary (id → token), so
`output_units` is its size. The loss ignores padding (`ignore_class=0`).

Scores are what `DecodingTrainer` produced at inference: (n, T_out) token ids decoded greedily from
the encoder input alone — the model's own previous token fed back, never the true one — with every
position after the first END set to 0. So the metrics measure translation, not teacher-forced
next-token guessing: exact match (the whole sequence, END included), token accuracy over the true
sequence's positions, and corpus BLEU (sacrebleu, tokens joined by spaces) up to END.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import Task

__all__ = ["PAD_ID", "Seq2SeqTask", "sequence_scores", "tokens_to_text"]

PAD_ID, END_ID = 0, 2


def tokens_to_text(ids: Any, vocabulary: Sequence[str], *, end: int = END_ID) -> str:
    """Token ids up to (not including) END as space-separated tokens, padding skipped."""
    words = []
    for i in np.asarray(ids).reshape(-1):
        if int(i) == end:
            break
        if int(i) != PAD_ID:
            words.append(vocabulary[int(i)] if 0 <= int(i) < len(vocabulary) else "?")
    return " ".join(words)


def sequence_scores(y_true: Any, scores: Any, *, vocabulary: Sequence[str] = (), end: int = END_ID
                    ) -> dict[str, np.ndarray]:
    """Per-sequence exact match and token accuracy (what `metrics` averages, and what a study buckets)."""
    y, s = np.asarray(y_true), np.asarray(scores)
    if y.ndim != 2 or s.shape != y.shape:
        raise ValueError(f"seq2seq metrics: expected true and decoded token ids of one shape (n, T). "
                         f"Received: {y.shape} and {s.shape}")
    real = y != PAD_ID
    same = (s == y) & real
    return {"exact_match": ((s == y) | ~real).all(axis=1) & ((s == PAD_ID) | real).all(axis=1),
            "token_accuracy": same.sum(axis=1) / np.maximum(real.sum(axis=1), 1)}


class Seq2SeqTask(Task):
    """Encoder-decoder translation, scored on greedily decoded sequences."""

    name = "seq2seq"
    description = "token sequence to token sequence; exact match, token accuracy and BLEU of greedy decoding"
    headline = "exact_match"
    headline_lower_is_better = False
    output_activation = "softmax"

    def output_units(self, dataset) -> int:
        return dataset.n_classes  # the target vocabulary

    def loss(self) -> Any:
        import keras

        return keras.losses.SparseCategoricalCrossentropy(ignore_class=PAD_ID)

    @property
    def loss_name(self) -> str:  # what the record shows for the default loss
        return f"sparse_categorical_crossentropy(ignore_class={PAD_ID})"

    def default_trainer(self) -> Any:
        from kerasdl.trainers import DecodingTrainer

        return DecodingTrainer()

    def scores(self, raw: Any) -> np.ndarray:
        return np.asarray(raw, dtype=np.int32)  # decoded token ids

    def metrics(self, y_true, scores, *, class_names: Sequence[str] = (), n_features=None) -> dict[str, float]:
        import sacrebleu

        per = sequence_scores(y_true, scores)
        vocabulary = list(class_names) or [str(i) for i in range(int(max(np.max(y_true), np.max(scores))) + 1)]
        hypotheses = [tokens_to_text(row, vocabulary) for row in np.asarray(scores)]
        references = [tokens_to_text(row, vocabulary) for row in np.asarray(y_true)]
        # tokens are already separated by spaces: no further tokenisation
        bleu = sacrebleu.corpus_bleu(hypotheses, [references], tokenize="none")
        return {"exact_match": float(per["exact_match"].mean()),
                "token_accuracy": float(per["token_accuracy"].mean()),
                "bleu": float(bleu.score), "sequences": float(len(hypotheses))}
