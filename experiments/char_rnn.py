"""
Title: Character and word language models — "hello" and "Steven saw Mark. Mark saw John. John saw Steven."
Description: next-token prediction on the notes' two tiny corpora: a memoryless per-word model against
SimpleRNN and LSTM language models on the Steven/Mark/John story (with generated text), and the notes'
4-3-4 character RNN trained on "hello".

The notes' character RNN (000:1423-1611) reads "hell" one one-hot letter at a time through 3 tanh units and
must output "ello": after the first "l" comes "l", after the second "o" — the same input, two answers, so
only the hidden state can tell them apart. The second corpus (003:978-1010) is the story "Steven saw Mark.
Mark saw John. John saw Steven." over the dictionary {Steven, Mark, John, saw, .}; the notes show what a
model without memory writes — "Steven saw Mark saw John saw …", "Steven.Mark.John." — because after
"saw" the right name depends on who is doing the seeing, two words back. Dataset `tiny-corpus`
(corpus "steven"): every 6-word window of the cyclic story with the next word at each position; the
corpus is all there is, so the test windows are training windows too — the question is whether a model
can represent the story, not whether it generalises. Three models: a per-word network with no memory
(a kernel-1 Conv1D, i.e. the same Dense layers applied to each word alone), and SimpleRNN and LSTM
language models (`char_rnn`, one-hot word inputs as in the notes). A probe writes 12 words from each
trained model, starting from "steven": greedy (most likely word) and sampled (from the softmax, seed 0).
"""

from __future__ import annotations

from typing import Any

from kerasdl.harness import Analysis, Experiment, Variant
from kerasdl.report.sections import Section, Table, Text
from kerasdl.report.study_helpers import entry_metric, fit_seconds, number, probe_value

NAME = "char-rnn"
TITLE = "Language models on the notes' corpora: 'Steven saw Mark…' word by word, and 'hello' letter by letter"
NOTES_REF = "000:1423-1611, 003:978-1010"

## Setup
VOCABULARY = ("steven", "saw", "mark", ".", "john")  # order of first use in the story (tiny-corpus)
WINDOW, GENERATED = 6, 12
FIT = {"epochs": 60, "batch_size": 16, "patience": 10, "learning_rate": 1e-2}
VARIANTS = (
    ("no-memory", "conv1d", {"filters": (16,), "kernel_size": 1, "units": 0, "return_sequences": True,
                             "vocab_size": len(VOCABULARY) + 1, "embedding_dim": 8},
     "no memory: the same Dense layers on each word alone"),
    ("simple-rnn", "char_rnn", {"cell": "simple_rnn", "units": 16}, "SimpleRNN language model (16 units)"),
    ("lstm", "char_rnn", {"cell": "lstm", "units": 16}, "LSTM language model (16 units)"),
)
HELLO_EPOCHS, HELLO_QUICK_EPOCHS = 300, 20


def generate(model, start: list[int], steps: int, *, window: int, sample: bool, seed: int = 0) -> list[int]:
    """Continue the token ids `start` (vocabulary indices) by `steps` tokens, one model call per token.

    The model reads the last `window` tokens (input ids = index + 1, right-padded with 0 = masked) and the
    softmax at the last real position is the next token's distribution: its argmax (greedy) or a draw.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    tokens = list(start)
    for _ in range(steps):
        context = tokens[-window:]
        x = np.zeros((1, window), dtype="int32")
        x[0, :len(context)] = np.asarray(context) + 1
        p = np.asarray(model(x, training=False))[0, len(context) - 1].astype("float64")
        p = p / p.sum()
        tokens.append(int(rng.choice(len(p), p=p)) if sample else int(p.argmax()))
    return tokens


def accuracy_ceilings() -> tuple[float, float]:
    """Best next-word accuracy on the story's windows without memory, and with the previous word known.

    Without memory the best guess for each word is its most frequent successor. With one word of
    context (pairs) every successor in the story is unique, so only position 0 of a window is a guess.
    """
    from collections import Counter

    from kerasdl.data.sequences import corpus_tokens

    tokens, _ = corpus_tokens("steven")
    n = len(tokens)
    follows = Counter((tokens[i], tokens[(i + 1) % n]) for i in range(n))
    seen = Counter(tokens)
    memoryless = sum(max(c for (w, _), c in follows.items() if w == word) for word in seen) / n
    return memoryless, (memoryless + (WINDOW - 1)) / WINDOW


def text_probe(model, arrays) -> dict[str, Any]:
    start = [VOCABULARY.index("steven")]
    words = lambda ids: " ".join(VOCABULARY[i] for i in ids)  # noqa: E731
    return {"greedy": words(generate(model, start, GENERATED, window=WINDOW, sample=False)),
            "sampled": words(generate(model, start, GENERATED, window=WINDOW, sample=True))}


def experiment() -> Experiment:
    variants = [Variant(name, builder=builder, api="functional", label=label, hyperparameters=hyper,
                        probe=text_probe, **FIT) for name, builder, hyper, label in VARIANTS]
    return Experiment(name=NAME, title=TITLE, dataset="tiny-corpus", dataset_options={"corpus": "steven"},
                      variants=variants, description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF,
                      analyze=analyze, quick_samples=60, quick_epochs=2, quick_folds=1)


## Analyse
def train_hello(epochs: int, seed: int) -> dict[str, Any]:
    """The notes' 4-3-4 character RNN (one-hot letters, 3 tanh units, softmax) fitted to "hell" → "ello"."""
    import keras
    import numpy as np

    from kerasdl.data.sequences import corpus_tokens, next_token_windows
    from kerasdl.models.recurrent import build_char_rnn

    tokens, letters = corpus_tokens("hello")
    x, y = next_token_windows(tokens, letters, len(tokens) - 1, cyclic=False)
    keras.utils.set_random_seed(seed)
    model = build_char_rnn(x.shape[1:], len(letters), cell="simple_rnn", units=3, one_hot=True)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    before = float(model.evaluate(x, y, verbose=0))
    # One pass over `epochs` copies of the single sequence: the same `epochs` Adam steps as `epochs`
    # epochs of one batch, without Keras's per-epoch overhead.
    model.fit(np.repeat(x, epochs, axis=0), np.repeat(y, epochs, axis=0), batch_size=1, epochs=1, shuffle=False,
              verbose=0)
    history = [before, float(model.evaluate(x, y, verbose=0))]
    p = np.asarray(model(x, training=False))[0]
    rows = [[letters[x[0, t] - 1], letters[y[0, t]], letters[int(p[t].argmax())], round(float(p[t].max()), 4)]
            for t in range(x.shape[1])]
    # Generation: start from "h", feed each predicted letter back in.
    written = [letters.index("h")]
    for _ in range(len(tokens) - 1):
        context = np.zeros((1, x.shape[1]), dtype="int32")
        context[0, :len(written)] = np.asarray(written[-x.shape[1]:]) + 1
        written.append(int(np.asarray(model(context, training=False))[0, min(len(written), x.shape[1]) - 1].argmax()))
    return {"rows": rows, "loss": (history[0], history[-1]), "written": "".join(letters[i] for i in written),
            "parameters": model.count_params()}


