"""Vision family: the shapes generator and .npz loaders, the fcn/unet/yolo/rcnn builders, box encoding
and decoding, NMS, and the segmentation/detection tasks. Small shapes, a handful of images, eager steps."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasdl import data, models, tasks  # noqa: E402
from kerasdl.data import shapes  # noqa: E402
from kerasdl.errors import UserError  # noqa: E402
from kerasdl.models import detection  # noqa: E402


# ------------------------------------------------------------------------------------------- data
def test_render_shapes_is_deterministic_and_consistent():
    a = shapes.render_shapes(12, seed=3)
    b = shapes.render_shapes(12, seed=3)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["images"], shapes.render_shapes(12, seed=4)["images"])
    assert a["images"].shape == (12, 32, 32, 3) and a["images"].dtype == np.float32
    assert 0.0 <= a["images"].min() and a["images"].max() <= 1.0
    real = a["labels"] >= 0
    assert real[:, 0].all() and set(np.unique(a["labels"])) <= {-1, 0, 1, 2}
    # every visible mask pixel of a class lies inside a true box of that class
    for image in range(12):
        ys, xs = np.nonzero(a["masks"][image])
        for y, x in zip(ys, xs):
            cls = a["masks"][image][y, x] - 1
            inside = [(b[0] <= x < b[2]) and (b[1] <= y < b[3])
                      for b, c in zip(a["boxes"][image], a["labels"][image]) if c == cls]
            assert any(inside)
    # boxes lie inside the image and have positive size
    b = a["boxes"][real]
    assert (b[:, 0] >= 0).all() and (b[:, 3] <= 32).all() and (b[:, 2] > b[:, 0]).all()


def test_registered_datasets_load_with_documented_layouts():
    seg = data.load("shapes-segmentation", n=40)
    det = data.load("shapes-detection", n=40, size=64)
    assert seg.task == "segmentation" and seg.target.shape == (40, 32, 32)
    assert seg.class_names == ("background", "square", "disc", "triangle")
    assert det.task == "detection" and det.features.shape == (40, 64, 64, 3) and det.target.shape == (40, 3, 5)
    assert {"shapes-segmentation", "shapes-detection"} <= {i.name for i in data.available()}
    with pytest.raises(UserError, match="size must be 32 or 64"):
        data.load("shapes-detection", size=48)


def _write(tmp_path, **arrays):
    path = tmp_path / "mine.npz"
    np.savez(path, **arrays)
    return str(path)


def test_user_npz_loads_and_bad_files_give_one_line_errors(tmp_path):
    drawn = shapes.render_shapes(20, seed=0)
    good = _write(tmp_path, images=drawn["images"], boxes=drawn["boxes"], labels=drawn["labels"],
                  class_names=np.array(["sq", "disc", "tri"]))
    loaded = data.load("shapes-detection", path=good)
    assert loaded.origin == "user" and loaded.class_names == ("sq", "disc", "tri")
    np.testing.assert_array_equal(loaded.target[..., 4], drawn["labels"])
    masks = data.load("shapes-segmentation", path=_write(tmp_path, images=drawn["images"] * 255, masks=drawn["masks"]))
    assert masks.features.max() <= 1.0 and masks.n_classes == 4

    outside = drawn["boxes"].copy()
    outside[0, 0] = [20, 20, 40, 30]
    cases = [
        ({"images": drawn["images"], "boxes": drawn["boxes"][:, :, :3], "labels": drawn["labels"]}, "boxes must be"),
        ({"images": drawn["images"], "boxes": outside, "labels": drawn["labels"]}, "outside the 32x32 image"),
        ({"images": drawn["images"], "boxes": drawn["boxes"],
          "labels": np.where(drawn["labels"] == 2, 5, drawn["labels"]), "class_names": np.array(["a", "b", "c"])},
         "labels go up to 5"),
        ({"images": drawn["images"], "boxes": drawn["boxes"]}, "missing array"),
        ({"images": drawn["images"][..., 0], "boxes": drawn["boxes"], "labels": drawn["labels"]}, "images must be"),
    ]
    for arrays, message in cases:
        with pytest.raises(UserError, match=message) as error:
            data.load("shapes-detection", path=_write(tmp_path, **arrays))
        assert "\n" not in str(error.value)
    with pytest.raises(UserError, match="masks must be"):
        data.load("shapes-segmentation", path=_write(tmp_path, images=drawn["images"], masks=drawn["masks"][:, :16]))
    with pytest.raises(UserError, match="no such file"):
        data.load("shapes-segmentation", path=str(tmp_path / "absent.npz"))


# ------------------------------------------------------------------------------------- segmentation
@pytest.mark.parametrize("name", ["fcn", "unet"])
def test_segmentation_builders_output_pixel_probabilities_and_learn(name, tmp_path):
    keras.utils.set_random_seed(0)
    drawn = shapes.render_shapes(8, size=16, seed=1)
    model = models.build(name, (16, 16, 3), 4, api="functional", filters=4, depth=2)
    assert model.output_shape == (None, 16, 16, 4)
    out = np.asarray(model(drawn["images"][:2]))
    np.testing.assert_allclose(out.sum(axis=-1), 1.0, atol=1e-5)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", run_eagerly=True)
    losses = [float(model.train_on_batch(drawn["images"], drawn["masks"])) for _ in range(4)]
    assert min(losses[1:]) < losses[0]


def test_fcn_sequential_and_functional_are_the_same_network_and_unet_needs_functional():
    seq = models.build("fcn", (16, 16, 3), 3, api="sequential", filters=4, depth=2)
    fun = models.build("fcn", (16, 16, 3), 3, api="functional", filters=4, depth=2)
    assert seq.count_params() == fun.count_params()
    fun.set_weights(seq.get_weights())
    x = np.random.default_rng(0).random((2, 16, 16, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(seq(x)), np.asarray(fun(x)), atol=1e-6)
    with pytest.raises(UserError, match="functional"):
        models.build("unet", (16, 16, 3), 3, api="sequential")
    with pytest.raises(UserError, match="divisible"):
        models.build("unet", (18, 18, 3), 3, api="functional", depth=2)
    unet = models.build("unet", (16, 16, 3), 3, api="functional", filters=4, depth=2)
    assert any(isinstance(layer, keras.layers.Concatenate) for layer in unet.layers)
    assert sum(isinstance(layer, keras.layers.Conv2DTranspose) for layer in unet.layers) == 2


def test_segmentation_task_metrics_and_classical_baseline():
    from kerasdl.models.classical_segmentation import ClassicalSegmenter

    task = tasks.get("segmentation")
    drawn = shapes.render_shapes(60, seed=2)
    perfect = np.eye(4, dtype=np.float32)[drawn["masks"]]
    found = task.metrics(drawn["masks"], perfect, class_names=("background", "square", "disc", "triangle"))
    assert found["mean_iou"] == 1.0 and found["pixel_accuracy"] == 1.0
    assert task.confusion(drawn["masks"], perfect, 4).sum() == 60 * 32 * 32
    segmenter = ClassicalSegmenter().fit(drawn["images"][:40].reshape(40, -1), drawn["masks"][:40])
    predicted = segmenter.predict(drawn["images"][40:].reshape(20, -1))
    assert predicted.shape == (20, 32, 32)
    # the background threshold alone separates shapes from background almost perfectly
    assert np.mean((predicted > 0) == (drawn["masks"][40:] > 0)) > 0.97


# ---------------------------------------------------------------------------------------- detection
def test_yolo_targets_round_trip_through_decoding():
    """Boxes encoded into grid targets and decoded back by the model's own decoding give the same boxes."""
    model = models.build("yolo", (32, 32, 3), 3, api="functional", grid_size=4, filters=4)
    drawn = shapes.render_shapes(6, seed=5)
    y = keras.ops.convert_to_tensor(shapes.detection_target(drawn["boxes"], drawn["labels"]))
    has_obj, offset, root, classes = (np.asarray(t) for t in model.targets(y, 4))
    # logits whose sigmoids are exactly the targets
    logit = lambda p: np.log(np.clip(p, 1e-6, 1 - 1e-6) / (1 - np.clip(p, 1e-6, 1 - 1e-6)))  # noqa: E731
    raw = np.concatenate([logit(offset), logit(root), logit(has_obj)[..., None], logit(classes)], axis=-1)
    boxes, scores = model.candidates(raw.reshape(6, 4, 4, 8).astype("float32"))
    boxes, scores = np.asarray(boxes), np.asarray(scores)
    for i in range(6):
        truth = drawn["boxes"][i][drawn["labels"][i] >= 0]
        for cell in np.flatnonzero(has_obj[i]):
            # each cell holding an object decodes to exactly one of the image's true boxes
            assert np.abs(truth - boxes[i, cell]).max(axis=1).min() < 1e-3
            assert np.argmax(scores[i, cell]) in drawn["labels"][i]
    assert has_obj.sum() >= 0.8 * (drawn["labels"] >= 0).sum()


