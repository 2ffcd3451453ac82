"""`python -m fast_vad_mae.gpu_check`: one bf16 training step at paper resolution and the FPS
benchmark on CUDA, as JSON lines. Imports neither jsonargparse nor ``shared.cli``."""

from __future__ import annotations

import functools
import time

import torch

from fast_vad_mae.losses import teacher_loss
from fast_vad_mae.model import MaskedAutoencoderCvT, preset
from fast_vad_mae.timed_calls import inputs, teacher_call, teacher_student_call
from shared import gpucheck
from shared.vad.fps import measure_fps

PROJECT = "fast_vad_mae"
emit = functools.partial(gpucheck.emit, PROJECT)


def run_checks(
    device: str,
    card: str,
    preset_name: str = "avenue_p16",
    batches: tuple[int, ...] = (1, 32),
    warmup: int = 5,
    repeats: int = 20,
) -> list[dict]:
    """The bf16 step (largest batch) and frames/s of both timed calls per batch size."""
    torch.manual_seed(0)
    model = MaskedAutoencoderCvT(preset(preset_name)).to(device)
    size = "x".join(map(str, model.config.img_size))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.05)
    data = inputs(model, max(batches), device)
    start = time.perf_counter()
    with torch.autocast(device, dtype=torch.bfloat16):
        out = model(data["x"], 0.5)
    loss = teacher_loss(out.teacher.float(), data["y"], out.mask, data["g"], model.patch_size)
    loss.backward()
    optimizer.step()
    if device == "cuda":
        torch.cuda.synchronize()
    lines = [
        emit(
            f"train_step_bf16_b{max(batches)}_{size}",
            float(loss),
            "loss",
            f"finite={bool(torch.isfinite(loss))}; {time.perf_counter() - start:.2f} s; {card}",
        )
    ]
    model.eval()
    for batch in batches:
        data = inputs(model, batch, device)
        for name, make in (("teacher", teacher_call), ("teacher+student", teacher_student_call)):
            call = make(model, data)

            def bf16(_x: torch.Tensor, call=call) -> torch.Tensor:
                with torch.autocast(device, dtype=torch.bfloat16):
                    return call()

            result = measure_fps(name, bf16, data["x"], warmup=warmup, repeats=repeats)
            lines.append(
                emit(
                    f"fps_{name}_b{batch}_bf16_{size}",
                    result.median,
                    "frames/s",
                    f"min {result.low:.0f}, max {result.high:.0f}; {card}; "
                    "paper: 1655 FPS on an RTX 3090",
                )
            )
    return lines


def main() -> None:
    if not torch.cuda.is_available():
        emit("cuda", 0.0, "bool", "no CUDA device: nothing checked")
        return
    run_checks("cuda", torch.cuda.get_device_name(0))


if __name__ == "__main__":
    main()
