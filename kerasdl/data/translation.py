"""A toy translation task for encoder-decoder models: spelled-out English numbers → their digits.

`numbers-to-digits` (notes 001:2494-2590, 002:303-375): "three hundred and forty two thousand five"
→ "342005". Lengths vary a lot — 1 to `max_digits` digits, so 1 to ~25 source words — which is what
the notes say plain encoder-decoders handle badly ("works really well for short sentences. But what
if sent. are long?", 002:327) and attention fixes. Every digit of the output comes from a
particular span of the input (or is a zero implied by a scale word), the alignment an attention
model can learn and a report can draw.

Generator (fixed seed): draw the number of digits uniformly from 1..max_digits, then a number with
exactly that many digits (first digit non-zero); spell it in English short scale (thousand, million,
billion), with "and" after "hundred" in a random half of the numbers (British style), so one number
has two spellings. Duplicates are allowed (short numbers repeat); splits are random 60/20/20.

Layout (task `seq2seq`, kerasdl.tasks.translation):
- features {"encoder": (n, T_in) source word ids, "decoder": (n, T_out) START followed by the target
  tokens (teacher forcing)}, both padded with 0 at the end;
- target (n, T_out): the target tokens followed by END, padded with 0;
- class_names: the target vocabulary, id → token: "<pad>", "<start>", "<end>", "0" … "9".
Source ids: 0 pads, 1 is out-of-vocabulary, words from 2 (`extras["source_vocabulary"]`).
"""

from __future__ import annotations

import numpy as np

from kerasdl.data import _options
from kerasdl.data._splits import holdout_splits
from kerasdl.data.dataset import Dataset
from kerasdl.data.info import DatasetSpec

__all__ = ["END", "PAD", "SOURCE_VOCABULARY", "SPECS", "START", "TARGET_VOCABULARY", "load_numbers",
           "spell"]

PAD, START, END = 0, 1, 2
TARGET_VOCABULARY = ("<pad>", "<start>", "<end>", *"0123456789")

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ("", "thousand", "million", "billion")
SOURCE_VOCABULARY = ("<pad>", "<unk>", *_ONES, *_TENS[2:], "hundred", "and", *_SCALES[1:])


def _below_thousand(n: int, british: bool) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [_ONES[hundreds], "hundred"]
        if rest and british:
            words.append("and")
    if rest >= 20:
        words.append(_TENS[rest // 10])
        if rest % 10:
            words.append(_ONES[rest % 10])
    elif rest:
        words.append(_ONES[rest])
    return words


def spell(n: int, *, british: bool = False) -> list[str]:
    """`n` (0 ≤ n < 10¹²) in English words, short scale: 1_002_030 → one million two thousand thirty."""
    if not 0 <= n < 10 ** 12:
        raise ValueError(f"spell: expected 0 <= n < 10**12. Received: n={n}")
    if n == 0:
        return ["zero"]
    words: list[str] = []
    for power in range(3, -1, -1):
        group = (n // 1000 ** power) % 1000
        if group:
            words += _below_thousand(group, british) + ([_SCALES[power]] if power else [])
    return words


def load_numbers(*, seed: int = 0, n: int = 20000, max_digits: int = 12) -> Dataset:
    """`n` numbers of 1..max_digits digits, spelled out (source) and as digits (target)."""
    n = _options.positive_int("numbers-to-digits", "n", n, minimum=20)
    max_digits = _options.positive_int("numbers-to-digits", "max_digits", max_digits)
    if max_digits > 12:
        raise _options._fail("numbers-to-digits", "max_digits", "an integer from 1 to 12", max_digits)
    rng = np.random.default_rng(seed)
    digits = rng.integers(1, max_digits + 1, size=n)
    numbers = [int(rng.integers(10 ** (d - 1) if d > 1 else 0, 10 ** d)) for d in digits]
    british = rng.random(n) < 0.5
    source = [spell(v, british=bool(b)) for v, b in zip(numbers, british)]
    source_index = {w: i for i, w in enumerate(SOURCE_VOCABULARY)}
    t_in = max(len(words) for words in source)
    t_out = max_digits + 1  # the digits and END
    encoder = np.zeros((n, t_in), np.int32)
    decoder = np.zeros((n, t_out), np.int32)
    target = np.zeros((n, t_out), np.int32)
    for row, (words, value) in enumerate(zip(source, numbers)):
        encoder[row, :len(words)] = [source_index[w] for w in words]
        tokens = [TARGET_VOCABULARY.index(c) for c in str(value)]
        decoder[row, :len(tokens) + 1] = [START, *tokens]
        target[row, :len(tokens) + 1] = [*tokens, END]
    lengths = np.array([len(words) for words in source])
    return NUMBERS.dataset(
        features={"encoder": encoder, "decoder": decoder}, target=target, class_names=TARGET_VOCABULARY,
        splits=holdout_splits(target[:, 0], "seq2seq", seed=seed),
        extras={"source_vocabulary": SOURCE_VOCABULARY, "source_vocabulary_size": len(SOURCE_VOCABULARY),
                "target_vocabulary": TARGET_VOCABULARY, "input_length": lengths,
                "numbers": np.asarray(numbers, dtype=np.int64), "start_id": START, "end_id": END})


NUMBERS = DatasetSpec(
    name="numbers-to-digits", task="seq2seq", n_samples=20000, origin="generated",
    description=("20,000 numbers spelled out in English words (1-25 words, e.g. 'three hundred and forty two "
                 "thousand five') to translate into their digits ('342005', 1-12 digits): word ids in, digit "
                 "tokens with START/END out, teacher-forced decoder inputs."),
    provenance="Generated by kerasdl.data.translation.load_numbers from a fixed seed (notes 002:303-375).",
    license="CC0 (generated by kerasdl)", loader=load_numbers)

SPECS = (NUMBERS,)
