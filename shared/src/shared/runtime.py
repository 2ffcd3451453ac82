"""Seeding, threads and the accelerator/precision choice, decided in one place."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

THREADS_ENV = "REPRO_THREADS"


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy and torch (all devices) and ask torch for deterministic kernels.

    ``warn_only`` keeps ops without a deterministic CUDA kernel usable (they warn instead of
    failing), which is what a reproduction on an arbitrary GPU needs.
    """
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op thread count and return it.

    Order: the argument, then ``REPRO_THREADS``, then 1 under ``CI=true`` (two threads per
    process on a busy 2-core box can be 20x slower than one), else torch's own default.
    """
    if threads is None and (env := os.environ.get(THREADS_ENV)):
        threads = int(env)
    if threads is None and os.environ.get("CI", "").lower() == "true":
        threads = 1
    if threads is not None:
        if threads < 1:
            raise ValueError(f"{THREADS_ENV}/threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def accelerator() -> str:
    """``"gpu"`` when CUDA is available, else ``"cpu"``."""
    return "gpu" if torch.cuda.is_available() else "cpu"


def precision() -> str:
    """bf16 mixed precision on a GPU that supports it, full 32-bit precision otherwise."""
    if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return "bf16-mixed"
    return "32-true"
