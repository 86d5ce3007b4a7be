"""Study-specific checks for the convolutional studies: cnn-vs-mlp, conv-variants, upsampling, pooling,
classic-cnns and fixed-kernels (experiments/*.py and their helpers).

Fast: helpers are called directly on real data (the scikit-learn digits and photo); models are built,
not trained, except for one quick end-to-end run marked slow. Every experiment also runs in quick
mode in tests/test_experiments.py.
"""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasdl import data, models  # noqa: E402
from kerasdl.data.derived import average_pool  # noqa: E402
from kerasdl import probes  # noqa: E402
from kerasdl.experiments import classic_cnns, fixed_kernels, upsampling  # noqa: E402
from kerasdl.models.convolutional import dilated_receptive_field, stacked_receptive_field  # noqa: E402
from kerasdl.report import study_helpers  # noqa: E402
from kerasdl.resize_baselines import ResizeUpsampler  # noqa: E402
from kerasdl.harness.fold import _model_summary  # noqa: E402


# ------------------------------------------------------------------------------------ receptive field

@pytest.mark.parametrize("kernel, dilation, depth", [(3, 1, 1), (3, 2, 1), (3, 2, 2), (5, 3, 3), (2, 4, 2)])
def test_stacked_receptive_field_of_stride_one_layers_is_the_dilated_formula(kernel, dilation, depth):
    field, jump = stacked_receptive_field([(kernel, 1, dilation)] * depth)
    assert field == dilated_receptive_field(kernel, dilation, depth) and jump == 1


def test_stacked_receptive_field_counts_strides_and_pools():
    # conv3 → pool2 → conv3 → pool2: 3, then 4, then 4 + 2·2 = 8, then 8 + 1·2 = 10; jump 4.
    assert stacked_receptive_field([(3, 1, 1), (2, 2, 1), (3, 1, 1), (2, 2, 1)]) == (10, 4)
    assert stacked_receptive_field([(3, 2, 1), (3, 2, 1)]) == (7, 4)
    assert stacked_receptive_field([]) == (1, 1)


@pytest.mark.parametrize("builder, hyper, field", [
    ("cnn", {"pool": "max"}, 10), ("cnn", {"pool": None}, 5), ("strided_cnn", {}, 7),
    ("dilated_cnn", {"dilation_rate": 2}, 9), ("dilated_cnn", {"dilation_rate": 3}, 13), ("tiled_cnn", {}, 10),
])
def test_receptive_field_read_from_built_models(builder, hyper, field):
    model = models.build(builder, (8, 8, 1), 10, filters=(4, 8), **hyper)
    assert probes.receptive_field_of(model)["receptive_field"] == field


# --------------------------------------------------------------------------------------- probes

def test_shift_images_moves_pixels_and_fills_with_zeros():
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    down_right = probes.shift_images(x, 1, 1)[0, :, :, 0]
    assert np.array_equal(down_right[1:, 1:], x[0, :3, :3, 0])
    assert not down_right[0].any() and not down_right[:, 0].any()
    up_left = probes.shift_images(x, -1, -1)[0, :, :, 0]
    assert np.array_equal(up_left[:3, :3], x[0, 1:, 1:, 0]) and not up_left[3].any()


class _BrightestColumn:
    """A stand-in model: predicts class = column of the brightest pixel (shift-sensitive by design)."""

    def predict(self, x, **_):
        columns = np.argmax(x[..., 0].max(axis=1), axis=1)
        return np.eye(8)[columns]


def test_shifted_accuracy_probe_averages_the_four_one_pixel_shifts():
    x = np.zeros((8, 8, 8, 1), dtype=np.float32)
    for i in range(8):
        x[i, 4, i, 0] = 1.0
    arrays = type("Arrays", (), {"x_test": x, "y_test": np.arange(8)})()
    found = probes.shifted_accuracy_probe()(_BrightestColumn(), arrays)
    assert found["accuracy"] == 1.0
    # Up/down keep the column: all right. Right/left move it, so all wrong — except the dot in column 0
    # pushed out of the image: a blank image has its "brightest" column at 0, by luck the right class.
    assert found["shifted_by_direction"] == {"+1,+0": 1.0, "-1,+0": 1.0, "+0,+1": 0.0, "+0,-1": 0.125}
    assert found["shifted_accuracy"] == pytest.approx((1 + 1 + 0 + 0.125) / 4)


def test_first_convolution_commutes_with_a_shift_away_from_the_border():
    model = models.build("cnn", (8, 8, 1), 10, filters=(4, 8))
    x = np.random.default_rng(0).random((4, 8, 8, 1)).astype(np.float32)
    assert probes._first_conv_equivariance(model, x) < 1e-5


# ------------------------------------------------------------------------------- record helpers

def _entry(model, **extra):
    return {"model_summary": _model_summary(model), **extra}


