"""Study-specific checks for the vision studies (experiments/segmentation.py, experiments/detection.py).

Helpers are called directly; models are tiny and untrained. Both studies also run end to end in
--quick mode in tests/test_experiments.py.
"""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasdl import models  # noqa: E402
from kerasdl.data import shapes  # noqa: E402
from kerasdl.experiments import detection as detection_study  # noqa: E402
from kerasdl.experiments import segmentation as segmentation_study  # noqa: E402
from kerasdl.harness import FoldArrays  # noqa: E402
from kerasdl.report.sections import Images  # noqa: E402


def test_mask_to_rgb_uses_one_colour_per_class():
    mask = np.array([[0, 1], [2, 3]])
    rgb = segmentation_study.mask_to_rgb(mask)
    assert rgb.shape == (2, 2, 3)
    np.testing.assert_allclose(rgb[0, 0], segmentation_study.PALETTE[0])
    assert len({tuple(c) for c in rgb.reshape(-1, 3)}) == 4
    Images(title="masks", images=[{"label": "m", "pixels": rgb.tolist(), "range": [0, 1]}])  # a valid section


def test_nms_probe_reports_every_threshold_and_more_boxes_without_suppression():
    keras.utils.set_random_seed(0)
    model = models.build("yolo", (32, 32, 3), 3, api="functional", filters=4, score_threshold=0.0)
    drawn = shapes.render_shapes(8, seed=3)
    y = shapes.detection_target(drawn["boxes"], drawn["labels"])
    arrays = FoldArrays(0, None, None, None, None, drawn["images"], y)
    found = detection_study.nms_probe(model, arrays)["nms"]
    assert list(found) == [f"{t:g}" for t in detection_study.NMS_THRESHOLDS]
    counts = [found[k]["detections_per_image"] for k in found]
    assert counts == sorted(counts) and counts[-1] == model.max_detections  # 1.0 suppresses nothing
    assert all(0.0 <= v["map_50"] <= 1.0 and v["map_50_95"] <= v["map_50"] + 1e-12 for v in found.values())


def test_detection_study_declares_grids_and_a_two_stage_baseline():
    experiment = detection_study.experiment()
    networks, (floor,) = experiment.variants[:-1], experiment.variants[-1:]
    builders = [(v.builder, v.hyperparameters.get("grid_size")) for v in networks]
    assert builders == [("yolo", s) for s in detection_study.GRIDS] + [("rcnn", None)]
    assert all(v.probe is detection_study.nms_probe for v in networks)
    assert type(floor.estimator).__name__ == "MeanBoxDetector"  # the image-blind floor
    assert experiment.dataset == "shapes-detection" and experiment.headline_metric == "map_50"


def test_segmentation_study_compares_unet_fcn_and_a_classical_baseline():
    experiment = segmentation_study.experiment()
    kinds = [v.builder or type(v.estimator).__name__ for v in experiment.variants]
    assert kinds == ["unet", "fcn", "ClassicalSegmenter"]
    assert experiment.headline_metric == "mean_iou"
