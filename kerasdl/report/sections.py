"""Typed report sections: what an experiment's `analyze` hook returns (docs/run-record.md, "sections").

A section used to be a plain dict, so a typo in a key or a row one cell short was only noticed when
the report was drawn — and then as a note on the page, long after the run. Each class here checks
its fields when it is built, so the mistake raises in the analyze hook with the title of the section,
what was expected and what was received. `to_record()` gives the JSON dict run.json has always
stored (the record schema does not change, old records still render), and `from_record` builds the
typed object back from such a dict, which is how plain dicts from user scripts are validated.

A section is also a read-only mapping over its record (`section["kind"]`, `dict(section)`), so code
that reads sections as dicts keeps working. No TensorFlow, matplotlib or NumPy at import: experiment
scripts import this module, and `kerasdl list experiments` must stay instant.
"""

from __future__ import annotations

import abc
import dataclasses
import numbers
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

__all__ = ["ROW_STATUSES", "KINDS", "BOX_KINDS", "SectionError", "Section", "Table", "Lines", "Bars", "Images",
           "Boundaries", "Heatmap", "Scatter", "Histogram", "Text", "Finding", "from_record", "as_record"]

# A table row's status colours it in the report: the worked examples' verdicts.
ROW_STATUSES = ("ok", "erratum", "mismatch", "info")
# A box drawn on an image is a ground-truth box or a model's detection (drawn differently).
BOX_KINDS = ("true", "predicted")


class SectionError(ValueError):
    """A section whose fields do not fit its kind. `expected` and `received` are the two halves of the
    message, so the report can show them without repeating the section's title."""

    def __init__(self, kind: str, title: Any, expected: str, received: str) -> None:
        super().__init__(f"{kind} section {title!r}: expected {expected}. Received: {received}")
        self.kind, self.title, self.expected, self.received = kind, title, expected, received


def _is_number(value: Any) -> bool:
    """A JSON number or null (NaN is stored as null); NumPy scalars register as numbers.Real."""
    return value is None or isinstance(value, numbers.Real)


def _as_list(value: Any) -> Any:
    """NumPy arrays and tuples as plain lists (what run.json stores); anything else unchanged."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return list(value) if isinstance(value, tuple) else value


def _is_sequence(value: Any) -> bool:
    return (isinstance(value, Sequence) and not isinstance(value, (str, bytes))) or hasattr(value, "tolist")


@dataclasses.dataclass(frozen=True)
class Section(Mapping):
    """Base of every section: a `title` and an optional `caption`; `kind` names the class in the record."""

    title: str
    caption: str = dataclasses.field(default="", kw_only=True)
    kind: ClassVar[str] = ""

    def __post_init__(self) -> None:
        if not isinstance(self.title, str):
            self._fail("the title to be a string", f"title={self.title!r}")
        if not isinstance(self.caption, str):
            self._fail("the caption to be a string", f"caption={self.caption!r}")
        self._check()

    def _check(self) -> None:
        """Check the kind's own fields (raise through `_fail`)."""

    def _fail(self, expected: str, received: str) -> None:
        raise SectionError(type(self).__name__, self.title, expected, received)

    @abc.abstractmethod
    def _body(self) -> dict[str, Any]:
        """The kind's own fields as JSON values (every kind defines it; Section itself is abstract)."""

    def to_record(self) -> dict[str, Any]:
        """The plain JSON dict run.json stores for this section."""
        return {"kind": self.kind, "title": self.title, "caption": self.caption, **self._body()}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Section:
        """The typed section of a run.json section dict; raises SectionError when it is malformed."""
        return from_record(record) if cls is Section else _build(cls, record)

    # A read-only mapping over the record, for code that reads sections as dicts.
    def __getitem__(self, key: str) -> Any:
        return self.to_record()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_record())

    def __len__(self) -> int:
        return len(self.to_record())


