"""What the benchmark and the GPU check time: the student's forward on pre-built frames."""

from __future__ import annotations

from collections.abc import Callable

import torch

from vad_distill.model import Student, preset


def student_call(
    preset_name: str, batch: int, device: str = "cpu", dtype: torch.dtype | None = None
) -> Callable[[], tuple[torch.Tensor, ...]]:
    """A seeded student in eval mode and a (batch, 9, H, W) input; the call runs the forward
    (under bf16 autocast when ``dtype`` is bfloat16)."""
    config = preset(preset_name)
    torch.manual_seed(0)
    model = Student(config).to(device).eval()
    x = torch.randn(batch, config.in_channels, *config.image_size, device=device)

    def call() -> tuple[torch.Tensor, ...]:
        if dtype is None:
            return model(x)
        with torch.autocast(device, dtype=dtype):
            return model(x)

    return call
