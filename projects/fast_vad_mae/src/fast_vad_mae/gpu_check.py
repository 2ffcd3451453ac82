"""`python -m fast_vad_mae.gpu_check`: one bf16 training step at paper resolution and the FPS
benchmark on CUDA, as JSON lines. Imports neither jsonargparse nor ``shared.cli``."""

from __future__ import annotations

import json
import time

import torch

from fast_vad_mae.losses import teacher_loss
from fast_vad_mae.model import MaskedAutoencoderCvT, preset
from fast_vad_mae.timed_calls import inputs, teacher_call, teacher_student_call
from shared.vad.fps import measure_fps

PROJECT = "fast_vad_mae"


def emit(check: str, value: float, unit: str, detail: str = "") -> None:
    print(
        json.dumps(
            {"project": PROJECT, "check": check, "value": value, "unit": unit, "detail": detail}
        ),
        flush=True,
    )


def main() -> None:
    if not torch.cuda.is_available():
        emit("cuda", 0.0, "bool", "no CUDA device: nothing checked")
        return
    device, card = "cuda", torch.cuda.get_device_name(0)
    torch.manual_seed(0)
    model = MaskedAutoencoderCvT(preset("avenue_p16")).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.05)
    data = inputs(model, 32, device)
    start = time.perf_counter()
    with torch.autocast(device, dtype=torch.bfloat16):
        out = model(data["x"], 0.5)
        loss = teacher_loss(out.teacher.float(), data["y"], out.mask, data["g"], model.patch_size)
    loss.backward()
    optimizer.step()
    torch.cuda.synchronize()
    emit(
        "train_step_bf16_b32_320x640",
        float(loss),
        "loss",
        f"finite={bool(torch.isfinite(loss))}; {time.perf_counter() - start:.2f} s; {card}",
    )
    model.eval()
    for batch in (1, 32):
        data = inputs(model, batch, device)
        for name, make in (("teacher", teacher_call), ("teacher+student", teacher_student_call)):
            call = make(model, data)

            def bf16(_x, call=call):
                with torch.autocast(device, dtype=torch.bfloat16):
                    return call()

            result = measure_fps(name, bf16, data["x"], warmup=5, repeats=20)
            emit(
                f"fps_{name}_b{batch}_bf16",
                result.median,
                "frames/s",
                f"min {result.low:.0f}, max {result.high:.0f}; {card}; paper: 1655 FPS on an RTX 3090",
            )


if __name__ == "__main__":
    main()