@dataclasses.dataclass(frozen=True)
class Table(Section):
    """An HTML table: `rows` of `len(columns)` cells; `row_status` (one of ROW_STATUSES per row) colours rows."""

    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    row_status: Sequence[str] | None = None
    kind: ClassVar[str] = "table"

    def _check(self) -> None:
        if not _is_sequence(self.columns) or not all(isinstance(c, str) for c in self.columns):
            self._fail("columns to be a list of strings", f"columns={self.columns!r}")
        if not _is_sequence(self.rows):
            self._fail("rows to be a list of rows", f"rows={self.rows!r}")
        for index, row in enumerate(self.rows):
            if not _is_sequence(row) or len(row) != len(self.columns):
                self._fail(f"every row to have {len(self.columns)} cells (one per column)",
                           f"row {index + 1} = {row!r}")
        if self.row_status is not None:
            if not _is_sequence(self.row_status) or len(self.row_status) != len(self.rows):
                self._fail(f"row_status to have one entry per row ({len(self.rows)})",
                           f"row_status={self.row_status!r}")
            wrong = [s for s in self.row_status if s not in ROW_STATUSES]
            if wrong:
                self._fail(f"row_status entries in {ROW_STATUSES}", f"{wrong[0]!r}")

    def _body(self) -> dict[str, Any]:
        body = {"columns": list(self.columns), "rows": [_as_list(row) for row in self.rows]}
        if self.row_status is not None:
            body["row_status"] = list(self.row_status)
        return body


def _check_series(section: Section, series: Any, keys: tuple[str, ...],
                  length: Any = None) -> None:
    """Every entry of `series` is a {label, *keys} mapping of number lists of one length."""
    if not _is_sequence(series):
        section._fail("series to be a list of {label, " + ", ".join(keys) + "} entries", f"series={series!r}")
    for index, entry in enumerate(series):
        if not isinstance(entry, Mapping) or any(k not in entry for k in keys):
            section._fail("every series to be a mapping with " + ", ".join(keys), f"series {index + 1} = {entry!r}")
        label = entry.get("label", f"series {index + 1}")
        for key in keys:
            if not _is_sequence(entry[key]) or not all(_is_number(v) for v in _as_list(entry[key])):
                section._fail(f"{key} to be a list of numbers (null for a missing value)",
                              f"series {label!r} {key}={entry[key]!r}")
        sizes = [len(entry[k]) for k in keys]
        if len(set(sizes)) > 1:
            section._fail("as many x values as y values in every series",
                          f"series {label!r} has {sizes[0]} x values and {sizes[1]} y values")
        if length is not None and sizes[0] != length:
            section._fail(f"one value per label ({length}) in every series",
                          f"series {label!r} has {sizes[0]} values for {length} labels")


