"""
Title: Recursive neural network over expression trees — vs an LSTM on the flattened tree and a bag of leaves
Description: is (… + … − …) positive? A recursive net composing the parse tree bottom-up with one shared
weight matrix, against an LSTM reading the same tree in post-order and a logistic regression on counts.

A recursive neural network (001:2680-2726) generalises the recurrent chain to a tree: the vector of every
internal node is h = f(W [h_left; h_right] + b) with ONE W shared by all nodes, computed from the leaves up,
so the structure of the input decides the order of composition. Dataset `arithmetic-trees`: random binary
expression trees over the digits 0-9 with + and − (2-5 digits), e.g. "((3 + 6) − (9 − 1))"; an operation
is the phrase (a (op b)), so every node has two children; the label is whether the value is positive.
The same digits in different trees give different values — a − (b − c) is a − b + c — so the structure
matters. Three models: `recursive_nn` (16-dimensional node vectors, tanh, the root vector → sigmoid);
`postorder_rnn`, an LSTM over the tree's post-order token sequence (reverse Polish notation, which
encodes the tree but leaves the model to discover how to compose it); and a bag of leaves (logistic
regression on how often each digit and operator occurs), which cannot see the structure at all.
"""

from __future__ import annotations

from kerasdl.harness import Analysis, Experiment, Variant
from kerasdl.report.sections import Section, Table, Text
from kerasdl.report.study_helpers import entry_metric, fit_seconds, number

NAME = "recursive-nn"
TITLE = "Recursive net over expression trees vs LSTM on the post-order sequence vs a bag of leaves"
NOTES_REF = "001:2680-2726"

## Setup
DATA = {"max_leaves": 5, "samples": 3000}
VOCAB = 13  # 12 tree tokens + id 0
FIT = {"epochs": 60, "batch_size": 32, "patience": 8, "learning_rate": 1e-2}
SHOWN = 12


def leaf_counts(rows):
    """How often each token occurs in each tree ((n, nodes, 3) rows → (n, 12) counts): a bag of leaves."""
    import numpy as np

    tokens = np.asarray(rows).reshape(len(rows), -1, 3)[..., 0]
    return np.stack([(tokens == t).sum(axis=1) for t in range(1, VOCAB)], axis=1).astype(float)


def experiment() -> Experiment:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    variants = [
        Variant("recursive", builder="recursive_nn", api="functional", label="recursive net (shared W, 16 units)",
                hyperparameters={"units": 16, "vocab_size": VOCAB}, **FIT),
        Variant("postorder-lstm", builder="postorder_rnn", api="functional",
                label="LSTM over the post-order tokens (16 units)",
                hyperparameters={"cell": "lstm", "units": 16, "vocab_size": VOCAB}, **FIT),
        Variant("bag-of-leaves", estimator=make_pipeline(FunctionTransformer(leaf_counts),
                                                         LogisticRegression(max_iter=1000)),
                label="bag of leaves: logistic regression on token counts"),
    ]
    return Experiment(name=NAME, title=TITLE, dataset="arithmetic-trees", dataset_options=DATA, variants=variants,
                      description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF, analyze=analyze,
                      quick_samples=160, quick_epochs=1, quick_folds=1)


## Analyse
def analyze(analysis: Analysis) -> list[Section]:
    import numpy as np

    entries = [v for v in analysis.record["variants"] if v["status"] == "completed"]
    rows = [[e["label"], e.get("parameter_count") or "—", round(entry_metric(e, "accuracy"), 4),
             round(entry_metric(e, "roc_auc"), 4), round(fit_seconds(e), 1)] for e in entries]
    sections: list[Section] = [Table(
        title="Is the expression positive? Held-out trees", rows=rows,
        columns=["model", "parameters", "accuracy", "ROC AUC", "fit time (s)"],
        caption="The first digit of every tree is added, so about two thirds of the trees are positive: "
                "always answering 'positive' scores the majority rate shown below.")]
    dataset = analysis.dataset
    if dataset is not None and entries:
        key = f"{entries[0]['name']}/fold0"
        index = np.asarray(analysis.predictions.get(f"{key}/index", []))[:SHOWN]
        texts, values = dataset.extras["text"], dataset.extras["value"]
        shown = []
        for i, row in enumerate(index):
            cells = [texts[row], int(values[row])]
            for entry in entries:
                scores = analysis.predictions.get(f"{entry['name']}/fold0/y_score")
                p = float(np.asarray(scores)[i][-1]) if scores is not None else float("nan")
                cells.append(round(p, 3))
            shown.append(cells)
        sections.append(Table(title=f"{len(shown)} test trees and each model's P(positive)", rows=shown,
                              columns=["expression (tree)", "value", *(e["name"] for e in entries)]))
        test = np.asarray(dataset.splits["test"])
        positive = float(dataset.target[test].mean()) if len(test) else float("nan")
        majority = max(positive, 1 - positive)
        sections.append(Text(title="What this run shows", body=_findings(analysis, entries, majority)))
    return sections


def _findings(analysis: Analysis, entries, majority: float) -> str:
    out = [f"Majority rate on the test trees: {number(majority)}."]
    ranked = sorted(entries, key=lambda e: -entry_metric(e, "accuracy"))
    out.append("Accuracy, best first: " + ", ".join(f"{e['label']} {number(entry_metric(e, 'accuracy'))}"
                                                   for e in ranked) + ".")
    by = {e["name"]: e for e in entries}
    if "recursive" in by and "bag-of-leaves" in by:
        gain = entry_metric(by["recursive"], "accuracy") - entry_metric(by["bag-of-leaves"], "accuracy")
        out.append(f"Composing along the tree gains {number(gain)} accuracy over counting the leaves, which "
                   "cannot tell a − (b − c) from (a − b) − c.")
    if "recursive" in by and "postorder-lstm" in by:
        r, l = entry_metric(by["recursive"], "accuracy"), entry_metric(by["postorder-lstm"], "accuracy")
        out.append(f"The recursive net ({by['recursive']['parameter_count']:,} parameters) "
                   + ("beats" if r > l + 0.01 else "matches" if abs(r - l) <= 0.01 else "trails")
                   + f" the LSTM on the post-order sequence ({by['postorder-lstm']['parameter_count']:,} "
                   "parameters): the post-order sequence contains the whole tree, so a sequence model can learn "
                   "the composition too; the recursive net is given the order of composition instead of "
                   "having to learn it, with one shared W.")
    if analysis.quick:
        out.append("Quick mode: one epoch on 160 trees; the comparison needs the full run.")
    return "\n\n".join(out)


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
