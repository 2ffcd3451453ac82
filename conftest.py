"""Test-session settings: one intra-op thread, and runs/results written to a temporary folder."""

import os
import tempfile

from shared.runtime import configure_threads

os.environ.setdefault("REPRO_THREADS", "1")
os.environ.setdefault("PYTHONUNBUFFERED", "1")
configure_threads(1)

_scratch = tempfile.mkdtemp(prefix="repro-tests-")
os.environ.setdefault("RUNS_ROOT", os.path.join(_scratch, "runs"))
os.environ.setdefault("RESULTS_ROOT", os.path.join(_scratch, "results"))