def _series_record(series: Sequence[Mapping[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{**entry, **{k: _as_list(entry[k]) for k in keys}} for entry in series]


@dataclasses.dataclass(frozen=True)
class Lines(Section):
    """One chart, one line per series {label, x, y}; a log axis only where every value is positive."""

    series: Sequence[Mapping[str, Any]]
    x_label: str = ""
    y_label: str = ""
    log_y: bool = False
    log_x: bool = False
    kind: ClassVar[str] = "lines"

    def _check(self) -> None:
        _check_series(self, self.series, ("x", "y"))

    def _body(self) -> dict[str, Any]:
        return {"x_label": self.x_label, "y_label": self.y_label, "log_y": bool(self.log_y),
                "log_x": bool(self.log_x), "series": _series_record(self.series, ("x", "y"))}


@dataclasses.dataclass(frozen=True)
class Bars(Section):
    """Grouped bars: one group per label, one bar per series {label, values}."""

    labels: Sequence[str]
    series: Sequence[Mapping[str, Any]]
    y_label: str = ""
    kind: ClassVar[str] = "bars"

    def _check(self) -> None:
        if not _is_sequence(self.labels):
            self._fail("labels to be a list", f"labels={self.labels!r}")
        _check_series(self, self.series, ("values",), length=len(self.labels))

    def _body(self) -> dict[str, Any]:
        return {"y_label": self.y_label, "labels": list(self.labels),
                "series": _series_record(self.series, ("values",))}


def _shape(pixels: Any) -> tuple[int, ...] | None:
    """The shape of a nested list of numbers, None when ragged or not numbers (no NumPy needed)."""
    pixels = _as_list(pixels)
    if _is_number(pixels):  # null is a NaN pixel
        return ()
    if not isinstance(pixels, list) or not pixels:
        return None
    shapes = {_shape(p) for p in pixels}
    return None if len(shapes) != 1 or None in shapes else (len(pixels), *shapes.pop())


@dataclasses.dataclass(frozen=True)
class Images(Section):
    """A grid of small images {label, pixels (H×W grey or H×W×3 RGB), optional range [lo, hi]}."""

    images: Sequence[Mapping[str, Any]]
    columns: int | None = None
    kind: ClassVar[str] = "images"

    def _check(self) -> None:
        if not _is_sequence(self.images) or not self.images:
            self._fail("at least one image", f"images={self.images!r}")
        for index, image in enumerate(self.images):
            if not isinstance(image, Mapping) or "pixels" not in image:
                self._fail("every image to be a mapping with pixels", f"image {index + 1} = {image!r}")
            shape = _shape(image["pixels"])
            if shape is None or len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] != 3):
                self._fail("pixels of shape H×W (grey) or H×W×3 (RGB)",
                           f"image {index + 1} ({image.get('label')!r}) of shape {shape or 'ragged'}")
            value_range = image.get("range")
            if value_range is not None and (not _is_sequence(value_range) or len(value_range) != 2
                                            or not all(isinstance(v, numbers.Real) for v in value_range)):
                self._fail("range to be [low, high]", f"image {index + 1} range={value_range!r}")
            self._check_boxes(index, image.get("boxes"))
        if self.columns is not None and (not isinstance(self.columns, numbers.Integral) or self.columns < 1):
            self._fail("columns to be a positive integer or None", f"columns={self.columns!r}")

    def _check_boxes(self, index: int, boxes: Any) -> None:
        """Optional boxes on an image: {box [x_min, y_min, x_max, y_max] in pixels, label, kind true|predicted}."""
        if boxes is None:
            return
        if not _is_sequence(boxes):
            self._fail("boxes to be a list of {box, label, kind}", f"image {index + 1} boxes={boxes!r}")
        for box in boxes:
            corners = _as_list(box.get("box")) if isinstance(box, Mapping) else None
            if (not _is_sequence(corners) or len(corners) != 4
                    or not all(isinstance(v, numbers.Real) for v in corners)):
                self._fail("every box to have box=[x_min, y_min, x_max, y_max]", f"image {index + 1} box {box!r}")
            if box.get("kind", "true") not in BOX_KINDS:
                self._fail(f"box kind in {BOX_KINDS}", f"image {index + 1} kind={box.get('kind')!r}")

    def _body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"images": [self._image_record(image) for image in self.images]}
        if self.columns is not None:
            body["columns"] = int(self.columns)
        return body

    @staticmethod
    def _image_record(image: Mapping[str, Any]) -> dict[str, Any]:
        record = {**image, "pixels": _as_list(image["pixels"])}
        if image.get("boxes") is not None:
            record["boxes"] = [{**box, "box": [float(v) for v in _as_list(box["box"])]} for box in image["boxes"]]
        return record


@dataclasses.dataclass(frozen=True)
class Boundaries(Section):
    """Decision regions, one panel per model: {label, xs, ys, z [P(class 1) per ys row], optional points
    {x, y, label}}."""

    panels: Sequence[Mapping[str, Any]]
    kind: ClassVar[str] = "boundaries"

    def _check(self) -> None:
        if not _is_sequence(self.panels) or not self.panels:
            self._fail("at least one panel", f"panels={self.panels!r}")
        for index, panel in enumerate(self.panels):
            name = f"panel {index + 1}"
            if not isinstance(panel, Mapping) or any(k not in panel for k in ("xs", "ys", "z")):
                self._fail("every panel to be a mapping with xs, ys and z", f"{name} = {panel!r}")
            xs, ys, z = (_as_list(panel[k]) for k in ("xs", "ys", "z"))
            if _shape(z) != (len(ys), len(xs)):
                self._fail("z of shape (len(ys), len(xs))", f"{name}: z of shape {_shape(z) or 'ragged'} for "
                                                            f"{len(ys)} ys and {len(xs)} xs")
            points = panel.get("points")
            if points is not None:
                sizes = {len(points[k]) for k in ("x", "y", "label")
                         if isinstance(points, Mapping) and points.get(k) is not None}
                if not isinstance(points, Mapping) or "x" not in points or "y" not in points or len(sizes) != 1:
                    self._fail("points {x, y, label} of one length", f"{name} points={points!r}")

    def _body(self) -> dict[str, Any]:
        return {"panels": [{**panel, **{k: _as_list(panel[k]) for k in ("xs", "ys", "z")}} for panel in self.panels]}