def test_rcnn_box_deltas_round_trip_with_keras_bounding_boxes():
    from keras.utils import bounding_boxes

    windows = detection.sliding_windows((32, 32), (8, 16), 4)
    assert windows.shape == (7 * 7 + 5 * 5, 4) and windows[:, 2:].max() == 32
    boxes = np.random.default_rng(0).uniform(0, 16, (1, len(windows), 2))
    boxes = np.concatenate([boxes, boxes + 6], axis=-1).astype("float32")
    anchors = np.broadcast_to(windows, boxes.shape)
    deltas = bounding_boxes.encode_box_to_deltas(anchors, boxes, anchor_format="xyxy", box_format="xyxy",
                                                 variance=detection._VARIANCE)
    back = bounding_boxes.decode_deltas_to_boxes(anchors, deltas, anchor_format="xyxy", box_format="xyxy",
                                                 variance=detection._VARIANCE)
    np.testing.assert_allclose(np.asarray(back), boxes, atol=1e-3)


def test_nms_keeps_the_best_of_overlapping_boxes_per_class():
    boxes = np.array([[[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 10]]], dtype="float32")
    scores = np.array([[[0.9, 0.0], [0.8, 0.0], [0.7, 0.0], [0.0, 0.6]]], dtype="float32")
    kept = np.asarray(detection.nms_detections(boxes, scores, iou_threshold=0.5, score_threshold=0.1,
                                               max_detections=5))
    rows = {(tuple(r[:4].round(3)), int(r[5])) for r in kept[0] if r[5] >= 0}
    # the 0.8 box overlaps the 0.9 one (IoU 0.68) and goes; the class-1 box at the same place stays
    assert rows == {((0, 0, 10, 10), 0), ((20, 20, 30, 30), 0), ((0, 0, 10, 10), 1)}
    assert kept.shape == (1, 5, 6) and (kept[0, 3:, 5] == -1).all()
    loose = np.asarray(detection.nms_detections(boxes, scores, iou_threshold=0.7, score_threshold=0.1,
                                                max_detections=5))
    assert (loose[0, :, 5] >= 0).sum() == 4


