"""
Title: RNN topologies — one-to-one, one-to-many (image captions), many-to-one, many-to-many
Description: a demo of each input/output topology of the notes with its own data and its own measure:
an image captioner (CNN → RNN, a word per step) against a one-to-one network that emits the whole
caption at once, plus an acceptor and a tagger trained on their own tasks.

The notes (000:1405-1417, 001:2400-2436, 003:939-976) sort recurrent networks by what goes in and what
comes out: one-to-one ("image in, label out": a plain feedforward net), one-to-many ("image in, words
out": captioning), many-to-one ("words in, sentiment out": the acceptor), many-to-many of equal length
(a transducer: one output per input step, e.g. tagging) and many-to-many of different lengths ("English
in, French out": the encoder-decoder, builder `seq2seq`, studied in `seq2seq-attention`). The main run
is one-to-many on `shape-captions`: 16×16 images of a square, cross or bar, small or big, in one quadrant,
captioned "size shape row column end". `image_captioner` encodes the image with a small CNN and feeds
the code to an LSTM at every step, which emits one word per step; `caption_mlp` has the same CNN but
emits all five words from one Dense layer — a one-to-one network whose single output is the caption.
Then `analyze` trains two more demos briefly: a many-to-one LSTM on 20-step adding problems (one number
per sequence) and a many-to-many bidirectional LSTM tagger on `future-tags` (a tag per token).
"""

from __future__ import annotations

from typing import Any

from kerasdl.harness import Analysis, Experiment, Variant
from kerasdl.report.sections import Images, Section, Table, Text
from kerasdl.report.study_helpers import entry_metric, fit_seconds, number

NAME = "rnn-topologies"
TITLE = "RNN topologies: image captions (one-to-many) vs one-to-one, an acceptor (many-to-one), a tagger"
NOTES_REF = "000:1405-1417, 001:2400-2436, 003:939-976"

## Setup
BODY = {"caption_length": 5, "filters": (8, 16), "units": 32}
FIT = {"epochs": 30, "batch_size": 32, "patience": 6, "learning_rate": 3e-3}
SHOWN = 8
DEMO = {"full": {"samples": 2000, "epochs": 12}, "quick": {"samples": 80, "epochs": 1}}


def experiment() -> Experiment:
    variants = [
        Variant("one-to-many", builder="image_captioner", api="functional", hyperparameters=BODY,
                label="one-to-many: CNN → LSTM, a word per step", **FIT),
        Variant("one-to-one", builder="caption_mlp", api="functional", hyperparameters=BODY,
                label="one-to-one: CNN → Dense, all words at once", **FIT),
    ]
    return Experiment(name=NAME, title=TITLE, dataset="shape-captions", variants=variants,
                      description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF, analyze=analyze,
                      quick_samples=120, quick_epochs=1, quick_folds=1)


## Analyse
def _fit_demo(builder: str, dataset: str, options: dict[str, Any], hyper: dict[str, Any], loss: Any,
              epochs: int, seed: int):
    """Train one registered builder on a registered dataset's train split; return (model, test x, test y)."""
    import keras

    from kerasdl import data, models

    loaded = data.load(dataset, seed=seed, **options)
    train, test = loaded.splits["train"], loaded.splits["test"]
    keras.utils.set_random_seed(seed)
    outputs = loaded.n_classes or 1
    model = models.build(builder, loaded.input_shape, outputs, api="functional", **hyper)
    model.compile(optimizer=keras.optimizers.Adam(3e-3, clipnorm=1.0), loss=loss)
    model.fit(loaded.features[train], loaded.target[train], epochs=epochs, batch_size=32, verbose=0)
    return model, loaded, loaded.features[test], loaded.target[test]


def demos(quick: bool, seed: int) -> list[list[Any]]:
    """Rows of the topology table for the many-to-one and many-to-many demos (trained here, briefly)."""
    import keras
    import numpy as np

    from kerasdl.tasks import get

    size = DEMO["quick" if quick else "full"]
    rows = []
    model, _, x, y = _fit_demo("lstm", "adding-problem", {"length": 20, "samples": size["samples"]},
                               {"units": 16, "output_activation": "linear"}, "mse", size["epochs"], seed)
    mse = float(np.mean((np.asarray(model(x))[:, 0] - y) ** 2))
    rows.append(["many-to-one (acceptor)", "lstm", "adding-problem, 20 steps of (value, marker)",
                 "one number: the sum of the two marked values", f"test MSE {mse:.4f} (predicting the mean: 0.1667)",
                 model.count_params()])
    model, loaded, x, y = _fit_demo("bidirectional_rnn", "future-tags", {"samples": size["samples"]},
                                    {"units": 16, "vocab_size": 10, "return_sequences": True},
                                    keras.losses.SparseCategoricalCrossentropy(ignore_class=-1), size["epochs"], seed)
    found = get("tagging").metrics(y, np.asarray(model(x)), class_names=loaded.class_names)
    rows.append(["many-to-many, equal lengths (transducer)", "bidirectional_rnn", "future-tags: token ids",
                 "a tag per token", f"token accuracy {found['token_accuracy']:.4f}", model.count_params()])
    return rows


