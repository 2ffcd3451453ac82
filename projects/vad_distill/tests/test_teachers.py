"""The in-project teachers (spec §11.2): proposals, the two scorers, map painting and pooling,
cross-fitting, and the written layout read back by the training loader."""

from __future__ import annotations

import numpy as np
import pytest
from vad_distill.data import MapLayout, TeacherMapDataset
from vad_distill.teachers import build
from vad_distill.teachers.maps import paint, pool
from vad_distill.teachers.proposals import ProposalConfig, detect, propose
from vad_distill.teachers.scorers import AppearanceTeacher, MotionTeacher


def _moving_square(frames=6, size=32, speed=2, side=4, start=2):
    video = np.full((frames, size, size), 50, np.uint8)
    for t in range(frames):
        x = start + speed * t
        video[t, 10 : 10 + side, x : x + side] = 200
    return video


def test_paint_takes_the_maximum_of_overlapping_boxes():
    canvas = paint([(0, 0, 2, 1), (1, 1, 3, 3)], [0.5, 0.25], (4, 5))
    expected = np.zeros((4, 5), np.float32)
    expected[0:2, 0:3] = 0.5
    expected[1:4, 1:4] = np.maximum(expected[1:4, 1:4], 0.25)
    np.testing.assert_array_equal(canvas, expected)


def test_pool_is_adaptive_max_pooling():
    full = np.zeros((32, 32), np.float32)
    full[9, 30] = 0.7  # 16x16 cell (4, 15); 4x4 cell (1, 3)
    maps = pool(full)
    assert maps["1x1"].shape == () and float(maps["1x1"]) == pytest.approx(0.7)
    assert np.argwhere(maps["4x4"]).tolist() == [[1, 3]]
    assert np.argwhere(maps["16x16"]).tolist() == [[4, 15]]


def test_detect_finds_the_box_and_drops_small_blobs():
    frame = np.full((20, 20), 0.3, np.float32)
    frame[5:9, 10:13] = 0.9  # a 4 x 3 object
    frame[15, 2] = 0.9  # a single noisy pixel: removed by the 2x2 opening
    objects = detect(frame, np.full_like(frame, 0.3), ProposalConfig())
    assert [o.box for o in objects] == [(10, 5, 12, 8)]
    assert objects[0].size == (3, 4) and objects[0].centroid == pytest.approx((6.5, 11.0))


def test_tracking_gives_velocities():
    per_frame = propose(_moving_square())
    assert [len(objects) for objects in per_frame] == [1] * 6
    assert {o.velocity for objects in per_frame for o in objects} == {(0.0, 2.0)}


def test_motion_teacher_is_a_knn_distance():
    train = np.array([[0.0, 0, 4, 4], [2.0, 0, 4, 4], [4.0, 0, 6, 6]])
    teacher = MotionTeacher(k=1).fit(train)
    std = train.std(0) + 1e-6
    query = np.array([[10.0, 0, 6, 6]])
    assert teacher.score(query)[0] == pytest.approx(np.linalg.norm((query[0] - train[2]) / std))
    assert teacher.score(train).tolist() == [0.0, 0.0, 0.0]


def test_appearance_teacher_reconstructs_its_span():
    rng = np.random.default_rng(0)
    train = rng.normal(size=(20, 3)) @ rng.normal(size=(3, 144))  # rank 3 < 8 components
    teacher = AppearanceTeacher().fit(train)
    assert teacher.score(train).max() < 1e-20
    assert teacher.score(rng.normal(size=(1, 144)))[0] > 0.5


def test_cross_fitting_scores_each_fold_with_the_others(monkeypatch):
    seen = []

    def scores(kind, fit_on, videos):
        seen.append(([v.name for v in fit_on], [v.name for v in videos]))
        return [np.zeros(0) for _ in videos]

    monkeypatch.setattr(build, "_scores", scores)
    train = [build._Objects(f"v{i}", (4, 4), ["0"], [[]], {}) for i in range(4)]
    build.object_scores("motion", train, [build._Objects("test", (4, 4), ["0"], [[]], {})], 2)
    assert seen == [(["v1", "v3"], ["v0", "v2"]), (["v0", "v2"], ["v1", "v3"]),
                    (["v0", "v1", "v2", "v3"], ["test"])]  # fmt: skip


def test_written_maps_are_read_by_the_loader(tmp_path):
    """Normal squares for training, a fast square at test time: the motion teacher scores the
    test object above every training one, and the loader reads what was written."""
    import cv2

    train = [(f"tr{i}", _moving_square(start=2 + i, speed=1), [str(t) for t in range(6)])
             for i in range(3)]  # fmt: skip
    test = [("te", _moving_square(speed=4), [str(t) for t in range(6)])]
    roots = {"motion": tmp_path / "motion", "appearance": tmp_path / "appearance"}
    scores = build.build_teacher_maps(train, test, roots, folds=3)
    assert scores["motion"]["te"].min() == 1.0  # clipped at 1 after the 99th-percentile scale
    assert max(s.max() for n, s in scores["motion"].items() if n != "te") <= 1.0
    for name, frames, _ in [*train, *test]:
        folder = tmp_path / "frames" / name
        folder.mkdir(parents=True)
        for t, frame in enumerate(frames):
            cv2.imwrite(str(folder / f"{t}.png"), frame)
    data = TeacherMapDataset(MapLayout(tmp_path / "frames", roots), (32, 32))
    sample = data[data.videos.index("te") * 6 + 2]
    assert float(sample["teacher_1x1"][0]) == pytest.approx(scores["motion"]["te"][2])
    assert float(sample["teacher_16x16"][0].max()) == pytest.approx(scores["motion"]["te"][2])


def test_make_teacher_maps_writes_what_the_paper_configs_read(tmp_path, capsys):
    """The command on frame folders (zero-padded names) -> maps the loader pairs by name."""
    import cv2
    from vad_distill.make_teacher_maps import main

    for split, speeds in (("train", (1, 1, 1)), ("test", (4,))):
        for v, speed in enumerate(speeds):
            folder = tmp_path / split / "frames" / f"{v + 1:02d}"
            folder.mkdir(parents=True)
            for t, frame in enumerate(_moving_square(start=2 + v, speed=speed)):
                cv2.imwrite(str(folder / f"{t:03d}.png"), frame)
    args = ["--train", str(tmp_path / "train/frames"), "--test", str(tmp_path / "test/frames"),
            "--out", str(tmp_path / "maps")]  # fmt: skip
    assert main(args) == 0
    assert (tmp_path / "maps/test/motion/01/16x16/005.npy").is_file()
    assert not (tmp_path / "maps/test/motion/02").exists()  # training videos stay in train/
    for split in ("train", "test"):
        roots = {k: tmp_path / "maps" / split / k for k in ("motion", "appearance")}
        data = TeacherMapDataset(MapLayout(tmp_path / split / "frames", roots), (32, 32))
        assert len(data) == (18 if split == "train" else 6)
    assert main([*args[:1], str(tmp_path / "missing"), *args[2:]]) == 2
    assert "missing" in capsys.readouterr().err
