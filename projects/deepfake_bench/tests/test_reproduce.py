"""The reproduction is not built yet: the module says so in one line and exits with status 2."""

import subprocess
import sys

import pytest


@pytest.mark.slow
def test_reproduce_says_it_is_not_built_and_exits_2():
    done = subprocess.run([sys.executable, "-m", "deepfake_bench.reproduce"], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and "not built yet (issue 15)" in lines[0] and "train.py" in lines[0]
