"""DFB-Synth's build: split hygiene, caching by config hash, no silent overwrite."""

import pytest
from deepfake_bench.data.image_folders import read_manifest
from deepfake_bench.synth.build import SynthImageConfig, build, cache_folder

from shared.errors import ConfigError

TINY = dict(
    generators=("upsample_nn", "pca_gauss", "conv_ae"),
    generator_args={"pca_gauss": {"n_components": 4}, "conv_ae": {"steps": 1, "width": 8}},
    n_real=(12, 4, 8),
    n_fake=(6, 2, 8),
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    return root, build(SynthImageConfig(**TINY), str(root), log=lambda _: None)


def test_manifest_holds_every_split_and_generator(built):
    _, folder = built
    records = read_manifest(folder)
    counts = {}
    for r in records:
        counts[r.split, r.generator] = counts.get((r.split, r.generator), 0) + 1
        assert r.path.is_file()
    assert counts[("train", "real")] == 12 and counts[("test", "conv_ae")] == 8
    assert len(records) == 12 + 4 + 8 + 3 * (6 + 2 + 8)


def test_no_source_photo_in_both_train_and_test(built):
    records = read_manifest(built[1])
    photos = lambda split: {r.source_id for r in records if r.split == split} - {"-"}  # noqa: E731
    assert photos("test") and photos("train")
    assert photos("train").isdisjoint(photos("test"))
    assert photos("test") <= set(SynthImageConfig().test_sources)


def test_a_finished_build_is_reused_and_a_changed_config_builds_elsewhere(built):
    root, folder = built
    stamp = (folder / "manifest.csv").stat().st_mtime_ns
    assert build(SynthImageConfig(**TINY), str(root)) == folder
    assert (folder / "manifest.csv").stat().st_mtime_ns == stamp
    changed = SynthImageConfig(**{**TINY, "seed": 1})
    assert cache_folder(changed, str(root)) != folder


def test_an_unfinished_build_is_not_overwritten_silently(tmp_path, monkeypatch):
    config = SynthImageConfig(**{**TINY, "generators": ("upsample_nn",)})
    folder = cache_folder(config, str(tmp_path))
    folder.mkdir(parents=True)
    (folder / "partial.png").write_bytes(b"")
    with pytest.raises(ConfigError, match="OVERWRITE=1"):
        build(config, str(tmp_path))
    monkeypatch.setenv("OVERWRITE", "1")
    assert (build(config, str(tmp_path)) / "COMPLETE").is_file()
    assert not (folder / "partial.png").exists()
    # a complete build is reused even under OVERWRITE=1 (the flag of `make reproduce-<name>
    # OVERWRITE=1`, which replaces results, not a deterministic cache): no second build
    stamp = (folder / "COMPLETE").stat().st_mtime_ns
    assert build(config, str(tmp_path)) == folder
    assert (folder / "COMPLETE").stat().st_mtime_ns == stamp


def test_a_new_real_source_is_test_only_and_leaves_other_hashes_alone(tmp_path):
    from deepfake_bench.synth.build import NOVEL_SPLIT
    from deepfake_bench.synth.real_sources import GRAYSCALE_PHOTOS

    plain = SynthImageConfig(**{**TINY, "generators": ("upsample_nn",)})
    novel = SynthImageConfig(**{**TINY, "generators": ("upsample_nn",),
                                "novel_real_sources": ("camera", "coins"), "n_novel_real": 6})  # fmt: skip
    assert plain.digest() == SynthImageConfig(**{**TINY, "generators": ("upsample_nn",)}).digest()
    assert novel.digest() != plain.digest()
    records = read_manifest(build(novel, str(tmp_path), log=lambda _: None))
    extra = [r for r in records if r.split == NOVEL_SPLIT]
    assert len(extra) == 6 and {r.label for r in extra} == {0}
    assert {r.source_id for r in extra} <= {"camera", "coins"} <= set(GRAYSCALE_PHOTOS)
    with pytest.raises(ConfigError, match="novel_real_sources"):
        SynthImageConfig(novel_real_sources=("astronaut",))
