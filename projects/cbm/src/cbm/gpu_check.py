"""``python -m cbm.gpu_check``: CBM's training step at paper resolution on CUDA, in bf16.

ResNet-18 (CIFAR form) on 32 px CIFAR-size batches of 64 with MaskIn at the hardest ratio of the
"40" cycle and Sobel probabilities at 64 px (the 8-bit resize runs on the CPU, which has the
PIL-exact kernel; the filter on the GPU), then the MaskIn step-cost ratio and the batched
saliency throughput, that CPU round trip included. One JSON object per line; imports neither
``shared.cli`` nor jsonargparse.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cbm.bench import STEP_TARGET, train_steps
from cbm.model import MaskIn
from cbm.saliency import sobel_patch_saliency
from cbm.schedules import CYCLE_40
from shared.bench import compare, throughput
from shared.gpucheck import bf16_train_step, cuda_device, emit, emit_record
from shared.models.resnet_cifar import cifar_resnet18

PROJECT = "cbm"


def main() -> None:
    if not torch.cuda.is_available():
        emit(PROJECT, "cuda_available", 0.0, "bool", "no CUDA device; nothing checked")
        return
    device = cuda_device()
    torch.manual_seed(0)
    raw = torch.randint(0, 256, (64, 3, 32, 32), device=device, dtype=torch.uint8)
    images = (raw.float() / 255 - 0.5) / 0.5
    labels = torch.arange(64, device=device) % 10
    probs = sobel_patch_saliency(raw, 4, size=64)
    masking = MaskIn(4).train()

    def masked_loss(model, x, y):
        return F.cross_entropy(model(masking(x, CYCLE_40[1], probs)), y)

    bf16_train_step(
        PROJECT, "ResNet-18 + MaskIn (CIFAR 32 px)", cifar_resnet18(10), images, labels, masked_loss
    )

    plain, masked = train_steps(
        cifar_resnet18(10).to(device), images, labels, probs, CYCLE_40[1], autocast=True
    )
    record = compare(plain, masked, items=64, repeats=21, device=device).record(
        PROJECT, "train step with MaskIn / without (ResNet-18, batch 64, bf16)", target=STEP_TARGET
    )
    emit_record(PROJECT, "MaskIn step cost", record)

    batch = torch.randint(0, 256, (4096, 3, 32, 32), device=device, dtype=torch.uint8)
    median, low, high = throughput(
        lambda: sobel_patch_saliency(batch, 4, size=64), 4096, device=device
    )
    emit(
        PROJECT,
        "Sobel saliency throughput (CIFAR at 64 px)",
        median,
        "images/s",
        f"min-max {low:.0f}-{high:.0f}; 8-bit resize on the CPU, filter on the GPU",
    )


if __name__ == "__main__":
    main()
