"""Object detection builders: boxes and classes for every object in an image (notes 002:422-486).

Two detectors the notes name, at toy scale:

* `yolo` — a single-shot grid detector in the YOLO v1-v3 style: Conv-BatchNorm-LeakyReLU blocks,
  downsampling by stride-2 convolutions (v3: "conv with stride", no pooling), down to an S×S grid;
  every cell predicts one box (x, y offsets in the cell, √w, √h relative to the image), an
  objectness score and one sigmoid per class (v3's per-class sigmoids, 002:463-470). Its loss is the
  notes' composite (002:478-484): λ_coord · squared error of the box coordinates of cells that hold
  an object + log-loss of the objectness (cells without objects weighted λ_noobj) + log-loss of each
  class sigmoid in cells with an object. A cell holds the object whose box centre falls in it (the
  largest one if several do).
* `rcnn` — the two-stage R-CNN recipe: (1) region proposals, here every sliding window of a few
  sizes (selective search in the paper; a fixed set keeps it one Keras graph), (2) each region cut
  out and warped to a fixed size (`tf.image.crop_and_resize`), (3) one small CNN classifies every
  region independently into background or a class, with optional box regression (deltas to the
  matched box, as in R-CNN's bounding-box regression stage). Windows with IoU ≥ 0.5 with a box are
  positives, < 0.3 negatives, in between ignored; both kinds are averaged separately so the many
  background windows do not drown the objects.

Both are `BoxDetector` models: `call` gives the raw network output (what the loss sees); `predict`
decodes it into at most `max_detections` boxes per image after per-class non-maximum suppression
(`tf.image.combined_non_max_suppression`), as rows [x_min, y_min, x_max, y_max, score, label] in
pixels with label −1 for unused rows. Targets are the dataset's padded rows [x_min, y_min, x_max,
y_max, label] (kerasdl.data.shapes); encoding them for the loss happens inside the graph, so the
harness fits these models with plain `model.fit`. Box format conversion, IoU and delta encoding
come from `keras.utils.bounding_boxes`.
"""

from __future__ import annotations

import abc

from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from kerasdl.errors import UserError

from ._assemble import assemble

__all__ = ["BoxDetector", "GridDetector", "PerRegion", "RegionCrops", "RegionDetector", "build_rcnn", "build_yolo",
           "nms_detections", "sliding_windows"]

_VARIANCE = (0.1, 0.1, 0.2, 0.2)  # the usual scaling of box deltas (SSD, Faster R-CNN)
#: Fits on fewer training rows run eagerly: tracing the train, test and predict graphs of a detector
#: costs several CPU seconds, more than a few eager batches (smoke runs, --quick, tests).
EAGER_BELOW_ROWS = 256


def nms_detections(boxes, scores, *, iou_threshold: float, score_threshold: float, max_detections: int):
    """Per-class NMS of (B, N, 4) xyxy boxes with (B, N, C) class scores → (B, max_detections, 6)
    rows [x_min, y_min, x_max, y_max, score, label], label −1 on unused rows."""
    import tensorflow as tf

    from keras.utils import bounding_boxes

    yxyx = bounding_boxes.convert_format(boxes, source="xyxy", target="yxyx")
    kept, kept_scores, kept_classes, valid = tf.image.combined_non_max_suppression(
        yxyx[:, :, None, :], scores, max_output_size_per_class=max_detections, max_total_size=max_detections,
        iou_threshold=iou_threshold, score_threshold=score_threshold, clip_boxes=False)
    xyxy = bounding_boxes.convert_format(kept, source="yxyx", target="xyxy")
    used = tf.range(max_detections)[None, :] < valid[:, None]
    labels = tf.where(used, kept_classes, -1.0)
    return tf.concat([xyxy * tf.cast(used, xyxy.dtype)[..., None], kept_scores[..., None], labels[..., None]],
                     axis=-1)


