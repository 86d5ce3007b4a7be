"""Generated images of shapes for segmentation and detection, and loaders for a user's own .npz.

Real COCO (002:385, 002:430) cannot be downloaded offline, so the vision studies use small images
drawn here: squares, discs and triangles of varied size, position and colour on a coloured
background, with Gaussian pixel noise, several objects per image that may overlap (later shapes
occlude earlier ones). Everything follows from one seed, so a dataset is the same on every machine.

Layouts (standard enough that a user's own data in the same layout loads with `path=`):

* images: (n, H, W, 3) float32 in [0, 1];
* segmentation target, `masks`: (n, H, W) integers, 0 = background, 1..k = class (class_names[c]);
* detection target: (n, max_boxes, 5) float32 rows [x_min, y_min, x_max, y_max, label] in pixels
  (continuous coordinates: a box covering pixel columns 3..6 is x_min 3, x_max 7), label 0..k-1
  indexing the object classes; rows beyond an image's objects are padding with label −1 (PAD_LABEL)
  and zero coordinates. A user .npz holds `images`, `boxes` (n, max_boxes, 4) and `labels`
  (n, max_boxes) with −1 for padding, or `images` and `masks`; optional `class_names`.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from kerasdl.data._splits import holdout_splits
from kerasdl.data.dataset import Dataset
from kerasdl.data.info import DatasetSpec
from kerasdl.errors import UserError

__all__ = ["PAD_LABEL", "SHAPE_CLASSES", "SPECS", "detection_target", "load_detection_npz",
           "load_segmentation_npz", "load_shapes_detection", "load_shapes_segmentation", "render_shapes",
           "split_target"]

SHAPE_CLASSES = ("square", "disc", "triangle")
PAD_LABEL = -1


def _footprint(kind: int, cx: float, cy: float, r: float, size: int) -> np.ndarray:
    """Boolean (size, size) mask of one shape, tested at pixel centres."""
    y, x = np.mgrid[0:size, 0:size] + 0.5
    if kind == 0:  # square of side 2r
        return (np.abs(x - cx) <= r) & (np.abs(y - cy) <= r)
    if kind == 1:  # disc of radius r
        return (x - cx) ** 2 + (y - cy) ** 2 <= r * r
    # upright isosceles triangle: apex at (cx, cy - r), base of width 2r on y = cy + r
    t = (y - (cy - r)) / (2 * r)
    return (t >= 0) & (t <= 1) & (np.abs(x - cx) <= r * t)


def render_shapes(n: int, *, size: int = 32, max_objects: int = 3, noise: float = 0.05, seed: int = 0,
                  max_overlap: float = 0.3) -> dict[str, np.ndarray]:
    """Draw `n` images of 1..max_objects shapes each; returns images, masks, boxes and labels.

    Each shape: a class from SHAPE_CLASSES, a half-size r from 12% to 28% of the image, a centre that
    keeps it inside the image, a colour at least 0.35 away (per channel on average) from the
    background's. A placement whose box overlaps an earlier one with IoU above `max_overlap` is redrawn
    (up to 20 tries), so objects overlap but none is hidden. Boxes are the tight box of each shape's
    own pixels; the mask shows what is visible after occlusion.
    """
    rng = np.random.default_rng(seed)
    images = np.empty((n, size, size, 3), dtype=np.float32)
    masks = np.zeros((n, size, size), dtype=np.int32)
    boxes = np.zeros((n, max_objects, 4), dtype=np.float32)
    labels = np.full((n, max_objects), PAD_LABEL, dtype=np.int32)
    for i in range(n):
        background = rng.uniform(0.0, 0.45, size=3)
        image = np.broadcast_to(background, (size, size, 3)).copy()
        placed: list[np.ndarray] = []
        for j in range(int(rng.integers(1, max_objects + 1))):
            for _ in range(20):
                kind = int(rng.integers(len(SHAPE_CLASSES)))
                r = rng.uniform(0.12, 0.28) * size
                cx, cy = rng.uniform(r + 0.5, size - r - 0.5, size=2)
                foot = _footprint(kind, cx, cy, r, size)
                rows, cols = np.nonzero(foot)
                box = np.array([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1], dtype=np.float32)
                if not placed or _max_iou(box, np.array(placed)) <= max_overlap:
                    break
            colour = rng.uniform(0.0, 1.0, size=3)
            while np.abs(colour - background).mean() < 0.35:
                colour = rng.uniform(0.0, 1.0, size=3)
            image[foot] = colour
            masks[i][foot] = kind + 1
            boxes[i, j], labels[i, j] = box, kind
            placed.append(box)
        images[i] = np.clip(image + rng.normal(0.0, noise, size=image.shape), 0.0, 1.0)
    return {"images": images, "masks": masks, "boxes": boxes, "labels": labels}


def _max_iou(box: np.ndarray, others: np.ndarray) -> float:
    from kerasdl.vision_metrics import box_iou

    return float(box_iou(box[None], others).max())


def detection_target(boxes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(n, max_boxes, 5) rows [x_min, y_min, x_max, y_max, label] from boxes and labels (−1 = padding)."""
    return np.concatenate([np.asarray(boxes, np.float32), np.asarray(labels, np.float32)[..., None]], axis=-1)


