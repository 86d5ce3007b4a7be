"""
Title: Encoder-decoder translation — plain seq2seq vs Bahdanau attention vs a Transformer
Description: spelled-out numbers to digits; exact match and BLEU by input length, with the attention
weights drawn as heat maps.

Notes 001:2494-2590 and 002:303-321: an encoder RNN squeezes the whole source into its final state,
the "encoder vector", and a decoder RNN unrolls the answer from it, START to END. 002:327: "Biggest
problem with Seq2Seq models is they do not perform very well with long sentences", which attention
answers (002:327-375): a bidirectional encoder keeps one annotation per source word, and each output
step takes a softmax-weighted mix of them, α_ij = softmax_j(a(s_i, h_j)). The notes then point to
Transformers (002:377), built from attention alone.

Task (`numbers-to-digits`): "three hundred and forty two thousand five" → "342005", 1 to 12 digits,
so 1 to ~25 source words. Every model is trained with teacher forcing and scored by GREEDY decoding
from the source alone (DecodingTrainer): exact match of the whole digit string, per-digit accuracy
and corpus BLEU over digit tokens (sacrebleu), overall and per input-length bucket. The plain model
gets twice the units of the attention model's per-direction encoder so both have a similar state size.
"""

from __future__ import annotations

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Bars, Heatmap, Lines, Section, Table, Text

NAME = "seq2seq-attention"
TITLE = "Seq2seq translation: plain encoder-decoder vs Bahdanau attention vs Transformer, by input length"
NOTES_REF = "001:2494-2590, 002:303-379"

## Setup
BUCKETS = ((1, 4), (5, 8), (9, 12), (13, 16), (17, 30))  # source words, inclusive
FIT = {"epochs": 40, "batch_size": 64, "patience": 5, "learning_rate": 2e-3}
SHOWN = 3  # attention heat maps drawn


def _vocabulary() -> int:
    from kerasdl.data.translation import SOURCE_VOCABULARY

    return len(SOURCE_VOCABULARY)


def experiment() -> Experiment:
    """The three encoder-decoders on one 60/20/20 split of 20,000 numbers."""
    vocab = _vocabulary()
    variants = [
        Variant("seq2seq", builder="seq2seq", api="functional", label="seq2seq (LSTM 128, encoder vector only)",
                hyperparameters={"vocab_size": vocab, "units": 128, "embedding_dim": 32}, **FIT),
        Variant("attention", builder="seq2seq_attention", api="functional",
                label="seq2seq + Bahdanau attention (BiLSTM 2×64, LSTM 64)", probe=attention_probe,
                hyperparameters={"vocab_size": vocab, "units": 64, "embedding_dim": 32, "attention_units": 64},
                **FIT),
        Variant("transformer", builder="transformer_encoder", api="functional",
                label="Transformer encoder-decoder (2 blocks, 4 heads, d 64)",
                hyperparameters={"vocab_size": vocab, "embedding_dim": 64, "num_heads": 4, "ff_dim": 128,
                                 "blocks": 2, "dropout": 0.1}, **FIT),
    ]
    return Experiment(
        name=NAME, title=TITLE, dataset="numbers-to-digits", variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF, evaluation="holdout",
        analyze=analyze, quick_samples=240, quick_epochs=1, quick_folds=1,
        # the Transformer's train-and-decode path is tested on its own (tests/test_seq2seq.py)
        quick_variants=("seq2seq", "attention"),
    )


