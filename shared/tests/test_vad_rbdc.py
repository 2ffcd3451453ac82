"""RBDC/TBDC on the cases of vad_distill.md (numbers from the official function)."""

import numpy as np
import pytest

from shared.vad.rbdc import Detection, Track, detection_curves, iou, regions_from_map


def _tracks():
    return [
        Track("01", {f: (50 + 2 * (f - 10), 50, 80 + 2 * (f - 10), 100) for f in range(10, 20)}),
        Track("01", dict.fromkeys(range(30, 35), (200, 40, 230, 90))),
        Track("02", dict.fromkeys(range(5, 15), (10, 10, 40, 60))),
        Track("02", dict.fromkeys(range(7, 9), (30, 30, 60, 80))),
    ]


def _base_detections():
    detections = [
        Detection("01", f, (55 + 2 * (f - 10), 55, 85 + 2 * (f - 10), 105), score)
        for f, score in zip(range(10, 15), (0.95, 0.94, 0.93, 0.92, 0.91), strict=True)
    ]
    return [
        *detections,
        Detection("01", 10, (52, 52, 82, 102), 0.905),
        Detection("01", 31, (225, 85, 300, 150), 0.90),
        Detection("02", 7, (0, 0, 100, 100), 0.89),
        Detection("01", 50, (100, 100, 140, 160), 0.88),
        Detection("02", 12, (10, 10, 40, 60), 0.87),
        Detection("01", 32, (200, 40, 230, 90), 0.30),
    ]


def test_iou_convention():
    assert iou((0, 0, 9, 9), (0, 0, 9, 9)) == 1.0
    assert iou((0, 0, 9, 9), (5, 0, 14, 9)) == pytest.approx(1 / 3)
    assert iou((0, 0, 9, 9), (9, 0, 18, 9)) == pytest.approx(10 / 190)
    assert iou((0, 0, 9, 9), (20, 20, 29, 29)) == 0.0


def test_perfect_detections():
    tracks = _tracks()
    detections = [Detection(t.video, f, box, 1.0) for t in tracks for f, box in t.boxes.items()]
    curves = detection_curves(tracks, detections, 160)
    assert curves.rbdc == pytest.approx(1.0) and curves.tbdc == pytest.approx(1.0)


def test_few_false_positives():
    extra = [
        Detection("01", 60 + j, (300, 300, 330, 350), 0.86 - 0.55 * (j + 1) / 4) for j in range(3)
    ]
    curves = detection_curves(_tracks(), _base_detections() + extra, 160)
    assert curves.rbdc == pytest.approx(0.33125, abs=1e-9)
    assert curves.tbdc == pytest.approx(0.9890625, abs=1e-9)


def test_many_false_positives_truncate_at_fpr_one():
    extra = [
        Detection("01", 60 + (j % 30), (300, 300, 330, 350), 0.86 - 0.55 * (j + 1) / 201)
        for j in range(200)
    ]
    curves = detection_curves(_tracks(), _base_detections() + extra, 160)
    assert curves.rbdc == pytest.approx(0.2953703704, abs=1e-9)
    assert curves.tbdc == pytest.approx(0.746875, abs=1e-9)
    assert curves.fpr[-1] == 1.0


def test_regions_from_map():
    anomaly_map = np.zeros((10, 12))
    anomaly_map[2:4, 3:6] = 0.9
    anomaly_map[7, 10] = 0.5
    detections = regions_from_map(anomaly_map, [0.8, 0.4], "v", 3)
    assert Detection("v", 3, (3, 2, 5, 3), 0.9) in detections
    assert Detection("v", 3, (10, 7, 10, 7), 0.5) in detections
    assert len(detections) == 2  # the big region found at both levels counts once


def test_track_and_detection_text_files(tmp_path):
    from shared.vad.tracks_io import read_detections_txt, read_tracks_txt

    (tmp_path / "t.txt").write_text("1,10,0,0,9,9\n0,5,1,2,3,4\n1,11,1,1,10,10\n")
    tracks = read_tracks_txt(tmp_path / "t.txt", "01")
    assert [t.boxes for t in tracks] == [{5: (1, 2, 3, 4)}, {10: (0, 0, 9, 9), 11: (1, 1, 10, 10)}]
    (tmp_path / "d.txt").write_text("10,0,0,9,9,0.5\n")
    assert read_detections_txt(tmp_path / "d.txt", "01") == [Detection("01", 10, (0, 0, 9, 9), 0.5)]


def test_pickled_tracks_load_without_running_code(tmp_path, monkeypatch):
    import pickle
    import sys
    import types

    from shared.data.errors import DatasetFormatError
    from shared.vad.tracks_io import read_tracks_pkl

    module = types.ModuleType("authors_tracking")  # stands in for the authors' code, absent here
    module.Track = type("Track", (), {"__module__": "authors_tracking"})
    track = module.Track()
    track.bboxes = {3: np.array([1, 2, 3, 4])}
    track.video_name = "01"
    monkeypatch.setitem(sys.modules, "authors_tracking", module)
    (tmp_path / "01.pkl").write_bytes(pickle.dumps([track]))
    monkeypatch.delitem(sys.modules, "authors_tracking")
    assert read_tracks_pkl(tmp_path / "01.pkl", "01")[0].boxes == {3: (1, 2, 3, 4)}
    (tmp_path / "bad.pkl").write_bytes(pickle.dumps([print]))
    with pytest.raises(DatasetFormatError, match="refusing"):
        read_tracks_pkl(tmp_path / "bad.pkl", "01")
