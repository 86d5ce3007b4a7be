"""Text as token sequences: the generated `reviews` polarity set, and the pieces that turn text into ids.

`reviews` — product reviews generated from a small grammar so that WORD ORDER decides the polarity
(notes 002:1-60: bag-of-words, TF-IDF and word2vec "completely discard the sequence of the words in a
sentence", yet "the phone is good but the battery is bad" and "the phone is bad but the battery is
good" mean opposite things). A review is built from clauses "the <noun> is [not] [very] <adjective>";
a clause's polarity is its adjective's, flipped by a negator ("not bad" is positive). Three shapes:

- plain (30 %): 1-2 clauses of the review's polarity joined by "and";
- contrast (45 %): part A (polarity −y), then "but" / "yet", then part B (polarity y) — what follows
  the contrast word decides ("good but ..." is a negative review when the rest is negative);
- concessive (25 %): "although" part A (−y) "," part B (y) — the main clause decides.

Parts A and B draw their clauses from the same distribution, so a contrast or concessive review with
label y has exactly the bag of words of the same review with its parts swapped, which has label −y:
on 70 % of the reviews a bag-of-words model is at chance whatever it learns, and on the plain ones it
must still solve "not" XOR the adjective's polarity. A recurrent model that reads in order can solve
all of them. Fixed seed, no download.

Ids follow `keras.datasets.imdb` (kerasdl.data.keras_sets), so the same study can read either: 0 pads,
1 starts every review, 2 is out-of-vocabulary, words from 3; sequences are padded and cut at the front
("pre") to `maxlen`. `extras["word_index"]` maps each word to its id.
"""

from __future__ import annotations

import numpy as np

from kerasdl.data import _options
from kerasdl.data._splits import holdout_splits
from kerasdl.data.dataset import Dataset
from kerasdl.data.info import DatasetSpec

__all__ = ["REVIEW_VOCABULARY", "SPECS", "TokenCounts", "decode", "generate_reviews", "load_reviews",
           "review_vocabulary_size"]

START, OOV, INDEX_FROM = 1, 2, 3

_NOUNS = ("phone", "battery", "screen", "camera", "price", "design", "sound", "keyboard", "case", "charger",
          "app", "speaker", "software", "delivery", "service", "display", "headset", "cable")
_POSITIVE = ("good", "great", "excellent", "fine", "amazing", "solid", "reliable", "fast", "nice", "perfect",
             "brilliant", "superb")
_NEGATIVE = ("bad", "awful", "poor", "terrible", "slow", "weak", "broken", "disappointing", "cheap", "flimsy",
             "useless", "horrible")
_NEGATORS = ("not", "never", "hardly")
_INTENSIFIERS = ("very", "really", "quite", "pretty", "so", "truly")
_VERBS = ("is", "was", "seems", "looks", "feels")
_OPENERS = (("i", "bought", "this", "last", "month", ","), ("to", "be", "honest", ","), ("overall", ","),
            ("after", "a", "week", ","), ("my", "friend", "said", "that"), ("honestly", ","),
            ("well", ","), ("so", "far", ","))
_GLUE = ("the", "and", "but", "yet", "although", ",", ".", "it", "its")

#: every word a generated review can contain, in id order (id = position + INDEX_FROM)
REVIEW_VOCABULARY: tuple[str, ...] = tuple(dict.fromkeys(
    _GLUE + _NOUNS + _POSITIVE + _NEGATIVE + _NEGATORS + _INTENSIFIERS + _VERBS
    + tuple(w for opener in _OPENERS for w in opener)))


def review_vocabulary_size() -> int:
    """Embedding rows a model needs for `reviews`: pad, start, OOV and every word."""
    return len(REVIEW_VOCABULARY) + INDEX_FROM


def _clause(rng: np.random.Generator, polarity: int) -> list[str]:
    """One clause whose meaning has `polarity` (+1 / −1): a plain adjective, or a negated opposite one."""
    negated = rng.random() < 0.5
    adjectives = _POSITIVE if (polarity > 0) != negated else _NEGATIVE
    subject = ["the", str(rng.choice(_NOUNS))] if rng.random() < 0.8 else ["it"]
    words = subject + [str(rng.choice(_VERBS))]
    if negated:
        words.append(str(rng.choice(_NEGATORS)))
    if rng.random() < 0.35:
        words.append(str(rng.choice(_INTENSIFIERS)))
    words.append(str(rng.choice(adjectives)))
    return words


def _part(rng: np.random.Generator, polarity: int) -> list[str]:
    """1-2 clauses of one polarity joined by "and" (parts A and B share this distribution)."""
    words = _clause(rng, polarity)
    if rng.random() < 0.4:
        words += ["and"] + _clause(rng, polarity)
    return words


