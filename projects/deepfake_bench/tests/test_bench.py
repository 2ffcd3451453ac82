"""The bench declarations (timings themselves belong to `make bench`)."""

from deepfake_bench import bench
from deepfake_bench.registry import DETECTORS, GENERATORS, SPOOFERS


def of(modality: str) -> list[str]:
    return [n for n in DETECTORS if DETECTORS.entry(n).metadata["modality"] == modality]


def test_every_detector_generator_spoofer_and_original_is_declared():
    names = [b.name for b in bench.benchmarks()]
    image = len(of("image")) - 1 + len(bench.FULL_SIZE) + len(GENERATORS)
    speech = 1 + len(SPOOFERS)
    audio = 2 * len(of("audio")) - 1 + 2 * len(of("audio_visual"))  # lfcc_gmm trains by EM
    assert len(names) == len(set(names)) == image + speech + audio + len(bench.SMOKE_TIER)
    assert "cnndet_lite original scoring (batch 8, 224 px)" in names
    assert "S04 lpc_noise spoofing (8 utterances)" in names
    assert "mrdf_lite training step (16 clips)" in names


def test_a_detector_and_a_generator_declaration_run():
    declarations = {b.name: b for b in bench.benchmarks()}
    declarations["spectrum_lr scoring (batch 64, 32 px)"].work()()
    declarations["upsample_nn sampling (64 patches, build settings)"].work()()


def test_an_audio_and_an_audio_visual_training_step_run():
    declarations = {b.name: b for b in bench.benchmarks()}
    for name in ("lfcc_lcnn training step (32 1-s crops)", "sync_lite training step (16 clips)"):
        declarations[name].work()()
