"""Vision metrics of the notes (002:395-404): IoU of boxes and masks, and COCO-exact mean average precision.

NumPy only, like `kerasdl.metrics` (which re-exports these names): reports must render without Keras
or TensorFlow, so the Keras box utilities (`keras.utils.bounding_boxes`) serve the models, not the
metrics; tests check that both give the same IoU.

The notes' Jaccard similarity |R ∩ R̂| / |R ∪ R̂| is the intersection over union (IoU). For
detection, `mean_average_precision` reproduces the official COCO evaluator (pycocotools' COCOeval,
bbox, area "all", maxDets 100) to rounding error, so numbers here can be compared with published
ones; the conventions it follows are:

* boxes are [x_min, y_min, x_max, y_max] in pixels (continuous coordinates: a box's width is
  x_max − x_min, with no "+1" — the current pycocotools has none either);
* a detection matches the unmatched ground-truth box of its class with the highest IoU ≥ t (ties:
  the later box, as COCOeval's loop does), detections taken in descending score order (stable sort),
  at most `max_detections` per image and class;
* precision is made monotone from the right and read at the 101 recall points 0, 0.01, ..., 1
  (0 beyond the highest recall reached);
* a class without ground-truth boxes has no AP (NaN here, −1 in pycocotools) and is left out of the
  mean; a class with ground truth but no detections has AP 0.

Greedy matching is sequential by nature (each match removes a box for the next detection), so that
loop is written out, following COCOeval line for line; everything else is vectorised.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "COCO_IOU_THRESHOLDS", "COCO_RECALL_POINTS", "box_iou", "mask_iou", "mean_average_precision",
    "segmentation_metrics",
]

#: IoU thresholds 0.50:0.05:0.95, computed exactly as pycocotools does (so 0.55 is the same float).
COCO_IOU_THRESHOLDS = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
#: The 101 recall points at which COCO reads the interpolated precision.
COCO_RECALL_POINTS = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)


def _boxes(fn: str, name: str, boxes: Any) -> np.ndarray:
    array = np.asarray(boxes, dtype=np.float64)
    if array.size == 0:
        return array.reshape(0, 4)
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"{fn}: expected {name} as (n, 4) [x_min, y_min, x_max, y_max]. Received: shape {array.shape}")
    return array


def box_iou(boxes_a: Any, boxes_b: Any) -> np.ndarray:
    """Pairwise IoU of (n, 4) and (m, 4) boxes [x_min, y_min, x_max, y_max] → an (n, m) matrix.

    Computed as pycocotools does (via x, y, width, height, in float64), so IoU values that sit exactly
    on a matching threshold fall on the same side here and there.
    """
    a = _boxes("box_iou", "boxes_a", boxes_a)
    b = _boxes("box_iou", "boxes_b", boxes_b)
    ax, ay, aw, ah = a[:, 0:1], a[:, 1:2], a[:, 2:3] - a[:, 0:1], a[:, 3:4] - a[:, 1:2]
    bx, by, bw, bh = b[:, 0], b[:, 1], b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    w = np.minimum(ax + aw, bx + bw) - np.maximum(ax, bx)
    h = np.minimum(ay + ah, by + bh) - np.maximum(ay, by)
    inter = np.where((w > 0) & (h > 0), w * h, 0.0)
    union = aw * ah + bw * bh - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(inter > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def _confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    # np.bincount over pixel pairs: scikit-learn's confusion_matrix is far slower on millions of pixels.
    flat = y_true.astype(np.int64).ravel() * n_classes + y_pred.astype(np.int64).ravel()
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def mask_iou(y_true: Any, y_pred: Any, n_classes: int | None = None) -> np.ndarray:
    """Per-class IoU of integer class masks (any shape, same for both; 0 = background is a class too).

    IoU_c = TP / (TP + FP + FN) over all pixels; NaN for a class absent from both masks.
    """
    true = np.asarray(y_true)
    pred = np.asarray(y_pred)
    if true.shape != pred.shape:
        raise ValueError(f"mask_iou: expected masks of the same shape. Received: {true.shape} and {pred.shape}")
    k = int(n_classes if n_classes is not None else max(true.max(initial=0), pred.max(initial=0)) + 1)
    matrix = _confusion(true, pred, k)
    tp = np.diag(matrix).astype(np.float64)
    union = matrix.sum(axis=0) + matrix.sum(axis=1) - tp
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, tp / np.where(union > 0, union, 1), np.nan)


def segmentation_metrics(y_true: Any, y_pred: Any, *, class_names: Sequence[str]) -> dict[str, float]:
    """Mean IoU over all classes (PASCAL VOC convention: background included), mean IoU of the
    foreground classes, pixel accuracy and one `iou_<class>` per class, from integer masks."""
    true = np.asarray(y_true)
    pred = np.asarray(y_pred)
    per_class = mask_iou(true, pred, len(class_names))
    with np.errstate(all="ignore"):
        found = {
            "mean_iou": float(np.nanmean(per_class)) if np.isfinite(per_class).any() else float("nan"),
            "foreground_iou": (float(np.nanmean(per_class[1:])) if np.isfinite(per_class[1:]).any()
                               else float("nan")),
            "pixel_accuracy": float(np.mean(true == pred)),
        }
    found.update({f"iou_{name}": float(v) for name, v in zip(class_names, per_class)})
    return found


def _per_image(fn: str, name: str, values: Sequence[Any], n_images: int, width: int | None) -> list[np.ndarray]:
    if len(values) != n_images:
        raise ValueError(f"{fn}: expected one {name} array per image ({n_images}). Received: {len(values)}")
    out = []
    for v in values:
        array = np.asarray(v, dtype=np.float64)
        out.append(_boxes(fn, name, array) if width == 4 else array.reshape(-1))
    return out


def _match(ious: np.ndarray, threshold: float) -> np.ndarray:
    """COCOeval's greedy matching for one image and class: which score-sorted detections are true
    positives at one IoU threshold."""
    n_det, n_true = ious.shape
    taken = np.zeros(n_true, dtype=bool)
    hit = np.zeros(n_det, dtype=bool)
    bar = min(threshold, 1 - 1e-10)
    for d in range(n_det):
        open_ious = np.where(taken, -1.0, ious[d])
        best = open_ious.max(initial=-1.0)
        if best < bar:
            continue
        g = n_true - 1 - int(np.argmax(open_ious[::-1] == best))  # the last box at the best IoU
        taken[g] = True
        hit[d] = True
    return hit


def _interpolated_precision(hits: np.ndarray, n_true: int) -> np.ndarray:
    """Precision at the 101 recall points from score-sorted true-positive flags (COCOeval.accumulate)."""
    tp = np.cumsum(hits).astype(float)
    fp = np.cumsum(~hits).astype(float)
    recall = tp / n_true
    precision = tp / (fp + tp + np.spacing(1))
    precision = np.maximum.accumulate(precision[::-1])[::-1]  # monotone from the right
    at = np.searchsorted(recall, COCO_RECALL_POINTS, side="left")
    out = np.zeros(len(COCO_RECALL_POINTS))
    inside = at < len(hits)
    out[inside] = precision[at[inside]]
    return out


def mean_average_precision(true_boxes: Sequence[Any], true_labels: Sequence[Any], pred_boxes: Sequence[Any],
                           pred_labels: Sequence[Any], pred_scores: Sequence[Any],
                           iou_thresholds: Sequence[float] = (0.5,), *, max_detections: int = 100,
                           classes: Sequence[int] | None = None) -> dict[str, Any]:
    """COCO mean average precision over classes and IoU thresholds; one array per image in every list.

    `true_boxes[i]` (g, 4) and `true_labels[i]` (g,) are image i's ground truth; `pred_boxes[i]`
    (d, 4), `pred_labels[i]` (d,) and `pred_scores[i]` (d,) its detections. `classes` (default: every
    label seen) fixes which classes count. Pass `COCO_IOU_THRESHOLDS` for mAP@[.5:.95].

    Returns {"map": mean over classes with ground truth and thresholds, "ap_per_class": {label: AP
    averaged over thresholds, NaN without ground truth}, "ap_per_threshold": {t: mAP at t},
    "precision": (T, 101, K) interpolated precision at `COCO_RECALL_POINTS` (NaN rows for classes
    without ground truth), "recall": (T, K) highest recall reached, "classes": the K labels}.
    """
    fn = "mean_average_precision"
    n = len(true_boxes)
    tb = _per_image(fn, "true_boxes", true_boxes, n, 4)
    tl = [v.astype(np.int64) for v in _per_image(fn, "true_labels", true_labels, n, None)]
    pb = _per_image(fn, "pred_boxes", pred_boxes, n, 4)
    pl = [v.astype(np.int64) for v in _per_image(fn, "pred_labels", pred_labels, n, None)]
    ps = _per_image(fn, "pred_scores", pred_scores, n, None)
    for i in range(n):
        if len(tb[i]) != len(tl[i]) or not len(pb[i]) == len(pl[i]) == len(ps[i]):
            raise ValueError(f"{fn}: image {i} has {len(tb[i])} true boxes and {len(tl[i])} labels, "
                             f"{len(pb[i])} predicted boxes, {len(pl[i])} labels and {len(ps[i])} scores; "
                             f"expected equal counts")
    thresholds = np.asarray(iou_thresholds, dtype=np.float64).reshape(-1)
    if thresholds.size == 0 or np.any((thresholds <= 0) | (thresholds > 1)):
        raise ValueError(f"{fn}: expected IoU thresholds in (0, 1]. Received: {list(thresholds)}")
    if classes is None:
        classes = sorted({int(c) for c in np.concatenate([*tl, *pl, np.zeros(0, np.int64)])})
    classes = [int(c) for c in classes]
    precision = np.full((len(thresholds), len(COCO_RECALL_POINTS), len(classes)), np.nan)
    recall = np.full((len(thresholds), len(classes)), np.nan)
    for k, label in enumerate(classes):
        n_true = sum(int(np.sum(labels == label)) for labels in tl)
        if n_true == 0:
            continue
        scores, hits = [], []
        for i in range(n):
            mine = pl[i] == label
            order = np.argsort(-ps[i][mine], kind="mergesort")[:max_detections]
            det = pb[i][mine][order]
            ious = box_iou(det, tb[i][tl[i] == label])
            scores.append(ps[i][mine][order])
            hits.append(np.stack([_match(ious, t) for t in thresholds], axis=0))
        all_scores = np.concatenate(scores)
        ranking = np.argsort(-all_scores, kind="mergesort")  # images in order, then score order within
        all_hits = np.concatenate(hits, axis=1)[:, ranking]
        for t in range(len(thresholds)):
            precision[t, :, k] = _interpolated_precision(all_hits[t], n_true)
            recall[t, k] = all_hits[t].sum() / n_true
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the mean of a class without ground truth: NaN
        per_class = np.nanmean(precision, axis=(0, 1))
        per_threshold = np.nanmean(precision, axis=(1, 2))
        overall = float(np.nanmean(precision)) if np.isfinite(precision).any() else float("nan")
    return {
        "map": overall,
        "ap_per_class": {label: float(v) for label, v in zip(classes, per_class)},
        "ap_per_threshold": {float(t): float(v) for t, v in zip(thresholds, per_threshold)},
        "precision": precision,
        "recall": recall,
        "classes": classes,
    }