@dataclasses.dataclass(frozen=True)
class Heatmap(Section):
    """Matrices drawn as coloured cells, one panel each {label, matrix (R×C numbers), row_labels (R),
    column_labels (C)}: attention weights, probability tables. Small matrices show their values."""

    panels: Sequence[Mapping[str, Any]]
    x_label: str = ""
    y_label: str = ""
    value_range: Sequence[float] | None = None
    kind: ClassVar[str] = "heatmap"

    def _check(self) -> None:
        if not _is_sequence(self.panels) or not self.panels:
            self._fail("at least one panel", f"panels={self.panels!r}")
        for index, panel in enumerate(self.panels):
            name = f"panel {index + 1}"
            if not isinstance(panel, Mapping) or "matrix" not in panel:
                self._fail("every panel to be a mapping with a matrix", f"{name} = {panel!r}")
            shape = _shape(panel["matrix"])
            if shape is None or len(shape) != 2:
                self._fail("a matrix of R rows × C numbers", f"{name} of shape {shape or 'ragged'}")
            for key, size in (("row_labels", shape[0]), ("column_labels", shape[1])):
                labels = panel.get(key)
                if labels is not None and (not _is_sequence(labels) or len(labels) != size):
                    self._fail(f"{key} with one label per matrix {'row' if key == 'row_labels' else 'column'} "
                               f"({size})", f"{name} {key}={labels!r}")
        if self.value_range is not None and (not _is_sequence(self.value_range) or len(self.value_range) != 2
                                             or not all(isinstance(v, numbers.Real) for v in self.value_range)):
            self._fail("value_range to be [low, high] or None", f"value_range={self.value_range!r}")

    def _body(self) -> dict[str, Any]:
        panels = [{**panel, "matrix": _as_list(panel["matrix"]),
                   **{k: [str(v) for v in panel[k]] for k in ("row_labels", "column_labels") if panel.get(k) is not None}}
                  for panel in self.panels]
        body: dict[str, Any] = {"x_label": self.x_label, "y_label": self.y_label, "panels": panels}
        if self.value_range is not None:
            body["value_range"] = [float(v) for v in self.value_range]
        return body


@dataclasses.dataclass(frozen=True)
class Scatter(Section):
    """Points, one colour per series {label, x, y} (a latent space coloured by class); `diagonal`
    draws y = x (a QQ plot, predicted against true)."""

    series: Sequence[Mapping[str, Any]]
    x_label: str = ""
    y_label: str = ""
    diagonal: bool = False
    kind: ClassVar[str] = "scatter"

    def _check(self) -> None:
        _check_series(self, self.series, ("x", "y"))

    def _body(self) -> dict[str, Any]:
        return {"x_label": self.x_label, "y_label": self.y_label, "diagonal": bool(self.diagonal),
                "series": _series_record(self.series, ("x", "y"))}


@dataclasses.dataclass(frozen=True)
class Histogram(Section):
    """Distributions over shared bins, one per series {label, values}, as densities (or counts), with
    optional overlaid curves {label, x, y} (a reference density)."""

    series: Sequence[Mapping[str, Any]]
    bins: int = 30
    x_label: str = ""
    density: bool = True
    curves: Sequence[Mapping[str, Any]] = ()
    kind: ClassVar[str] = "histogram"

    def _check(self) -> None:
        _check_series(self, self.series, ("values",))
        if not any(len(entry["values"]) for entry in self.series):
            self._fail("at least one value", "only empty series")
        if isinstance(self.bins, bool) or not isinstance(self.bins, numbers.Integral) or not 1 <= self.bins <= 500:
            self._fail("bins to be an integer from 1 to 500", f"bins={self.bins!r}")
        if self.curves:
            _check_series(self, self.curves, ("x", "y"))

    def _body(self) -> dict[str, Any]:
        return {"x_label": self.x_label, "bins": int(self.bins), "density": bool(self.density),
                "series": _series_record(self.series, ("values",)),
                "curves": _series_record(self.curves, ("x", "y"))}