@pytest.mark.parametrize("name", ["yolo", "rcnn"])
def test_detectors_learn_predict_padded_rows_and_save(name, tmp_path):
    keras.utils.set_random_seed(0)
    drawn = shapes.render_shapes(16, seed=1)
    x, y = drawn["images"], shapes.detection_target(drawn["boxes"], drawn["labels"])
    small = {"filters": 4} if name == "yolo" else {"filters": 4, "window_sizes": (8, 16), "window_stride": 8}
    apis = models.get(name).apis
    built = {api: models.build(name, (32, 32, 3), 3, api=api, **small) for api in apis}
    assert built["sequential"].count_params() == built["functional"].count_params()
    model = built["functional"]
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(x, y, epochs=4, batch_size=16, verbose=0)  # eager: fewer rows than EAGER_BELOW_ROWS
    losses = history.history["loss"]
    assert np.isfinite(losses).all() and min(losses[1:]) < losses[0]
    out = model.predict(x[:3], verbose=0)
    assert out.shape == (3, model.max_detections, 6)
    used = out[..., 5] >= 0
    assert ((out[..., 4] >= model.score_threshold) | ~used).all()
    assert (out[~used][:, :5] == 0).all()
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded(x[:2])), np.asarray(model(x[:2])), atol=1e-5)
    assert type(loaded) is type(model) and loaded.nms_iou == model.nms_iou


