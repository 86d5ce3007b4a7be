"""Vision tasks: a class for every pixel (segmentation) and boxes with classes (detection), 002:381-486.

Layouts (kerasdl.data.shapes documents the datasets):

* segmentation — images (n, H, W, C); targets (n, H, W) integer masks, 0 = background; the model
  outputs (n, H, W, k) class probabilities (stored as the scores); metrics from the arg-max mask:
  mean IoU over the k classes (PASCAL VOC convention), foreground mean IoU, pixel accuracy and the
  IoU of every class; the confusion matrix counts pixels.
* detection — targets (n, max_boxes, 5) rows [x_min, y_min, x_max, y_max, label], label −1 for
  padding; a detector's `predict` already returns (n, max_detections, 6) rows [x_min, y_min, x_max,
  y_max, score, label] after NMS (kerasdl.models.detection), and those rows are the scores. Metrics
  are COCO's (pycocotools-exact): mAP@0.5, mAP@[.5:.95] and AP@0.5 of every class. The loss lives
  in the detector model (it encodes the boxes itself), so the task's default loss is None.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kerasdl import metrics

from .base import Task

__all__ = ["DetectionTask", "MeanBoxDetector", "SegmentationTask", "detections_per_image"]


def _masks(fn: str, y_true: Any, scores: Any) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true)
    s = np.asarray(scores)
    if y.ndim != 3 or s.ndim != 4 or s.shape[:3] != y.shape:
        raise ValueError(f"{fn}: expected masks (n, H, W) and scores (n, H, W, k). Received: {y.shape} and {s.shape}")
    return y.astype(np.int64), s.argmax(axis=-1)


class SegmentationTask(Task):
    """Per-pixel softmax over the classes (background included); scored by IoU."""

    name = "segmentation"
    description = "a class for every pixel; mean IoU (VOC), foreground IoU, pixel accuracy, IoU per class"
    headline = "mean_iou"
    headline_lower_is_better = False
    has_classes = True
    loss_name = "sparse_categorical_crossentropy"
    output_activation = "softmax"
    report_sections = ("confusion",)

    def output_units(self, dataset) -> int:
        return dataset.n_classes

    def compile_metrics(self) -> list[Any]:
        return ["accuracy"]  # pixel accuracy per epoch

    def dummy_estimator(self) -> Any:
        from kerasdl.models.classical_segmentation import ClassicalSegmenter

        return ClassicalSegmenter()

    def scores(self, raw: Any) -> np.ndarray:
        return np.asarray(raw, dtype=np.float32)

    def estimator_scores(self, estimator: Any, x_test: np.ndarray, dataset) -> np.ndarray:
        # a baseline predicts hard masks; one-hot them into the (n, H, W, k) layout of the networks
        masks = np.asarray(estimator.predict(x_test), dtype=np.int64)
        return np.eye(dataset.n_classes, dtype=np.float32)[masks]

    def metrics(self, y_true, scores, *, class_names: Sequence[str] = (), n_features=None) -> dict[str, float]:
        true, predicted = _masks("segmentation metrics", y_true, scores)
        names = list(class_names) or [str(c) for c in range(np.asarray(scores).shape[-1])]
        return metrics.segmentation_metrics(true, predicted, class_names=names)

    def confusion(self, y_true: Any, scores: Any, n_classes: int) -> np.ndarray:
        true, predicted = _masks("segmentation confusion", y_true, scores)
        return metrics.confusion_matrix(true.ravel(), predicted.ravel(), labels=list(range(n_classes)))


def detections_per_image(detections: Any) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Per-image (boxes, labels, scores) from padded (n, max_detections, 6) rows, unused rows dropped."""
    d = np.asarray(detections, dtype=np.float64)
    if d.ndim != 3 or d.shape[-1] != 6:
        raise ValueError(f"detections: expected (n, max_detections, 6) rows [x_min, y_min, x_max, y_max, score, "
                         f"label]. Received: {d.shape}")
    keep = d[..., 5] >= 0
    return ([x[k, :4] for x, k in zip(d, keep)], [x[k, 5].astype(np.int64) for x, k in zip(d, keep)],
            [x[k, 4] for x, k in zip(d, keep)])