@dataclasses.dataclass(frozen=True)
class Text(Section):
    """Plain-text paragraphs, split on blank lines."""

    body: str
    kind: ClassVar[str] = "text"

    def _check(self) -> None:
        if not isinstance(self.body, str):
            self._fail("body to be a string", f"body={self.body!r}")

    def _body(self) -> dict[str, Any]:
        return {"body": self.body}


# A notes reference: "001:915-919", or several joined by commas ("001:2840-2891, 003:200-317"); a
# file number of three digits, then a line or a line range.
NOTES_REF = re.compile(r"\d{3}:\d+(-\d+)?(\s*,\s*\d{3}:\d+(-\d+)?)*")


@dataclasses.dataclass(frozen=True)
class Finding(Section):
    """What the study found, shown first on its page: `claim` the notes' question or claim (a short
    quote), `notes_ref` where it is ("001:915-919"), `answer` one or two sentences with the measured
    numbers, `figure` the title of the one section of the same report that shows it (optional)."""

    claim: str
    notes_ref: str
    answer: str
    figure: str = ""
    kind: ClassVar[str] = "finding"

    def _check(self) -> None:
        for name in ("claim", "answer"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                self._fail(f"{name} to be a non-empty string", f"{name}={value!r}")
        if not isinstance(self.notes_ref, str) or not NOTES_REF.fullmatch(self.notes_ref.strip()):
            self._fail('notes_ref like "001:915-919" (file:line or file:first-last, several joined by commas)',
                       f"notes_ref={self.notes_ref!r}")
        if not isinstance(self.figure, str):
            self._fail("figure to be the title of a section of the same report (a string) or empty",
                       f"figure={self.figure!r}")

    def _body(self) -> dict[str, Any]:
        return {"claim": self.claim, "notes_ref": self.notes_ref.strip(), "answer": self.answer,
                "figure": self.figure}


_CLASSES: dict[str, type[Section]] = {cls.kind: cls for cls in (Table, Lines, Bars, Images, Boundaries, Heatmap,
                                                                  Scatter, Histogram, Text, Finding)}
KINDS = tuple(_CLASSES)


def _build(cls: type[Section], record: Mapping[str, Any]) -> Section:
    fields = {f.name for f in dataclasses.fields(cls)}
    given = {k: v for k, v in record.items() if k != "kind"}
    for key in ("title", "caption"):  # the report always drew a missing title or caption as empty
        if given.get(key) is None:
            given[key] = ""
    title = given["title"]
    if record.get("kind", cls.kind) != cls.kind:
        raise SectionError(cls.__name__, title, f"kind={cls.kind!r}", f"kind={record.get('kind')!r}")
    unknown = sorted(set(given) - fields)
    if unknown:
        raise SectionError(cls.__name__, title, f"only the fields {sorted(fields)}", f"{unknown}")
    missing = sorted(f.name for f in dataclasses.fields(cls) if f.name not in given
                     and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
    if missing:
        raise SectionError(cls.__name__, title, f"the fields {missing}", f"a section without {missing}")
    return cls(**given)


def from_record(record: Mapping[str, Any]) -> Section:
    """The typed section of a run.json section dict (its `kind` picks the class); raises SectionError
    (a ValueError) when the kind is unknown or a field does not fit."""
    if not isinstance(record, Mapping):
        raise SectionError("Report", None, "a section (a mapping with a kind)", f"{type(record).__name__}")
    kind = record.get("kind")
    if kind not in _CLASSES:
        raise SectionError("Report", record.get("title"), f"kind one of {KINDS}", f"kind={kind!r}")
    return _build(_CLASSES[kind], record)


def as_record(section: Section | Mapping[str, Any]) -> dict[str, Any]:
    """What run.json stores for one section an analyze hook returned: a typed section's record, or a
    plain dict checked by building its typed section (so user scripts returning dicts keep working)."""
    if isinstance(section, Section):
        return section.to_record()
    if isinstance(section, Mapping):
        return from_record(section).to_record()
    raise ValueError(f"analyze: expected a report section ({', '.join(c.__name__ for c in _CLASSES.values())}) or "
                     f"a dict with a kind. Received: {section!r}")
