"""
Title: Object detection of generated shapes — YOLO-style single shot vs an R-CNN-style two-stage baseline
Description: boxes and classes for every shape in an image, scored by COCO mean average precision
(mAP@0.5 and mAP@[.5:.95], computed exactly as pycocotools does).

Notes 002:422-486: a detector outputs, per object, a bounding box and a class; detectors trade speed
against mAP. R-CNN proposes regions and classifies each one with a CNN; YOLO is one fully
convolutional pass of Conv-BatchNorm-LeakyReLU blocks that downsamples with strided convolutions and
predicts, per grid cell, a box, an objectness score and per-class sigmoids ("a woman is also a
person"), trained with the composite loss of 002:478-484 (squared box-coordinate loss + objectness
log-loss + per-class log-loss). A box counts as found when its IoU with a true box of its class
reaches the threshold; AP is the area under the interpolated precision-recall curve per class
(COCO: 101 recall points), mAP its mean over classes, and COCO's headline averages IoU 0.50…0.95.

Real COCO cannot be downloaded offline, so the data are 3000 generated 32×32 images
(`shapes-detection`, fixed seed) of 1-3 squares, discs and triangles (box IoU between objects at most
0.3) with pixel noise. Variants: the YOLO-style detector at grid sizes 4 (8-pixel cells), 2 and 8,
and the R-CNN-style baseline (126 sliding-window proposals of 8-20 pixels every 4 pixels, each
warped to 12×12 and classified by one small CNN with box regression). A probe decodes each
detector's raw outputs again at several NMS IoU thresholds to show what non-maximum suppression
does to mAP.
"""

from __future__ import annotations

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Bars, Images, Lines, Section, Table, Text

NAME = "detection"
TITLE = "Object detection: YOLO-style grid detector vs R-CNN-style sliding windows (COCO mAP)"
NOTES_REF = "002:422-486, 002:395-404"

## Setup
# No early stopping: the validation loss of a detector rises with over-confident objectness scores
# while mAP still improves, so it is a poor guide to the epoch with the best boxes.
FIT = {"epochs": 30, "batch_size": 32, "patience": None, "learning_rate": 2e-3}
GRIDS = (4, 2, 8)                       # YOLO grid sizes compared (the first is the main variant)
NMS_THRESHOLDS = (0.3, 0.5, 0.7, 0.9, 1.0)  # 1.0: no suppression at all
SHOWN = 6                               # test images drawn with their boxes
SHOWN_SCORE = 0.4                       # detections drawn from this score up


def experiment() -> Experiment:
    """The YOLO-style detector at three grid sizes, the R-CNN-style baseline and an image-blind floor."""
    from kerasdl.tasks.vision import MeanBoxDetector

    ## Build the variants
    variants = [
        Variant(f"yolo-grid{s}", builder="yolo", api="functional", hyperparameters={"grid_size": s},
                label=f"YOLO-style, {s}x{s} grid ({32 // s}-pixel cells)", probe=nms_probe, **FIT)
        for s in GRIDS
    ]
    variants.append(Variant("rcnn", builder="rcnn", api="functional", hyperparameters={},
                            label="R-CNN-style: sliding windows + region CNN + box regression",
                            probe=nms_probe, **FIT))
    # The floor: each class's mean training box on every image, whatever the image shows.
    variants.append(Variant("mean-box", estimator=MeanBoxDetector(), label="mean box per class (ignores the image)"))
    ## Evaluate on the held-out test images: COCO mAP@0.5 (headline), mAP@[.5:.95], AP per class
    return Experiment(
        name=NAME, title=TITLE, dataset="shapes-detection", variants=variants,
        description=__doc__.split("\n\n", 1)[1].strip(), notes_ref=NOTES_REF,
        evaluation="holdout", headline_metric="map_50", analyze=analyze,
        quick_samples=80, quick_epochs=1, quick_folds=1,
        # --quick: one YOLO grid (the other sizes are the same builder), the R-CNN and the floor
        quick_variants=(f"yolo-grid{GRIDS[0]}", "rcnn", "mean-box"),
    )


