"""
Title: Review polarity where word order matters — bag of words vs recurrent, convolutional and attention models
Description: TF-IDF + logistic regression and a bag-of-words MLP against SimpleRNN, LSTM, GRU, BiLSTM,
Conv1D and a Transformer encoder on reviews whose label hangs on negation and contrast.

Notes 002:1-60: "When we use BoW, TfIdf, w2v we don't care / completely discard the sequence of the
words in a sentence. But sequence / orientation of the words are important", with amazon review
polarity as the example, and an MLP cannot even take inputs of varying length without padding. The
`reviews` data (kerasdl.data.text) makes that concrete: "the screen is good but the battery is not
great" is negative, the same words with the clauses swapped are positive. On the 70 % of reviews
with "but"/"yet"/"although" a bag-of-words model is at chance by construction; on the rest it must
tie each "not" to its adjective. Every network learns its own word embeddings (Embedding with
mask_zero over padded ids). `experiment(dataset="imdb")` runs the same comparison on the IMDB reviews
from the local Keras cache (num_words 10,000, 200 words).
"""

from __future__ import annotations

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Bars, Section, Table, Text

NAME = "review-polarity"
TITLE = "Review polarity: TF-IDF and bag-of-words MLP vs SimpleRNN / LSTM / GRU / BiLSTM / Conv1D / Transformer"
NOTES_REF = "002:1-60, 001:2279-2436, 001:2592-2678, 002:377"

## Setup
FIT = {"epochs": 30, "batch_size": 64, "patience": 5, "learning_rate": 3e-3}
SHAPES = ("plain", "contrast", "concessive")


def _vocabulary(dataset: str) -> int:
    if dataset == "imdb":
        return 10000  # keras_sets.load_imdb's default num_words
    from kerasdl.data.text import review_vocabulary_size

    return review_vocabulary_size()


def experiment(dataset: str = "reviews") -> Experiment:
    """Two bag-of-words baselines and six sequence models on one stratified 60/20/20 split."""
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline

    from kerasdl.data.text import TokenCounts

    tokens = {"vocab_size": _vocabulary(dataset), "embedding_dim": 32}
    variants = [
        Variant("tfidf-logreg", estimator=make_pipeline(TokenCounts(), TfidfTransformer(),
                                                        LogisticRegression(max_iter=2000)),
                label="TF-IDF + logistic regression (bag of words)"),
        Variant("bow-mlp", estimator=make_pipeline(TokenCounts(), MLPClassifier(
            (64,), early_stopping=True, max_iter=300, random_state=0)), label="bag-of-words MLP (64 ReLU)"),
        Variant("simple-rnn", builder="simple_rnn", api="functional", label="SimpleRNN 64",
                hyperparameters={**tokens, "units": 64}, **FIT),
        Variant("lstm", builder="lstm", api="functional", label="LSTM 64",
                hyperparameters={**tokens, "units": 64}, **FIT),
        Variant("gru", builder="gru", api="functional", label="GRU 64",
                hyperparameters={**tokens, "units": 64}, **FIT),
        Variant("bilstm", builder="bidirectional_rnn", api="functional", label="BiLSTM 2×32 (concat)",
                hyperparameters={**tokens, "cell": "lstm", "units": 32, "merge_mode": "concat"}, **FIT),
        Variant("conv1d", builder="conv1d", api="functional", label="Conv1D 64×5 + global max pool",
                hyperparameters={**tokens, "filters": (64,), "kernel_size": 5}, **FIT),
        Variant("transformer", builder="transformer_encoder", api="functional",
                label="Transformer encoder (1 block, 2 heads)",
                hyperparameters={**tokens, "num_heads": 2, "ff_dim": 64, "blocks": 1}, **FIT),
    ]
    return Experiment(
        name=NAME, title=TITLE, dataset=dataset, variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF, evaluation="holdout",
        headline_metric="accuracy", analyze=analyze, quick_samples=240, quick_epochs=1, quick_folds=1,
        # every recurrent builder is trained on its own in tests/test_recurrent.py and tests/test_seq2seq.py
        quick_variants=("tfidf-logreg", "bow-mlp", "gru", "conv1d"),
    )

QUICK_NOTE = ("This was a --quick run (a few hundred rows, one epoch): the numbers show that everything runs, "
              "not what the models can do; the targets below are for the full run.")


## Analyse
def analyze(analysis) -> list[Section]:
    from kerasdl.report.study_helpers import comparison_table

    sections: list[Section] = [comparison_table(
        analysis, ["accuracy", "roc_auc", "f1"], title="Held-out accuracy, ROC AUC and F1",
        caption="Bag-of-words baselines learn from train+validation rows; networks from train rows, early-stopped "
                "on validation loss.")]
    by_shape = _by_shape(analysis)
    if by_shape:
        sections.append(by_shape)
    quick = QUICK_NOTE + "\n\n" if analysis.quick else ""
    sections.append(Text(title="What this run shows", body=quick + _findings(analysis)))
    return sections