def _caption(words, ids) -> str:
    return " ".join(words[int(i)] for i in ids if words[int(i)] != "end")


def analyze(analysis: Analysis) -> list[Section]:
    import numpy as np

    entries = [v for v in analysis.record["variants"] if v["status"] == "completed"]
    words = list(analysis.dataset.class_names)
    sections: list[Section] = []
    rows = []
    for entry in entries:
        rows.append([entry["label"].split(":")[0], entry["builder"], "16×16 image",
                     "a 5-word caption",
                     f"token accuracy {entry_metric(entry, 'token_accuracy'):.4f}, whole caption right "
                     f"{entry_metric(entry, 'exact_match'):.4f}", entry["parameter_count"]])
    rows += demos(analysis.quick, analysis.seed)
    rows.append(["many-to-many, different lengths (encoder-decoder)", "seq2seq", "a sentence",
                 "a sentence of another length", "see the seq2seq-attention study", "—"])
    sections.append(Table(title="One demo per topology", rows=rows,
                          columns=["topology", "builder", "in", "out", "held-out result", "parameters"],
                          caption="The first two rows are this run's variants (test split of shape-captions); "
                                  "the next two are trained inside the analysis on their own datasets."))
    if entries:
        first = f"{entries[0]['name']}/fold0"
        index = np.asarray(analysis.predictions[f"{first}/index"])[:SHOWN]
        truth = np.asarray(analysis.predictions[f"{first}/y_true"])[:SHOWN]
        said = {e["name"]: np.asarray(analysis.predictions[f"{e['name']}/fold0/y_score"])[:SHOWN].argmax(axis=-1)
                for e in entries if f"{e['name']}/fold0/y_score" in analysis.predictions}
        sections.append(Table(title="Test captions", columns=["image", "true caption", *said],
                              rows=[[i + 1, _caption(words, truth[i]), *(_caption(words, s[i]) for s in said.values())]
                                    for i in range(len(index))]))
        images = analysis.dataset.features[index]
        captioner = said.get("one-to-many", next(iter(said.values()), None))
        said_by = (lambda i: _caption(words, captioner[i])) if captioner is not None else (lambda i: "")
        sections.append(Images(title="Test images with the one-to-many model's caption", columns=SHOWN,
                               images=[{"label": f"{i + 1}: {said_by(i)}", "range": [0, 1],
                                        "pixels": np.asarray(images[i])[..., 0].round(3).tolist()}
                                       for i in range(len(index))]))
    sections.append(Text(title="What this run shows", body=_findings(analysis, entries)))
    return sections


def _findings(analysis: Analysis, entries) -> str:
    by = {e["name"]: e for e in entries}
    out = []
    if "one-to-many" in by and "one-to-one" in by:
        a, b = by["one-to-many"], by["one-to-one"]
        out.append(f"Captions: the recurrent decoder gets {number(entry_metric(a, 'token_accuracy'))} of the words "
                   f"and {number(entry_metric(a, 'exact_match'))} of whole captions right; the one-to-one network "
                   f"{number(entry_metric(b, 'token_accuracy'))} and {number(entry_metric(b, 'exact_match'))} "
                   f"({a['parameter_count']:,} vs {b['parameter_count']:,} parameters, {fit_seconds(a):.0f} s vs "
                   f"{fit_seconds(b):.0f} s).")
        out.append("With captions of a fixed length a one-to-one network can emit them all at once; the "
                   "recurrent decoder's state is what would let it emit captions of any length (stopping at "
                   "'end'), which a fixed output layer cannot.")
    if analysis.quick:
        out.append("Quick mode: one epoch on 120 images and demos trained for one epoch on 80 sequences; the "
                   "numbers show the plumbing, not the models.")
    return "\n\n".join(out) or "No variant completed."


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