def generate_reviews(n: int, *, seed: int = 0) -> tuple[list[list[str]], np.ndarray, np.ndarray]:
    """`n` reviews as word lists, their labels (1 positive, 0 negative) and shapes (0 plain, 1 contrast,
    2 concessive), balanced labels; see the module docstring for the grammar."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 2)
    shapes = rng.choice(3, size=n, p=[0.30, 0.45, 0.25])
    texts = []
    for label, shape in zip(labels, shapes):
        y = 1 if label else -1
        if shape == 0:
            words = _part(rng, y)
        elif shape == 1:
            words = _part(rng, -y) + [str(rng.choice(("but", "yet")))] + _part(rng, y)
        else:
            words = ["although"] + _part(rng, -y) + [","] + _part(rng, y)
        if rng.random() < 0.3:
            words = list(_OPENERS[rng.integers(len(_OPENERS))]) + words
        texts.append(words + ["."])
    return texts, labels.astype(np.int64), shapes.astype(np.int64)


def decode(ids, index_to_word: dict[int, str]) -> str:
    """Token ids back to text, skipping padding and the start mark; unknown ids show as '?'."""
    return " ".join(index_to_word.get(int(i), "?") for i in ids if int(i) not in (0, START))


def load_reviews(*, seed: int = 0, n: int = 10000, maxlen: int = 48) -> Dataset:
    """`n` generated reviews as (n, maxlen) int32 ids, labels 0 negative / 1 positive, 60/20/20 stratified.

    `extras["shape"]` says which grammar shape each review has (0 plain, 1 contrast, 2 concessive), so
    a study can show where a bag-of-words model fails.
    """
    import keras

    n = _options.positive_int("reviews", "n", n, minimum=20)
    maxlen = _options.positive_int("reviews", "maxlen", maxlen, minimum=4)
    texts, labels, shapes = generate_reviews(n, seed=seed)
    word_index = {w: i + INDEX_FROM for i, w in enumerate(REVIEW_VOCABULARY)}
    sequences = [[START] + [word_index.get(w, OOV) for w in words] for words in texts]
    tokens = keras.utils.pad_sequences(sequences, maxlen=maxlen, dtype="int32", padding="pre", truncating="pre")
    return REVIEWS.dataset(
        features=tokens, target=labels, class_names=("negative", "positive"),
        splits=holdout_splits(labels, "binary", seed=seed),
        extras={"vocabulary_size": review_vocabulary_size(), "maxlen": maxlen, "padding": "pre",
                "truncating": "pre", "start_index": START, "oov_index": OOV, "index_from": INDEX_FROM,
                "word_index": word_index, "shape": shapes, "shape_names": ("plain", "contrast", "concessive")})


class TokenCounts:
    """Padded id sequences → a sparse (n, vocabulary) count matrix: the bag of words of notes 002:16-63.

    A scikit-learn transformer (padding 0 and the start mark 1 are not words and are not counted), so
    `make_pipeline(TokenCounts(), TfidfTransformer(), LogisticRegression())` is the TF-IDF baseline on
    the same inputs the recurrent models read. `binary=True` gives a set-of-words (presence) matrix.
    """

    def __init__(self, binary: bool = False):
        self.binary = binary

    def get_params(self, deep: bool = True) -> dict:
        return {"binary": self.binary}

    def set_params(self, **params):
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def fit(self, x, y=None):
        self.n_tokens_ = int(np.max(x)) + 1 if np.size(x) else INDEX_FROM
        return self

    def transform(self, x):
        from scipy import sparse

        ids = np.asarray(x, dtype=np.int64)
        rows = np.repeat(np.arange(len(ids)), ids.shape[1])
        cols = ids.reshape(-1)
        keep = (cols > START) & (cols < self.n_tokens_)  # ids never seen in training are dropped
        counts = sparse.csr_matrix((np.ones(int(keep.sum())), (rows[keep], cols[keep])),
                                   shape=(len(ids), self.n_tokens_))
        counts.sum_duplicates()
        if self.binary:
            counts.data[:] = 1.0
        return counts

    def fit_transform(self, x, y=None):
        return self.fit(x, y).transform(x)


REVIEWS = DatasetSpec(
    name="reviews", task="binary", n_samples=10000, origin="generated",
    description=("10,000 generated product reviews (e.g. 'the screen is good but the battery is not great .') "
                 "labelled by polarity, where negation and contrast ('but', 'although') decide the label, so "
                 "word order matters; int32 word ids padded at the front to 48, ids as keras.datasets.imdb."),
    provenance=("Generated by kerasdl.data.text.generate_reviews from a fixed grammar and seed (notes 002:1-60: "
                "bag-of-words discards word order)."),
    license="CC0 (generated by kerasdl)", loader=load_reviews)

SPECS = (REVIEWS,)
