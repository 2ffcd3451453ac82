"""ShapesVAD (the embedded benchmark), pasted anomalies, baselines and the FPS harness."""

import numpy as np
import pytest

from shared.errors import ConfigError
from shared.vad.baselines import PixelZScore, motion_energy
from shared.vad.shapes import VERSION, ShapesVADConfig, generate, paste_anomaly


@pytest.fixture(scope="module")
def splits():
    return generate(ShapesVADConfig())


def test_same_seed_same_bytes(splits):
    again = generate(ShapesVADConfig())
    for split in splits:
        for a, b in zip(splits[split], again[split], strict=True):
            assert (
                a.frames.tobytes() == b.frames.tobytes() and a.masks.tobytes() == b.masks.tobytes()
            )
            assert [t.boxes for t in a.tracks] == [t.boxes for t in b.tracks]
    other = generate(ShapesVADConfig(seed=1))
    assert other["test"][0].frames.tobytes() != splits["test"][0].frames.tobytes()


def test_default_design(splits):
    assert VERSION == 1
    assert [len(splits[s]) for s in ("train", "val", "test")] == [6, 1, 6]
    assert all(
        v.frames.shape == (150, 64, 64) and v.frames.dtype == np.uint8 for v in splits["test"]
    )
    assert all(v.labels.sum() == 0 for v in splits["train"] + splits["val"])
    fraction = np.concatenate([v.labels for v in splits["test"]]).mean()
    assert 0.25 <= fraction <= 0.40


def test_every_abnormal_frame_has_mask_pixels_and_a_box(splits):
    for video in splits["test"]:
        boxed = {f for track in video.tracks for f in track.boxes}
        abnormal = set(np.nonzero(video.labels)[0].tolist())
        assert abnormal == boxed
        for track in video.tracks:
            for frame, (x0, y0, x1, y1) in track.boxes.items():
                assert video.masks[frame, y0 : y1 + 1, x0 : x1 + 1].any()
        assert len(video.tracks) == 3


def test_unknown_version_is_refused():
    with pytest.raises(ConfigError, match="version"):
        ShapesVADConfig(version=2)


def test_pasted_object_moves_consistently():
    frames = [np.zeros((64, 64, 3), np.uint8) for _ in range(3)]
    checked = 0
    for seed in range(20):
        edited, mask = paste_anomaly(frames, [-3, 0, 3], np.random.default_rng(seed))
        assert all(f.sum() == 0 for f in frames)  # inputs untouched
        assert np.array_equal(edited[1][..., 0] > 0, mask) and mask.sum() > 0
        columns = [np.nonzero(e[..., 0].any(axis=0))[0] for e in edited]
        if any(c.min() == 0 or c.max() == 63 for c in columns):
            continue  # clipped at the border: the shift is not measurable
        checked += 1
        lefts = [c.min() for c in columns]
        assert abs((lefts[2] - lefts[1]) - (lefts[1] - lefts[0])) <= 1
    assert checked >= 5


def test_motion_energy_baseline():
    frames = np.zeros((3, 2, 2), np.uint8)
    frames[2, 0, 0] = 255
    scores, maps = motion_energy(frames)
    assert scores.tolist() == [0.0, 0.0, 1.0] and maps.shape == (3, 2, 2)


def test_pixel_zscore_baseline():
    train = np.full((4, 3, 3), 100, np.uint8)
    train[::2] = 110
    model = PixelZScore(train, blur=0.0, eps=0.0)
    test = np.stack([np.full((3, 3), 105, np.uint8), np.full((3, 3), 125, np.uint8)])
    scores, _ = model(test)
    std = (10 / 255) / 2
    assert scores[0] == pytest.approx(0.0, abs=1e-5) and scores[1] == pytest.approx(
        (20 / 255) / std, rel=1e-4
    )
