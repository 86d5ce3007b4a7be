"""A user's own CSV file as a `Dataset`, with every mistake in the file reported as one line.

Rules:
- Missing values: empty cells and pandas' usual markers (NA, N/A, NaN, null, ...) plus "?" become NaN.
- Feature columns: a column pandas reads as numbers is numeric; any other column (text, True/False,
  mixed) is categorical. Numbers are never guessed to be categories, however few distinct values they
  have (0/1 flags and counts work fine as numbers); write category codes as text ("c1") to get one-hot.
  Entirely empty columns (e.g. from a trailing comma) are dropped.
- Target and task (when `task` is None): text or True/False labels, or integers with at most 20 distinct
  values, are classes ("binary" for 2, "multiclass" for more); any other numbers mean "regression".
  Class names are the sorted distinct labels (numbers sorted by value), target values their codes 0..k-1.
  Rows without a target value are dropped, and the description says how many.
- Free text: a column of text with many distinct multi-word values (on average at least 3 words per
  cell, more than half the cells distinct), or the column named by `text=`, makes the file a text
  dataset: that column alone is the input, turned into word ids by `keras.layers.TextVectorization`
  whose vocabulary is adapted on the training split's rows only (0 pads, 1 is out-of-vocabulary; at
  most 20,000 words, cut to the longest training text or 200 words). Other feature columns are
  ignored (the description says so); rows without text are dropped. Such a dataset has one holdout
  split — its vocabulary belongs to that split's training rows — so it cannot be cross-validated.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from kerasdl.data._splits import holdout_splits
from kerasdl.data.dataset import Dataset
from kerasdl.errors import UserError

__all__ = ["load_csv", "MIN_ROWS", "MAX_INTEGER_CLASSES", "TEXT_MAX_TOKENS", "TEXT_MAX_LENGTH"]

MIN_ROWS = 10  # so that train, val and test each get at least two rows
MAX_INTEGER_CLASSES = 20
TEXT_MAX_TOKENS = 20000
TEXT_MAX_LENGTH = 200


def load_csv(path: str | Path, target: str, *, task: str | None = None, seed: int = 0,
             text: str | None = None) -> Dataset:
    """Read a comma-separated file with a header line; `target` names the column to predict and `text`
    (optional; else detected) a free-text column to read as word ids."""
    text_column = text
    import pandas as pd

    from kerasdl import tasks  # imports scikit-learn: not at module level, `kerasdl datasets` stays instant

    shown = str(path)
    # What a table's target column can hold: classes (two or more) or numbers.
    table_tasks = (tasks.BinaryTask.name, tasks.MulticlassTask.name, tasks.RegressionTask.name)
    if task is not None and task not in table_tasks:
        raise UserError(f"load_csv task must be one of {', '.join(table_tasks)} or None. Received: task={task!r}")
    text = _read_text(Path(path), shown)
    header = _check_structure(text, shown)
    if target not in header:
        raise UserError(f"column {target!r} not in {shown}; columns found: {', '.join(header)}")
    if text_column is not None and text_column not in header:
        raise UserError(f"text column {text_column!r} not in {shown}; columns found: {', '.join(header)}")
    if text_column is not None and text_column == target:
        raise UserError(f"--text and --target name the same column {text_column!r}; the text is the input, the "
                        "target what to predict")
    if len(header) == 1:
        raise UserError(f"{shown} has no feature columns besides the target {target!r}")
    try:
        frame = pd.read_csv(io.StringIO(text), na_values=["?"], skipinitialspace=True, low_memory=False)
    except (ValueError, pd.errors.ParserError) as err:  # _check_structure should have caught it already
        raise UserError(f"{shown}: not a readable CSV file: {str(err).splitlines()[0]}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.apply(_tidy_text)

    labels = frame.pop(target)
    keep = labels.notna().to_numpy()
    dropped_rows = int((~keep).sum())
    frame, labels = frame[keep].reset_index(drop=True), labels[keep].reset_index(drop=True)
    if len(labels) < MIN_ROWS:
        raise UserError(f"{shown} has {len(labels)} rows with a value in {target!r}; at least {MIN_ROWS} "
                        "are needed to split it into train, val and test")

    inferred = task is None
    task = _task(labels, task, target, shown)
    has_classes = tasks.get(task).has_classes
    if has_classes:
        codes, class_names = _encode_classes(labels)
    else:
        codes, class_names = labels.to_numpy(dtype=np.float64), ()

    if text_column is not None and frame[text_column].isna().all():
        raise UserError(f"text column {text_column!r} of {shown} is empty; put the texts in it or name another "
                        "column with --text")
    text_column = text_column if text_column is not None else _detect_text(frame)
    if text_column is not None:
        return _text_dataset(path, frame, text_column, codes, class_names, task, target, inferred, dropped_rows, seed)

    empty = [c for c in frame.columns if frame[c].isna().all()]
    frame = frame.drop(columns=empty)
    if frame.shape[1] == 0:
        raise UserError(f"{shown} has no feature column with values besides the target {target!r}")
    numeric, categorical = _column_kinds(frame)
    for column in numeric + ([] if has_classes else [target]):
        infinite = int(np.isinf((labels if column == target else frame[column]).to_numpy(np.float64)).sum())
        if infinite:
            raise UserError(f"column {column!r} of {shown} has {infinite} infinite value(s); replace them "
                            "with numbers or leave those cells empty")
    for column in categorical:
        frame[column] = frame[column].map(lambda v: v if _is_missing(v) else str(v)).astype(object)

    notes = [f"user CSV {Path(path).name}: {len(codes)} rows, {len(numeric)} numeric and "
             f"{len(categorical)} categorical feature columns, target {target!r} "
             f"({task}{', inferred' if inferred else ''})"]
    if dropped_rows:
        notes.append(f"dropped {dropped_rows} row(s) with no value in {target!r}")
    if empty:
        notes.append(f"dropped empty column(s) {', '.join(empty)}")
    return Dataset(
        name=Path(path).stem, task=task, features=frame, target=codes,
        splits=holdout_splits(codes, task, seed=seed), class_names=class_names,
        provenance=f"user file {Path(path).resolve()}", license="unknown (user-supplied data)",
        description="; ".join(notes) + ".", origin="user",
        numeric_columns=tuple(numeric), categorical_columns=tuple(categorical),
        extras={"target_column": target, "dropped_rows": dropped_rows, "dropped_columns": empty})


def _read_text(path: Path, shown: str) -> str:
    if not path.exists():
        raise UserError(f"file not found: {shown}")
    if not path.is_file():
        raise UserError(f"{shown} is a directory, not a CSV file")
    raw = path.read_bytes()
    if not raw.strip():
        raise UserError(f"{shown} is empty: expected a header line and data rows")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with a byte-order mark: Excel's "Unicode Text"
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise UserError(f"{shown} starts like UTF-16 text but does not decode as such; save it as UTF-8 "
                            "and run again") from None
    if b"\x00" in raw[:65536]:
        raise UserError(f"{shown} is not a CSV text file (it contains binary data)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise UserError(f"{shown}:{line}: not UTF-8 text (byte 0x{raw[err.start]:02x}); "
                        "save the file as UTF-8 and run again") from None


def _check_structure(text: str, shown: str) -> list[str]:
    """The header's column names, after checking that every row has as many fields as the header.

    pandas either refuses such a row with a message about C tokenizing or silently fills it with NaN;
    the csv module lets us name the file, the 1-based line (the header is line 1) and the columns.
    """
    reader = csv.reader(io.StringIO(text))
    try:
        header = next((row for row in reader if row), [])
        names = [name.strip() for name in header]
        if len(names) == 1 and any(sep in names[0] for sep in ";\t|"):
            sep = next(s for s in ";\t|" if s in names[0])
            raise UserError(f"{shown}:{reader.line_num}: found a single column {names[0]!r}; the file looks "
                            f"separated by {sep!r}, but kerasdl reads comma-separated files")
        duplicates = sorted({n for n in names if names.count(n) > 1 and n})
        if duplicates:
            raise UserError(f"{shown}:{reader.line_num}: column {duplicates[0]!r} appears more than once "
                            "in the header")
        n_rows = 0
        for row in reader:
            if not row:
                continue
            if len(row) != len(names):
                raise UserError(f"{shown}:{reader.line_num}: expected {len(names)} fields "
                                f"(columns {_listing(names)}), found {len(row)}")
            n_rows += 1
    except csv.Error as err:
        raise UserError(f"{shown}:{reader.line_num}: malformed CSV: {err}") from None
    if n_rows == 0:
        raise UserError(f"{shown} has a header line but no data rows")
    return names


def _listing(names: list[str], most: int = 10) -> str:
    shown = ", ".join(n or "(blank)" for n in names[:most])
    return shown + (f", ... ({len(names)} in all)" if len(names) > most else "")


def _tidy_text(column):
    """Strip spaces around text cells and turn cells that are then empty into NaN."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return column
    tidy = column.map(lambda v: v.strip() if isinstance(v, str) else v)
    return tidy.map(lambda v: np.nan if isinstance(v, str) and not v else v)


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _is_number_column(column) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _column_kinds(frame) -> tuple[list[str], list[str]]:
    numeric = [c for c in frame.columns if _is_number_column(frame[c])]
    return numeric, [c for c in frame.columns if c not in numeric]