def test_global_pooling_cuts_the_dense_layer_to_one_input_per_channel():
    filters, units = (16, 32), 64
    dense = {}
    for pool in ("global_avg", "global_max", None, "max"):
        entry = _entry(models.build("cnn", (8, 8, 1), 10, filters=filters, dense_units=(units,), pool=pool))
        dense[pool] = study_helpers.layer_params(entry, names=("dense_1",))
    assert dense["global_avg"] == dense["global_max"] == (32 + 1) * units
    assert dense[None] == (8 * 8 * 32 + 1) * units
    assert dense["max"] == (2 * 2 * 32 + 1) * units
    shape = study_helpers.feature_shape(_entry(models.build("cnn", (8, 8, 1), 10, filters=filters, pool=None)))
    assert shape == "8×8×32"


def test_accuracy_noise_is_the_binomial_standard_error():
    assert study_helpers.accuracy_noise(0.98, 360) == pytest.approx((0.98 * 0.02 / 360) ** 0.5)


# ---------------------------------------------------------------------------- upsampling study

def test_digits_upsample_inputs_are_the_averaged_targets_and_registered_offline():
    ds = data.load("digits-upsample")
    assert ds.task == "reconstruction" and ds.features.shape == (1797, 4, 4, 1) and ds.target.shape == (1797, 8, 8, 1)
    np.testing.assert_allclose(ds.features, average_pool(ds.target), atol=1e-7)
    np.testing.assert_allclose(ds.target, data.load("digits").features)
    test_digits = np.bincount(ds.extras["digit"][ds.splits["test"]], minlength=10)
    assert test_digits.min() >= 30  # stratified by digit: every class in the test split
    info = {i.name: i for i in data.available()}["digits-upsample"]
    assert info.offline and info.task == "reconstruction" and "derived" in info.provenance.lower()


@pytest.mark.parametrize("method", ["nearest", "bilinear"])
def test_resize_upsampler_equals_keras_upsampling2d(method):
    x = np.random.default_rng(1).random((5, 4, 4, 1)).astype(np.float32)
    estimator = ResizeUpsampler(method).fit(x.reshape(5, -1), np.zeros((5, 64)))
    ours = estimator.predict(x.reshape(5, -1)).reshape(5, 8, 8, 1)
    theirs = np.asarray(keras.layers.UpSampling2D(2, interpolation=method)(x))
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_resize_upsampler_rejects_unknown_methods_and_non_square_inputs():
    with pytest.raises(ValueError, match="method"):
        ResizeUpsampler("cubic").fit(np.zeros((2, 16)), np.zeros((2, 64)))
    with pytest.raises(ValueError, match="square"):
        ResizeUpsampler().fit(np.zeros((2, 15)), np.zeros((2, 64)))


def test_the_decoder_configuration_maps_4x4_to_8x8_as_the_notes_formula_says():
    k, s, p = (upsampling.DECODER[key] for key in ("kernel_size", "strides", "padding"))
    assert (4 - 1) * s + k - 2 * p == 8
    model = models.build("conv_decoder", (4, 4, 1), 1, **upsampling.DECODER)
    assert model.output_shape == (None, 8, 8, 1)
    assert any(type(layer).__name__ == "Conv2DTranspose" for layer in model.layers)


# --------------------------------------------------------------------------- fixed-kernels study

@pytest.fixture(scope="module")
def photo():
    return fixed_kernels.load_photo()


