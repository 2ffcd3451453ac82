"""The bench declarations (timings themselves belong to `make bench`)."""

from deepfake_bench import bench
from deepfake_bench.registry import DETECTORS, GENERATORS


def test_every_image_detector_generator_and_original_is_declared():
    names = [b.name for b in bench.benchmarks()]
    lite = [n for n in DETECTORS if DETECTORS.entry(n).metadata["modality"] == "image"]
    assert len(names) == len(set(names)) == len(lite) - 1 + len(bench.FULL_SIZE) + len(GENERATORS)
    assert "cnndet_lite original scoring (batch 8, 224 px)" in names


def test_a_detector_and_a_generator_declaration_run():
    declarations = {b.name: b for b in bench.benchmarks()}
    declarations["spectrum_lr scoring (batch 64, 32 px)"].work()()
    declarations["upsample_nn sampling (64 patches, build settings)"].work()()