def _task(labels, task: str | None, target: str, shown: str) -> str:
    """The task asked for (checked against the labels) or the one the labels imply."""
    from kerasdl import tasks

    numbers = _is_number_column(labels)
    distinct = labels.nunique()
    if task is not None and not tasks.get(task).has_classes:
        if not numbers:
            example = next(v for v in labels if not _is_number(v))
            raise UserError(f"task={task!r} needs numbers in {target!r}, but {shown} has values such "
                            f"as {str(example)!r}")
        return task
    if distinct < 2:
        raise UserError(f"column {target!r} of {shown} has a single class ({_label(labels.iloc[0])!r}); "
                        "classification needs at least two")
    fixed = tasks.get(task).fixed_classes if task is not None else None
    if fixed is not None and distinct != fixed:
        names = _encode_classes(labels)[1]
        raise UserError(f"task={task!r} needs exactly {fixed} classes, but {target!r} has {distinct}: "
                        f"{_listing(list(names))}")
    if task is not None:
        return task
    if numbers:
        values = labels.to_numpy(dtype=np.float64)
        if not (np.all(values == np.round(values)) and distinct <= MAX_INTEGER_CLASSES):
            return tasks.RegressionTask.name
    return tasks.BinaryTask.name if distinct == 2 else tasks.MulticlassTask.name


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, bool)