def test_photo_is_the_bundled_image_in_grey_downscaled(photo):
    assert photo.shape == (427 // fixed_kernels.SCALE, 640 // fixed_kernels.SCALE)
    assert photo.dtype == np.float32 and 0.0 <= photo.min() < photo.max() <= 1.0


def test_frozen_conv2d_computes_scipy_cross_correlation_on_the_photo(photo):
    from scipy import signal

    names = list(fixed_kernels.KERNELS)
    weights = [fixed_kernels.KERNELS[n][0] for n in names]
    layer = fixed_kernels.fixed_kernel_layer(weights)
    assert not layer.trainable and not layer.trainable_weights and layer.bias is None
    out = fixed_kernels.apply_kernels(photo, weights)
    assert out.shape == (*photo.shape, len(names))
    for i, kernel in enumerate(weights):
        expected = signal.correlate2d(photo.astype(np.float64), np.asarray(kernel, float), mode="same")
        np.testing.assert_allclose(out[:, :, i], expected, atol=1e-5, err_msg=names[i])
    # Cross-correlation is not convolution: the flipped (convolve2d) answer differs for Sobel x.
    sobel = names.index("sobel x")
    flipped = fixed_kernels.scipy_reference(photo, weights[sobel], flip=True)
    assert np.max(np.abs(out[:, :, sobel] - flipped)) > 1.0


def test_blur_lowers_and_sharpen_raises_the_neighbour_differences(photo):
    names = ["gaussian blur", "box blur", "sharpen"]
    out = fixed_kernels.apply_kernels(photo, [fixed_kernels.KERNELS[n][0] for n in names])
    base = fixed_kernels.sharpness(photo)
    blurred, boxed, sharpened = (fixed_kernels.sharpness(out[:, :, i]) for i in range(3))
    assert blurred < base and boxed < base and sharpened > 2 * base


def test_the_notes_kernels_are_the_ones_printed_at_001_1831():
    k = fixed_kernels.KERNELS
    assert np.allclose(np.asarray(k["gaussian blur"][0]) * 16, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    assert k["sharpen"][0] == [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]
    assert k["edge detection"][0] == [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]
    assert k["identity"][0] == [[0, 0, 0], [0, 1, 0], [0, 0, 0]]


def test_picture_quantises_to_8_bit_levels():
    picture = fixed_kernels._picture("x", np.array([[-1.0, 0.0], [0.5, 2.0]]), (0.0, 1.0))
    assert picture["pixels"] == [[0, 0], [128, 255]] and picture["range"] == [0, 255]
    own = fixed_kernels._picture("y", np.array([[-2.0, 2.0]]), None)
    assert own["pixels"] == [[0, 255]] and "range" not in own


# ----------------------------------------------------------------------------- classic-cnns study

def test_canonical_lenet5_count_and_layers_back_the_erratum():
    assert classic_cnns.canonical_parameter_count("lenet5") == 61_706
    assert classic_cnns.layer_counts("lenet5") == {"Conv2D": 2, "Dense": 3}


def test_errata_table_puts_the_notes_figures_beside_the_published_ones():
    table = classic_cnns._errata({"vgg16": 138_357_544, "alexnet": 62_378_344, "zfnet": 62_357_608})
    rows = {row[0]: (row, status) for row, status in zip(table["rows"], table["row_status"])}
    vgg, status = rows["VGG-16 parameters"]
    assert "95 million" in vgg[2] and "138" in vgg[3] and vgg[4] == "138,357,544" and status == "erratum"
    top5, status = rows["ResNet top-5 error, ILSVRC 2015"]
    assert "15.43" in top5[2] and "3.57" in top5[3] and status == "erratum"
    assert rows["ZFNet vs AlexNet parameters"][1] == "ok"
    assert {row[1] for row in table["rows"]} <= {"001:1709", "001:1723", "001:1734", "001:1741"}


@pytest.mark.parametrize("name, hyper", [
    ("resnet", {"api": "functional"}), ("densenet", {"api": "functional"}), ("mobilenet", {}),
    ("vgg", {"batch_norm": "before"}),
])
def test_bn_momentum_reaches_every_batch_norm_layer_and_changes_no_count(name, hyper):
    default = models.build(name, (8, 8, 1), 10, **hyper)
    tuned = models.build(name, (8, 8, 1), 10, bn_momentum=0.9, **hyper)
    bn = [layer for layer in tuned.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert bn and all(layer.momentum == 0.9 for layer in bn)
    assert all(layer.momentum == 0.99 for layer in default.layers
               if isinstance(layer, keras.layers.BatchNormalization))
    assert tuned.count_params() == default.count_params()


def test_every_small_network_of_the_study_builds_on_8x8_digits():
    for name, builder, api, hyper, _ in classic_cnns.NETWORKS:
        model = models.build(builder, (8, 8, 1), 10, api=api, **hyper)
        assert model.output_shape == (None, 10), name
        assert name in classic_cnns.CANONICAL and name in classic_cnns.PUBLISHED


# ---------------------------------------------------------------------------- end to end (slow)

@pytest.mark.slow
def test_upsampling_quick_run_draws_the_same_test_digits_for_every_model(tmp_path):
    from kerasdl.harness import run

    record = run(upsampling.experiment(), quick=True, out=tmp_path, quiet=True, tensorboard=False)
    assert record.status == "completed", record.data["error"]
    kinds = [s["kind"] for s in record.data["sections"]]
    assert kinds == ["table", "lines", "images", "text"]
    images = record.data["sections"][2]["images"]
    n_models = len(record.data["variants"])
    assert len(images) == (2 + n_models) * upsampling.SHOWN
    shown = upsampling.SHOWN
    inputs = np.array([image["pixels"] for image in images[:shown]])
    targets = np.array([image["pixels"] for image in images[shown:2 * shown]])
    np.testing.assert_allclose(inputs, average_pool(targets[..., None])[..., 0], atol=1e-3)
    nearest = np.array([image["pixels"] for image in images[3 * shown:4 * shown]])
    np.testing.assert_allclose(nearest, np.repeat(np.repeat(inputs, 2, axis=1), 2, axis=2), atol=1e-3)