def nms_probe(model, arrays) -> dict:
    """mAP@0.5, mAP@[.5:.95] and detections per image of the test set decoded at every NMS threshold
    (the raw network output computed once, then `model.detect(raw, nms_iou=t)`)."""
    import numpy as np

    from kerasdl import metrics
    from kerasdl.data.shapes import split_target
    from kerasdl.tasks.vision import detections_per_image

    # eager calls in chunks: a predict graph would be traced for this one use
    raw = np.concatenate([np.asarray(model(arrays.x_test[i:i + 256], training=False))
                          for i in range(0, len(arrays.x_test), 256)])
    truth_boxes, truth_labels = split_target(arrays.y_test)
    classes = list(range(model.n_classes))
    found = {}
    for t in NMS_THRESHOLDS:
        boxes, labels, scores = detections_per_image(np.asarray(model.detect(raw, nms_iou=t)))
        at50 = metrics.mean_average_precision(truth_boxes, truth_labels, boxes, labels, scores, classes=classes)
        coco = metrics.mean_average_precision(truth_boxes, truth_labels, boxes, labels, scores,
                                              iou_thresholds=metrics.COCO_IOU_THRESHOLDS, classes=classes)
        found[f"{t:g}"] = {"map_50": at50["map"], "map_50_95": coco["map"],
                           "detections_per_image": float(np.mean([len(b) for b in boxes]))}
    return {"nms": found}


## Analyse
def analyze(analysis) -> list[Section]:
    """mAP table, per-class AP, PR curves, grid size and NMS effects, images with boxes, findings."""
    entries = [v for v in analysis.record["variants"] if v["status"] == "completed"]
    names = list(analysis.dataset.class_names)
    sections: list[Section] = [_table(entries), _class_bars(entries, names)]
    sections += _pr_curves(analysis, entries, names)
    grid = _grid_effect(entries)
    if grid is not None:
        sections.append(grid)
    nms = _nms_effect(entries)
    if nms is not None:
        sections.append(nms)
    if entries:
        sections.append(_images(analysis, entries, names))
    sections.append(Text(title="What this run shows", body=_findings(entries)))
    return sections


def _table(entries) -> Table:
    from kerasdl.report.study_helpers import entry_metric, fit_seconds

    rows = [[e["label"], e.get("parameter_count"), round(entry_metric(e, "map_50"), 4),
             round(entry_metric(e, "map_50_95"), 4), round(entry_metric(e, "map_75"), 4),
             round(entry_metric(e, "recall_50"), 4), round(entry_metric(e, "detections_per_image"), 1),
             round(fit_seconds(e), 1)] for e in entries]
    return Table(title="COCO mean average precision on the held-out test images",
                 columns=["model", "parameters", "mAP@0.5", "mAP@[.5:.95]", "mAP@0.75", "recall@0.5",
                          "detections / image", "fit time (s)"], rows=rows,
                 caption="Computed like pycocotools' COCOeval (bbox, area all, 100 detections; 101-point "
                         "interpolated precision); the test suite checks the equality on random cases.")


def _class_bars(entries, names) -> Bars:
    from kerasdl.report.study_helpers import entry_metric

    return Bars(title="AP@0.5 per class", labels=names, y_label="AP@0.5",
                series=[{"label": e["label"], "values": [round(entry_metric(e, f"ap50_{n}"), 4) for n in names]}
                        for e in entries])


def _pr_curves(analysis, entries, names) -> list[Lines]:
    """Interpolated precision at COCO's 101 recall points, IoU 0.5, one line per class, per model."""
    import numpy as np

    from kerasdl import metrics
    from kerasdl.data.shapes import split_target
    from kerasdl.tasks.vision import detections_per_image

    out = []
    for entry in entries:
        key = f"{entry['name']}/fold0"
        if f"{key}/y_score" not in analysis.predictions:
            continue
        truth = split_target(analysis.predictions[f"{key}/y_true"])
        found = metrics.mean_average_precision(*truth, *detections_per_image(analysis.predictions[f"{key}/y_score"]),
                                               classes=list(range(len(names))))
        series = [{"label": f"{n} (AP {found['ap_per_class'][k]:.3f})",
                   "x": [round(float(r), 2) for r in metrics.COCO_RECALL_POINTS],
                   "y": [round(float(p), 4) for p in found["precision"][0, :, k]]}
                  for k, n in enumerate(names) if np.isfinite(found["precision"][0, :, k]).all()]
        if series:
            out.append(Lines(title=f"Precision-recall at IoU 0.5: {entry['label']}", series=series,
                             x_label="recall", y_label="interpolated precision",
                             caption="COCO's interpolation: precision made non-increasing from the right, read "
                                     "at recall 0, 0.01, ..., 1 (0 past the highest recall reached); AP is "
                                     "the mean of the 101 values."))
    return out


def _grid_effect(entries) -> Table | None:
    from kerasdl.report.study_helpers import entry_metric

    rows = [[e["hyperparameters"].get("grid_size"), e["label"], e.get("parameter_count"),
             round(entry_metric(e, "map_50"), 4), round(entry_metric(e, "map_50_95"), 4),
             round(entry_metric(e, "recall_50"), 4)]
            for e in entries if e.get("builder") == "yolo"]
    if len(rows) < 2:
        return None
    rows.sort(key=lambda r: r[0])
    return Table(title="Effect of the grid size (YOLO-style)", rows=rows,
                 columns=["grid S", "model", "parameters", "mAP@0.5", "mAP@[.5:.95]", "recall@0.5"],
                 caption="One box per cell: two objects whose centres share a cell cannot both be found, so a "
                         "coarse grid caps recall; a fine grid has many empty cells and a smaller receptive field.")


