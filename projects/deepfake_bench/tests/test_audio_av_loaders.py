"""ASVspoof 2019/2021, score files, FLAC reading, FakeAVCeleb v1.2 and MAVOS-DD on tiny fixtures
written in their official on-disk formats; bad input is a clear error naming the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from deepfake_bench.data.asvspoof import (
    read_asvspoof2019_la,
    read_asvspoof2019_protocol,
    read_asvspoof2021,
    read_audio,
)
from deepfake_bench.data.fakeavceleb import read_fakeavceleb, write_fakeavceleb_metadata
from deepfake_bench.data.mavos_dd import read_mavos_dd
from deepfake_bench.data.videos import read_video
from deepfake_bench.metrics import auc
from deepfake_bench.registry import DATASETS
from deepfake_bench.score_files import (
    read_asvspoof_scores,
    read_scores_against_key,
    write_asvspoof_scores,
)

from shared.data.errors import DatasetFormatError, DatasetNotFoundError
from shared.errors import ConfigError

# 16-bit-exact samples (multiples of 1/32768), so a FLAC round trip is lossless
RAMP = np.arange(-800, 800, dtype=np.float32) * 2 / 32768


def write_audio(path: Path, samples: np.ndarray = RAMP, rate: int = 16000) -> Path:
    """16-bit FLAC (or WAV, by the extension) with soundfile."""
    import soundfile

    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), samples, rate, subtype="PCM_16")
    return path


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


# -- ASVspoof 2019 LA ------------------------------------------------------------------------

PROTOCOL_2019 = ["LA_0079 LA_T_1138215 - - bonafide", "LA_0079 LA_T_1272637 - A01 spoof"]
PROTOCOL_FILES = {"train": "train.trn", "dev": "dev.trl", "eval": "eval.trl"}


def write_asvspoof2019(root: Path, partition: str = "train", lines: list[str] = PROTOCOL_2019
                       ) -> Path:  # fmt: skip
    name = f"ASVspoof2019.LA.cm.{PROTOCOL_FILES[partition]}.txt"
    write_lines(root / "ASVspoof2019_LA_cm_protocols" / name, lines)
    for line in lines:
        write_audio(root / f"ASVspoof2019_LA_{partition}" / "flac" / f"{line.split()[1]}.flac")
    return root


@pytest.mark.parametrize(
    ("partition", "split"), [("train", "train"), ("dev", "val"), ("eval", "test")]
)
def test_asvspoof2019_reads_protocol_labels_attacks_and_audio(partition, split, tmp_path):
    root = write_asvspoof2019(tmp_path, partition)
    records = read_asvspoof2019_la(root, split)
    assert [(r.speaker, r.utterance, r.attack, r.label) for r in records] == [
        ("LA_0079", "LA_T_1138215", None, 0), ("LA_0079", "LA_T_1272637", "A01", 1),
    ]  # fmt: skip
    flac = root / f"ASVspoof2019_LA_{partition}" / "flac"
    assert [r.path for r in records] == [flac / "LA_T_1138215.flac", flac / "LA_T_1272637.flac"]
    audio = read_audio(records[1].path, expected_rate=16000)  # 0.1 s at 16 kHz
    assert audio.dtype == np.float32 and audio.shape == (1600,)


def test_asvspoof2019_generic_form_reads_our_own_tree(tmp_path):
    protocol = write_lines(tmp_path / "dfb" / "protocol.txt", ["spk1 utt_a - tts_griffin spoof"])
    write_audio(tmp_path / "dfb" / "wav" / "utt_a.wav")
    (record,) = read_asvspoof2019_protocol(protocol, tmp_path / "dfb" / "wav", extension=".wav")
    assert (record.attack, record.label, record.path.name) == ("tts_griffin", 1, "utt_a.wav")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("LA_0079 LA_T_1272637 A01 spoof", r"4 fields on line 2"),
        ("LA_0079 LA_T_1272637 - A01 genuine", r"key 'genuine' on line 2"),
    ],
)
def test_asvspoof2019_bad_line_names_file_and_line(line, message, tmp_path):
    root = write_asvspoof2019(tmp_path, "eval", [PROTOCOL_2019[0]])
    write_lines(root / "ASVspoof2019_LA_cm_protocols" / "ASVspoof2019.LA.cm.eval.trl.txt",
                [PROTOCOL_2019[0], line])  # fmt: skip
    with pytest.raises(DatasetFormatError, match=rf"eval\.trl\.txt: found {message}"):
        read_asvspoof2019_la(root, "eval")


def test_asvspoof2019_missing_audio_is_one_error_with_count_and_first(tmp_path):
    root = write_asvspoof2019(tmp_path, "dev", PROTOCOL_2019[:1])
    extra = [f"LA_0080 LA_D_{i} - A02 spoof" for i in range(4)]
    protocol = root / "ASVspoof2019_LA_cm_protocols" / "ASVspoof2019.LA.cm.dev.trl.txt"
    write_lines(protocol, PROTOCOL_2019[:1] + extra)
    with pytest.raises(DatasetFormatError, match=r"dev\.trl\.txt: found 4 of the 5 files .*LA_D_0"):
        read_asvspoof2019_la(root, "dev")
    assert len(read_asvspoof2019_la(root, "dev", check_audio=False)) == 5


def test_asvspoof2019_missing_root_and_unknown_split(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=r"datashare\.ed\.ac\.uk/handle/10283/3336"):
        read_asvspoof2019_la(tmp_path / "LA")
    with pytest.raises(ConfigError, match="'progress'"):
        read_asvspoof2019_la(tmp_path, "progress")


# -- ASVspoof 2021 LA / DF keys ----------------------------------------------------------------

DF_KEYS = [
    "LA_0043 DF_E_2000026 mp3m4a asvspoof A09 spoof notrim eval traditional_vocoder - - - -",
    "LA_0044 DF_E_2000027 nocodec vcc2020 - bonafide notrim progress - - - - -",
]
LA_KEYS = ["LA_0009 LA_E_9332881 alaw ita_tx A07 spoof notrim eval"]


def write_asvspoof2021(root: Path, track: str, lines: list[str], audio: bool = True) -> Path:
    write_lines(root / "keys" / track / "CM" / "trial_metadata.txt", lines)
    for line in lines if audio else []:
        write_audio(root / f"ASVspoof2021_{track}_eval" / "flac" / f"{line.split()[1]}.flac")
    return root


def test_asvspoof2021_df_key_line_fields(tmp_path):
    records = read_asvspoof2021(write_asvspoof2021(tmp_path, "DF", DF_KEYS), "DF")
    spoof, bona = records
    assert (spoof.label, spoof.attack, spoof.codec, spoof.transmission, spoof.vocoder) == (
        1, "A09", "mp3m4a", "asvspoof", "traditional_vocoder",
    )  # fmt: skip
    assert (spoof.speaker, spoof.trim, spoof.subset) == ("LA_0043", "notrim", "eval")
    assert (bona.label, bona.attack, bona.vocoder, bona.subset) == (0, None, None, "progress")
    assert spoof.path == tmp_path / "ASVspoof2021_DF_eval" / "flac" / "DF_E_2000026.flac"
    assert [r.utterance for r in read_asvspoof2021(tmp_path, "DF", "progress")] == ["DF_E_2000027"]
    with pytest.raises(ConfigError, match=r"\['eval', 'progress'\]"):
        read_asvspoof2021(tmp_path, "DF", "hidden_track")


def test_asvspoof2021_la_keys_only_and_errors(tmp_path):
    root = write_asvspoof2021(tmp_path, "LA", LA_KEYS, audio=False)
    (record,) = read_asvspoof2021(root, "LA", check_audio=False)
    assert (record.label, record.attack, record.codec, record.vocoder) == (1, "A07", "alaw", None)
    with pytest.raises(DatasetFormatError, match=r"trial_metadata\.txt: found 1 of the 1 files"):
        read_asvspoof2021(root, "LA")
    write_lines(root / "keys" / "LA" / "CM" / "trial_metadata.txt",
                [*LA_KEYS, "LA_0009 LA_E_1 alaw ita_tx A07 spoof notrim"])  # fmt: skip
    with pytest.raises(DatasetFormatError, match=r"trial_metadata\.txt: found 7 fields on line 2"):
        read_asvspoof2021(root, "LA", check_audio=False)
    with pytest.raises(DatasetNotFoundError, match=r"DF keys .*asvspoof\.org"):
        read_asvspoof2021(root, "DF")
    with pytest.raises(ConfigError, match="'PA'"):
        read_asvspoof2021(root, "PA")


# -- score files -------------------------------------------------------------------------------

FAKE_A, REAL_A = [0.9, 0.8, 0.7, 0.3], [0.6, 0.4, 0.2, 0.1]  # spec fixture A: AUC 14/16


def key_a() -> tuple[list[str], dict[str, int], np.ndarray]:
    utterances = [f"u{i}" for i in range(8)]
    return (
        utterances,
        dict(zip(utterances, [1] * 4 + [0] * 4, strict=True)),
        np.array(FAKE_A + REAL_A),
    )


def test_score_file_round_trip_is_exact_and_asvspoof_signed(tmp_path):
    scores = np.array([0.1, -1 / 3, 2.5e-17, 7.0])
    path = write_asvspoof_scores(tmp_path / "scores.txt", ["a", "b", "c", "d"], scores)
    assert path.read_text().splitlines()[:2] == ["a -0.1", "b 0.3333333333333333"]
    utterances, back = read_asvspoof_scores(path)
    assert utterances == ["a", "b", "c", "d"] and np.array_equal(back, scores)


def test_score_file_against_key_keeps_our_convention(tmp_path):
    utterances, labels, scores = key_a()
    path = write_asvspoof_scores(tmp_path / "ours.txt", utterances, scores)
    truth, back = read_scores_against_key(path, labels)
    assert truth.tolist() == [1, 1, 1, 1, 0, 0, 0, 0] and np.array_equal(back, scores)
    assert auc(truth, back) == 14 / 16


def test_score_file_in_the_opposite_convention_is_refused(tmp_path):
    utterances, labels, scores = key_a()
    # high = spoof written as it is: the reader's negation ranks bona fide as the faker
    path = write_lines(
        tmp_path / "flipped.txt", [f"{u} {s}" for u, s in zip(utterances, scores, strict=True)]
    )
    with pytest.raises(DatasetFormatError, match=r"flipped\.txt: .*AUC 0\.1250, EER 0\.7500; .*"
                                                 r"AUC 0\.8750, EER 0\.2500, .*opposite"):  # fmt: skip
        read_scores_against_key(path, labels)
    _, back = read_scores_against_key(path, labels, check_sign=False)
    assert np.array_equal(back, -scores)


def test_score_file_with_an_utterance_outside_the_key(tmp_path):
    utterances, labels, scores = key_a()
    path = write_asvspoof_scores(tmp_path / "s.txt", [*utterances, "zz"], np.append(scores, 0.5))
    with pytest.raises(DatasetFormatError, match=r"s\.txt: found 1 utterances not in .*'zz'"):
        read_scores_against_key(path, labels)


# -- audio reading -----------------------------------------------------------------------------


def test_read_audio_mixes_to_mono_float32(tmp_path):
    stereo = np.stack([RAMP, 2 * RAMP], axis=1)  # mean 1.5 * RAMP, still 16-bit exact
    audio = read_audio(write_audio(tmp_path / "stereo.flac", stereo))
    assert audio.dtype == np.float32 and np.array_equal(audio, 1.5 * RAMP)


def test_truncated_or_resampled_audio_names_the_file(tmp_path):
    noise = np.round(np.random.default_rng(0).standard_normal(16000) * 3000) / 32768
    data = write_audio(tmp_path / "full.flac", noise).read_bytes()
    (tmp_path / "cut.flac").write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetFormatError, match=r"cut\.flac: found no decodable audio"):
        read_audio(tmp_path / "cut.flac")
    with pytest.raises(DatasetFormatError, match=r"slow\.flac: found a sample rate of 8000 Hz"):
        read_audio(write_audio(tmp_path / "slow.flac", RAMP, 8000))


# -- FakeAVCeleb v1.2 --------------------------------------------------------------------------

HEADER_9 = "source,target1,target2,method,category,type,race,gender,path"
ROWS = [  # (the 8 attributes, the file name)
    ("id00076,-,-,real,A,RealVideo-RealAudio,African,men", "00109.mp4"),
    ("id00076,id00166,-,faceswap,C,FakeVideo-RealAudio,African,men", "00109_10.mp4"),
    ("id00076,-,-,rtvc,B,RealVideo-FakeAudio,African,men", "00109_fake.mp4"),
    ("id00001,id00076,-,fsgan-wav2lip,D,FakeVideo-FakeAudio,Asian (East),women", "00025_1.mp4"),
]


def folder(attributes: str) -> str:
    f = attributes.split(",")
    return f"FakeAVCeleb/{f[5]}/{f[6]}/{f[7]}/{f[0]}"


def write_fakeavceleb(root: Path, writers, header: str = HEADER_9, rows: list[str] | None = None
                      ) -> Path:  # fmt: skip
    rows = rows if rows is not None else [f"{a},{n},{folder(a)}" for a, n in ROWS]
    write_lines(root / "meta_data.csv", [header, *rows])
    for attributes, name in ROWS:
        writers["mp4"](root.joinpath(*folder(attributes).split("/")[1:], name), frames=2)
    return root


@pytest.mark.parametrize(
    "header",
    [HEADER_9, f"{HEADER_9},", HEADER_9.replace(",path", ",filename,path")],
    ids=["9 names", "trailing comma", "filename,path"],
)
def test_fakeavceleb_headers_paths_and_labels(header, fixture_writers, tmp_path):
    records = read_fakeavceleb(write_fakeavceleb(tmp_path, fixture_writers, header))
    assert [r.source for r in records] == [
        tmp_path / "RealVideo-RealAudio" / "African" / "men" / "id00076" / "00109.mp4",
        tmp_path / "FakeVideo-RealAudio" / "African" / "men" / "id00076" / "00109_10.mp4",
        tmp_path / "RealVideo-FakeAudio" / "African" / "men" / "id00076" / "00109_fake.mp4",
        tmp_path / "FakeVideo-FakeAudio" / "Asian (East)" / "women" / "id00001" / "00025_1.mp4",
    ]
    assert [(r.video_label, r.audio_label, r.label, r.four_way) for r in records] == [
        (0, 0, 0, 0), (1, 0, 1, 1), (0, 1, 1, 2), (1, 1, 1, 3),
    ]  # fmt: skip
    assert (records[1].identity, records[1].target1, records[1].method) == (
        "id00076", "id00166", "faceswap",
    )  # fmt: skip
    assert read_video(records[0], n_frames=2).shape == (2, 16, 16, 3)


def test_fakeavceleb_nine_field_rows_give_the_same_records(fixture_writers, tmp_path):
    ten = read_fakeavceleb(write_fakeavceleb(tmp_path / "ten", fixture_writers))
    nine = read_fakeavceleb(write_fakeavceleb(
        tmp_path / "nine", fixture_writers, rows=[f"{a},{n}" for a, n in ROWS]
    ))  # fmt: skip
    assert [r.name for r in nine] == [r.name for r in ten]
    assert nine[3].name == "FakeVideo-FakeAudio/Asian (East)/women/id00001/00025_1.mp4"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (f"{ROWS[0][0]},00109.mp4,{folder(ROWS[0][0])},extra", "11 fields on line 3"),
        ("id00076,-,-,real,A,RealVideo-RealAudio,African,00109.mp4", "8 fields on line 3"),
        (f"{ROWS[0][0].replace('RealVideo-RealAudio', 'RealVideo-NoAudio')},x.mp4",
         "type 'RealVideo-NoAudio' on line 3"),
        (f"{ROWS[1][0].replace('faceswap', 'simswap')},x.mp4", "method 'simswap' on line 3"),
        (f"{ROWS[1][0].replace(',C,', ',B,')},x.mp4", "category 'B' on line 3"),
        (f"{ROWS[0][0]},00109.mp4,FakeAVCeleb/RealVideo-RealAudio/African/women/id00076",
         "folder .* on line 3"),
    ],
    ids=["11 fields", "8 fields", "type", "method", "category", "folder"],
)  # fmt: skip
def test_fakeavceleb_bad_row_names_file_and_line(row, message, fixture_writers, tmp_path):
    rows = [f"{ROWS[0][0]},{ROWS[0][1]},{folder(ROWS[0][0])}", row]
    write_fakeavceleb(tmp_path, fixture_writers, rows=rows)
    with pytest.raises(DatasetFormatError, match=rf"meta_data\.csv: found {message}"):
        read_fakeavceleb(tmp_path)


def test_fakeavceleb_bad_header_missing_videos_and_root(fixture_writers, tmp_path):
    root = write_fakeavceleb(tmp_path, fixture_writers, header="source,method,path")
    with pytest.raises(DatasetFormatError, match=r"meta_data\.csv: found header .* on line 1"):
        read_fakeavceleb(root)
    write_fakeavceleb(root, fixture_writers)
    (root / "RealVideo-FakeAudio" / "African" / "men" / "id00076" / "00109_fake.mp4").unlink()
    with pytest.raises(DatasetFormatError, match=r"found 1 of the 4 files .*00109_fake\.mp4"):
        read_fakeavceleb(root)
    assert len(read_fakeavceleb(root, check_videos=False)) == 4
    with pytest.raises(DatasetNotFoundError, match=r"github\.com/DASH-Lab/FakeAVCeleb"):
        read_fakeavceleb(tmp_path / "nowhere")


def test_fakeavceleb_writer_round_trips_in_the_ten_field_form(fixture_writers, tmp_path):
    records = read_fakeavceleb(write_fakeavceleb(tmp_path / "a", fixture_writers, f"{HEADER_9},"))
    path = write_fakeavceleb_metadata(tmp_path / "a", records)
    assert path.read_text().splitlines()[:2] == [
        HEADER_9,
        "id00076,-,-,real,A,RealVideo-RealAudio,African,men,00109.mp4,"
        "FakeAVCeleb/RealVideo-RealAudio/African/men/id00076",
    ]
    assert read_fakeavceleb(tmp_path / "a") == records


# -- MAVOS-DD ----------------------------------------------------------------------------------

MAVOS_ROWS = [  # video_path, label, split, language, generator, open model, open language
    ("english/real/t.mp4", "real", "train", "english", "real", False, False),
    ("romanian/memo/v.mp4", "fake", "validation", "romanian", "memo", False, False),
    ("english/real/c.mp4", "real", "test", "english", "real", False, False),
    ("arabic/sonic/m.mp4", "fake", "test", "arabic", "sonic", True, False),
    ("german/real/l.mp4", "real", "test", "german", "real", False, True),
    ("hindi/roop/b.mp4", "fake", "test", "hindi", "roop", True, True),
]
MAVOS_COLUMNS = ("video_path", "label", "split", "language", "generative_method",
                 "open_set_model", "open_set_language")  # fmt: skip


def write_mavos_dd(root: Path, writers, drop: tuple[str, ...] = (), rows=MAVOS_ROWS) -> Path:
    import datasets

    table = {c: [row[i] for row in rows] for i, c in enumerate(MAVOS_COLUMNS) if c not in drop}
    datasets.Dataset.from_dict(table).save_to_disk(str(root))
    for row in rows:
        writers["mp4"](root / row[0], frames=2)
    return root


@pytest.mark.parametrize(
    ("split", "videos"),
    [
        ("train", ["t"]),
        ("validation", ["v"]),
        ("in_domain", ["c"]),
        ("open_set_model", ["c", "m"]),
        ("open_set_language", ["c", "l"]),
        ("open_set_full", ["c", "m", "l", "b"]),
    ],
)
def test_mavos_dd_open_set_splits(split, videos, fixture_writers, tmp_path):
    records = read_mavos_dd(write_mavos_dd(tmp_path / "mavos", fixture_writers), split)
    assert [r.source.stem for r in records] == videos
    if split == "open_set_full":
        assert [(r.label, r.language, r.generator) for r in records] == [
            (0, "english", "real"), (1, "arabic", "sonic"), (0, "german", "real"),
            (1, "hindi", "roop"),
        ]  # fmt: skip
        assert records[3].source == tmp_path / "mavos" / "hindi" / "roop" / "b.mp4"


def test_mavos_dd_missing_columns_bad_values_and_missing_data(fixture_writers, tmp_path):
    root = write_mavos_dd(tmp_path / "a", fixture_writers, drop=("language", "open_set_language"))
    with pytest.raises(DatasetFormatError, match="found no column language, open_set_language"):
        read_mavos_dd(root)
    as_text = [(*r[:5], str(r[5]), r[6]) for r in MAVOS_ROWS]
    with pytest.raises(DatasetFormatError, match="found non-boolean open_set_model"):
        read_mavos_dd(write_mavos_dd(tmp_path / "b", fixture_writers, rows=as_text))
    unknown = [*MAVOS_ROWS[:2], ("x.mp4", "spoof", "train", "english", "real", False, False)]
    with pytest.raises(DatasetFormatError, match="found label 'spoof' in row 2"):
        read_mavos_dd(write_mavos_dd(tmp_path / "c", fixture_writers, rows=unknown), "train")
    root = write_mavos_dd(tmp_path / "d", fixture_writers)
    (root / "hindi" / "roop" / "b.mp4").unlink()
    with pytest.raises(DatasetFormatError, match=r"found 1 of the 4 files .*b\.mp4"):
        read_mavos_dd(root)
    assert len(read_mavos_dd(root, "in_domain")) == 1  # only the listed split is checked
    with pytest.raises(DatasetNotFoundError, match=r"huggingface\.co/datasets/unibuc-cs/MAVOS-DD"):
        read_mavos_dd(tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="'test'"):
        read_mavos_dd(root, "test")
    import datasets

    datasets.DatasetDict({"test": datasets.load_from_disk(str(root))}).save_to_disk(tmp_path / "e")
    with pytest.raises(DatasetFormatError, match="found a DatasetDict"):
        read_mavos_dd(tmp_path / "e")


# -- the registry: every audio / audio-visual dataset reads its fixture by name ----------------

REGISTERED_FIXTURES = {  # name -> a writer of its fixture (tests/conftest.py has the others')
    "asvspoof2019_la": lambda root, writers: write_asvspoof2019(
        root, "eval", [*PROTOCOL_2019, "LA_0080 LA_E_0000001 - A07 spoof"]
    ),
    "asvspoof2021_la": lambda root, writers: write_asvspoof2021(root, "LA", DF_KEYS),
    "asvspoof2021_df": lambda root, writers: write_asvspoof2021(root, "DF", DF_KEYS),
    "fakeavceleb": write_fakeavceleb,
    "mavos_dd": write_mavos_dd,
}


def test_every_registered_dataset_has_a_fixture(dataset_fixture_names):
    assert set(DATASETS) == set(REGISTERED_FIXTURES) | dataset_fixture_names


@pytest.mark.parametrize("name", sorted(REGISTERED_FIXTURES))
def test_every_audio_and_av_dataset_reads_its_fixture_by_name(name, fixture_writers, tmp_path):
    entry = DATASETS.entry(name)
    assert entry.metadata["modality"] in ("audio", "audio_visual", "video")
    assert {"layout", "source", "splits"} <= set(entry.metadata)
    records = DATASETS.build(name, root=REGISTERED_FIXTURES[name](tmp_path, fixture_writers))
    assert {r.label for r in records} == {0, 1}
