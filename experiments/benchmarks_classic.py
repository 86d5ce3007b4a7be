"""
Title: Classic benchmarks — the published numbers on MNIST, Fashion-MNIST, CIFAR-10, IMDB and Reuters
Description: the textbook models on the real keras.datasets sets, with the published test accuracy
beside ours: dense and small convnet on MNIST and Fashion-MNIST, a convnet on CIFAR-10, a dense
bag-of-words network and an LSTM on IMDB, a dense bag-of-words network on Reuters' 46 topics.

The notes credit convnets with translation-invariant, data-efficient features (003:698-703) and warn
that bag-of-words models discard word order (002:16). The classic figures behind those claims come
from the Keras textbooks: Chollet, Deep Learning with Python (1st ed. 2017, 2nd ed. 2021) and the
TensorFlow tutorials. This study reruns those models, configured as published (layers, optimizer,
epochs, batch size, no early stopping), on the real data with the published train/test split: the
test set is the source's own; 20 % of the training set is held out for validation curves, so each model
trains on 80 % of what the book trained on. One run covers one dataset: `kerasdl run benchmarks-classic
--dataset NAME` for NAME in mnist (the default), fashion-mnist, cifar10, imdb, reuters. The data
must be in the Keras cache; without it the run stops at once and says which `--download` fetches it
(this study is not part of the offline catalog that `--quick` runs cover).
"""

from __future__ import annotations

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Finding, Section, Table, Text

NAME = "benchmarks-classic"
TITLE = "Classic benchmarks: published accuracy beside ours on MNIST, Fashion-MNIST, CIFAR-10, IMDB, Reuters"
NOTES_REF = "003:698-703, 002:14-16, 001:3291"
# The datasets this study builds itself for (kerasdl.study_data: `--dataset` picks one), and the mark
# that it reads real keras.datasets files, so tests and catalogs run it only where they are cached.
DATASETS = ("mnist", "fashion-mnist", "cifar10", "imdb", "reuters")
REAL_DATA = True

## Setup
CHOLLET_1 = "Chollet, Deep Learning with Python, 1st ed. (2017)"
CHOLLET_2 = "Chollet, Deep Learning with Python, 2nd ed. (2021)"
# Chollet's MNIST convnet (§5.1): Conv 32-64-64 (3×3, valid), Dense 64. The cnn builder pools after every
# block, so the last 3×3 map is pooled to 1×1 before the dense layer (his flattens 3×3×64).
CONVNET = {"filters": (32, 64, 64), "kernel_size": 3, "padding": "valid", "pool": "max", "dense_units": (64,)}
FIXED = {"patience": None}  # the books train a fixed number of epochs and keep the last weights
TEXT = {"num_words": 10000, "maxlen": 500}  # Chollet's 10,000 words; his LSTM reads 500 words (§6.2.3)


def multi_hot_mlp(input_shape, outputs, *, api: str = "functional", vocab_size: int = 10000,
                  units: tuple[int, ...] = (16, 16), output_activation: str | None = None):
    """Chollet's text classifier: word ids → a multi-hot vector of `vocab_size` (Keras CategoryEncoding,
    what his `vectorize_sequences` computes in NumPy) → Dense ReLU layers → sigmoid or softmax."""
    import keras

    activation = output_activation or ("sigmoid" if outputs == 1 else "softmax")
    layers = [keras.layers.CategoryEncoding(num_tokens=vocab_size, output_mode="multi_hot", name="multi_hot"),
              *[keras.layers.Dense(width, activation="relu", name=f"dense_{i}") for i, width in enumerate(units, 1)],
              keras.layers.Dense(outputs, activation=activation, name="output")]
    if api == "sequential":
        return keras.Sequential([keras.Input(shape=input_shape, dtype="int32"), *layers], name="multi_hot_mlp")
    inputs = keras.Input(shape=input_shape, dtype="int32", name="word_ids")
    x = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x, name="multi_hot_mlp")


def _published(variant: str, value: float, source: str, comment: str) -> dict:
    return {"variant": variant, "metric": "accuracy", "notes_value": value, "source": source, "comment": comment}