def attention_probe(model, arrays) -> dict:
    """Attention weights of SHOWN test numbers (shortest, middle, longest) while the model translates
    them: its own greedy output is the decoder input, so the map shows what it looked at for each
    digit it actually wrote."""
    import numpy as np

    from kerasdl.data.translation import SOURCE_VOCABULARY, TARGET_VOCABULARY
    from kerasdl.models.seq2seq import attention_weights, greedy_decode

    encoder, decoder = np.asarray(arrays.x_test["encoder"]), np.asarray(arrays.x_test["decoder"])
    lengths = (encoder != 0).sum(axis=1)
    order = np.argsort(lengths, kind="stable")
    rows = sorted({int(order[0]), int(order[len(order) // 2]), int(order[-1])})[:SHOWN]
    decoded = greedy_decode(model, encoder[rows], length=decoder.shape[1])
    fed = np.zeros_like(decoded)
    fed[:, 0] = 1
    fed[:, 1:] = decoded[:, :-1]
    weights = attention_weights(model, {"encoder": encoder[rows], "decoder": fed})
    examples = []
    for k, row in enumerate(rows):
        n_in = int(lengths[row])
        tokens = []
        for token in decoded[k]:
            tokens.append(TARGET_VOCABULARY[int(token)])
            if int(token) == 2:
                break
        examples.append({"source": [SOURCE_VOCABULARY[int(i)] for i in encoder[row, :n_in]], "output": tokens,
                         "weights": np.round(weights[k, :len(tokens), :n_in], 3).tolist()})
    return {"examples": examples}

QUICK_NOTE = ("This was a --quick run (a few hundred rows, one epoch): the numbers show that everything runs, "
              "not what the models can do; the targets below are for the full run.")


## Analyse
def analyze(analysis) -> list[Section]:
    entries = [v for v in analysis.record["variants"] if v["status"] in ("completed", "diverged")
               and f"{v['name']}/fold0/y_score" in analysis.predictions]
    by_length = _by_length(analysis, entries)
    sections: list[Section] = [_table(analysis), *_length_sections(by_length)]
    heat = _heatmaps(entries)
    if heat is not None:
        sections.append(heat)
    from kerasdl.report.study_helpers import overlaid_curves

    sections.append(overlaid_curves(analysis, title="Teacher-forced validation loss per epoch",
                                    y_label="validation cross-entropy per token"))
    quick = QUICK_NOTE + "\n\n" if analysis.quick else ""
    sections.append(Text(title="What this run shows", body=quick + _findings(by_length)))
    return sections


def _table(analysis) -> Table:
    from kerasdl.report.study_helpers import comparison_table

    return comparison_table(analysis, ["exact_match", "token_accuracy", "bleu"],
                            title="Greedy-decoded translations of the held-out numbers",
                            caption="Exact match: the whole digit string and END right. Token accuracy: share of "
                                    "the true digits (and END) right at their position. BLEU: sacrebleu corpus "
                                    "BLEU over digit tokens, 0-100.")


def _by_length(analysis, entries) -> dict[str, dict[str, list]]:
    """Per variant and bucket of source length: (exact match, BLEU, count)."""
    import numpy as np
    import sacrebleu

    from kerasdl.tasks.translation import sequence_scores, tokens_to_text

    vocabulary = list(analysis.dataset.class_names)
    # source length from the encoder ids themselves (0 pads), which --quick's subsample keeps row-aligned
    lengths = (np.asarray(analysis.dataset.features["encoder"]) != 0).sum(axis=1)
    out = {}
    for entry in entries:
        key = f"{entry['name']}/fold0"
        y_true = np.asarray(analysis.predictions[f"{key}/y_true"])
        y_score = np.asarray(analysis.predictions[f"{key}/y_score"])
        length = lengths[np.asarray(analysis.predictions[f"{key}/index"])]
        exact = sequence_scores(y_true, y_score)["exact_match"]
        rows = {"exact": [], "bleu": [], "count": []}
        for lo, hi in BUCKETS:
            pick = (length >= lo) & (length <= hi)
            rows["count"].append(int(pick.sum()))
            if not pick.any():
                rows["exact"].append(None), rows["bleu"].append(None)
                continue
            rows["exact"].append(float(exact[pick].mean()))
            hyps = [tokens_to_text(r, vocabulary) for r in y_score[pick]]
            refs = [tokens_to_text(r, vocabulary) for r in y_true[pick]]
            rows["bleu"].append(float(sacrebleu.corpus_bleu(hyps, [refs], tokenize="none").score))
        out[entry["label"]] = rows
    return out


def _bucket_names() -> list[str]:
    return [f"{lo}-{hi} words" for lo, hi in BUCKETS]


def _length_sections(by_length) -> list[Section]:
    names = _bucket_names()
    centres = [(lo + hi) / 2 for lo, hi in BUCKETS]
    exact = Lines(title="Exact match by source length", x_label="source words (bucket centre)",
                  y_label="exact match", series=[{"label": label, "x": [c for c, v in zip(centres, rows["exact"])
                                                                         if v is not None],
                                                  "y": [v for v in rows["exact"] if v is not None]}
                                                 for label, rows in by_length.items()],
                  caption="Share of held-out numbers translated exactly, per bucket of source length "
                          f"({', '.join(names)}).")
    bleu = Bars(title="BLEU by source length", labels=names,
                series=[{"label": label, "values": [v if v is not None else 0.0 for v in rows["bleu"]]}
                        for label, rows in by_length.items()], y_label="BLEU (0-100)")
    counts = next(iter(by_length.values()), {"count": []})["count"]
    table = Table(title="Exact match and BLEU by source length",
                  columns=["model", *[f"{n} (n={c})" for n, c in zip(names, counts)]],
                  rows=[[label, *[None if e is None else f"{e:.3f} / {b:.1f}"
                                  for e, b in zip(rows["exact"], rows["bleu"])]]
                        for label, rows in by_length.items()],
                  caption="Each cell: exact match / BLEU on the test numbers whose spelling has that many words.")
    return [exact, bleu, table]


def _heatmaps(entries) -> Heatmap | None:
    panels = []
    for entry in entries:
        for probe in (f.get("probe") or {} for f in entry.get("folds", [])):
            for example in probe.get("examples", []):
                panels.append({"label": f"{' '.join(example['source'])} → {''.join(example['output'][:-1])}",
                               "matrix": example["weights"], "row_labels": example["output"],
                               "column_labels": example["source"]})
    if not panels:
        return None
    return Heatmap(title="Where the attention model looked for each digit it wrote", panels=panels,
                   x_label="source word", y_label="output token (greedy)", value_range=[0, 1],
                   caption="Rows: each output step; columns: source words; cell α_ij, rows sum to 1 over the "
                           "source (the notes' Σ_i α_ij = 1 at 002:372 sums over the wrong index).")


def _findings(by_length) -> str:
    out = []
    labels = list(by_length)
    plain = next((l for l in labels if l.startswith("seq2seq (")), None)
    attention = next((l for l in labels if "attention" in l), None)
    if plain and attention:
        pairs = [(n, p, a) for n, p, a in zip(_bucket_names(), by_length[plain]["exact"], by_length[attention]["exact"])
                 if p is not None and a is not None]
        if pairs:
            name, p, a = pairs[-1]
            gap = 100 * (a - p)
            out.append(f"Longest inputs ({name}): plain seq2seq {p:.3f} exact match, attention {a:.3f} — "
                       f"{gap:+.1f} points. The issue's target is at least +20 points: "
                       + ("met." if gap >= 20 else "not met on this run."))
            short = pairs[0]
            out.append(f"Shortest inputs ({short[0]}): plain {short[1]:.3f}, attention {short[2]:.3f}: a short "
                       "number fits in the encoder vector, a long one must be squeezed into the same state, "
                       "while attention reads each source word again when it needs it (002:327).")
    transformer = next((l for l in labels if "Transformer" in l), None)
    if transformer:
        values = [v for v in by_length[transformer]["exact"] if v is not None]
        if values:
            out.append(f"The Transformer (attention only, no recurrence) reaches {values[-1]:.3f} exact match on the "
                       "longest bucket.")
    return "\n\n".join(out) or "No variant produced predictions."


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