def _truth_per_image(y_true: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
    y = np.asarray(y_true, dtype=np.float64)
    if y.ndim != 3 or y.shape[-1] != 5:
        raise ValueError(f"detection targets: expected (n, max_boxes, 5) rows [x_min, y_min, x_max, y_max, label]. "
                         f"Received: {y.shape}")
    keep = y[..., 4] >= 0
    return [x[k, :4] for x, k in zip(y, keep)], [x[k, 4].astype(np.int64) for x, k in zip(y, keep)]


class MeanBoxDetector:
    """The detector a model must beat, in scikit-learn's shape: it never looks at the image and
    proposes, on every image, each class's mean training box scored by the share of training images
    holding that class (what "where objects usually are" gives). `kerasdl fit` adds it as the dummy."""

    def get_params(self, deep: bool = True) -> dict[str, Any]:  # scikit-learn's clone() contract
        return {}

    def set_params(self, **params: Any) -> MeanBoxDetector:
        return self

    def fit(self, x: Any, y: Any) -> MeanBoxDetector:
        boxes, labels = _truth_per_image(y)
        found = np.concatenate(labels) if labels else np.zeros(0, dtype=np.int64)
        self.classes_ = np.unique(found)
        every_box = np.concatenate(boxes) if boxes else np.zeros((0, 4))
        self.boxes_ = np.array([every_box[found == c].mean(axis=0) for c in self.classes_]).reshape(-1, 4)
        self.scores_ = np.array([np.mean([c in image for image in labels]) for c in self.classes_])
        return self

    def predict(self, x: Any) -> np.ndarray:
        row = np.c_[self.boxes_, self.scores_, self.classes_].astype(np.float32)
        return np.broadcast_to(row, (len(x), *row.shape)).copy()


class DetectionTask(Task):
    """Boxes and classes per image; COCO mAP (the detector model owns its loss and its decoding)."""

    name = "detection"
    description = "boxes and classes per image; COCO mAP@0.5, mAP@[.5:.95], AP@0.5 per class"
    headline = "map_50"
    headline_lower_is_better = False

    def output_units(self, dataset) -> int:
        return dataset.n_classes

    def loss(self) -> Any:
        return None  # BoxDetector.compute_loss: the composite loss of the model's own kind

    @property
    def loss_name(self) -> str:  # what the record shows for the default loss
        return "the detector's own (YOLO composite or R-CNN classification + box regression)"

    def dummy_estimator(self) -> Any:
        return MeanBoxDetector()

    def scores(self, raw: Any) -> np.ndarray:
        return np.asarray(raw, dtype=np.float32)

    def metrics(self, y_true, scores, *, class_names: Sequence[str] = (), n_features=None) -> dict[str, float]:
        true_boxes, true_labels = _truth_per_image(y_true)
        boxes, labels, confidence = detections_per_image(scores)
        classes = list(range(len(class_names))) if class_names else None
        at50 = metrics.mean_average_precision(true_boxes, true_labels, boxes, labels, confidence,
                                              iou_thresholds=(0.5,), classes=classes)
        coco = metrics.mean_average_precision(true_boxes, true_labels, boxes, labels, confidence,
                                              iou_thresholds=metrics.COCO_IOU_THRESHOLDS, classes=classes)
        names = list(class_names) or [str(c) for c in at50["classes"]]
        found = {"map_50": at50["map"], "map_50_95": coco["map"],
                 "map_75": coco["ap_per_threshold"][float(metrics.COCO_IOU_THRESHOLDS[5])],
                 "recall_50": float(np.nanmean(at50["recall"])) if np.isfinite(at50["recall"]).any() else float("nan"),
                 "detections_per_image": float(np.mean([len(b) for b in boxes])) if boxes else 0.0}
        found.update({f"ap50_{name}": at50["ap_per_class"][c] for name, c in zip(names, at50["classes"])})
        return found