def split_target(target: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per-image (boxes (g, 4), labels (g,)) lists from the padded detection target, padding dropped."""
    target = np.asarray(target)
    keep = target[..., 4] >= 0
    return ([t[k, :4] for t, k in zip(target, keep)], [t[k, 4].astype(np.int64) for t, k in zip(target, keep)])


# -- user files ------------------------------------------------------------------------------------------
def _read_npz(path: str | Path, needed: tuple[str, ...]) -> dict[str, np.ndarray]:
    file = Path(path)
    if not file.is_file():
        raise UserError(f"{file}: no such file; give the path of a .npz with arrays {', '.join(needed)}")
    try:
        with np.load(file, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:  # EOFError: an empty file
        raise UserError(f"{file}: not a readable .npz file ({type(error).__name__}: {error})") from None
    missing = [k for k in needed if k not in arrays]
    if missing:
        raise UserError(f"{file}: missing array(s) {', '.join(missing)}; found {', '.join(arrays) or 'none'}")
    return arrays


def _images(file: str, images: np.ndarray) -> np.ndarray:
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise UserError(f"{file}: images must be (n, height, width, 1 or 3); got shape {images.shape}")
    images = images.astype(np.float32)
    if images.max(initial=0) > 1.0:  # 0..255 pixels
        images = images / 255.0
    return images


def _class_names(file: str, arrays: dict[str, np.ndarray], n_classes: int) -> tuple[str, ...]:
    if "class_names" not in arrays:
        return tuple(f"class {c}" for c in range(n_classes))
    names = tuple(str(c) for c in arrays["class_names"])
    if len(names) < n_classes:
        raise UserError(f"{file}: labels go up to {n_classes - 1} but class_names has only {len(names)} names")
    return names


def load_segmentation_npz(path: str | Path, *, seed: int = 0) -> Dataset:
    """A user's `images` (n, H, W, C) and `masks` (n, H, W) integer classes (0 = background)."""
    arrays = _read_npz(path, ("images", "masks"))
    images, masks = _images(str(path), arrays["images"]), arrays["masks"]
    if masks.shape != images.shape[:3]:
        raise UserError(f"{path}: masks must be (n, height, width) = {images.shape[:3]}; got shape {masks.shape}")
    if not np.issubdtype(masks.dtype, np.integer) or masks.min(initial=0) < 0:
        raise UserError(f"{path}: masks must hold class numbers 0, 1, 2, ... (0 = background)")
    n_classes = int(masks.max(initial=0)) + 1
    names = _class_names(str(path), arrays, n_classes)
    return SEGMENTATION.dataset(features=images, target=masks.astype(np.int32), class_names=names,
                                splits=holdout_splits(np.zeros(len(images)), "segmentation", seed=seed),
                                origin="user", provenance=f"user file {path}", license="the user's",
                                description=f"images and masks from {path}")


def load_detection_npz(path: str | Path, *, seed: int = 0) -> Dataset:
    """A user's `images` (n, H, W, C), `boxes` (n, max_boxes, 4) [x_min, y_min, x_max, y_max] in pixels
    and `labels` (n, max_boxes) with −1 for padding rows."""
    arrays = _read_npz(path, ("images", "boxes", "labels"))
    images, boxes, labels = _images(str(path), arrays["images"]), arrays["boxes"], arrays["labels"]
    n, height, width = images.shape[:3]
    if boxes.ndim != 3 or boxes.shape[0] != n or boxes.shape[2] != 4:
        raise UserError(f"{path}: boxes must be (n={n}, max_boxes, 4); got shape {boxes.shape}")
    if labels.shape != boxes.shape[:2]:
        raise UserError(f"{path}: labels must be (n, max_boxes) = {boxes.shape[:2]}; got shape {labels.shape}")
    if not np.all(np.mod(labels, 1) == 0) or labels.min(initial=0) < PAD_LABEL:
        raise UserError(f"{path}: labels must be class numbers 0, 1, ... or -1 for padding rows")
    real = labels >= 0
    b = boxes[real]
    outside = (b[:, 0] < 0) | (b[:, 1] < 0) | (b[:, 2] > width) | (b[:, 3] > height)
    if outside.any():
        raise UserError(f"{path}: {int(outside.sum())} box(es) lie outside the {width}x{height} image, e.g. "
                        f"{b[outside][0].tolist()}; boxes are [x_min, y_min, x_max, y_max] in pixels")
    if np.any((b[:, 2] <= b[:, 0]) | (b[:, 3] <= b[:, 1])):
        raise UserError(f"{path}: every box needs x_max > x_min and y_max > y_min ([x_min, y_min, x_max, y_max])")
    n_classes = int(labels.max(initial=-1)) + 1
    names = _class_names(str(path), arrays, n_classes)  # a label past the class names is refused there
    target = detection_target(np.where(real[..., None], boxes, 0), np.where(real, labels, PAD_LABEL))
    return DETECTION.dataset(features=images, target=target, class_names=names,
                             splits=holdout_splits(np.zeros(n), "detection", seed=seed),
                             origin="user", provenance=f"user file {path}", license="the user's",
                             description=f"images, boxes and labels from {path}")


# -- the registered generated sets ---------------------------------------------------------------------
def load_shapes_segmentation(*, seed: int = 0, n: int = 1500, size: int = 32, noise: float = 0.05,
                             path: str | None = None) -> Dataset:
    """Generated shapes with per-pixel class masks (`path=`: your own .npz of images and masks instead)."""
    if path is not None:
        return load_segmentation_npz(path, seed=seed)
    drawn = render_shapes(_count(n), size=_size(size), noise=noise, seed=seed)
    return SEGMENTATION.dataset(features=drawn["images"], target=drawn["masks"],
                                class_names=("background", *SHAPE_CLASSES),
                                splits=holdout_splits(np.zeros(len(drawn["masks"])), "segmentation", seed=seed))


def load_shapes_detection(*, seed: int = 0, n: int = 3000, size: int = 32, noise: float = 0.05,
                          path: str | None = None) -> Dataset:
    """Generated shapes with padded boxes and labels (`path=`: your own .npz of images, boxes, labels)."""
    if path is not None:
        return load_detection_npz(path, seed=seed)
    drawn = render_shapes(_count(n), size=_size(size), noise=noise, seed=seed)
    return DETECTION.dataset(features=drawn["images"], target=detection_target(drawn["boxes"], drawn["labels"]),
                             class_names=SHAPE_CLASSES,
                             splits=holdout_splits(np.zeros(len(drawn["labels"])), "detection", seed=seed))


def _count(n: object) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < 10:
        raise UserError(f"shapes datasets: n must be an integer >= 10; got n={n!r}")
    return n


def _size(size: object) -> int:
    if size not in (32, 64):
        raise UserError(f"shapes datasets: size must be 32 or 64 (pixels); got size={size!r}")
    return int(size)


_PROVENANCE = ("Generated by kerasdl.data.shapes.render_shapes from the seed: squares, discs and triangles "
               "(half-size 12-28% of the image) in random colours on a random dark background, 1-3 per "
               "image, box IoU between objects at most 0.3, Gaussian pixel noise (sd 0.05).")

SEGMENTATION = DatasetSpec(
    name="shapes-segmentation", task="segmentation", n_samples=1500, origin="generated",
    description=("32x32 RGB images of 1-3 squares, discs and triangles; target the (n, 32, 32) class mask, "
                 "0 background, 1 square, 2 disc, 3 triangle. path=FILE.npz loads your own images + masks."),
    provenance=_PROVENANCE, license="generated by kerasdl (no third-party data)", loader=load_shapes_segmentation)

DETECTION = DatasetSpec(
    name="shapes-detection", task="detection", n_samples=3000, origin="generated",
    description=("32x32 RGB images of 1-3 squares, discs and triangles; target (n, 3, 5) rows [x_min, y_min, "
                 "x_max, y_max, label] in pixels, label -1 for padding. path=FILE.npz loads your own images, "
                 "boxes and labels."),
    provenance=_PROVENANCE, license="generated by kerasdl (no third-party data)", loader=load_shapes_detection)

SPECS = (SEGMENTATION, DETECTION)
