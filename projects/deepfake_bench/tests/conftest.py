import numpy as np
import pytest
from deepfake_bench.synth.real_sources import SOURCES, sample_patches


@pytest.fixture(scope="session")
def real_patches() -> np.ndarray:
    """64 real 32 px patches from the training photos."""
    return sample_patches(SOURCES[:4], 64, np.random.default_rng(0))[0]