def _plan(dataset: str) -> tuple[list[Variant], list[dict], dict]:
    """The published models for one dataset, their published test accuracy, and the dataset options."""
    rmsprop = {"optimizer": "rmsprop", "learning_rate": 1e-3, **FIXED}
    adam = {"optimizer": "adam", "learning_rate": 1e-3, **FIXED}
    if dataset in ("mnist", "fashion-mnist"):
        if dataset == "mnist":
            dense = Variant("dense", builder="mlp", hyperparameters={"units": (512,)},
                            label="Dense 512 (Chollet §2.1)", epochs=5, batch_size=128, **rmsprop)
            references = [
                _published("dense", 0.978, f"{CHOLLET_1} §2.1; {CHOLLET_2} §2.1",
                           "Dense 512 ReLU + softmax, RMSprop, 5 epochs, batch 128, all 60,000 training images"),
                _published("convnet", 0.993, f"{CHOLLET_1} §5.1",
                           "the book's text; its listing prints 0.9908, and the 2nd ed. (§8.1) reports 0.991"),
            ]
        else:
            dense = Variant("dense", builder="mlp", hyperparameters={"units": (128,)},
                            label="Dense 128 (TensorFlow basic classification tutorial)",
                            epochs=10, batch_size=32, **adam)
            references = [_published(
                "dense", 0.88, "TensorFlow tutorial 'Basic classification: Classify images of clothing'",
                "Flatten → Dense 128 ReLU → 10, Adam, 10 epochs: about 0.91 on the training images and 'a little "
                "less' on the test images (≈ 0.88); no published figure for the convnet on this set")]
        convnet = Variant("convnet", builder="cnn", hyperparameters=CONVNET, label="small convnet (Chollet §5.1)",
                          epochs=5, batch_size=64, **rmsprop)
        return [dense, convnet], references, {}
    if dataset == "cifar10":
        convnet = Variant("convnet", builder="cnn", hyperparameters=CONVNET,
                          label="small convnet (TensorFlow CNN tutorial)", epochs=10, batch_size=32, **adam)
        return [convnet], [_published(
            "convnet", 0.70, "TensorFlow tutorial 'Convolutional Neural Network (CNN)' (CIFAR-10)",
            "Conv 32-64-64 + Dense 64, Adam, 10 epochs: 'a test accuracy of over 70%'")], {}
    if dataset == "imdb":
        bow = Variant("dense-bow", builder=multi_hot_mlp, api="functional",
                      label="multi-hot → Dense 16-16 (Chollet §3.4)", hyperparameters={"vocab_size": TEXT["num_words"], "units": (16, 16)},
                      epochs=4, batch_size=512, **rmsprop)
        lstm = Variant("lstm", builder="lstm", api="functional", label="Embedding 32 → LSTM 32 (Chollet §6.2.3)",
                       hyperparameters={"vocab_size": TEXT["num_words"], "embedding_dim": 32, "units": 32},
                       epochs=10, batch_size=128, **rmsprop)
        return [bow, lstm], [
            _published("dense-bow", 0.88, f"{CHOLLET_1} §3.4; {CHOLLET_2} §4.1",
                       "multi-hot of the 10,000 most frequent words, Dense 16-16, RMSprop, 4 epochs, batch 512 "
                       "(the book's test accuracy 0.883); ours reads the last 500 words of each review"),
            _published("lstm", 0.89, f"{CHOLLET_1} §6.2.3",
                       "Embedding 32 + LSTM 32 on the last 500 words, RMSprop, 10 epochs, batch 128: 'up to 89%' "
                       "— a validation accuracy (the last 20 % of the training reviews), not a test one"),
        ], dict(TEXT)
    bow = Variant("dense-bow", builder=multi_hot_mlp, api="functional",
                  label="multi-hot → Dense 64-64 (Chollet §3.5)", hyperparameters={"vocab_size": TEXT["num_words"], "units": (64, 64)},
                  epochs=9, batch_size=512, **rmsprop)
    return [bow], [_published("dense-bow", 0.80, f"{CHOLLET_1} §3.5; {CHOLLET_2} §4.2",
                              "multi-hot of 10,000 words, Dense 64-64 + softmax over 46 topics, RMSprop, 9 epochs, "
                              "batch 512: 'approximately 80%' (the listing prints 0.797)")], dict(TEXT)


