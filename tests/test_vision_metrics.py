"""IoU and mAP against the official COCO evaluator (pycocotools) and hand-built cases."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerasdl import metrics


def _coco(true_boxes, true_labels, pred_boxes, pred_labels, pred_scores, classes, iou_thresholds=None):
    """pycocotools' COCOeval stats for the same lists of per-image arrays ((AP@[.5:.95], AP@.5), per-class AP@.5)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    def xywh(b):
        b = np.asarray(b, dtype=np.float64)
        return [float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])]

    images, annotations, results = [], [], []
    for i, (boxes, labels) in enumerate(zip(true_boxes, true_labels)):
        images.append({"id": i + 1, "width": 64, "height": 64})
        for box, label in zip(boxes, labels):
            w = xywh(box)
            annotations.append({"id": len(annotations) + 1, "image_id": i + 1, "category_id": int(label) + 1,
                                "bbox": w, "area": w[2] * w[3], "iscrowd": 0})
        for box, label, score in zip(pred_boxes[i], pred_labels[i], pred_scores[i]):
            results.append({"image_id": i + 1, "category_id": int(label) + 1, "bbox": xywh(box),
                            "score": float(score)})
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": images, "annotations": annotations,
                      "categories": [{"id": c + 1, "name": str(c)} for c in classes]}
        gt.createIndex()
        dt = gt.loadRes(results) if results else COCO()
        if not results:  # loadRes refuses an empty list: an empty result set is still a valid evaluation
            dt.dataset = {"images": images, "annotations": [], "categories": gt.dataset["categories"]}
            dt.createIndex()
        ev = COCOeval(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    precision = ev.eval["precision"][0, :, :, 0, 2]  # IoU .5, every recall point, classes, area all, 100 dets
    per_class = [float(np.mean(precision[:, k])) if (precision[:, k] > -1).all() else float("nan")
                 for k in range(len(classes))]
    return ev.stats[0], ev.stats[1], per_class


def _ours(*args, classes):
    at50 = metrics.mean_average_precision(*args, iou_thresholds=(0.5,), classes=classes)
    coco = metrics.mean_average_precision(*args, iou_thresholds=metrics.COCO_IOU_THRESHOLDS, classes=classes)
    return coco["map"], at50["map"], [at50["ap_per_class"][c] for c in classes]


def _random_case(rng: np.random.Generator, n_images: int, n_classes: int):
    tb, tl, pb, pl, ps = [], [], [], [], []
    for _ in range(n_images):
        g = int(rng.integers(0, 5))
        xy = rng.uniform(0, 40, size=(g, 2))
        wh = rng.uniform(2, 20, size=(g, 2))
        boxes = np.column_stack([xy, xy + wh])
        labels = rng.integers(0, n_classes, size=g)
        # detections: jittered copies of some true boxes (hits at varied IoU) plus random boxes (misses)
        keep = rng.random(g) < 0.8
        jitter = boxes[keep] + rng.normal(0, 2.5, size=(int(keep.sum()), 4))
        jitter[:, 2:] = np.maximum(jitter[:, 2:], jitter[:, :2] + 0.5)
        d = int(rng.integers(0, 4))
        rxy = rng.uniform(0, 40, size=(d, 2))
        extra = np.column_stack([rxy, rxy + rng.uniform(2, 20, size=(d, 2))])
        det = np.concatenate([jitter, extra])
        det_labels = np.concatenate([np.where(rng.random(int(keep.sum())) < 0.85, labels[keep],
                                              rng.integers(0, n_classes, size=int(keep.sum()))),
                                     rng.integers(0, n_classes, size=d)])
        tb.append(boxes), tl.append(labels), pb.append(det), pl.append(det_labels)
        ps.append(rng.random(len(det)))
    return tb, tl, pb, pl, ps


@pytest.mark.parametrize("seed", range(40))
def test_map_equals_pycocotools_on_random_cases(seed):
    rng = np.random.default_rng(seed)
    n_classes = int(rng.integers(1, 5))
    case = _random_case(rng, int(rng.integers(1, 7)), n_classes)
    classes = list(range(n_classes))
    theirs = _coco(*case, classes)
    ours = _ours(*case, classes=classes)
    for a, b in zip(ours[:2], theirs[:2]):
        if b == -1:
            assert np.isnan(a)
        else:
            assert a == pytest.approx(b, abs=1e-6)
    np.testing.assert_allclose(ours[2], theirs[2], atol=1e-6, equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.integers(1, 5), st.booleans())
def test_map_equals_pycocotools_property(seed, n_classes, n_images, tied_scores):
    rng = np.random.default_rng(seed)
    tb, tl, pb, pl, ps = _random_case(rng, n_images, n_classes)
    if tied_scores:  # ties exercise the stable (mergesort) ordering across images
        ps = [np.round(s * 3) / 3 for s in ps]
    classes = list(range(n_classes))
    theirs = _coco(tb, tl, pb, pl, ps, classes)
    ours = _ours(tb, tl, pb, pl, ps, classes=classes)
    for a, b in zip(ours[:2], theirs[:2]):
        assert (np.isnan(a) and b == -1) or a == pytest.approx(b, abs=1e-6)


def test_identical_boxes_give_iou_one_and_map_one():
    boxes = np.array([[0, 0, 10, 10], [20, 20, 30, 40.0]])
    np.testing.assert_allclose(np.diag(metrics.box_iou(boxes, boxes)), [1.0, 1.0])
    found = metrics.mean_average_precision([boxes], [[0, 1]], [boxes], [[0, 1]], [[0.9, 0.8]],
                                           iou_thresholds=metrics.COCO_IOU_THRESHOLDS)
    assert found["map"] == pytest.approx(1.0)


def test_disjoint_boxes_give_iou_zero_and_ap_zero():
    assert metrics.box_iou([[0, 0, 10, 10]], [[10, 0, 20, 10]])[0, 0] == 0.0  # touching edges: no overlap
    found = metrics.mean_average_precision([[[0, 0, 10, 10]]], [[0]], [[[30, 30, 40, 40]]], [[0]], [[0.9]])
    assert found["map"] == 0.0


def test_half_overlap_textbook_case():
    # Two 10×10 boxes sharing half their area: intersection 50, union 150, IoU 1/3 — a miss at 0.5.
    iou = metrics.box_iou([[0, 0, 10, 10]], [[5, 0, 15, 10]])[0, 0]
    assert iou == pytest.approx(1 / 3)
    found = metrics.mean_average_precision([[[0, 0, 10, 10]]], [[0]], [[[5, 0, 15, 10]]], [[0]], [[0.9]],
                                           iou_thresholds=(0.3, 0.5))
    assert found["ap_per_threshold"] == {0.3: pytest.approx(1.0), 0.5: 0.0}


def test_class_without_detections_counts_zero_and_class_without_truth_is_skipped():
    tb = [np.array([[0, 0, 10, 10], [20, 20, 30, 30.0]])]
    found = metrics.mean_average_precision(tb, [[0, 1]], [np.array([[0, 0, 10, 10], [40, 40, 50, 50.0]])],
                                           [[0, 2]], [[0.9, 0.7]], classes=[0, 1, 2])
    assert found["ap_per_class"][0] == pytest.approx(1.0)
    assert found["ap_per_class"][1] == 0.0
    assert np.isnan(found["ap_per_class"][2])
    assert found["map"] == pytest.approx(0.5)
    theirs = _coco(tb, [[0, 1]], [np.array([[0, 0, 10, 10], [40, 40, 50, 50.0]])], [[0, 2]], [[0.9, 0.7]],
                   [0, 1, 2])
    assert theirs[1] == pytest.approx(0.5)


def test_box_iou_agrees_with_pycocotools_and_keras():
    import keras
    from pycocotools import mask

    rng = np.random.default_rng(3)
    corners = rng.uniform(0, 20, size=(12, 2))
    boxes = np.column_stack([corners, corners + rng.uniform(1, 15, size=(12, 2))])
    a, b = boxes[:7], boxes[7:]
    ours = metrics.box_iou(a, b)
    xywh = lambda x: np.column_stack([x[:, :2], x[:, 2:] - x[:, :2]])  # noqa: E731
    np.testing.assert_allclose(ours, mask.iou(xywh(a), xywh(b), [0] * len(b)), atol=1e-12)
    via_keras = keras.utils.bounding_boxes.compute_iou(a.astype("float32"), b.astype("float32"),
                                                       bounding_box_format="xyxy")
    np.testing.assert_allclose(ours, keras.ops.convert_to_numpy(via_keras), atol=1e-5)


def test_mask_iou_and_segmentation_metrics():
    true = np.array([[0, 0, 1, 1], [0, 2, 2, 1]])
    pred = np.array([[0, 1, 1, 1], [0, 2, 0, 1]])
    # background: TP 2, union 4; class 1: TP 3, union 4; class 2: TP 1, union 2; class 3 absent → NaN
    np.testing.assert_allclose(metrics.mask_iou(true, pred, 4), [0.5, 0.75, 0.5, np.nan])
    found = metrics.segmentation_metrics(true, pred, class_names=["background", "a", "b", "c"])
    assert found["mean_iou"] == pytest.approx(1.75 / 3)
    assert found["foreground_iou"] == pytest.approx(0.625)
    assert found["pixel_accuracy"] == pytest.approx(6 / 8)
    assert np.isnan(found["iou_c"])


def test_bad_inputs_raise_one_clear_error():
    with pytest.raises(ValueError, match="one true_labels array per image"):
        metrics.mean_average_precision([np.zeros((1, 4))], [], [np.zeros((0, 4))], [[]], [[]])
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        metrics.box_iou(np.zeros((2, 3)), np.zeros((1, 4)))
    with pytest.raises(ValueError, match="same shape"):
        metrics.mask_iou(np.zeros((2, 2)), np.zeros((2, 3)))
