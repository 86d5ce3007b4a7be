"""The autoencoder family's data, study helpers and search unit (the quick runs of the studies
themselves are in test_experiments.py)."""

from __future__ import annotations

import numpy as np
import pytest

from kerasdl import data, tuning
from kerasdl.errors import UserError


def test_reconstruction_dataset_is_its_own_target_with_aligned_labels():
    full = data.load("digits-reconstruction")
    assert full.task == "reconstruction" and full.input_shape == (8, 8, 1)
    assert np.array_equal(full.features, full.target) and len(full.extras["label"]) == full.n_samples
    small = data.load("digits-reconstruction", limit=200, flatten=True)
    assert small.input_shape == (64,) and len(small.extras["label"]) == small.n_samples == 200
    digits = data.load("digits", flatten=True)
    # a subsampled row keeps its own label: find it among the original digits
    row = int(small.splits["test"][0])
    match = np.flatnonzero((np.asarray(digits.features) == small.features[row]).all(axis=1))
    assert small.extras["label"][row] in set(digits.target[match].tolist())


def test_anomaly_dataset_trains_on_normal_digits_only():
    ds = data.load("digits-anomaly", anomaly_class=3)
    flags, label = ds.extras["anomaly"], ds.extras["label"]
    assert np.array_equal(flags, (label == 3).astype(int))
    for split in ("train", "val"):
        assert flags[ds.splits[split]].sum() == 0
    assert set(np.flatnonzero(flags)) <= set(ds.splits["test"].tolist())   # every anomaly is tested
    assert 0 < flags[ds.splits["test"]].mean() < 1
    all_rows = np.concatenate(list(ds.splits.values()))
    assert len(all_rows) == len(set(all_rows.tolist())) == ds.n_samples
    with pytest.raises(UserError, match="anomaly_class"):
        data.load("digits-anomaly", anomaly_class=10)
    with pytest.raises(UserError, match="source"):
        data.load("digits-reconstruction", source="cifar")


def test_denoising_corruption_is_fixed_clipped_and_of_the_right_size():
    from kerasdl import experiments

    corrupt = experiments.load_module("denoising").corrupt
    x = np.full((50, 8, 8, 1), 0.5, dtype=np.float32)
    assert np.array_equal(corrupt(x, "gaussian", 0.3), corrupt(x, "gaussian", 0.3))
    noisy = corrupt(x, "gaussian", 0.3)
    assert noisy.min() >= 0 and noisy.max() <= 1 and abs(np.std(noisy - x) - 0.3) < 0.03
    sp = corrupt(x, "salt_and_pepper", 0.2)
    hit = sp != 0.5
    assert abs(hit.mean() - 0.2) < 0.02 and set(np.unique(sp[hit])) == {0.0, 1.0}
    assert np.array_equal(corrupt(x, "gaussian", 0.0), x)


def test_autoencoder_probe_measures_sparsity_copying_and_pca_angles():
    keras = pytest.importorskip("keras")
    from kerasdl import experiments, models
    from kerasdl.harness import FoldArrays

    probe = experiments.load_module("autoencoders")._probe
    x = (np.random.default_rng(0).uniform(size=(40, 8, 8, 1)) > 0.5).astype("float32")
    keras.utils.set_random_seed(0)
    model = models.build("linear_autoencoder", (8, 8, 1), 1, code_size=4)
    found = probe(model, FoldArrays(0, x, x, x[:5], x[:5], x[:10], x[:10]))
    assert found["code_size"] == 4 and 0 <= found["near_zero_share"] <= 1
    assert 0 <= found["max_angle_to_pca_deg"] <= 90 and found["noise_mse"] > 0
    # an identity map copies noise: zero error on the noise images
    identity = models.build("linear_autoencoder", (8, 8, 1), 1, code_size=64)
    identity.encoder.set_weights([np.eye(64, dtype="float32"), np.zeros(64, "float32")])
    identity.decoder.set_weights([np.eye(64, dtype="float32"), np.zeros(64, "float32")])
    assert probe(identity, FoldArrays(0, x, x, x[:5], x[:5], x[:10], x[:10]))["noise_mse"] < 1e-10


def test_code_size_search_space_and_a_quick_manual_trial(tmp_path):
    from kerasdl.tuning import session as tuning_session

    unit = tuning.load_unit("autoencoder-code-size")
    prepared = tuning_session.prepare(unit, tuning.SearchSettings(strategy="grid", quick=True, out=tmp_path))
    assert prepared.grid_points == 48
    found = tuning.search(unit, tuning.SearchSettings(strategy="manual", max_trials=1, epochs=1, quick=True,
                                                      out=tmp_path, quiet=True))
    assert [t.status for t in found.trials] == ["completed"]
    assert found.objective == "val_loss" and 0 < found.trials[0].score < 1