@keras.saving.register_keras_serializable(package="kerasdl")
class BoxDetector(keras.Model, metaclass=abc.ABCMeta):
    """A network whose raw output a subclass decodes into candidate boxes and scores and trains with
    its own loss; `predict` returns the detections after NMS (see the module docstring)."""

    def __init__(self, network: keras.Model, *, image_size: Sequence[int], n_classes: int,
                 score_threshold: float = 0.01, nms_iou: float = 0.5, max_detections: int = 30, **kwargs) -> None:
        super().__init__(**kwargs)
        self.network = network
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.n_classes, self.score_threshold = int(n_classes), float(score_threshold)
        self.nms_iou, self.max_detections = float(nms_iou), int(max_detections)
        self.built = network.built  # the wrapped network is built from its Input: nothing left to build

    def call(self, x, training=None):
        return self.network(x, training=training)

    @abc.abstractmethod
    def candidates(self, raw):
        """(B, N, 4) xyxy boxes in pixels and (B, N, C) class scores from the raw output."""

    @abc.abstractmethod
    def detection_loss(self, y, raw):
        """The detector's own training loss of its raw output against padded box rows `y`."""

    def fit(self, x=None, y=None, *args, **kwargs):
        if isinstance(x, np.ndarray) and len(x) < EAGER_BELOW_ROWS:
            self.run_eagerly = True
        return super().fit(x, y, *args, **kwargs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return self.detection_loss(ops.cast(y, "float32"), y_pred)

    def detect(self, raw, *, nms_iou: float | None = None, score_threshold: float | None = None):
        """Decoded detections (B, max_detections, 6) of a raw output, optionally at another NMS IoU."""
        boxes, scores = self.candidates(raw)
        return nms_detections(boxes, scores, iou_threshold=self.nms_iou if nms_iou is None else nms_iou,
                              score_threshold=self.score_threshold if score_threshold is None else score_threshold,
                              max_detections=self.max_detections)

    def predict_step(self, data):
        x = data[0] if isinstance(data, (tuple, list)) else data
        return self.detect(self(x, training=False))

    def get_config(self):
        return {"name": self.name, "network": keras.saving.serialize_keras_object(self.network),
                "image_size": list(self.image_size), "n_classes": self.n_classes,
                "score_threshold": self.score_threshold, "nms_iou": self.nms_iou,
                "max_detections": self.max_detections}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["network"] = keras.saving.deserialize_keras_object(config["network"])
        return cls(**config)


# -- YOLO-style grid detector ---------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="kerasdl")
class GridDetector(BoxDetector):
    """Raw output (B, S, S, 5 + C): tx, ty, tw, th, objectness, class logits per cell."""

    def __init__(self, network, *, lambda_coord: float = 5.0, lambda_noobj: float = 0.5, **kwargs) -> None:
        super().__init__(network, **kwargs)
        self.lambda_coord, self.lambda_noobj = float(lambda_coord), float(lambda_noobj)

    def get_config(self):
        return {**super().get_config(), "lambda_coord": self.lambda_coord, "lambda_noobj": self.lambda_noobj}

    def _grid(self, raw):
        s = int(raw.shape[1])
        cells = np.arange(s * s)
        return s, ops.convert_to_tensor((cells % s).astype("float32")), ops.convert_to_tensor(
            (cells // s).astype("float32"))

    def candidates(self, raw):
        from keras.utils import bounding_boxes

        s, col, row = self._grid(raw)
        height, width = self.image_size
        p = ops.reshape(raw, (-1, s * s, 5 + self.n_classes))
        xy = ops.sigmoid(p[..., 0:2])
        size = ops.square(ops.sigmoid(p[..., 2:4]))  # the network predicts √w and √h (YOLO v1)
        centre = ops.stack([(col + xy[..., 0]) * (width / s), (row + xy[..., 1]) * (height / s),
                            size[..., 0] * width, size[..., 1] * height], axis=-1)
        boxes = bounding_boxes.convert_format(centre, source="center_xywh", target="xyxy")
        scores = ops.sigmoid(p[..., 4:5]) * ops.sigmoid(p[..., 5:])
        return boxes, scores

    def targets(self, y, s: int):
        """Grid targets from padded rows (B, M, 5): per cell whether it holds an object, the (x, y)
        offset of its centre in the cell, (√w, √h) relative to the image, and the class one-hot."""
        from keras.utils import bounding_boxes

        height, width = self.image_size
        _, col, row = self._grid(ops.zeros((1, s)))
        valid = ops.cast(y[..., 4] >= 0, "float32")
        centre = bounding_boxes.convert_format(y[..., :4], source="xyxy", target="center_xywh")
        cx, cy = centre[..., 0] / (width / s), centre[..., 1] / (height / s)  # in cell units
        cell = ops.cast(ops.clip(ops.floor(cy), 0, s - 1) * s + ops.clip(ops.floor(cx), 0, s - 1), "int32")
        hit = ops.one_hot(cell, s * s) * valid[..., None]                       # (B, M, S²)
        owner = ops.argmax(hit * (centre[..., 2:3] * centre[..., 3:4] + 1.0), axis=1)  # largest box wins
        has_obj = ops.max(hit, axis=1)                                           # (B, S²)
        take = lambda v: ops.take_along_axis(v, owner, axis=1)                  # noqa: E731  (B, M) → (B, S²)
        offset = ops.stack([take(cx) - col, take(cy) - row], axis=-1)
        root = ops.sqrt(ops.maximum(ops.stack([take(centre[..., 2]) / width, take(centre[..., 3]) / height],
                                              axis=-1), 0.0))
        classes = ops.one_hot(ops.cast(ops.maximum(take(y[..., 4]), 0), "int32"), self.n_classes)
        return has_obj, offset, root, classes * has_obj[..., None]

    def detection_loss(self, y, raw):
        s = int(raw.shape[1])
        p = ops.reshape(raw, (-1, s * s, 5 + self.n_classes))
        has_obj, offset, root, classes = self.targets(y, s)
        coord = ops.sum(has_obj[..., None] * (ops.square(ops.sigmoid(p[..., 0:2]) - offset)
                                              + ops.square(ops.sigmoid(p[..., 2:4]) - root)), axis=(1, 2))
        objectness = ops.binary_crossentropy(has_obj, p[..., 4], from_logits=True)
        objectness = ops.sum((has_obj + self.lambda_noobj * (1.0 - has_obj)) * objectness, axis=1)
        cls = ops.sum(has_obj[..., None] * ops.binary_crossentropy(classes, p[..., 5:], from_logits=True),
                      axis=(1, 2))
        return ops.mean(self.lambda_coord * coord + objectness + cls)


def _check_image(name: str, input_shape) -> tuple[int, int, int]:
    if len(tuple(input_shape)) != 3:
        raise UserError(f"{name}: expected an image input (height, width, channels). Received: {input_shape}")
    return tuple(int(d) for d in input_shape)


def build_yolo(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional", grid_size: int = 4,
               filters: int = 16, blocks_per_stage: int = 1, lambda_coord: float = 5.0, lambda_noobj: float = 0.5,
               score_threshold: float = 0.01, nms_iou: float = 0.5, max_detections: int = 30) -> keras.Model:
    """A YOLO-style detector for `outputs` classes on an S×S grid (S = grid_size, image size / S a
    power of two): a 3×3 stem, then per halving a stride-2 3×3 Conv-BN-LeakyReLU(0.1) followed by
    `blocks_per_stage` 1×1/3×3 Conv-BN-LeakyReLU pairs (Darknet's pattern), filters doubling up to
    8×filters, and a 1×1 convolution to 5 + outputs channels per cell."""
    height, width, _ = _check_image("yolo", input_shape)
    if not isinstance(grid_size, int) or grid_size < 1 or height % grid_size or width % grid_size \
            or height // grid_size != width // grid_size or (height // grid_size) & (height // grid_size - 1):
        raise UserError(f"yolo: grid_size must divide the {height}x{width} image by a power of two; got "
                        f"grid_size={grid_size!r}")
    halvings = int(np.log2(height // grid_size))

    def block(width_: int, kernel: int, strides: int, name: str) -> list[keras.layers.Layer]:
        return [keras.layers.Conv2D(width_, kernel, strides=strides, padding="same", use_bias=False, name=name),
                keras.layers.BatchNormalization(name=f"{name}_bn"),
                keras.layers.LeakyReLU(negative_slope=0.1, name=f"{name}_leaky")]

    def layers() -> list[keras.layers.Layer]:
        out = block(filters, 3, 1, "stem")
        for stage in range(halvings):
            w = filters * 2 ** min(stage + 1, 3)
            out += block(w, 3, 2, f"down{stage}")
            for b in range(blocks_per_stage):
                out += block(w // 2, 1, 1, f"stage{stage}_{b}a") + block(w, 3, 1, f"stage{stage}_{b}b")
        out.append(keras.layers.Conv2D(5 + outputs, 1, name="cell_predictions"))
        return out

    network = assemble(layers, (height, width, int(input_shape[2])), api, "yolo_network")
    return GridDetector(network, image_size=(height, width), n_classes=outputs, lambda_coord=lambda_coord,
                        lambda_noobj=lambda_noobj, score_threshold=score_threshold, nms_iou=nms_iou,
                        max_detections=max_detections, name="yolo")


# -- R-CNN-style two-stage baseline ---------------------------------------------------------------------
def sliding_windows(image_size: Sequence[int], sizes: Sequence[int], stride: int) -> np.ndarray:
    """Square windows [x_min, y_min, x_max, y_max] of every size in `sizes`, every `stride` pixels
    (the last position flush with the image edge), as a (K, 4) float32 array."""
    height, width = image_size
    found = []
    for size in sizes:
        xs = np.unique(np.append(np.arange(0, width - size + 1, stride), width - size))
        ys = np.unique(np.append(np.arange(0, height - size + 1, stride), height - size))
        gx, gy = np.meshgrid(xs, ys)
        found.append(np.stack([gx.ravel(), gy.ravel(), gx.ravel() + size, gy.ravel() + size], axis=1))
    return np.concatenate(found).astype("float32")


@keras.saving.register_keras_serializable(package="kerasdl")
class RegionCrops(keras.layers.Layer):
    """Every fixed window of the image warped to crop_size × crop_size: (B, H, W, C) → (B, K, c, c, C)."""

    def __init__(self, windows, crop_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.windows = np.asarray(windows, dtype="float32")
        self.crop_size = int(crop_size)

    def call(self, images):
        import tensorflow as tf

        shape = tf.shape(images)
        height, width = tf.cast(shape[1], "float32"), tf.cast(shape[2], "float32")
        w = tf.constant(self.windows)
        # crop_and_resize wants [y1, x1, y2, x2] normalised so that 1.0 is the last pixel's centre
        # (window edges x_min..x_max cover pixel indices x_min..x_max − 1)
        normalised = tf.stack([w[:, 1] / (height - 1), w[:, 0] / (width - 1), (w[:, 3] - 1) / (height - 1),
                               (w[:, 2] - 1) / (width - 1)], axis=1)
        k = len(self.windows)
        boxes = tf.tile(normalised, [shape[0], 1])
        index = tf.repeat(tf.range(shape[0]), k)
        crops = tf.image.crop_and_resize(images, boxes, index, [self.crop_size, self.crop_size])
        return tf.reshape(crops, [shape[0], k, self.crop_size, self.crop_size, images.shape[-1]])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], len(self.windows), self.crop_size, self.crop_size, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "windows": self.windows.tolist(), "crop_size": self.crop_size}


@keras.saving.register_keras_serializable(package="kerasdl")
class PerRegion(keras.layers.Layer):
    """One model applied to every region: (B, K, ...) → (B, K, outputs), by folding the regions into
    the batch. (keras.layers.TimeDistributed does the same through a vectorised map, which TensorFlow
    takes minutes to trace for a few hundred regions.)"""

    def __init__(self, inner: keras.Model, **kwargs) -> None:
        super().__init__(**kwargs)
        self.inner = inner

    def call(self, regions):
        shape = ops.shape(regions)
        flat = ops.reshape(regions, (-1, *regions.shape[2:]))
        out = self.inner(flat)
        return ops.reshape(out, (shape[0], shape[1], out.shape[-1]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], self.inner.output_shape[-1])

    def get_config(self):
        return {**super().get_config(), "inner": keras.saving.serialize_keras_object(self.inner)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["inner"] = keras.saving.deserialize_keras_object(config["inner"])
        return cls(**config)


@keras.saving.register_keras_serializable(package="kerasdl")
class RegionDetector(BoxDetector):
    """Raw output (B, K, 1 + C + 4): background + class logits and box deltas for each window."""

    def __init__(self, network, *, windows, box_regression: bool = True, positive_iou: float = 0.5,
                 negative_iou: float = 0.3, **kwargs) -> None:
        super().__init__(network, **kwargs)
        self.windows = np.asarray(windows, dtype="float32")
        self.box_regression = bool(box_regression)
        self.positive_iou, self.negative_iou = float(positive_iou), float(negative_iou)

    def get_config(self):
        return {**super().get_config(), "windows": self.windows.tolist(), "box_regression": self.box_regression,
                "positive_iou": self.positive_iou, "negative_iou": self.negative_iou}

    def _anchors(self, like):
        return ops.broadcast_to(ops.convert_to_tensor(self.windows), (ops.shape(like)[0], *self.windows.shape))

    def candidates(self, raw):
        from keras.utils import bounding_boxes

        logits, deltas = raw[..., : 1 + self.n_classes], raw[..., 1 + self.n_classes:]
        scores = ops.softmax(logits, axis=-1)[..., 1:]
        anchors = self._anchors(raw)
        if not self.box_regression:
            return anchors, scores
        boxes = bounding_boxes.decode_deltas_to_boxes(anchors, deltas, anchor_format="xyxy", box_format="xyxy",
                                                      variance=_VARIANCE)
        height, width = self.image_size
        return ops.stack([ops.clip(boxes[..., 0], 0, width), ops.clip(boxes[..., 1], 0, height),
                          ops.clip(boxes[..., 2], 0, width), ops.clip(boxes[..., 3], 0, height)], axis=-1), scores

    def detection_loss(self, y, raw):
        from keras.utils import bounding_boxes

        anchors = self._anchors(raw)
        real = y[..., 4] >= 0
        truth = ops.where(real[..., None], y[..., :4], -1.0)  # −1 boxes are masked out by compute_iou
        iou = bounding_boxes.compute_iou(anchors, truth, bounding_box_format="xyxy", use_masking=True)
        best = ops.max(iou, axis=-1)                                    # (B, K)
        match = ops.argmax(iou, axis=-1)
        positive = ops.cast(best >= self.positive_iou, "float32")
        negative = ops.cast(best < self.negative_iou, "float32")
        label = ops.take_along_axis(y[..., 4], match, axis=1) + 1.0
        target = ops.cast(positive * label, "int32")                   # 0 = background
        logits = raw[..., : 1 + self.n_classes]
        ce = ops.sparse_categorical_crossentropy(target, logits, from_logits=True)

        def average(values, weights):
            return ops.sum(values * weights) / ops.maximum(ops.sum(weights), 1.0)

        loss = average(ce, positive) + average(ce, negative)
        if self.box_regression:
            matched = ops.take_along_axis(y[..., :4], ops.repeat(match[..., None], 4, axis=-1), axis=1)
            goal = bounding_boxes.encode_box_to_deltas(anchors, matched, anchor_format="xyxy", box_format="xyxy",
                                                       variance=_VARIANCE)
            error = ops.abs(raw[..., 1 + self.n_classes:] - goal)
            huber = ops.sum(ops.where(error < 1.0, 0.5 * error * error, error - 0.5), axis=-1)
            loss = loss + average(huber, positive)
        return loss


def build_rcnn(input_shape: tuple[int, ...], outputs: int, *, api: str = "functional",
               window_sizes: Sequence[int] = (8, 12, 16, 20), window_stride: int = 4, crop_size: int = 12,
               filters: int = 16, dense_units: int = 64, box_regression: bool = True, score_threshold: float = 0.01,
               nms_iou: float = 0.5, max_detections: int = 30) -> keras.Model:
    """R-CNN-style detector for `outputs` classes: sliding-window proposals of `window_sizes` every
    `window_stride` pixels, each warped to crop_size², classified by one shared small CNN (two
    Conv-ReLU-MaxPool blocks, a dense layer) into background or a class, plus 4 box deltas."""
    height, width, channels = _check_image("rcnn", input_shape)
    sizes = [int(s) for s in window_sizes]
    if not sizes or min(sizes) < 2 or max(sizes) > min(height, width) or window_stride < 1:
        raise UserError(f"rcnn: window_sizes must lie in 2..{min(height, width)} and window_stride >= 1; got "
                        f"window_sizes={tuple(window_sizes)!r}, window_stride={window_stride!r}")
    windows = sliding_windows((height, width), sizes, int(window_stride))

    def layers() -> list[keras.layers.Layer]:
        region_cnn = keras.Sequential([
            keras.Input(shape=(crop_size, crop_size, channels)),
            keras.layers.Conv2D(filters, 3, padding="same", activation="relu"), keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(2 * filters, 3, padding="same", activation="relu"), keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(), keras.layers.Dense(dense_units, activation="relu"),
            keras.layers.Dense(1 + outputs + 4)], name="region_cnn")
        return [RegionCrops(windows, crop_size, name="proposals"),
                PerRegion(region_cnn, name="per_region")]

    network = assemble(layers, (height, width, channels), api, "rcnn_network")
    return RegionDetector(network, windows=windows, box_regression=box_regression, image_size=(height, width),
                          n_classes=outputs, score_threshold=score_threshold, nms_iou=nms_iou,
                          max_detections=max_detections, name="rcnn")