def _nms_effect(entries) -> Lines | None:
    from kerasdl.report.study_helpers import probe_value

    series = []
    for entry in entries:
        nms = probe_value(entry, "nms")
        if not nms:
            continue
        xs = sorted(nms, key=float)
        for key, what in (("map_50", "mAP@0.5"), ("map_50_95", "mAP@[.5:.95]")):
            series.append({"label": f"{entry['name']}: {what}", "x": [float(x) for x in xs],
                           "y": [round(float(nms[x][key]), 4) for x in xs]})
    if not series:
        return None
    return Lines(title="Effect of the NMS IoU threshold", series=series, x_label="NMS IoU threshold",
                 y_label="mAP", caption="The same trained models, their raw outputs decoded again with "
                 "per-class non-maximum suppression at each threshold (1.0 keeps every box). A low threshold "
                 "also removes true boxes of overlapping objects; a high one leaves duplicates, each a false "
                 "positive once its object is matched.")


def _images(analysis, entries, names) -> Images:
    """The first SHOWN test images with true boxes and each model's detections (score ≥ SHOWN_SCORE)."""
    import numpy as np

    from kerasdl.data.shapes import split_target

    first = entries[0]["name"]
    index = np.asarray(analysis.predictions[f"{first}/fold0/index"])[:SHOWN]
    boxes, labels = split_target(np.asarray(analysis.predictions[f"{first}/fold0/y_true"])[:SHOWN])
    truth = [[{"box": b.tolist(), "label": names[int(c)], "kind": "true"} for b, c in zip(bs, ls)]
             for bs, ls in zip(boxes, labels)]
    pixels = [np.asarray(analysis.dataset.features)[i].round(2).tolist() for i in index]
    images = []
    for entry in entries:
        key = f"{entry['name']}/fold0/y_score"
        if key not in analysis.predictions:
            continue
        detections = np.asarray(analysis.predictions[key])[:SHOWN]
        for position, rows in enumerate(detections):
            predicted = [{"box": r[:4].tolist(), "label": f"{names[int(r[5])]} {r[4]:.2f}", "kind": "predicted"}
                         for r in rows if r[5] >= 0 and r[4] >= SHOWN_SCORE]
            images.append({"label": f"{entry['name']} #{int(index[position])}", "pixels": pixels[position],
                           "range": [0, 1], "boxes": truth[position] + predicted})
    return Images(title=f"{len(index)} test images with true and predicted boxes", columns=len(index),
                  images=images, caption=f"One row per model. True boxes solid, detections (score ≥ "
                                         f"{SHOWN_SCORE}) dashed with their class and score.")


def _findings(entries) -> str:
    from kerasdl.report.study_helpers import entry_metric, fmt, probe_value

    by = {e["name"]: e for e in entries}
    out = []
    main = by.get(f"yolo-grid{GRIDS[0]}")
    if main and "rcnn" in by:
        y50, r50 = entry_metric(main, "map_50"), entry_metric(by["rcnn"], "map_50")
        out.append(f"YOLO-style ({GRIDS[0]}x{GRIDS[0]}) mAP@0.5 {fmt(y50)} and mAP@[.5:.95] "
                   f"{fmt(entry_metric(main, 'map_50_95'))}; R-CNN-style {fmt(r50)} and "
                   f"{fmt(entry_metric(by['rcnn'], 'map_50_95'))}. The two-stage model classifies "
                   f"hundreds of warped windows per image, one CNN pass each, where the single-shot model makes "
                   f"one pass per image: the speed vs mAP trade-off of 002:430.")
    yolos = sorted((e for e in entries if e.get("builder") == "yolo"),
                   key=lambda e: e["hyperparameters"].get("grid_size", 0))
    if len(yolos) > 1:
        out.append("Grid size: " + ", ".join(f"S={e['hyperparameters'].get('grid_size')}: mAP@0.5 "
                                             f"{fmt(entry_metric(e, 'map_50'))}" for e in yolos) + ".")
    for entry in entries:
        nms = probe_value(entry, "nms")
        if nms:
            best = max(nms, key=lambda t: nms[t]["map_50"])
            out.append(f"{entry['name']}: the best NMS IoU threshold for mAP@0.5 is {best} "
                       f"({fmt(nms[best]['map_50'])}); without suppression (1.0) {fmt(nms['1']['map_50'])} with "
                       f"{nms['1']['detections_per_image']:.1f} detections per image.")
    return "\n\n".join(out) or "Too few variants completed to compare."