def experiment(dataset: str = "mnist") -> Experiment:
    """The published models on one of DATASETS, their published accuracy as the run's references."""
    if dataset not in DATASETS:
        from kerasdl.errors import UserError

        raise UserError(f"study {NAME!r} runs on {', '.join(DATASETS)}; received dataset={dataset!r}")
    variants, references, options = _plan(dataset)
    ## Evaluate: the source's own test set; the published figures are shown beside ours
    return Experiment(
        name=NAME, title=f"{TITLE} — {dataset}", dataset=dataset, dataset_options=options, variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF, evaluation="holdout",
        headline_metric="accuracy", references=references, analyze=analyze,
        quick_samples=200, quick_epochs=1, quick_folds=1)


## Analyse
def analyze(analysis) -> list[Section]:
    """The finding first, then the published figures beside ours with the difference in standard errors."""
    from kerasdl.report.study_helpers import accuracy_noise, entry_metric, fit_seconds

    published = {r["variant"]: r for r in analysis.record["experiment"]["references"]}
    entries = [v for v in analysis.record["variants"] if v["status"] == "completed"]
    n_test = entries[0]["folds"][0]["n_test"] if entries else 0
    rows = []
    for entry in entries:
        ours, reference = entry_metric(entry), published.get(entry["name"], {})
        value = reference.get("notes_value")
        se = accuracy_noise(ours, n_test) if n_test else float("nan")
        rows.append([entry["label"], entry["parameter_count"], round(ours, 4), value,
                     None if value is None else round(ours - value, 4),
                     None if value is None or not se else round((ours - value) / se, 1),
                     entry["fit"]["epochs"], round(fit_seconds(entry), 1), reference.get("source", "")])
    name = analysis.dataset.name if analysis.dataset is not None else "?"
    table = Table(title="Published test accuracy beside ours",
                  columns=["model", "parameters", "our test accuracy", "published", "ours − published",
                           "in standard errors", "epochs", "fit time (s)", "published by"],
                  rows=rows, caption=f"{name}: the source's own test set of {n_test:,} rows. One standard error of "
                                     "an accuracy p on n rows is √(p(1−p)/n); seeds and hardware also move these "
                                     "numbers by a few tenths of a percent.")
    sections: list[Section] = [_finding(analysis, entries, published, name), table]
    if analysis.quick:
        sections.append(Text(title="Quick run", body=(
            "This was a --quick run (a couple of hundred rows, one epoch): it shows that the models, the data "
            "and the report work, not what the models reach; run without --quick for the comparison.")))
    return sections


def _finding(analysis, entries, published, name) -> Finding:
    from kerasdl.report.study_helpers import entry_metric

    parts = []
    for entry in entries:
        value = published.get(entry["name"], {}).get("notes_value")
        parts.append(f"{entry['label']} {entry_metric(entry):.4f}"
                     + (f" (published {value:.3f})" if value is not None else " (no published figure)"))
    answer = f"On {name}: " + "; ".join(parts) + "."
    if analysis.quick:
        answer += " A --quick run: far from the published models' training, so no comparison is drawn."
    images = name in ("mnist", "fashion-mnist", "cifar10")
    if images:
        claim = ("Convnets learn translation-invariant patterns, which makes them data-efficient on images, where "
                 "a densely-connected network must learn a pattern anew at each location.")
        ref = "003:698-703"
    else:
        claim = "Bag-of-words models completely discard the sequence of the words, but the order is important."
        ref = "002:14-16"
    return Finding(title="Published numbers, rerun", claim=claim, notes_ref=ref, answer=answer,
                   figure="Published test accuracy beside ours")


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