def analyze(analysis: Analysis) -> list[Section]:
    entries = [v for v in analysis.record["variants"] if v["status"] == "completed"]
    table = Table(title="Steven / Mark / John: next-word accuracy and generated text",
                  columns=["model", "parameters", "next-word accuracy", "greedy text from 'steven'",
                           "sampled text (seed 0)", "fit time (s)"],
                  rows=[[e["label"], e["parameter_count"], round(entry_metric(e, "token_accuracy"), 4),
                         probe_value(e, "greedy") or "", probe_value(e, "sampled") or "", round(fit_seconds(e), 1)]
                        for e in entries],
                  caption="Accuracy over every position of the test windows (which repeat the training windows: "
                          "the corpus is 12 words). The story, for comparison: steven saw mark . mark saw john . "
                          "john saw steven .")
    steps = HELLO_QUICK_EPOCHS if analysis.quick else HELLO_EPOCHS
    hello = train_hello(steps, analysis.seed)
    hello_table = Table(title="The “hello” character RNN of the notes (4 one-hot letters → 3 tanh units → "
                              "softmax), trained",
                        columns=["input letter", "target (next letter)", "predicted", "probability"],
                        rows=hello["rows"],
                        caption=f"{hello['parameters']} parameters (the one-hot input has a fifth column for "
                                f"padding, which is masked). Cross-entropy {hello['loss'][0]:.3f} → "
                                f"{hello['loss'][1]:.4f} over {steps} Adam steps. Untrained, the notes' "
                                "weights predict 'h' after 'e' (000:1611; see worked-examples).")
    return [table, hello_table, Text(title="What this run shows", body=_findings(analysis, entries, hello))]


def _findings(analysis: Analysis, entries, hello) -> str:
    out = []
    for entry in entries:
        out.append(f"{entry['label']}: next-word accuracy {number(entry_metric(entry, 'token_accuracy'))}; "
                   f"greedy text: “{probe_value(entry, 'greedy')}”.")
    by = {e["name"]: e for e in entries}
    memoryless, with_memory = accuracy_ceilings()
    if "no-memory" in by:
        out.append(f"Ceilings on these windows: a model that sees only the current word can be right at most "
                   f"{number(memoryless)} of the time (after 'saw' any of three names, after a name either 'saw' or "
                   f"'.'); one word of context decides every next word, so a model with memory can reach "
                   f"{number(with_memory)} (only the first word of each window has no context). The memoryless "
                   "model writes chains like the notes' “steven saw mark saw john saw …”.")
    reached = [e["label"] for e in entries if e["name"] != "no-memory"
               and entry_metric(e, "token_accuracy") >= with_memory - 0.01]
    if reached:
        out.append("At the memory ceiling (within 0.01): " + ", ".join(reached) + " — they have learnt the story.")
    right = sum(r[1] == r[2] for r in hello["rows"])
    out.append(f"'hello': the trained 3-unit RNN predicts {right} of the {len(hello['rows'])} next letters right "
               f"and, fed its own output from 'h', writes “{hello['written']}”. Both 'l's are inputs, yet it "
               "answers "
               "'l' after the first and 'o' after the second: the hidden state remembers how many it has seen.")
    if analysis.quick:
        out.append("Quick mode: two epochs on 60 windows and a 20-epoch 'hello' model; run in full for the result.")
    return "\n\n".join(out)


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