def _by_shape(analysis) -> Section | None:
    """Accuracy per grammar shape of the review (generated data only: IMDB has no shapes)."""
    import numpy as np

    word_index = analysis.dataset.extras.get("word_index") if analysis.dataset is not None else None
    if not word_index or "although" not in word_index:
        return None
    # the shape from the words themselves (IMDB has no such grammar): "although" → concessive,
    # "but"/"yet" → contrast, else plain
    tokens = np.asarray(analysis.dataset.features)
    shapes = np.where(np.isin(tokens, [word_index["although"]]).any(axis=1), 2,
                      np.where(np.isin(tokens, [word_index["but"], word_index["yet"]]).any(axis=1), 1, 0))
    series = []
    for entry in analysis.record["variants"]:
        key = f"{entry['name']}/fold0"
        if f"{key}/y_score" not in analysis.predictions:
            continue
        y_true = np.asarray(analysis.predictions[f"{key}/y_true"])
        score = np.asarray(analysis.predictions[f"{key}/y_score"])
        predicted = (score.reshape(len(score), -1)[:, -1] >= 0.5).astype(int)
        shape = np.asarray(shapes)[np.asarray(analysis.predictions[f"{key}/index"])]
        values = [float(np.mean(predicted[shape == k] == y_true[shape == k])) if np.any(shape == k) else 0.0
                  for k in range(len(SHAPES))]
        series.append({"label": entry["label"], "values": values})
    return Bars(title="Accuracy by review shape", labels=[f"{s}" for s in SHAPES], series=series,
                y_label="held-out accuracy",
                caption="plain: one polarity throughout; contrast: '… but/yet …' (the second part decides); "
                        "concessive: 'although …, …' (the main clause decides). On contrast and concessive "
                        "reviews every bag of words is shared by a review of the opposite label.")


def _findings(analysis) -> str:
    from kerasdl.report.study_helpers import metric_mean

    entries = {v["name"]: v for v in analysis.record["variants"] if v["status"] == "completed"}
    accuracy = {name: metric_mean(v, "accuracy") for name, v in entries.items()}
    accuracy = {k: v for k, v in accuracy.items() if v is not None}
    if not accuracy:
        return "No variant completed."
    bag = {k: v for k, v in accuracy.items() if k in ("tfidf-logreg", "bow-mlp")}
    recurrent = {k: v for k, v in accuracy.items() if k in ("simple-rnn", "lstm", "gru", "bilstm")}
    out = [f"Accuracy, best first: " + ", ".join(f"{entries[k]['label']} {v:.3f}"
                                                   for k, v in sorted(accuracy.items(), key=lambda kv: -kv[1])) + "."]
    if bag and recurrent:
        best_bag = max(bag, key=bag.get)
        best_rnn = max(recurrent, key=recurrent.get)
        out.append(f"Best recurrent model {entries[best_rnn]['label']}: {recurrent[best_rnn]:.3f}; best bag of words "
                   f"{entries[best_bag]['label']}: {bag[best_bag]:.3f} "
                   f"({100 * (recurrent[best_rnn] - bag[best_bag]):+.1f} "
                   "points). The issue's full-mode target: recurrent ≥ 0.95 with bag of words clearly below — "
                   + ("met." if recurrent[best_rnn] >= 0.95 and bag[best_bag] < recurrent[best_rnn] - 0.05
                      else "not met on this run."))
    if analysis.dataset is not None and analysis.dataset.name == "reviews":
        out.append("A bag-of-words model cannot beat about 65 % here: on 70 % of the reviews the same bag occurs "
                   "with both labels, so at most half of those can be right, plus the plain 30 %.")
    if "simple-rnn" in accuracy and accuracy["simple-rnn"] < 0.6 and recurrent and max(recurrent.values()) > 0.9:
        epochs = [f.get("epochs_run") for f in entries["simple-rnn"].get("folds", []) if f.get("epochs_run")]
        out.append(f"SimpleRNN stays at chance ({accuracy['simple-rnn']:.3f}) where the gated cells are near perfect: "
                   f"its validation loss stopped improving in the first epochs, so early stopping ended it after {max(epochs, default=0)} "
                   "epochs. A plain tanh recurrence is the hardest of the three to train (vanishing and exploding "
                   "gradients through time, 004:1016); more patience or a lower learning rate might get it "
                   "further — this run does not test that (the rnn-polarity search can).")
    if "conv1d" in accuracy:
        good = accuracy["conv1d"] >= 0.95
        out.append(f"Conv1D reaches {accuracy['conv1d']:.3f}: it sees order only inside its 5-word windows, then takes "
                   "a global maximum over positions. "
                   + ("That is enough here, because the deciding adjective is the last one, right before the final "
                      "'.', with its negator inside the same window — a local pattern a filter can detect anywhere. "
                      "A label that hung on words far apart, with no fixed marker near them, would defeat it."
                      if good else "Whether a clause comes after 'but' is invisible to it unless one window spans "
                      "the contrast word and the whole clause."))
    return "\n\n".join(out)


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