def test_yolo_grid_size_sets_the_output_grid_and_is_checked():
    fine = models.build("yolo", (32, 32, 3), 3, api="functional", grid_size=8, filters=4)
    assert fine.network.output_shape == (None, 8, 8, 8)  # 5 + 3 classes per cell
    large = models.build("yolo", (64, 64, 3), 2, api="functional", grid_size=4, filters=4)
    assert large.network.output_shape == (None, 4, 4, 7)
    with pytest.raises(UserError, match="grid_size"):
        models.build("yolo", (32, 32, 3), 3, api="functional", grid_size=3)


def test_detection_task_scores_perfect_detections_as_map_one():
    task = tasks.get("detection")
    drawn = shapes.render_shapes(10, seed=7)
    y = shapes.detection_target(drawn["boxes"], drawn["labels"])
    perfect = np.concatenate([y[..., :4], np.where(y[..., 4:] >= 0, 0.9, 0.0), y[..., 4:]], axis=-1)
    found = task.metrics(y, perfect, class_names=shapes.SHAPE_CLASSES)
    assert found["map_50"] == pytest.approx(1.0) and found["map_50_95"] == pytest.approx(1.0)
    shifted = perfect.copy()
    shifted[..., [0, 2]] += 100  # every detection far from its object
    assert task.metrics(y, shifted, class_names=shapes.SHAPE_CLASSES)["map_50"] == 0.0


def test_region_crops_cut_out_exactly_the_window_pixels():
    image = np.random.default_rng(0).random((1, 16, 16, 3)).astype("float32")
    windows = np.array([[4, 2, 12, 10], [0, 0, 16, 16]], dtype="float32")  # [x_min, y_min, x_max, y_max]
    crops = np.asarray(detection.RegionCrops(windows[:1], 8)(image))
    np.testing.assert_allclose(crops[0, 0], image[0, 2:10, 4:12], atol=1e-6)
    whole = np.asarray(detection.RegionCrops(windows[1:], 16)(image))
    np.testing.assert_allclose(whole[0, 0], image[0], atol=1e-6)


def test_mean_box_baseline_proposes_each_classs_average_box_on_every_image():
    from sklearn.base import clone

    from kerasdl.tasks.vision import MeanBoxDetector

    pad = [-1, -1, -1, -1, -1]
    y = np.array([[[0, 0, 10, 10, 0], pad], [[2, 2, 12, 12, 0], [5, 5, 9, 9, 1]], [pad, pad]], dtype=float)
    baseline = clone(tasks.get("detection").dummy_estimator()).fit(np.zeros((3, 4)), y)
    assert isinstance(baseline, MeanBoxDetector)
    rows = baseline.predict(np.zeros((2, 4)))
    assert rows.shape == (2, 2, 6)
    np.testing.assert_allclose(rows[0], [[1, 1, 11, 11, 2 / 3, 0], [5, 5, 9, 9, 1 / 3, 1]], rtol=1e-6)
    np.testing.assert_array_equal(rows[0], rows[1])  # image-blind: the same proposals everywhere
    assert 0 < tasks.get("detection").metrics(y[:2], rows)["map_50"] < 1


def test_a_detector_without_its_decoding_and_loss_cannot_be_made():
    with pytest.raises(TypeError, match="abstract"):
        detection.BoxDetector(keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)]), image_size=(8, 8),
                              n_classes=1)