def _label(value) -> str:
    """A class label as text: 3.0 -> '3', 0.5 -> '0.5', True -> 'True'."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return str(value)


def _encode_classes(labels) -> tuple[np.ndarray, tuple[str, ...]]:
    """Codes 0..k-1 and their names: numbers in numeric order, anything else in text order."""
    if _is_number_column(labels):
        values = np.sort(labels.unique())
        index = {v: i for i, v in enumerate(values)}
        names = tuple(_label(v) for v in values)
        return labels.map(index).to_numpy(dtype=np.int64), names
    text = labels.map(str)
    names = tuple(sorted(text.unique()))
    index = {n: i for i, n in enumerate(names)}
    return text.map(index).to_numpy(dtype=np.int64), names




def _detect_text(frame) -> str | None:
    """The first non-numeric column whose cells look like free text: many distinct multi-word values."""
    for column in frame.columns:
        values = frame[column].dropna()
        if _is_number_column(frame[column]) or len(values) == 0:
            continue
        cells = values.map(str)
        words = cells.map(lambda v: len(v.split()))
        if words.mean() >= 3 and cells.nunique() > 0.5 * len(cells):
            return str(column)
    return None


def _text_dataset(path, frame, column: str, codes, class_names, task: str, target: str, inferred: bool,
                  dropped_rows: int, seed: int) -> Dataset:
    """The text column as (n, T) word ids, the vocabulary adapted on the training split only."""
    shown = str(path)
    present = frame[column].notna().to_numpy()
    texts = frame[column][present].map(str).to_numpy(dtype=object)
    codes = codes[present]
    if len(codes) < MIN_ROWS:
        raise UserError(f"{shown} has {len(codes)} rows with text in {column!r}; at least {MIN_ROWS} are needed")
    splits = holdout_splits(codes, task, seed=seed)
    import keras

    train = texts[splits["train"]]
    longest = max(len(t.split()) for t in train)
    vectorizer = keras.layers.TextVectorization(max_tokens=TEXT_MAX_TOKENS,
                                                output_sequence_length=min(max(longest, 1), TEXT_MAX_LENGTH))
    vectorizer.adapt(train.tolist())  # training rows only: no validation or test word shapes the vocabulary
    ids = np.asarray(vectorizer(np.asarray(texts.tolist(), dtype=object)), dtype=np.int32)
    vocabulary = vectorizer.get_vocabulary()
    ignored = [c for c in frame.columns if c != column]
    notes = [f"user CSV {Path(path).name}: {len(codes)} rows, free-text column {column!r} as word ids "
             f"(TextVectorization adapted on the {len(train)} training rows: {len(vocabulary)} words incl. "
             f"padding and OOV, {ids.shape[1]} ids per text), target {target!r} ({task}"
             f"{', inferred' if inferred else ''})"]
    if dropped_rows or (~present).sum():
        notes.append(f"dropped {dropped_rows + int((~present).sum())} row(s) without a target or a text")
    if ignored:
        notes.append(f"ignored the other column(s) {', '.join(ignored)}")
    return Dataset(
        name=Path(path).stem, task=task, features=ids, target=codes, splits=splits, class_names=class_names,
        provenance=f"user file {Path(path).resolve()}", license="unknown (user-supplied data)",
        description="; ".join(notes) + ".", origin="user",
        extras={"target_column": target, "text_column": column, "vocabulary_size": len(vocabulary),
                "vocabulary": vocabulary, "maxlen": int(ids.shape[1]), "padding": "post",
                "dropped_rows": dropped_rows, "ignored_columns": ignored, "cross_validation": False})
